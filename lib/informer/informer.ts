// A list+watch cache of one kind (optionally one namespace / selector) that
// tells handlers about every change. Level-triggered: it lists, watches from
// the list's resourceVersion, and after anything goes wrong it resumes the
// watch (Unavailable, lost stream: with back-off) or relists and reports the
// difference (TooOld), so a handler sees every object's latest state even if
// individual events were lost.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyObject, KindName } from '../api/kinds.js';
import type { ListOptions, Watch, WatchEvent } from '../client/api-client.js';
import { ApiError } from '../errors.js';
import { createLogger, type Logger } from '../logging.js';
import { jitteredBackoffDelay } from '../workqueue/backoff.js';
import { objectKey } from './key.js';
import type { ListerWatcher } from './list-watch.js';
import { IndexedStore, NAMESPACE_INDEX, diffForReplace, type IndexFunc } from './store.js';

export type AddHandler<O> = (obj: O) => void;
export type UpdateHandler<O> = (old: O, obj: O) => void;
/** obj is the last state the informer knew (or the deleted object as the server sent it). */
export type DeleteHandler<O> = (obj: O) => void;

export interface InformerSettings {
  log?: Logger;
  /** first reconnect delay after a failure, ms (default 200) */
  retryBaseMs?: number;
  /** cap of the reconnect delay, ms (default 30 s) */
  retryMaxMs?: number;
}

/**
 * Applied to every object, listed or watched, before it is cached or handed
 * to a handler: a component that needs part of each object keeps only that
 * part (as Kubernetes' informer transforms do). Whatever it returns is what
 * the cache holds, so nothing written back to the server may be built from a
 * trimmed object.
 */
export type TransformFunc<O> = (obj: O) => O;

export type InformerState = 'new' | 'listing' | 'watching' | 'backingOff' | 'stopped';

let defaultLog: Logger | undefined;
const informerLog = (): Logger => (defaultLog ??= createLogger('informer'));

/** Errors that no amount of retrying fixes: the request itself is wrong. */
const FATAL_CODES = new Set(['BadRequest', 'Invalid', 'NotFound']);

class Stopped extends Error {}

export class Informer<O extends AnyObject = AnyObject> {
  private readonly store = new IndexedStore<O>();
  private readonly addHandlers: AddHandler<O>[] = [];
  private readonly updateHandlers: UpdateHandler<O>[] = [];
  private readonly deleteHandlers: DeleteHandler<O>[] = [];
  private readonly log: Logger;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private watch: Watch<O> | undefined;
  private synced = false;
  private startError: ApiError | undefined;
  private resolveStarted!: () => void;
  private readonly started = new Promise<void>((r) => (this.resolveStarted = r));
  private rv = '';
  private stateValue: InformerState = 'new';
  private readonly transform: TransformFunc<O> | undefined;

  constructor(
    private readonly source: ListerWatcher,
    readonly kind: KindName,
    readonly options: ListOptions = {},
    settings: InformerSettings & { transform?: TransformFunc<O> } = {},
  ) {
    this.transform = settings.transform;
    this.log = (settings.log ?? informerLog()).child({ informer: kind, ...options });
    this.retryBaseMs = settings.retryBaseMs ?? 200;
    this.retryMaxMs = settings.retryMaxMs ?? 30_000;
  }

  /**
   * Starts listing and watching. Resolves once the first list is in the cache
   * (or when stop() is called first); rejects if the server refuses the
   * request itself (e.g. a malformed field selector), which retrying cannot fix.
   */
  async start(): Promise<void> {
    this.loop ??= this.run();
    await this.started;
    if (this.startError) throw this.startError;
  }

  /** Stops watching; resolves when the informer has finished. Handlers get nothing afterwards. */
  async stop(): Promise<void> {
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      this.watch?.stop();
    }
    this.stateValue = 'stopped';
    this.resolveStarted();
    await this.loop;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Resolves true once the first list is cached, false if the informer stops
   * first. Does not start it (the factory's owner does that).
   */
  async whenSynced(): Promise<boolean> {
    await this.started;
    return this.synced;
  }

  get state(): InformerState {
    return this.stateValue;
  }

  /** resourceVersion of the last list or event applied to the cache. */
  lastResourceVersion(): string {
    return this.rv;
  }

  list(): O[] {
    return this.store.list();
  }

  /** key: "namespace/name", or "name" for cluster-scoped kinds (see objectKey). */
  get(key: string): O | undefined {
    return this.store.get(key);
  }

  byNamespace(namespace: string): O[] {
    return this.store.byIndex(NAMESPACE_INDEX, namespace);
  }

  /** Adds a secondary index (e.g. pods by spec.nodeName); allowed before or after start. */
  addIndexer(name: string, fn: IndexFunc<O>): void {
    if (this.store.hasIndex(name)) return;
    this.store.addIndexer(name, fn);
  }

  hasIndexer(name: string): boolean {
    return this.store.hasIndex(name);
  }

  byIndex(name: string, value: string): O[] {
    return this.store.byIndex(name, value);
  }

  // Handlers registered after the cache has synced first get an add for every
  // cached object (so a late-joining controller of a shared informer still
  // sees everything), then every change. Registration and the replay happen in
  // one turn of the event loop, so no change slips between them.
  onAdd(fn: AddHandler<O>): void {
    this.register(() => {
      for (const o of this.store.list()) this.call(fn, 'add', o);
      this.addHandlers.push(fn);
    });
  }

  onUpdate(fn: UpdateHandler<O>): void {
    this.register(() => this.updateHandlers.push(fn));
  }

  onDelete(fn: DeleteHandler<O>): void {
    this.register(() => this.deleteHandlers.push(fn));
  }

  private register(attach: () => void): void {
    // Before start nothing is cached, so there is nothing to replay.
    if (this.stateValue === 'new') attach();
    else
      queueMicrotask(() => {
        if (!this.abort.signal.aborted) attach();
      });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let needList = true;
    let attempt = 0;
    let tooOldInARow = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          this.stateValue = 'listing';
          const res = await abortable(this.source.list(this.kind, this.options), signal);
          this.replace(res.items as O[], res.resourceVersion);
          needList = false;
          attempt = 0;
          if (!this.synced) {
            this.synced = true;
            this.resolveStarted();
          }
        }
        this.stateValue = 'watching';
        const w = this.source.watch(this.kind, { ...this.options, resourceVersion: this.rv, allowBookmarks: true }) as Watch<O>;
        this.watch = w;
        if (signal.aborted) {
          w.stop();
          break;
        }
        for await (const ev of w) {
          if (signal.aborted) break;
          this.apply(ev);
          attempt = 0;
          tooOldInARow = 0;
        }
        // A watch should end only because we stopped it; anything else is a lost stream.
        if (!signal.aborted) throw new ApiError('Unavailable', 'watch ended unexpectedly');
      } catch (err) {
        if (signal.aborted || err instanceof Stopped) break;
        const e = ApiError.fromGrpc(err);
        if (e.code === 'TooOld') {
          this.log.info({ resourceVersion: this.rv }, 'watch too old; relisting');
          needList = true;
          // Relist at once the first time; a server that keeps answering TooOld gets back-off.
          if (tooOldInARow++ === 0) continue;
        }
        if (!this.synced && FATAL_CODES.has(e.code)) {
          this.log.error({ err: e }, 'cannot list; not retrying');
          this.startError = e;
          this.stateValue = 'stopped';
          this.resolveStarted();
          return;
        }
        const delay = jitteredBackoffDelay(attempt++, this.retryBaseMs, this.retryMaxMs);
        this.log.warn({ code: e.code, err: e.message, retryInMs: Math.round(delay), relist: needList }, 'list/watch failed; retrying');
        this.stateValue = 'backingOff';
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          break;
        }
      } finally {
        this.watch = undefined;
      }
    }
    this.stateValue = 'stopped';
  }

  /** Makes the cache equal a fresh list and tells handlers what changed. */
  private replace(listed: O[], resourceVersion: string): void {
    const transform = this.transform;
    const items = transform ? listed.map((o) => transform(o)) : listed;
    const diff = diffForReplace(this.store, items);
    for (const o of diff.deleted) this.store.delete(objectKey(o));
    for (const o of items) this.store.set(o);
    this.rv = resourceVersion;
    for (const o of diff.deleted) this.emitDelete(o);
    for (const o of diff.added) this.emitAdd(o);
    for (const { old, obj } of diff.updated) this.emitUpdate(old, obj);
  }

  private apply(ev: WatchEvent<O>): void {
    if (ev.resourceVersion) this.rv = ev.resourceVersion;
    if (ev.type === 'BOOKMARK' || !ev.object) return;
    const obj = this.transform ? this.transform(ev.object) : ev.object;
    const key = objectKey(obj);
    if (ev.type === 'DELETED') {
      const old = this.store.delete(key);
      if (old) this.emitDelete(obj);
      return;
    }
    const old = this.store.set(obj);
    if (!old) this.emitAdd(obj);
    else if (old.metadata?.uid !== obj.metadata?.uid) {
      this.emitDelete(old);
      this.emitAdd(obj);
    } else this.emitUpdate(old, obj);
  }

  private emitAdd(o: O): void {
    for (const fn of this.addHandlers) this.call(fn, 'add', o);
  }
  private emitUpdate(old: O, o: O): void {
    for (const fn of this.updateHandlers) this.call(fn, 'update', old, o);
  }
  private emitDelete(o: O): void {
    for (const fn of this.deleteHandlers) this.call(fn, 'delete', o);
  }

  // A failing handler is a bug in that handler; it must not stop the cache
  // (and every other handler) from following the server.
  private call<A extends unknown[]>(fn: (...a: A) => unknown, what: string, ...args: A): void {
    try {
      const r = fn(...args) as unknown;
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (err: unknown) => this.log.error({ err, handler: what }, 'informer handler failed'));
      }
    } catch (err) {
      this.log.error({ err, handler: what }, 'informer handler failed');
    }
  }
}

/** Rejects with Stopped as soon as signal aborts; the original promise's outcome is then ignored. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(new Stopped());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      reject(new Stopped());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Resolves true once every informer has synced; false as soon as signal
 * aborts or one of them stops unsynced. Controllers call this before their
 * workers start, so they never act on a half-filled cache.
 */
export async function waitForCacheSync(informers: Pick<Informer, 'whenSynced'>[], signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<boolean>((resolve) => {
    onAbort = () => resolve(false);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([Promise.all(informers.map((i) => i.whenSynced())).then((r) => r.every(Boolean)), aborted]);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
