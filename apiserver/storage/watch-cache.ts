// One etcd watch per resource, shared by every client watching it: changes
// are decoded once into a bounded window and fanned out. A client asking to
// resume from before the window gets a history watch of its own straight from
// etcd, or TooOld when etcd has compacted that revision away.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { KindInfo } from '../../lib/api/kinds.js';
import { ApiError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logging.js';
import type { EtcdStore } from './etcd-store.js';
import { resourcePrefix } from './keys.js';
import { eventFor, type Change, type DeliveredEvent, type WatchFilter } from './watch-events.js';

export interface Subscription {
  stop(): void;
}
export interface WatchSink {
  event(ev: DeliveredEvent, rev: number): void;
  /** the watch cannot go on: TooOld (relist) or Unavailable */
  fail(err: ApiError): void;
}

function isCompacted(err: unknown): boolean {
  return /compacted/i.test(String((err as Error)?.message ?? err));
}

function toChange(store: EtcdStore, info: KindInfo, kind: 'put' | 'delete', kv: IKeyValue, prev: IKeyValue | undefined): Change {
  const rev = Number(kv.mod_revision);
  if (kind === 'delete') {
    const last = prev ? store.decodeKv(info, prev).obj : { metadata: { name: kv.key.toString().split('/').pop() } };
    return { type: 'DELETED', obj: last as Change['obj'], rev };
  }
  const obj = store.decodeKv(info, kv).obj;
  if (Number(kv.version) === 1 || !prev) return { type: 'ADDED', obj, rev };
  return { type: 'MODIFIED', obj, prev: store.decodeKv(info, prev).obj, rev };
}

interface Subscriber {
  filter: WatchFilter;
  sink: WatchSink;
  /** deliver only changes after this revision */
  after: number;
}

export class ResourceWatchCache {
  private window: Change[] = [];
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

  async start(): Promise<void> {
    const rev = await this.store.currentRevision();
    this.windowStart = rev;
    this.lastRev = rev;
    this.window = [];
    const watcher = await this.etcd
      .watch()
      .prefix(resourcePrefix(this.info))
      .withPreviousKV()
      .startRevision(String(rev + 1))
      .create();
    this.watcher = watcher;
    watcher.on('put', (kv, prev) => this.apply(toChange(this.store, this.info, 'put', kv, prev)));
    watcher.on('delete', (kv, prev) => this.apply(toChange(this.store, this.info, 'delete', kv, prev)));
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

  private apply(change: Change): void {
    if (change.rev <= this.lastRev) return;
    this.lastRev = change.rev;
    this.window.push(change);
    if (this.window.length > this.capacity) {
      const dropped = this.window.splice(0, this.window.length - this.capacity);
      this.windowStart = dropped[dropped.length - 1]!.rev;
    }
    for (const s of this.subscribers) this.deliver(s, change);
  }

  private deliver(s: Subscriber, change: Change): void {
    if (change.rev <= s.after) return;
    const ev = eventFor(change, s.filter);
    if (ev) s.sink.event(ev, change.rev);
  }

  /**
   * Streams every change after `fromRev` that passes the filter, in revision
   * order. Changes older than the window come from a history watch on etcd.
   */
  async subscribe(fromRev: number, filter: WatchFilter, sink: WatchSink): Promise<Subscription> {
    if (fromRev >= this.windowStart && this.watcher) {
      const sub: Subscriber = { filter, sink, after: fromRev };
      for (const change of this.window) this.deliver(sub, change);
      this.subscribers.add(sub);
      return { stop: () => this.subscribers.delete(sub) };
    }
    return this.historyWatch(fromRev, filter, sink);
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
    const stop = () => {
      if (stopped) return;
      stopped = true;
      void watcher.cancel().catch(() => undefined);
    };
    const onChange = (change: Change) => {
      if (stopped) return;
      const ev = eventFor(change, filter);
      if (ev) sink.event(ev, change.rev);
    };
    watcher.on('put', (kv, prev) => onChange(toChange(this.store, this.info, 'put', kv, prev)));
    watcher.on('delete', (kv, prev) => onChange(toChange(this.store, this.info, 'delete', kv, prev)));
    watcher.on('error', (err) => {
      if (stopped) return;
      stop();
      sink.fail(isCompacted(err) ? tooOld(this.info, fromRev) : new ApiError('Unavailable', `watch of ${this.info.resource} failed: ${String(err)}; watch again`));
    });
    return { stop };
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

  constructor(
    private readonly etcd: Etcd3,
    private readonly store: EtcdStore,
    private readonly log: Logger,
    private readonly capacity?: number,
  ) {}

  private stopped = false;

  async forResource(info: KindInfo): Promise<ResourceWatchCache> {
    if (this.stopped) throw new ApiError('Unavailable', 'the apiserver is shutting down; watch again');
    let c = this.caches.get(info.resource);
    if (!c) {
      const cache = new ResourceWatchCache(this.etcd, this.store, info, this.log, this.capacity);
      c = cache.start().then(() => cache);
      this.caches.set(info.resource, c);
      c.catch(() => this.caches.delete(info.resource));
    }
    return c;
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
    await Promise.all(all.map(async (c) => (await c.catch(() => undefined))?.stop()));
  }
}
