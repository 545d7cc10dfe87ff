// A queue of keys for level-triggered controllers. A key says "look at this
// object again"; the work is always recomputed from the current cache, so
// many adds of one key before it is processed collapse into one.
//
// Guarantees (the ones client-go's workqueue gives, which controllers rely on):
// - a key is queued at most once at a time (de-duplication);
// - a key is never handed to two workers at once: an add while it is being
//   processed is remembered and the key is queued again after done(key);
// - addRateLimited backs a failing key off exponentially, per key, until
//   forget(key) says it succeeded.
import { backoffDelay } from './backoff.js';

export interface WorkQueueOptions {
  /** first retry delay of addRateLimited, ms (default 5) */
  baseDelayMs?: number;
  /** cap of the per-key retry delay, ms (default 1000 s) */
  maxDelayMs?: number;
}

interface Delayed {
  at: number;
  timer: NodeJS.Timeout;
}

export class WorkQueue<K = string> {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly queue: K[] = [];
  /** keys waiting in the queue or to be re-queued after done() */
  private readonly dirty = new Set<K>();
  /** keys handed out by get() and not yet done() */
  private readonly processing = new Set<K>();
  private readonly delayed = new Map<K, Delayed>();
  private readonly failures = new Map<K, number>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
  }

  /** Queues key unless it is already queued; while it is processed, queues it again after done(). */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds key after ms; of several pending delays for one key the earliest wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing) {
      if (existing.at <= at) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    // A pending retry must not keep a process alive that has nothing else to do.
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Adds key after its next back-off delay (base·2^n, capped), n = failures since forget(key). */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, backoffDelay(n, this.baseDelayMs, this.maxDelayMs));
  }

  /** Clears the back-off of key (call after it was processed successfully). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** How many times key was rate-limited since the last forget(key). */
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to process, waiting for one if the queue is empty; undefined
   * once the queue is shut down. Call done(key) when finished with it.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key as processed; if it was added meanwhile it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  /** Keys waiting to be handed out (not counting delayed or in-process ones). */
  len(): number {
    return this.queue.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out keys: pending and future get() calls give undefined; delayed adds are dropped. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  private take(): K | undefined {
    if (!this.queue.length) return undefined;
    const key = this.queue.shift()!;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
