// The scheduler without I/O: queue + cache + algorithm. scheduleOne decides
// for one popped pod and records the decision (assume, or park); the acting
// layer binds and reports, the in-memory loop pretends binds succeed.
import type { Pod } from '../lib/api/generated/types.js';
import { SchedulerCache, type CacheOptions } from './cache.js';
import { Framework, type Profile } from './framework.js';
import { podInfoFor, type PodInfo } from './node-info.js';
import { defaultProfile } from './plugins/index.js';
import type { ScoringStrategy } from './plugins/resource-allocation.js';
import { SchedulingQueue, type QueueOptions, type QueuedPod } from './queue.js';
import { SchedulingAlgorithm, type AlgorithmOptions } from './schedule-one.js';

export type Decision =
  | { kind: 'assumed'; qp: QueuedPod; nodeName: string }
  | { kind: 'unschedulable'; qp: QueuedPod; message: string };

export interface CoreOptions extends AlgorithmOptions {
  profile?: Profile;
  schedulerName?: string;
  scoring?: ScoringStrategy;
  now?: () => number;
  queue?: Omit<QueueOptions, 'now'>;
  cache?: Omit<CacheOptions, 'now'>;
}

export class SchedulingCore {
  readonly framework: Framework;
  readonly algorithm: SchedulingAlgorithm;
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;

  constructor(opts: CoreOptions = {}) {
    const profile = opts.profile ?? defaultProfile({ schedulerName: opts.schedulerName, scoring: opts.scoring });
    this.framework = new Framework(profile);
    this.algorithm = new SchedulingAlgorithm(this.framework, { percentageOfNodesToScore: opts.percentageOfNodesToScore });
    this.queue = new SchedulingQueue({ ...opts.queue, now: opts.now });
    this.cache = new SchedulerCache({ ...opts.cache, now: opts.now });
  }

  get schedulerName(): string {
    return this.framework.schedulerName;
  }

  /**
   * Decide for a popped pod (qp.pod should be the newest version). On
   * success the pod is assumed on its node and done in the queue; otherwise
   * it is parked as unschedulable.
   */
  scheduleOne(qp: QueuedPod): Decision {
    let pi: PodInfo | Pod;
    try {
      pi = podInfoFor(qp.pod);
    } catch {
      pi = qp.pod; // schedule() turns the same error into the failure message
    }
    const result = this.algorithm.schedule(pi, this.cache.nodeInfos());
    if (result.kind === 'scheduled') {
      // The caller only passes pods the informer shows pending, so an entry
      // the cache still holds for this key is stale: the informer wins.
      if (!this.cache.assume(pi as PodInfo, result.nodeName)) {
        this.cache.removePod(qp.key);
        this.cache.assume(pi as PodInfo, result.nodeName);
      }
      this.queue.done(qp.key);
      return { kind: 'assumed', qp, nodeName: result.nodeName };
    }
    this.queue.addUnschedulable(qp);
    return { kind: 'unschedulable', qp, message: result.message };
  }

  /** The bind failed: the pod stops counting on its node and is retried after backoff. */
  bindFailed(qp: QueuedPod, stillPending: Pod | undefined): void {
    this.cache.forget(qp.key);
    // Its place is free again, which may be what a parked pod was waiting for.
    this.queue.moveAllToActiveOrBackoff();
    if (stillPending) {
      qp.pod = stillPending;
      this.queue.addBackoff(qp);
    } else {
      this.queue.done(qp.key);
    }
  }
}
