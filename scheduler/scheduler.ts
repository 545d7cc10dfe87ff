// The acting layer: feeds informer events into the core (queue + cache),
// runs the decide loop, binds, and reports failures on the pod (condition +
// Event). Decisions stay in the core; everything here is plumbing.
import { isDeepStrictEqual } from 'node:util';
import type { Condition, Node, Pod } from '../lib/api/generated/types.js';
import type { ApiClient } from '../lib/client/api-client.js';
import { ApiError, isConflict, isNotFound } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logging.js';
import { isTerminal } from './cache.js';
import { SchedulingCore, type CoreOptions } from './core.js';
import { nullEventSink, type EventSink } from './events.js';
import { podKey } from './node-info.js';
import { DEFAULT_SCHEDULER_NAME } from './plugins/index.js';
import type { QueuedPod } from './queue.js';

/** The part of an informer the scheduler uses (lib/informer's Informer fits). */
export interface ObjectSource<O> {
  onAdd(fn: (obj: O) => void): void;
  onUpdate(fn: (oldObj: O, obj: O) => void): void;
  onDelete(fn: (obj: O) => void): void;
  start(): Promise<void>;
  stop(): void | Promise<void>;
  /** by "namespace/name" */
  get(key: string): O | undefined;
}

export type SchedulerClient = Pick<ApiClient, 'bind' | 'updateStatus' | 'get'>;

export interface SchedulerOptions extends CoreOptions {
  client: SchedulerClient;
  nodes: ObjectSource<Node>;
  /** every pod (bound ones fill the cache, pending ones ours the queue) */
  pods: ObjectSource<Pod>;
  events?: EventSink;
  log?: Logger;
  /** how often backoffs and expired assumptions are checked (ms) */
  tickMs?: number;
  /**
   * Bind calls at once (default 128). Decisions go on while binds wait for a
   * slot (the pods are assumed, so later decisions see them). The bound keeps
   * a burst of thousands of pods from holding thousands of calls open, which
   * cost the scheduler memory and only queue up inside the apiserver.
   */
  maxBindsInFlight?: number;
}

/**
 * Pure: the pod with PodScheduled=False and this message, or undefined if it
 * already says exactly that (so retries do not rewrite the status).
 */
export function withUnschedulableCondition(pod: Pod, message: string, now: Date): Pod | undefined {
  const conditions = pod.status?.conditions ?? [];
  const prev = conditions.find((c) => c.type === 'PodScheduled');
  if (prev && prev.status === 'False' && prev.reason === 'Unschedulable' && prev.message === message) return undefined;
  const cond: Condition = {
    type: 'PodScheduled',
    status: 'False',
    reason: 'Unschedulable',
    message,
    lastProbeTime: undefined,
    lastTransitionTime: prev?.status === 'False' && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString(),
  };
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: pod.status?.phase || 'Pending',
      conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), cond],
    },
  };
}

/** What of a node can change a decision; heartbeats and the like do not. */
function schedulingView(node: Node): unknown {
  return {
    labels: node.metadata?.labels ?? {},
    allocatable: node.status?.allocatable ?? {},
    capacity: node.status?.capacity ?? {},
    taints: node.spec?.taints ?? [],
    unschedulable: !!node.spec?.unschedulable,
    ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status,
  };
}

export type SchedulerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Scheduler {
  readonly core: SchedulingCore;
  private readonly client: SchedulerClient;
  private readonly nodes: ObjectSource<Node>;
  private readonly pods: ObjectSource<Pod>;
  private readonly events: EventSink;
  private readonly log: Logger;
  private readonly schedulerName: string;
  private readonly tickMs: number;
  private state: SchedulerState = 'new';
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly maxBindsInFlight: number;
  private bindsInFlight = 0;
  private readonly bindWaiters: (() => void)[] = [];

  constructor(opts: SchedulerOptions) {
    this.core = new SchedulingCore(opts);
    this.client = opts.client;
    this.nodes = opts.nodes;
    this.pods = opts.pods;
    this.events = opts.events ?? nullEventSink;
    this.log = opts.log ?? createLogger('scheduler');
    this.schedulerName = this.core.schedulerName;
    this.tickMs = opts.tickMs ?? 1000;
    this.maxBindsInFlight = Math.max(1, opts.maxBindsInFlight ?? 128);
  }

  get status(): SchedulerState {
    return this.state;
  }

  private isOurs(pod: Pod): boolean {
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  /** Registers handlers, waits for both caches to fill, then starts deciding. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`scheduler already ${this.state}`);
    this.state = 'starting';
    const { queue, cache } = this.core;

    this.nodes.onAdd((n) => {
      cache.addNode(n);
      queue.moveAllToActiveOrBackoff();
    });
    this.nodes.onUpdate((old, n) => {
      cache.updateNode(n);
      if (!isDeepStrictEqual(schedulingView(old), schedulingView(n))) queue.moveAllToActiveOrBackoff();
    });
    this.nodes.onDelete((n) => cache.removeNode(n.metadata?.name ?? ''));

    this.pods.onAdd((p) => this.onPod(undefined, p));
    this.pods.onUpdate((old, p) => this.onPod(old, p));
    this.pods.onDelete((p) => this.onPodDeleted(p));

    await this.nodes.start();
    await this.pods.start();
    if (this.state !== 'starting') return; // stopped while starting
    this.state = 'running';
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
    this.loop = this.run();
    this.log.info({ schedulerName: this.schedulerName, nodes: cache.nodeInfos().length, plugins: this.core.framework.pluginNames }, 'scheduler started');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    if (this.timer) clearInterval(this.timer);
    this.core.queue.close();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([this.nodes.stop(), this.pods.stop()]);
    this.state = 'stopped';
  }

  private tick(): void {
    const expired = this.core.cache.cleanupExpiredAssumedPods();
    if (expired.length) {
      this.log.warn({ pods: expired }, 'bound pods never showed up as bound; their assumed places are released');
      this.core.queue.moveAllToActiveOrBackoff();
    }
    this.core.queue.flushBackoffCompleted();
    this.core.queue.flushUnschedulableLeftover();
  }

  private onPod(old: Pod | undefined, pod: Pod): void {
    const { queue, cache } = this.core;
    const key = podKey(pod);
    if (isTerminal(pod)) {
      // Finished pods free their node (the agent keeps them around for logs).
      queue.delete(key);
      if (cache.removePod(key)) queue.moveAllToActiveOrBackoff();
      return;
    }
    if (pod.spec?.nodeName) {
      queue.delete(key);
      const outcome = cache.addPod(pod);
      // A pod bound by someone else (or by hand) is news; our own bind is not.
      if (outcome === 'added') queue.moveAllToActiveOrBackoff();
      return;
    }
    if (!this.isOurs(pod)) {
      queue.delete(key);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      queue.delete(key);
      return;
    }
    if (cache.isAssumed(key)) return; // being bound; the bound version will follow
    if (old) queue.update(old, pod);
    else queue.add(pod);
  }

  private onPodDeleted(pod: Pod): void {
    const key = podKey(pod);
    this.core.queue.delete(key);
    if (this.core.cache.removePod(key)) this.core.queue.moveAllToActiveOrBackoff();
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** The newest version of a pod that still needs us, or undefined. */
  private pendingVersion(key: string): Pod | undefined {
    const pod = this.pods.get(key);
    if (!pod || pod.spec?.nodeName || pod.metadata?.deletionTimestamp || isTerminal(pod) || !this.isOurs(pod)) return undefined;
    return pod;
  }

  private async run(): Promise<void> {
    const { queue, cache } = this.core;
    for (;;) {
      const qp = await queue.next();
      if (!qp) return;
      const latest = this.pendingVersion(qp.key);
      if (!latest || cache.isAssumed(qp.key)) {
        queue.done(qp.key);
        continue;
      }
      qp.pod = latest;
      let decision;
      try {
        decision = this.core.scheduleOne(qp);
      } catch (err) {
        // A plugin bug must not kill the loop; the pod is retried after backoff.
        this.log.error({ err, pod: qp.key }, 'scheduling attempt failed');
        queue.addBackoff(qp);
        continue;
      }
      if (decision.kind === 'assumed') {
        this.track(this.bind(qp, decision.nodeName));
      } else {
        this.log.info({ pod: qp.key, attempts: qp.attempts, reason: decision.message }, 'pod is unschedulable');
        this.track(this.reportUnschedulable(qp.key, decision.message));
      }
      // Let watch events and bind replies in between decisions of a burst.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async bindSlot(): Promise<void> {
    if (this.bindsInFlight < this.maxBindsInFlight) {
      this.bindsInFlight++;
      return;
    }
    // releaseBindSlot hands its slot straight to the first waiter.
    await new Promise<void>((resolve) => this.bindWaiters.push(resolve));
  }

  private releaseBindSlot(): void {
    const next = this.bindWaiters.shift();
    if (next) next();
    else this.bindsInFlight--;
  }

  private async bind(qp: QueuedPod, nodeName: string): Promise<void> {
    await this.bindSlot();
    try {
      await this.bindNow(qp, nodeName);
    } finally {
      this.releaseBindSlot();
    }
  }

  private async bindNow(qp: QueuedPod, nodeName: string): Promise<void> {
    const pod = qp.pod;
    const ns = pod.metadata?.namespace || 'default';
    const name = pod.metadata?.name ?? '';
    try {
      await this.client.bind(ns, name, nodeName, pod.metadata?.uid || undefined);
      this.core.cache.finishBinding(qp.key);
      this.log.info({ pod: qp.key, node: nodeName }, 'bound');
      this.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
    } catch (err) {
      const e = err instanceof ApiError ? err : ApiError.fromGrpc(err);
      this.log.warn({ pod: qp.key, node: nodeName, code: e.code, err: e.message }, 'bind failed');
      this.core.bindFailed(qp, this.pendingVersion(qp.key));
      if (!isNotFound(e)) this.events.event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${e.message}`);
    }
  }

  /** PodScheduled=False with the reason, and a FailedScheduling Event. */
  private async reportUnschedulable(key: string, message: string): Promise<void> {
    let pod = this.pods.get(key);
    if (!pod) return;
    this.events.event(pod, 'Warning', 'FailedScheduling', message);
    for (let attempt = 0; attempt < 3; attempt++) {
      const next = withUnschedulableCondition(pod, message, new Date());
      if (!next || next.spec?.nodeName) return;
      try {
        await this.client.updateStatus(next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) {
          this.log.warn({ pod: key, err: String(err) }, 'could not set PodScheduled=False');
          return;
        }
        try {
          pod = await this.client.get('Pod', pod.metadata?.namespace, pod.metadata?.name ?? '');
        } catch {
          return;
        }
      }
    }
  }
}
