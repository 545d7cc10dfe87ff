// The node lifecycle controller: notices nodes whose agent stopped renewing
// its Lease, marks them Unknown and taints them unreachable, and after the
// eviction timeout deletes their pods so their owners recreate them on
// nodes that work. Decisions are in decide.ts.
//
// Evicted pods are deleted with gracePeriodSeconds 0. Kubernetes deletes them
// gracefully and leaves them Terminating until the node returns, because only
// the node's agent can stop the containers; but an unreachable agent never
// finishes that, and the ReplicaSet controller replaces Terminating pods
// anyway, so waiting protects nothing here (there is no StatefulSet-style
// identity that two copies would share) while leaving pods that block
// nothing but clutter every listing and the scheduler's view. The agent of a
// node that comes back stops containers whose pods no longer exist.
import type { Lease, Node, Pod } from '../../lib/api/generated/types.js';
import type { KindTypes } from '../../lib/api/kinds.js';
import type { EventRecorder } from '../../lib/events.js';
import { isConflict, isNotFound, ApiError } from '../../lib/errors.js';
import { type Informer, waitForCacheSync, POD_NODE_NAME_INDEX, podsByNodeName } from '../../lib/informer/index.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import type { ControllerContext } from '../context.js';
import { planEvictions, planNodeHealth, podStatusNotReady, readyCondition, taintsFor, type ReadyStatus } from './decide.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const COMPONENT = 'node-controller';

export interface NodeLifecycleOptions {
  /** a node whose lease was not seen renewed for this long is unreachable (default 40 s) */
  gracePeriodMs?: number;
  /** how long pods stay on an unreachable / not-ready node (default 5 min) */
  podEvictionTimeoutMs?: number;
  /** how often every node is checked (default 5 s) */
  monitorPeriodMs?: number;
  workers?: number;
  /** for tests: the controller's clock, ms */
  now?: () => number;
}

interface Observed {
  renewTime: string | undefined;
  heartbeat: string | undefined;
  /** controller clock, ms */
  at: number;
}

const UPDATE_ATTEMPTS = 5;

export class NodeLifecycleController {
  readonly queue = new WorkQueue<string>({ baseDelayMs: 50, maxDelayMs: 30_000 });
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly observed = new Map<string, Observed>();
  private readonly gracePeriodMs: number;
  private readonly evictionTimeoutMs: number;
  private readonly monitorPeriodMs: number;
  private readonly workers: number;
  private readonly now: () => number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.gracePeriodMs = opts.gracePeriodMs ?? 40_000;
    this.evictionTimeoutMs = opts.podEvictionTimeoutMs ?? 300_000;
    this.monitorPeriodMs = opts.monitorPeriodMs ?? 5_000;
    this.workers = opts.workers ?? 2;
    this.now = opts.now ?? Date.now;
    this.recorder = ctx.recorder(COMPONENT);
    this.nodes = ctx.informers.informer('Node');
    this.leases = ctx.informers.informer('Lease', { namespace: NODE_LEASE_NAMESPACE });
    this.pods = ctx.informers.informer('Pod');
    this.pods.addIndexer(POD_NODE_NAME_INDEX, podsByNodeName);

    this.nodes.onAdd((n) => this.observeNode(n));
    this.nodes.onUpdate((_old, n) => this.observeNode(n));
    this.nodes.onDelete((n) => this.observed.delete(n.metadata?.name ?? ''));
    this.leases.onAdd((l) => this.observeLease(l));
    this.leases.onUpdate((_old, l) => this.observeLease(l));
  }

  async run(): Promise<void> {
    const signal = this.ctx.stopSignal;
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    let ticker: NodeJS.Timeout | undefined;
    try {
      if (!(await waitForCacheSync([this.nodes, this.leases, this.pods], signal))) return;
      // A just-started controller has seen no renewals yet: every node gets a
      // full grace period from now (the apiserver may have been down, too).
      const now = this.now();
      for (const n of this.nodes.list()) {
        const o = this.observed.get(n.metadata?.name ?? '');
        if (o) o.at = now;
      }
      ticker = setInterval(() => {
        for (const n of this.nodes.list()) this.queue.add(n.metadata?.name ?? '');
      }, this.monitorPeriodMs);
      await runWorkers(this.queue, (name) => this.sync(name), { workers: this.workers, log: this.ctx.log });
    } finally {
      if (ticker) clearInterval(ticker);
      signal.removeEventListener('abort', stop);
    }
  }

  /** Controller-clock time of the last renewal seen, for tests and diagnostics. */
  lastRenewObservedAt(nodeName: string): number | undefined {
    return this.observed.get(nodeName)?.at;
  }

  private observeLease(l: Lease): void {
    const name = l.metadata?.name ?? '';
    const o = this.observed.get(name);
    const renewTime = l.spec?.renewTime;
    if (!o) this.observed.set(name, { renewTime, heartbeat: undefined, at: this.now() });
    else if (o.renewTime !== renewTime) {
      o.renewTime = renewTime;
      o.at = this.now();
    }
    this.queue.add(name);
  }

  // Agents without a lease can still prove they are alive by posting status:
  // a new Ready heartbeat counts like a renewal.
  private observeNode(n: Node): void {
    const name = n.metadata?.name ?? '';
    const heartbeat = readyCondition(n)?.lastHeartbeatTime;
    const o = this.observed.get(name);
    if (!o) this.observed.set(name, { renewTime: undefined, heartbeat, at: this.now() });
    else if (heartbeat && o.heartbeat !== heartbeat) {
      o.heartbeat = heartbeat;
      o.at = this.now();
    }
    this.queue.add(name);
  }

  async sync(name: string): Promise<void> {
    let node = this.nodes.get(name);
    if (!node) return;
    const now = this.now();
    const observedAt = this.observed.get(name)?.at ?? now;
    const plan = planNodeHealth({ node, now, lastRenewObservedAt: observedAt, gracePeriodMs: this.gracePeriodMs });

    if (plan.conditions) {
      const conditions = plan.conditions;
      const written = await this.write('Node', node, 'status', (cur) => ({ ...cur, status: { ...cur.status, conditions } }));
      if (!written) return;
      node = written;
      if (plan.becameUnreachable) {
        this.ctx.log.warn({ node: name, lastRenewSeenMsAgo: now - observedAt }, 'node stopped renewing its lease; marking it Unknown');
        void this.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        await this.markPodsNotReady(name, now);
      }
    }
    if (plan.taints && plan.ready) {
      const ready: ReadyStatus = plan.ready;
      // Recomputed on the current object, so taints someone else just added survive.
      const written = await this.write('Node', node, 'spec', (cur) => ({ ...cur, spec: { ...cur.spec, taints: taintsFor(cur.spec?.taints ?? [], ready, now) } }));
      if (!written) return;
      node = written;
      this.ctx.log.info({ node: name, ready, taints: node.spec?.taints?.map((t) => `${t.key}:${t.effect}`) }, 'node taints updated');
    }

    const evictions = planEvictions({ node, pods: this.pods.byIndex(POD_NODE_NAME_INDEX, name), now, defaultEvictionTimeoutMs: this.evictionTimeoutMs });
    for (const { pod, taint, since } of evictions.evict) await this.evict(pod, name, `${taint.key}:${taint.effect}`, since);
    if (evictions.nextCheckInMs !== undefined) this.queue.addAfter(name, evictions.nextCheckInMs + 10);
  }

  private async evict(pod: Pod, nodeName: string, taint: string, since: string): Promise<void> {
    const m = pod.metadata ?? {};
    try {
      await this.ctx.client.delete('Pod', m.namespace, m.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
    this.ctx.log.info({ pod: `${m.namespace}/${m.name}`, node: nodeName, taint, since }, 'evicted pod from node');
    void this.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Deleting Pod ${m.namespace}/${m.name}: node ${nodeName} has had taint ${taint} since ${since}`);
  }

  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    const iso = new Date(now).toISOString();
    for (const pod of this.pods.byIndex(POD_NODE_NAME_INDEX, nodeName)) {
      if (!podStatusNotReady(pod, iso)) continue;
      try {
        await this.write('Pod', pod, 'status', (cur) => {
          const status = podStatusNotReady(cur, iso);
          return status ? { ...cur, status } : undefined;
        });
      } catch (err) {
        // Not worth failing the node's sync: the pod will be evicted anyway.
        this.ctx.log.warn({ err, pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` }, 'could not mark pod NotReady');
      }
    }
  }

  /**
   * Read-modify-write of spec (Update) or status (UpdateStatus), re-reading
   * on Conflict. Returns the written object; undefined if it is gone or
   * nothing needed changing.
   */
  private async write<K extends 'Node' | 'Pod'>(
    kind: K,
    obj: KindTypes[K],
    part: 'spec' | 'status',
    change: (cur: KindTypes[K]) => KindTypes[K] | undefined,
  ): Promise<KindTypes[K] | undefined> {
    let cur = obj;
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const next = change(cur);
      if (!next) return cur;
      // The apiserver takes the kind from the object.
      next.kind = kind;
      try {
        return part === 'status' ? await this.ctx.client.updateStatus(next) : await this.ctx.client.update(next);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (!isConflict(err)) throw err;
      }
      try {
        cur = await this.ctx.client.get(kind, obj.metadata?.namespace, obj.metadata?.name ?? '');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      if (cur.metadata?.uid !== obj.metadata?.uid) return undefined;
    }
    throw new ApiError('Conflict', `${kind} ${obj.metadata?.name} kept changing while the node controller updated it; will retry`);
  }
}
