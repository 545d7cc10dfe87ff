// One etcd watch per resource, shared by every client watching it: each
// change is decoded once as it arrives and fanned out, and kept in a bounded
// window as etcd's bytes (decoded again only for a watcher resuming from the
// window). A client asking to resume from before the window gets a history
// watch of its own straight from etcd, or TooOld when etcd has compacted that
// revision away.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import { ApiError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logging.js';
import type { EtcdStore } from './etcd-store.js';
import { REGISTRY_PREFIX, resourcePrefix } from './keys.js';
import { eventFor, type Change, type ChangeType, type DeliveredEvent, type EventMemo, type WatchFilter } from './watch-events.js';

export interface Subscription {
  stop(): void;
  /** every change up to this revision has been handed to the sink (or filtered out) */
  progress(): number;
}

export interface WatchSink {
  /**
   * catchUp: the event belongs to what the watch starts with (the current
   * state, or the window replayed to a resuming watcher), delivered all at
   * once before any live change.
   */
  event(ev: DeliveredEvent, rev: number, catchUp?: boolean): void;
  /** the watch cannot go on: TooOld (relist) or Unavailable */
  fail(err: ApiError): void;
}

function isCompacted(err: unknown): boolean {
  return /compacted/i.test(String((err as Error)?.message ?? err));
}

/**
 * A change as the window keeps it: etcd's bytes, a fraction of the decoded
 * objects' size.
 */
export interface WindowEntry {
  type: ChangeType;
  rev: number;
  key: string;
  /** the stored value after the change; for DELETED the last one, when etcd still had it */
  value?: Buffer;
  /** MODIFIED: the value before the change */
  prev?: Buffer;
}

/** A change as etcd reported it, its bytes used in place (for a watch that keeps nothing). */
export function changeOf(kind: 'put' | 'delete', kv: IKeyValue, prev: IKeyValue | undefined): WindowEntry {
  const rev = Number(kv.mod_revision);
  const key = kv.key.toString();
  if (kind === 'delete') return { type: 'DELETED', rev, key, value: prev?.value };
  if (Number(kv.version) === 1 || !prev) return { type: 'ADDED', rev, key, value: kv.value };
  return { type: 'MODIFIED', rev, key, value: kv.value, prev: prev.value };
}

/** A copy of b in memory of its own, so a kept value holds on to nothing else (an etcd response, a shared pool slab). */
function own(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** A window entry as a Change whose objects are decoded on first use. */
class DecodedChange implements Change {
  private decodedObj?: AnyObject;
  private decodedPrev?: AnyObject;
  constructor(
    private readonly store: EtcdStore,
    private readonly info: KindInfo,
    private readonly entry: WindowEntry,
  ) {}
  get type(): ChangeType {
    return this.entry.type;
  }
  get rev(): number {
    return this.entry.rev;
  }
  get namespace(): string | undefined {
    if (!this.info.namespaced) return undefined;
    // /registry/<resource>/<namespace>/<name>
    const key = this.entry.key;
    const start = key.indexOf('/', REGISTRY_PREFIX.length) + 1;
    return key.slice(start, key.indexOf('/', start));
  }
  get objBytes(): Uint8Array | undefined {
    return this.entry.value;
  }
  get prevBytes(): Uint8Array | undefined {
    return this.entry.prev;
  }
  get obj(): AnyObject {
    if (!this.decodedObj) {
      const e = this.entry;
      if (e.value) this.decodedObj = this.store.decodeValue(this.info, e.value, e.rev);
      else {
        // etcd no longer had the last value: all that is known is the key
        const parts = e.key.split('/');
        const name = parts.pop();
        const namespace = this.info.namespaced ? parts.pop() : undefined;
        this.decodedObj = { apiVersion: this.info.apiVersion, kind: this.info.kind, metadata: { name, namespace } } as AnyObject;
      }
    }
    return this.decodedObj;
  }
  get prev(): AnyObject | undefined {
    if (!this.decodedPrev && this.entry.prev) this.decodedPrev = this.store.decodeValue(this.info, this.entry.prev, this.entry.rev);
    return this.decodedPrev;
  }
}

interface Subscriber {
  filter: WatchFilter;
  sink: WatchSink;
  /** deliver only changes after this revision */
  after: number;
}

export class ResourceWatchCache {
  /** entries before windowHead are evicted (cleared, and sliced off in bulk) */
  private window: (WindowEntry | undefined)[] = [];
  /** each key's latest entry still in the window: a later change's previous value is its value, shared, not copied */
  private latest = new Map<string, WindowEntry>();
  private windowHead = 0;
  /** every change with rev > windowStart is in `window` */
  private windowStart = 0;
  private subscribers = new Set<Subscriber>();
  private watcher?: Watcher;
  private stopped = false;
  lastRev = 0;

  constructor(
    private readonly etcd: Etcd3,
    private readonly store: EtcdStore,
    readonly info: KindInfo,
    private readonly log: Logger,
    private readonly capacity = 10_000,
  ) {}

  get etcdWatchCount(): number {
    return this.watcher ? 1 : 0;
  }

  /**
   * The key's value as of its latest change in the window, while this cache
   * follows etcd; undefined when deleted or not changed within the window.
   * A guess (the cache may lag etcd): a write made from it must be guarded
   * by its revision.
   */
  latestValue(key: string): { value: Buffer; rev: number } | undefined {
    if (!this.watcher) return undefined;
    const e = this.latest.get(key);
    return e?.value && e.type !== 'DELETED' ? { value: e.value, rev: e.rev } : undefined;
  }

  /** changes the window holds now */
  get windowSize(): number {
    return this.window.length - this.windowHead;
  }

  /** Starts following etcd after revision `from` (when etcd still has it), else after the current one. */
  async start(from?: number): Promise<void> {
    const now = await this.store.currentRevision();
    const rev = from !== undefined && from > 0 && from < now && (await this.retained(from + 1)) ? from : now;
    this.windowStart = rev;
    this.lastRev = rev;
    this.window = [];
    this.windowHead = 0;
    this.latest = new Map();
    const watcher = await this.etcd
      .watch()
      .prefix(resourcePrefix(this.info))
      .withPreviousKV()
      .startRevision(String(rev + 1))
      .create();
    this.watcher = watcher;
    watcher.on('put', (kv, prev) => this.apply(this.keep(changeOf('put', kv, prev), prev)));
    watcher.on('delete', (kv, prev) => this.apply(this.keep(changeOf('delete', kv, prev), prev)));
    watcher.on('error', (err) => void this.restart(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.watcher;
    this.watcher = undefined;
    await w?.cancel().catch(() => undefined);
    for (const s of this.subscribers) s.sink.fail(new ApiError('Unavailable', 'the apiserver is shutting down; watch again'));
    this.subscribers.clear();
  }

  /** Our own etcd watch broke (e.g. it fell behind a compaction): every watcher must relist. */
  private async restart(err: unknown): Promise<void> {
    if (this.stopped) return;
    this.log.warn({ resource: this.info.resource, err: String(err) }, 'watch cache lost its etcd watch; restarting');
    const old = this.watcher;
    this.watcher = undefined;
    await old?.cancel().catch(() => undefined);
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subs) s.sink.fail(new ApiError('TooOld', `the watch of ${this.info.resource} was interrupted; list again and watch from the new resourceVersion`));
    for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.start();
        // stop() may have run while start() was waiting on etcd
        if (this.stopped) await (this.watcher as Watcher | undefined)?.cancel().catch(() => undefined);
        return;
      } catch (e) {
        this.log.warn({ resource: this.info.resource, err: String(e) }, 'watch cache restart failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** The change with its bytes owned by the window; the previous value is the key's last entry's when that is it. */
  private keep(c: WindowEntry, prev: IKeyValue | undefined): WindowEntry {
    const last = this.latest.get(c.key);
    const lastValue = last && last.type !== 'DELETED' && prev && Number(prev.mod_revision) === last.rev ? last.value : undefined;
    if (c.type === 'DELETED') return { ...c, value: lastValue ?? (c.value && own(c.value)) };
    return { ...c, value: own(c.value!), prev: c.prev && (lastValue ?? own(c.prev)) };
  }

  private apply(entry: WindowEntry): void {
    if (entry.rev <= this.lastRev) return;
    this.lastRev = entry.rev;
    this.window.push(entry);
    if (entry.type === 'DELETED') this.latest.delete(entry.key);
    else this.latest.set(entry.key, entry);
    if (this.windowSize > this.capacity) {
      const evicted = this.window[this.windowHead]!;
      this.window[this.windowHead] = undefined;
      if (this.latest.get(evicted.key) === evicted) this.latest.delete(evicted.key);
      this.windowHead++;
      this.windowStart = evicted.rev;
      // drop the evicted entries in bulk, not one shift per change
      if (this.windowHead >= 1024 && this.windowHead * 2 >= this.window.length) {
        this.window = this.window.slice(this.windowHead);
        this.windowHead = 0;
      }
    }
    if (!this.subscribers.size) return;
    const change = new DecodedChange(this.store, this.info, entry);
    const memo: EventMemo = new Map();
    for (const s of this.subscribers) this.deliver(s, change, memo);
  }

  private deliver(s: Subscriber, change: Change, memo?: EventMemo, catchUp = false): void {
    if (change.rev <= s.after) return;
    const ev = eventFor(change, s.filter, memo);
    if (ev) s.sink.event(ev, change.rev, catchUp);
  }

  /**
   * Streams every change after `fromRev` that passes the filter, in revision
   * order. Changes older than the window come from a history watch on etcd.
   */
  async subscribe(fromRev: number, filter: WatchFilter, sink: WatchSink): Promise<Subscription> {
    if (fromRev >= this.windowStart && this.watcher) {
      const sub: Subscriber = { filter, sink, after: fromRev };
      for (let i = this.windowHead; i < this.window.length; i++) {
        const entry = this.window[i]!;
        if (entry.rev > fromRev) this.deliver(sub, new DecodedChange(this.store, this.info, entry), undefined, true);
      }
      this.subscribers.add(sub);
      return { stop: () => this.subscribers.delete(sub), progress: () => Math.max(fromRev, this.lastRev) };
    }
    return this.historyWatch(fromRev, filter, sink);
  }

  /** Whether etcd still has revision `rev` (not compacted away). */
  private async retained(rev: number): Promise<boolean> {
    try {
      await this.etcd.getAll().prefix(resourcePrefix(this.info)).revision(rev).limit(1).exec();
      return true;
    } catch (err) {
      if (isCompacted(err)) return false;
      throw err;
    }
  }

  private async historyWatch(fromRev: number, filter: WatchFilter, sink: WatchSink): Promise<Subscription> {
    const prefix = resourcePrefix(this.info, filter.namespace);
    // Ask etcd whether fromRev+1 is still retained before streaming from it.
    try {
      await this.etcd.getAll().prefix(prefix).revision(fromRev + 1).limit(1).exec();
    } catch (err) {
      if (isCompacted(err)) throw tooOld(this.info, fromRev);
      if (!/future revision/i.test(String((err as Error)?.message))) throw err;
    }
    const watcher = await this.etcd.watch().prefix(prefix).withPreviousKV().startRevision(String(fromRev + 1)).create();
    let stopped = false;
    let seen = fromRev;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      void watcher.cancel().catch(() => undefined);
    };
    const onChange = (entry: WindowEntry) => {
      if (stopped) return;
      seen = entry.rev;
      const ev = eventFor(new DecodedChange(this.store, this.info, entry), filter);
      if (ev) sink.event(ev, entry.rev);
    };
    watcher.on('put', (kv, prev) => onChange(changeOf('put', kv, prev)));
    watcher.on('delete', (kv, prev) => onChange(changeOf('delete', kv, prev)));
    watcher.on('error', (err) => {
      if (stopped) return;
      stop();
      sink.fail(isCompacted(err) ? tooOld(this.info, fromRev) : new ApiError('Unavailable', `watch of ${this.info.resource} failed: ${String(err)}; watch again`));
    });
    // Only what this watch itself has seen: the shared cache may be ahead of it.
    return { stop, progress: () => seen };
  }
}

function tooOld(info: KindInfo, rev: number): ApiError {
  return new ApiError(
    'TooOld',
    `resourceVersion ${rev} of ${info.resource} is too old: etcd has compacted it; list again and watch from the new resourceVersion`,
  );
}

/** The watch caches of all resources, one etcd watch each. */
export class WatchCaches {
  private readonly caches = new Map<string, Promise<ResourceWatchCache>>();
  /** the caches that have started */
  private readonly started = new Map<string, ResourceWatchCache>();

  constructor(
    private readonly etcd: Etcd3,
    private readonly store: EtcdStore,
    private readonly log: Logger,
    private readonly capacity?: number,
  ) {}

  private stopped = false;

  /**
   * The resource's cache, started on first use. `from`: the revision the
   * first watcher resumes after; a new cache starts there rather than at the
   * current revision, so that watcher (typically an informer that has just
   * listed while writes went on) is served from the window, not from a
   * history watch of its own.
   */
  async forResource(info: KindInfo, from?: number): Promise<ResourceWatchCache> {
    if (this.stopped) throw new ApiError('Unavailable', 'the apiserver is shutting down; watch again');
    let c = this.caches.get(info.resource);
    if (!c) {
      const cache = new ResourceWatchCache(this.etcd, this.store, info, this.log, this.capacity);
      c = cache.start(from).then(() => {
        if (!this.stopped) this.started.set(info.resource, cache);
        return cache;
      });
      this.caches.set(info.resource, c);
      c.catch(() => this.caches.delete(info.resource));
    }
    return c;
  }

  /** The resource's cache if one runs already (never starts one). */
  peek(info: KindInfo): ResourceWatchCache | undefined {
    return this.started.get(info.resource);
  }

  /** etcd watches held by the caches (history watches excluded) */
  async etcdWatchCount(): Promise<number> {
    let n = 0;
    for (const c of this.caches.values()) n += (await c).etcdWatchCount;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.caches.values()];
    this.caches.clear();
    this.started.clear();
    await Promise.all(all.map(async (c) => (await c.catch(() => undefined))?.stop()));
  }
}
