// The ReplicaSet controller: keeps spec.replicas active pods that match a
// ReplicaSet's selector and are controlled by it. Decisions come from
// replicas.ts; this file wires informers, the work queue and the client.
import type { Pod, ReplicaSet, OwnerReference } from '../../lib/api/generated/types.js';
import { ApiError, isNotFound, isAlreadyExists } from '../../lib/errors.js';
import { selectorFromLabelSelector, type Selector } from '../../lib/labels.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import type { ControllerContext } from '../context.js';
import { ControllerExpectations } from '../util/expectations.js';
import { controllerRef, planClaims, newControllerRef, withControllerRef, withoutOwnerRef } from '../util/owner-refs.js';
import { isPodActive, isPodReady, podKey } from '../util/pod.js';
import { randomSuffix } from '../util/template-hash.js';
import { wireEqual } from '../util/wire-equal.js';
import {
  BURST_REPLICAS,
  replicaDiff,
  podsToDelete,
  slowStartBatches,
  newPodForReplicaSet,
  podNamePrefix,
  computeReplicaSetStatus,
  replicaSetStatusChanged,
  nextAvailabilityCheck,
  type ManageFailure,
} from './replicas.js';

export const COMPONENT = 'replicaset-controller';

export interface ReplicaSetControllerOptions {
  burstReplicas?: number;
  now?: () => number;
}

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class ReplicaSetController {
  readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  readonly expectations = new ControllerExpectations();
  private readonly rsInformer;
  private readonly podInformer;
  private readonly recorder;
  private readonly now: () => number;
  private readonly burst: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.recorder = ctx.recorder(COMPONENT);
    this.rsInformer = ctx.informers.informer('ReplicaSet');
    this.podInformer = ctx.informers.informer('Pod');

    this.rsInformer.onAdd((rs) => this.enqueue(rs));
    this.rsInformer.onUpdate((_old, rs) => this.enqueue(rs));
    this.rsInformer.onDelete((rs) => {
      this.expectations.delete(keyOf(rs));
      this.enqueue(rs);
    });
    this.podInformer.onAdd((p) => this.podAdded(p));
    this.podInformer.onUpdate((old, p) => this.podUpdated(old, p));
    this.podInformer.onDelete((p) => this.podDeleted(p));
  }

  private enqueue(rs: ReplicaSet): void {
    this.queue.add(keyOf(rs));
  }

  /** The ReplicaSet a controller reference points at, if it is the one in the cache. */
  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsInformer.get(`${namespace ?? ''}/${ref.name ?? ''}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod: any of them may adopt it. */
  private matchingReplicaSets(pod: Pod): ReplicaSet[] {
    return this.rsInformer.byNamespace(pod.metadata?.namespace ?? '').filter((rs) => {
      try {
        const sel = selectorFromLabelSelector(rs.spec?.selector);
        return !sel.isEmpty() && sel.matches(pod.metadata?.labels ?? {});
      } catch {
        return false;
      }
    });
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already on its way out (e.g. after a restart):
      // that is no creation of ours to count.
      this.podDeleted(pod);
      return;
    }
    const ref = controllerRef(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(rs);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion && old.metadata.resourceVersion === pod.metadata?.resourceVersion) return;
    const labelsChanged = !wireEqual(old.metadata?.labels, pod.metadata?.labels);
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const oldRef = controllerRef(old);
    const ref = controllerRef(pod);
    const refChanged = !wireEqual(oldRef, ref);
    if (refChanged && oldRef) {
      const prev = this.resolve(old.metadata?.namespace, oldRef);
      if (prev) this.enqueue(prev);
    }
    if (ref) {
      const rs = this.resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.enqueue(rs);
      // A pod that just became ready turns available minReadySeconds later,
      // with no event to say so: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(keyOf(rs), minReady * 1000 + 50);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private podDeleted(pod: Pod): void {
    const rs = this.resolve(pod.metadata?.namespace, controllerRef(pod));
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(pod));
    this.enqueue(rs);
  }

  /** Runs workers until the context's stop signal; the informers must be started by the caller. */
  async run(workers = 2): Promise<void> {
    const signal = this.ctx.stopSignal;
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      await waitForSync([this.rsInformer, this.podInformer], signal);
      await runWorkers(this.queue, (key) => this.sync(key), { workers, log: this.ctx.log });
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async sync(key: string): Promise<void> {
    const cached = this.rsInformer.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const rs = cached;
    let selector: Selector;
    try {
      selector = selectorFromLabelSelector(rs.spec?.selector);
    } catch (err) {
      // Retrying cannot fix a selector; the next edit of the ReplicaSet re-queues it.
      this.ctx.log.warn({ key, err: (err as Error).message }, 'ReplicaSet has an invalid selector; skipping');
      return;
    }
    // Read before listing pods: an expectation met after the list would
    // otherwise let a stale list be acted on.
    const mayManage = this.expectations.satisfied(key);

    const active = this.podInformer.byNamespace(rs.metadata?.namespace ?? '').filter(isPodActive);
    const { owned, error: claimError } = await this.claimPods(rs, selector, active);

    let failure: ManageFailure | undefined;
    if (mayManage && !rs.metadata?.deletionTimestamp) failure = await this.manageReplicas(key, rs, owned);

    const now = this.now();
    const status = computeReplicaSetStatus(rs, owned, now, failure);
    if (replicaSetStatusChanged(rs.status, status)) {
      await this.ctx.client.updateStatus<ReplicaSet>({ ...rs, status });
    }
    const recheck = nextAvailabilityCheck(rs, owned, now);
    if (recheck !== undefined) this.queue.addAfter(key, recheck);
    if (claimError) throw claimError;
    if (failure) throw new ApiError('Unavailable', `ReplicaSet ${key}: ${failure.message}`);
  }

  private async claimPods(rs: ReplicaSet, selector: Selector, pods: Pod[]): Promise<{ owned: Pod[]; error?: unknown }> {
    const plan = planClaims(rs, (p) => !selector.isEmpty() && selector.matches(p.metadata?.labels ?? {}), pods);
    const owned = [...plan.owned];
    let error: unknown;
    if (plan.adopt.length) {
      // Adoption acts on the cache's idea of the ReplicaSet; make sure it is
      // still the same object and still alive before taking pods.
      const fresh = await this.ctx.client.get('ReplicaSet', rs.metadata?.namespace, rs.metadata?.name ?? '').catch(() => undefined);
      if (fresh && fresh.metadata?.uid === rs.metadata?.uid && !fresh.metadata?.deletionTimestamp) {
        const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
        for (const p of plan.adopt) {
          try {
            owned.push(await this.ctx.client.update<Pod>(withControllerRef(p, ref)));
          } catch (err) {
            if (!isNotFound(err)) error ??= err;
          }
        }
      }
    }
    for (const p of plan.release) {
      try {
        await this.ctx.client.update<Pod>(withoutOwnerRef(p, rs.metadata?.uid ?? ''));
      } catch (err) {
        if (!isNotFound(err)) error ??= err;
      }
    }
    return { owned, error };
  }

  private async manageReplicas(key: string, rs: ReplicaSet, owned: Pod[]): Promise<ManageFailure | undefined> {
    const diff = replicaDiff(rs.spec?.replicas ?? 1, owned.length, this.burst);
    if (diff.action === 'create') return this.createPods(key, rs, diff.count);
    if (diff.action === 'delete') return this.deletePods(key, rs, podsToDelete(owned, diff.count));
    return undefined;
  }

  private async createPods(key: string, rs: ReplicaSet, count: number): Promise<ManageFailure | undefined> {
    this.expectations.expectCreations(key, count);
    let started = 0;
    let firstError: unknown;
    for (const size of slowStartBatches(count)) {
      const results = await Promise.allSettled(Array.from({ length: size }, () => this.createPod(rs)));
      started += size;
      for (const r of results) {
        if (r.status === 'rejected') {
          // The informer will never see this pod: stop waiting for it.
          this.expectations.creationObserved(key);
          firstError ??= r.reason;
        }
      }
      if (firstError) break;
    }
    // Batches never sent will not be seen either.
    for (let i = started; i < count; i++) this.expectations.creationObserved(key);
    if (!firstError) return undefined;
    const message = firstError instanceof Error ? firstError.message : String(firstError);
    this.record(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`);
    return { reason: 'FailedCreate', message };
  }

  private async createPod(rs: ReplicaSet): Promise<Pod> {
    const prefix = podNamePrefix(rs.metadata?.name ?? 'pod');
    for (let attempt = 0; ; attempt++) {
      try {
        const pod = await this.ctx.client.create<Pod>(newPodForReplicaSet(rs, `${prefix}-${randomSuffix()}`));
        this.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
        return pod;
      } catch (err) {
        // A random name taken by another pod: draw another.
        if (!isAlreadyExists(err) || attempt >= 3) throw err;
      }
    }
  }

  private async deletePods(key: string, rs: ReplicaSet, pods: Pod[]): Promise<ManageFailure | undefined> {
    this.expectations.expectDeletions(key, pods.map(podKey));
    const results = await Promise.allSettled(
      pods.map((p) =>
        this.ctx.client.delete('Pod', p.metadata?.namespace, p.metadata?.name ?? '', { preconditions: { uid: p.metadata?.uid } }),
      ),
    );
    let firstError: unknown;
    results.forEach((r, i) => {
      const p = pods[i]!;
      if (r.status === 'fulfilled') {
        this.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
        return;
      }
      this.expectations.deletionObserved(key, podKey(p));
      if (!isNotFound(r.reason)) firstError ??= r.reason;
    });
    if (!firstError) return undefined;
    const message = firstError instanceof Error ? firstError.message : String(firstError);
    this.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${message}`);
    return { reason: 'FailedDelete', message };
  }

  private record(rs: ReplicaSet, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.recorder.event(rs, type, reason, message);
  }
}

/**
 * Resolves once every informer has its first list cached, or when the signal
 * aborts. Starting is idempotent: informers the factory already started are
 * only waited for.
 */
export async function waitForSync(informers: { start(): Promise<void> }[], signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort!: () => void;
  const aborted = new Promise<void>((r) => {
    onAbort = r;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([Promise.all(informers.map((i) => i.start())), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
