// Objects in etcd: protobuf values, resourceVersion = the key's mod revision.
// Every write is a transaction guarded by the revision the caller read, so a
// stale writer gets a Conflict and never overwrites.
import { Etcd3, type IKeyValue } from 'etcd3';
import { encode, decode } from '../../lib/api/schema.js';
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import { ApiError } from '../../lib/errors.js';
import { objectKey, resourcePrefix } from './keys.js';

export interface Stored<O = AnyObject> {
  obj: O;
  /** etcd mod revision of the key */
  rev: number;
}

/**
 * The stored bytes and revision of every object this store read or wrote,
 * so a response can be built from those bytes (lib/api/wire-bytes) rather
 * than by encoding the object again. They are what etcd holds at that
 * revision, which is what such an object stands for.
 */
const storedForms = new WeakMap<object, { stored: Uint8Array; rev: number }>();

/** The bytes `obj` was read from or written as, when this store handed it out and it still carries that resourceVersion. */
export function storedForm(obj: AnyObject): { stored: Uint8Array; rev: number } | undefined {
  const f = storedForms.get(obj);
  return f && obj.metadata?.resourceVersion === String(f.rev) ? f : undefined;
}

/** Objects larger than this are refused: etcd's own request limit is 1.5 MiB. */
export const MAX_OBJECT_BYTES = 1024 * 1024;

export function resourceName(info: KindInfo): string {
  return `${info.resource}${info.groupSuffix}`;
}

export function notFound(info: KindInfo, name: string): ApiError {
  return new ApiError('NotFound', `${resourceName(info)} "${name}" not found`);
}

/**
 * Keys written or removed in the same transaction as an object: the
 * reservations of a Service's cluster IP and node ports, so that an IP is
 * never given twice and is freed exactly when its Service goes.
 */
export interface SideKeys {
  /** must not exist yet; created with the given value */
  reserve?: Record<string, string>;
  /** removed */
  release?: string[];
  /** must still be at this mod revision (the namespace a create was checked against) */
  unchanged?: Record<string, number>;
}

/** A reservation key was taken, or an unchanged key changed, between plan and write: plan again. */
export class SideKeysChanged extends Error {}

export class EtcdStore {
  constructor(readonly etcd: Etcd3) {}

  encodeObject(info: KindInfo, obj: AnyObject): Buffer {
    // resourceVersion lives in etcd's revision, never in the stored bytes
    const md = obj.metadata ?? {};
    const copy = { ...obj, metadata: { ...md, resourceVersion: undefined } };
    const bytes = Buffer.from(encode(info.message, copy));
    if (bytes.length > MAX_OBJECT_BYTES) {
      throw new ApiError(
        'Invalid',
        `${info.kind} "${md.name ?? ''}" is too large: ${bytes.length} bytes encoded, the limit is ${MAX_OBJECT_BYTES}; split the data over several objects`,
      );
    }
    return bytes;
  }

  decodeKv<O extends AnyObject>(info: KindInfo, kv: IKeyValue): Stored<O> {
    const rev = Number(kv.mod_revision);
    return { obj: this.decodeValue<O>(info, kv.value, rev), rev };
  }

  /** A stored value as the object it holds, at resourceVersion `rev`. */
  decodeValue<O extends AnyObject>(info: KindInfo, value: Uint8Array, rev: number): O {
    const obj = decode<O>(info.message, value);
    obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rev) };
    obj.apiVersion = info.apiVersion;
    obj.kind = info.kind;
    storedForms.set(obj, { stored: value, rev });
    return obj;
  }

  async get<O extends AnyObject>(info: KindInfo, namespace: string | undefined, name: string): Promise<Stored<O>> {
    const res = await this.etcd.get(objectKey(info, namespace, name)).exec();
    const kv = res.kvs[0];
    if (!kv) throw notFound(info, name);
    return this.decodeKv<O>(info, kv);
  }

  async list<O extends AnyObject>(info: KindInfo, namespace?: string): Promise<{ items: Stored<O>[]; revision: number }> {
    const res = await this.etcd.getAll().prefix(resourcePrefix(info, namespace)).exec();
    return { items: res.kvs.map((kv) => this.decodeKv<O>(info, kv)), revision: Number(res.header.revision) };
  }

  /** Creates the object; AlreadyExists if the key is taken. Returns it with its resourceVersion. */
  async create<O extends AnyObject>(info: KindInfo, obj: O, side: SideKeys = {}): Promise<O> {
    const md = obj.metadata!;
    const key = objectKey(info, md.namespace, md.name!);
    const value = this.encodeObject(info, obj);
    const res = await this.sideTxn(this.etcd.if(key, 'Create', '==', 0), side, this.etcd.put(key).value(value));
    if (!res.succeeded) {
      const exists = (await this.etcd.get(key).exec()).kvs.length > 0;
      if (exists || (!side.reserve && !side.unchanged)) throw new ApiError('AlreadyExists', `${resourceName(info)} "${md.name}" already exists`);
      throw new SideKeysChanged();
    }
    return this.withRev(info, obj, value, Number(res.header.revision));
  }

  private sideTxn(
    txn: ReturnType<Etcd3['if']>,
    side: SideKeys,
    ...ops: Parameters<ReturnType<Etcd3['if']>['then']>
  ): ReturnType<ReturnType<Etcd3['if']>['commit']> {
    const reserve = Object.entries(side.reserve ?? {});
    for (const [k] of reserve) txn.and(k, 'Create', '==', 0);
    for (const [k, rev] of Object.entries(side.unchanged ?? {})) txn.and(k, 'Mod', '==', rev);
    return txn
      .then(
        ...ops,
        ...reserve.map(([k, v]) => this.etcd.put(k).value(v)),
        ...(side.release ?? []).map((k) => this.etcd.delete().key(k)),
      )
      .commit();
  }

  /**
   * Writes obj over the stored version only if its mod revision is still
   * expectedRev. Returns undefined when another writer got there first.
   */
  async compareAndSwap<O extends AnyObject>(info: KindInfo, obj: O, expectedRev: number, side: SideKeys = {}): Promise<O | undefined> {
    const md = obj.metadata!;
    const key = objectKey(info, md.namespace, md.name!);
    const value = this.encodeObject(info, obj);
    const res = await this.sideTxn(this.etcd.if(key, 'Mod', '==', expectedRev), side, this.etcd.put(key).value(value));
    if (!res.succeeded) return undefined;
    return this.withRev(info, obj, value, Number(res.header.revision));
  }

  /** Deletes the key only if its mod revision is still expectedRev. Returns the deletion revision. */
  async compareAndDelete(info: KindInfo, namespace: string | undefined, name: string, expectedRev: number, side: SideKeys = {}): Promise<number | undefined> {
    const key = objectKey(info, namespace, name);
    const res = await this.sideTxn(this.etcd.if(key, 'Mod', '==', expectedRev), side, this.etcd.delete().key(key));
    return res.succeeded ? Number(res.header.revision) : undefined;
  }

  /**
   * Read-modify-write with retries: `mutate` gets the current object and
   * returns the next one (or undefined for no change). A conflict re-reads
   * and runs mutate again, so mutate must be a pure function of its input.
   */
  async guaranteedUpdate<O extends AnyObject>(
    info: KindInfo,
    namespace: string | undefined,
    name: string,
    mutate: (current: O, rev: number) => O | undefined,
    /** a first guess at the current object (the watch cache's), tried before reading etcd */
    guess?: () => Stored<O> | undefined,
  ): Promise<{ obj: O; changed: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const guessed = attempt === 0 ? guess?.() : undefined;
      const cur = guessed ?? (await this.get<O>(info, namespace, name));
      let next: O | undefined;
      try {
        next = mutate(cur.obj, cur.rev);
      } catch (e) {
        // a refusal decided on a guess is decided again on what etcd holds
        if (guessed) continue;
        throw e;
      }
      if (!next) {
        if (guessed) continue;
        return { obj: cur.obj, changed: false };
      }
      const written = await this.compareAndSwap(info, next, cur.rev);
      if (written) return { obj: written, changed: true };
      if (attempt > 50) throw new ApiError('Conflict', `${resourceName(info)} "${name}" keeps changing; try again`);
    }
  }

  async currentRevision(): Promise<number> {
    const res = await this.etcd.get('/registry/.revision-probe').exec();
    return Number(res.header.revision);
  }

  private withRev<O extends AnyObject>(info: KindInfo, obj: O, stored: Uint8Array, rev: number): O {
    const written = { ...obj, apiVersion: info.apiVersion, kind: info.kind, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
    storedForms.set(written, { stored, rev });
    return written;
  }
}
