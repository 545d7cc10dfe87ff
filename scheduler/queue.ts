// The scheduling queue. Pods waiting for a node live in exactly one of:
//  - active: ready to try, highest spec.priority first, then oldest;
//  - backoff: failed recently, waiting out an exponential delay;
//  - unschedulable: fit nowhere last time, parked until the cluster changes
//    (a node added or updated, a pod deleted or bound) or a periodic flush;
//  - in flight: popped and being decided on.
// Pure apart from the clock, which is injected.
import { isDeepStrictEqual } from 'node:util';
import type { Pod } from '../lib/api/generated/types.js';
import { podKey } from './node-info.js';

export interface QueuedPod {
  key: string;
  pod: Pod;
  /** creation time in ms, for ordering */
  created: number;
  /** scheduling attempts so far */
  attempts: number;
  /** not to be tried again before this time (ms) */
  backoffUntil: number;
  /** the scheduling cycle that popped it last */
  cycle: number;
}

export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'inFlight';

export interface QueueOptions {
  now?: () => number;
  /** first retry delay after a failed attempt (ms); doubles per attempt */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** a parked pod is retried after this long even if nothing changed (ms) */
  maxUnschedulableMs?: number;
}

/** Higher spec.priority first, then older, then by key so the order is total. */
export function compareQueuedPods(a: QueuedPod, b: QueuedPod): number {
  const pa = a.pod.spec?.priority ?? 0;
  const pb = b.pod.spec?.priority ?? 0;
  if (pa !== pb) return pb - pa;
  if (a.created !== b.created) return a.created - b.created;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function createdMs(pod: Pod): number {
  const t = Date.parse(pod.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

/**
 * Whether an update could change the decision. Status writes (our own
 * PodScheduled condition among them) and resourceVersion bumps do not, and
 * retrying on them would loop.
 */
export function isMeaningfulPodUpdate(oldPod: Pod | undefined, pod: Pod): boolean {
  if (!oldPod) return true;
  const strip = (p: Pod) => ({
    metadata: { ...p.metadata, resourceVersion: undefined, generation: undefined },
    spec: p.spec,
  });
  return !isDeepStrictEqual(strip(oldPod), strip(pod));
}

/** A binary min-heap; entries whose pod left the active map are skipped lazily. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  clear(): void {
    this.items.length = 0;
  }
  drain(): T[] {
    return this.items.splice(0);
  }
}

interface InFlight {
  qp: QueuedPod;
  deleted: boolean;
  /** a meaningful update arrived while it was being decided on */
  updated: boolean;
}

export class SchedulingQueue {
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;

  private readonly active = new Map<string, QueuedPod>();
  private readonly heap = new Heap<QueuedPod>((a, b) => compareQueuedPods(a, b) < 0);
  private readonly backoff = new Map<string, QueuedPod>();
  private readonly unschedulable = new Map<string, { qp: QueuedPod; parkedAt: number }>();
  private readonly inFlight = new Map<string, InFlight>();

  /** incremented by every pop */
  private schedulingCycle = 0;
  /** the cycle at the last cluster change; a pod popped before it may have missed that change */
  private moveRequestCycle = -1;
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(opts: QueueOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 30_000;
  }

  /** Delay before attempt n+1 after n failed attempts. */
  backoffDuration(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(attempts - 1, 30));
  }

  where(key: string): QueueName | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  get counts(): Record<QueueName, number> {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  private pushActive(qp: QueuedPod): void {
    this.active.set(qp.key, qp);
    this.heap.push(qp);
    // Stale heap entries pile up from updates; rebuild before they dominate.
    if (this.heap.size > 2 * this.active.size + 64) {
      this.heap.clear();
      for (const q of this.active.values()) this.heap.push(q);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** A pending pod appeared (or reappeared). */
  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.where(key)) {
      this.update(undefined, pod);
      return;
    }
    this.pushActive({ key, pod, created: createdMs(pod), attempts: 0, backoffUntil: 0, cycle: -1 });
  }

  /** A pending pod changed. A pod the queue does not hold is added. */
  update(oldPod: Pod | undefined, pod: Pod): void {
    const key = podKey(pod);
    const a = this.active.get(key);
    if (a) {
      const qp = { ...a, pod, created: createdMs(pod) };
      this.pushActive(qp);
      return;
    }
    const b = this.backoff.get(key);
    if (b) {
      b.pod = pod;
      return;
    }
    const u = this.unschedulable.get(key);
    if (u) {
      u.qp.pod = pod;
      if (isMeaningfulPodUpdate(oldPod ?? undefined, pod)) {
        this.unschedulable.delete(key);
        this.requeueAfterFailure(u.qp);
      }
      return;
    }
    const f = this.inFlight.get(key);
    if (f) {
      if (isMeaningfulPodUpdate(f.qp.pod, pod)) f.updated = true;
      f.qp.pod = pod;
      return;
    }
    this.pushActive({ key, pod, created: createdMs(pod), attempts: 0, backoffUntil: 0, cycle: -1 });
  }

  /** The pod was deleted, bound by someone else, or handed to another scheduler. */
  delete(key: string): void {
    this.active.delete(key); // its heap entry is skipped on pop
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    const f = this.inFlight.get(key);
    if (f) f.deleted = true;
  }

  /** The next pod to decide on, or undefined if none is active. */
  pop(): QueuedPod | undefined {
    for (;;) {
      const qp = this.heap.pop();
      if (!qp) return undefined;
      if (this.active.get(qp.key) !== qp) continue;
      this.active.delete(qp.key);
      qp.attempts++;
      qp.cycle = ++this.schedulingCycle;
      this.inFlight.set(qp.key, { qp, deleted: false, updated: false });
      return qp;
    }
  }

  /** Waits for a pod to become active; undefined once the queue is closed. */
  async next(): Promise<QueuedPod | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const qp = this.pop();
      if (qp) return qp;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The attempt succeeded (the pod is assumed, and bound or binding). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  private finishInFlight(qp: QueuedPod): InFlight | undefined {
    const f = this.inFlight.get(qp.key);
    if (f && f.qp !== qp) return undefined; // a newer attempt owns the key
    this.inFlight.delete(qp.key);
    if (f?.deleted) return undefined;
    return f ?? { qp, deleted: false, updated: false };
  }

  private requeueAfterFailure(qp: QueuedPod): void {
    if (qp.backoffUntil > this.now()) this.backoff.set(qp.key, qp);
    else this.pushActive(qp);
  }

  /**
   * The pod fit nowhere. It is parked until the cluster changes, unless the
   * cluster already changed while it was being decided on, in which case it
   * only waits out its backoff.
   */
  addUnschedulable(qp: QueuedPod): void {
    const f = this.finishInFlight(qp);
    if (!f) return;
    qp.backoffUntil = this.now() + this.backoffDuration(qp.attempts);
    if (f.updated || this.moveRequestCycle >= qp.cycle) this.requeueAfterFailure(qp);
    else this.unschedulable.set(qp.key, { qp, parkedAt: this.now() });
  }

  /** The attempt failed for a reason other than fit (bind rejected, apiserver down): retry after backoff. */
  addBackoff(qp: QueuedPod): void {
    const f = this.finishInFlight(qp);
    if (!f) return;
    qp.backoffUntil = this.now() + this.backoffDuration(qp.attempts);
    this.backoff.set(qp.key, qp);
  }

  /** Something changed that may let parked pods fit: retry them all (after their backoff). */
  moveAllToActiveOrBackoff(): void {
    for (const { qp } of this.unschedulable.values()) this.requeueAfterFailure(qp);
    this.unschedulable.clear();
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Move pods whose backoff is over to active. Call about once a second. */
  flushBackoffCompleted(): number {
    const now = this.now();
    let n = 0;
    for (const [key, qp] of this.backoff) {
      if (qp.backoffUntil <= now) {
        this.backoff.delete(key);
        this.pushActive(qp);
        n++;
      }
    }
    return n;
  }

  /** Retry pods parked longer than maxUnschedulableMs even though nothing was seen to change. */
  flushUnschedulableLeftover(): number {
    const now = this.now();
    let n = 0;
    for (const [key, { qp, parkedAt }] of this.unschedulable) {
      if (now - parkedAt >= this.maxUnschedulableMs) {
        this.unschedulable.delete(key);
        this.requeueAfterFailure(qp);
        n++;
      }
    }
    return n;
  }

  /** Ends next() for every waiter. */
  close(): void {
    this.closed = true;
    this.wake();
  }
}
