// An in-memory stand-in for the apiserver's list and watch of one kind, with
// the same contract (revisions, watch from a revision, TooOld after
// compaction, lost streams), for testing informers and controllers without a
// server. Test support only.
import { randomUUID } from 'node:crypto';
import type { AnyObject, KindName, KindTypes } from '../api/kinds.js';
import type { ListOptions, Watch, WatchEvent, WatchOptions } from '../client/api-client.js';
import { ApiError } from '../errors.js';
import { objectKey } from './key.js';
import type { ListerWatcher } from './list-watch.js';

/** A Watch fed by push(); fail() makes the iterator throw, as a broken stream does. */
export class PushWatch<O> implements Watch<O> {
  private readonly queue: WatchEvent<O>[] = [];
  private failure: Error | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly onStop: () => void = () => {}) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  push(ev: WatchEvent<O>): void {
    this.queue.push(ev);
    this.notify();
  }

  fail(err: Error): void {
    this.failure = err;
    this.notify();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop();
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<O>> {
    try {
      for (;;) {
        if (this.stopped) return;
        if (this.queue.length) {
          yield this.queue.shift()!;
          continue;
        }
        if (this.failure) throw this.failure;
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      this.stop();
    }
  }
}

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: AnyObject;
}

export class FakeListerWatcher implements ListerWatcher {
  private revision = 1;
  private compacted = 0;
  private readonly objects = new Map<string, AnyObject>();
  private readonly history: HistoryEntry[] = [];
  private readonly watches = new Set<PushWatch<AnyObject>>();
  private listFailures: Error[] = [];
  listCalls = 0;
  watchCalls = 0;
  /** resourceVersions the informer asked to watch from, in order */
  readonly watchedFrom: string[] = [];

  get openWatches(): number {
    return this.watches.size;
  }

  get currentRevision(): string {
    return String(this.revision);
  }

  /** Objects as the "server" holds them now. */
  snapshot(): AnyObject[] {
    return Array.from(this.objects.values()).map(clone);
  }

  create<O extends AnyObject>(obj: O): O {
    const key = objectKey(obj);
    if (this.objects.has(key)) throw new ApiError('AlreadyExists', `${key} already exists`);
    const stored = clone(obj);
    stored.metadata = { ...stored.metadata, uid: stored.metadata?.uid || randomUUID() };
    return this.write('ADDED', stored) as O;
  }

  update<O extends AnyObject>(obj: O): O {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (!old) throw new ApiError('NotFound', `${key} not found`);
    const stored = clone(obj);
    stored.metadata = { ...stored.metadata, uid: old.metadata?.uid };
    return this.write('MODIFIED', stored) as O;
  }

  delete(key: string): void {
    const old = this.objects.get(key);
    if (!old) throw new ApiError('NotFound', `${key} not found`);
    this.write('DELETED', clone(old));
  }

  /** Forgets history up to now: watches from an older revision get TooOld. */
  compact(): void {
    this.compacted = this.revision;
    this.history.length = 0;
  }

  /** Breaks every open watch with err (default: Unavailable), as a server restart does. */
  breakWatches(err: Error = new ApiError('Unavailable', 'connection reset')): void {
    for (const w of this.watches) w.fail(err);
    this.watches.clear();
  }

  /** The next list calls fail with these errors, in order. */
  failNextLists(...errs: Error[]): void {
    this.listFailures.push(...errs);
  }

  async list<K extends KindName>(_kind: K, _opts?: ListOptions): Promise<{ items: KindTypes[K][]; resourceVersion: string }> {
    this.listCalls++;
    await Promise.resolve();
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    return { items: this.snapshot() as KindTypes[K][], resourceVersion: String(this.revision) };
  }

  watch<K extends KindName>(_kind: K, opts: WatchOptions = {}): Watch<KindTypes[K]> {
    this.watchCalls++;
    const from = Number(opts.resourceVersion || this.revision);
    this.watchedFrom.push(String(opts.resourceVersion ?? ''));
    const w: PushWatch<AnyObject> = new PushWatch(() => this.watches.delete(w));
    if (from < this.compacted) {
      w.fail(new ApiError('TooOld', `resourceVersion ${from} is too old; relist`));
      return w as unknown as Watch<KindTypes[K]>;
    }
    for (const h of this.history) {
      if (h.rv > from) w.push({ type: h.type, object: clone(h.object), resourceVersion: String(h.rv) });
    }
    this.watches.add(w);
    return w as unknown as Watch<KindTypes[K]>;
  }

  private write(type: HistoryEntry['type'], obj: AnyObject): AnyObject {
    const rv = ++this.revision;
    obj.metadata = { ...obj.metadata, resourceVersion: String(rv) };
    const key = objectKey(obj);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, obj);
    this.history.push({ rv, type, object: clone(obj) });
    for (const w of this.watches) w.push({ type, object: clone(obj), resourceVersion: String(rv) });
    return clone(obj);
  }
}

function clone<T>(o: T): T {
  return structuredClone(o);
}
