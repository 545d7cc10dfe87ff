// The informer's cache: objects by key, plus secondary indices (by namespace,
// and any the user adds, e.g. pods by node name or objects by owner uid).
// Pure data structure, no I/O.
import type { AnyObject } from '../api/kinds.js';
import { objectKey } from './key.js';

/** Values an object is filed under in one index; [] files it nowhere. */
export type IndexFunc<O> = (obj: O) => string[];

export const NAMESPACE_INDEX = 'namespace';

export const byNamespaceIndex: IndexFunc<AnyObject> = (o) => [o.metadata?.namespace ?? ''];

export class IndexedStore<O extends AnyObject> {
  private readonly items = new Map<string, O>();
  private readonly indexers = new Map<string, IndexFunc<O>>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor() {
    this.addIndexer(NAMESPACE_INDEX, byNamespaceIndex);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): O | undefined {
    return this.items.get(key);
  }

  list(): O[] {
    return Array.from(this.items.values());
  }

  keys(): string[] {
    return Array.from(this.items.keys());
  }

  /** Stores obj under its key; returns what was there before. */
  set(obj: O): O | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes the object under key; returns it. */
  delete(key: string): O | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** Adds (or replaces) an index and files every stored object in it. */
  addIndexer(name: string, fn: IndexFunc<O>): void {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) this.fileIn(index, fn, key, obj);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  /** Objects filed under value in the named index. Throws if there is no such index (a programming error). */
  byIndex(name: string, value: string): O[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`informer has no index "${name}"; add it with addIndexer before using it`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: O[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  private index(key: string, obj: O): void {
    for (const [name, fn] of this.indexers) this.fileIn(this.indices.get(name)!, fn, key, obj);
  }

  private fileIn(index: Map<string, Set<string>>, fn: IndexFunc<O>, key: string, obj: O): void {
    for (const v of fn(obj)) {
      let keys = index.get(v);
      if (!keys) index.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, obj: O): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        if (!keys) continue;
        keys.delete(key);
        if (!keys.size) index.delete(v);
      }
    }
  }
}

export interface ReplaceDiff<O> {
  added: O[];
  updated: { old: O; obj: O }[];
  deleted: O[];
}

/**
 * What changed between the cache and a fresh list: what handlers must hear
 * about after a relist so that no change is missed. Objects whose
 * resourceVersion did not change are not reported; an object re-created under
 * the same name (new uid) is reported as a delete and an add.
 */
export function diffForReplace<O extends AnyObject>(current: ReadonlyMap<string, O> | IndexedStore<O>, fresh: O[]): ReplaceDiff<O> {
  const diff: ReplaceDiff<O> = { added: [], updated: [], deleted: [] };
  const seen = new Set<string>();
  for (const obj of fresh) {
    const key = objectKey(obj);
    seen.add(key);
    const old = current.get(key);
    if (!old) diff.added.push(obj);
    else if (old.metadata?.uid !== obj.metadata?.uid) {
      // Deleted and re-created under the same name while we were not watching:
      // two changes, and owners/dependents care about the uid, not the name.
      diff.deleted.push(old);
      diff.added.push(obj);
    } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) diff.updated.push({ old, obj });
  }
  const keys = current instanceof IndexedStore ? current.keys() : Array.from(current.keys());
  for (const key of keys) {
    if (!seen.has(key)) diff.deleted.push(current.get(key)!);
  }
  return diff;
}
