// The Deployment controller: rolls a Deployment's pod template out through
// ReplicaSets, one per template. Decisions come from rollout.ts, status.ts
// and revision.ts; this file wires informers, the work queue and the client.
import type { Deployment, OwnerReference, Pod, ReplicaSet } from '../../lib/api/generated/types.js';
import { ApiError, isAlreadyExists, isNotFound } from '../../lib/errors.js';
import { selectorFromLabelSelector, type Selector } from '../../lib/labels.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import type { ControllerContext } from '../context.js';
import { OWNER_UID_INDEX, byOwnerUid } from '../../lib/informer/index.js';
import { controllerRef, isControlledBy, newControllerRef, planClaims, withControllerRef, withoutOwnerRef } from '../util/owner-refs.js';
import { computeTemplateHash, templatesEqualIgnoringHash } from '../util/template-hash.js';
import { wireEqual } from '../util/wire-equal.js';
import { waitForSync } from '../replicaset/controller.js';
import {
  REVISION_ANNOTATION,
  newReplicaSetAnnotations,
  nextRevision,
  replicasAnnotationsNeedUpdate,
  withReplicasAnnotations,
} from './revision.js';
import {
  desiredReplicas,
  findNewReplicaSet,
  findOldReplicaSets,
  isRollingUpdate,
  isScalingEvent,
  maxSurge,
  newReplicaSetReplicas,
  planHistoryCleanup,
  planRecreateStep,
  planRollingStep,
  planScale,
  specReplicas,
  statusReplicas,
  type Scale,
} from './rollout.js';
import { buildNewReplicaSet } from './replicasets.js';
import {
  PROGRESSING,
  Reason,
  calculateStatus,
  condition,
  deploymentComplete,
  getCondition,
  hasProgressDeadline,
  msUntilDeadlineCheck,
  pauseCondition,
  rolloutStatus,
  setCondition,
  statusChanged,
} from './status.js';

export const COMPONENT = 'deployment-controller';

export interface DeploymentControllerOptions {
  now?: () => number;
}

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The ReplicaSets of one sync, replaced by what the apiserver returns as they are written. */
interface Sets {
  newRS: ReplicaSet | undefined;
  oldRSes: ReplicaSet[];
}

export class DeploymentController {
  readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly dInformer;
  private readonly rsInformer;
  private readonly podInformer;
  private readonly recorder;
  private readonly now: () => number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DeploymentControllerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.recorder = ctx.recorder(COMPONENT);
    this.dInformer = ctx.informers.informer('Deployment');
    this.rsInformer = ctx.informers.informer('ReplicaSet');
    this.podInformer = ctx.informers.informer('Pod');
    this.podInformer.addIndexer(OWNER_UID_INDEX, byOwnerUid);

    this.dInformer.onAdd((d) => this.enqueue(d));
    this.dInformer.onUpdate((_old, d) => this.enqueue(d));
    this.dInformer.onDelete((d) => this.enqueue(d));
    this.rsInformer.onAdd((rs) => this.rsAdded(rs));
    this.rsInformer.onUpdate((old, rs) => this.rsUpdated(old, rs));
    this.rsInformer.onDelete((rs) => this.rsDeleted(rs));
    this.podInformer.onDelete((p) => this.podDeleted(p));
  }

  private enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): Deployment | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dInformer.get(`${namespace ?? ''}/${ref.name ?? ''}`);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments that could adopt an orphan ReplicaSet. */
  private matchingDeployments(rs: ReplicaSet): Deployment[] {
    return this.dInformer.byNamespace(rs.metadata?.namespace ?? '').filter((d) => {
      try {
        const sel = selectorFromLabelSelector(d.spec?.selector);
        return !sel.isEmpty() && sel.matches(rs.metadata?.labels ?? {});
      } catch {
        return false;
      }
    });
  }

  private rsAdded(rs: ReplicaSet): void {
    const ref = controllerRef(rs);
    if (ref) {
      const d = this.resolve(rs.metadata?.namespace, ref);
      if (d) this.enqueue(d);
      return;
    }
    for (const d of this.matchingDeployments(rs)) this.enqueue(d);
  }

  private rsUpdated(old: ReplicaSet, rs: ReplicaSet): void {
    if (old.metadata?.resourceVersion && old.metadata.resourceVersion === rs.metadata?.resourceVersion) return;
    const oldRef = controllerRef(old);
    const ref = controllerRef(rs);
    const refChanged = !wireEqual(oldRef, ref);
    if (refChanged && oldRef) {
      const prev = this.resolve(old.metadata?.namespace, oldRef);
      if (prev) this.enqueue(prev);
    }
    if (ref) {
      const d = this.resolve(rs.metadata?.namespace, ref);
      if (d) this.enqueue(d);
      return;
    }
    if (refChanged || !wireEqual(old.metadata?.labels, rs.metadata?.labels)) for (const d of this.matchingDeployments(rs)) this.enqueue(d);
  }

  private rsDeleted(rs: ReplicaSet): void {
    const d = this.resolve(rs.metadata?.namespace, controllerRef(rs));
    if (d) this.enqueue(d);
  }

  /** Recreate waits for old pods to be gone; their deletion is what it waits for. */
  private podDeleted(pod: Pod): void {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.get(`${pod.metadata?.namespace ?? ''}/${ref.name ?? ''}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.resolve(rs.metadata?.namespace, controllerRef(rs));
    if (d && !isRollingUpdate(d)) this.enqueue(d);
  }

  async run(workers = 2): Promise<void> {
    const signal = this.ctx.stopSignal;
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      await waitForSync([this.dInformer, this.rsInformer, this.podInformer], signal);
      await runWorkers(this.queue, (key) => this.sync(key), { workers, log: this.ctx.log });
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async sync(key: string): Promise<void> {
    let d = this.dInformer.get(key);
    if (!d) return;
    let selector: Selector;
    try {
      selector = selectorFromLabelSelector(d.spec?.selector);
    } catch (err) {
      this.ctx.log.warn({ key, err: (err as Error).message }, 'Deployment has an invalid selector; skipping');
      return;
    }
    if (selector.isEmpty()) {
      this.record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      const gen = d.metadata?.generation ?? 0;
      if ((d.status?.observedGeneration ?? 0) < gen) await this.writeStatus(d, { ...d.status, observedGeneration: gen });
      return;
    }

    const rses = await this.claimReplicaSets(d, selector);

    if (d.metadata?.deletionTimestamp) {
      const sets = { newRS: findNewReplicaSet(d, rses), oldRSes: [] as ReplicaSet[] };
      sets.oldRSes = findOldReplicaSets(rses, sets.newRS);
      await this.syncStatus(d, sets);
      return;
    }

    const pause = pauseCondition(d, this.now());
    if (pause) d = await this.writeStatus(d, { ...d.status, conditions: setCondition(d.status?.conditions, pause) });

    if (d.spec?.paused || isScalingEvent(d, rses)) {
      await this.syncScale(d, rses);
      return;
    }
    if (isRollingUpdate(d)) await this.rolloutRolling(d, rses);
    else await this.rolloutRecreate(d, rses);
  }

  /** ReplicaSets the Deployment controls, after adopting matching orphans and releasing strays. */
  private async claimReplicaSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const candidates = this.rsInformer.byNamespace(d.metadata?.namespace ?? '');
    const plan = planClaims(d, (rs) => selector.matches(rs.metadata?.labels ?? {}), candidates);
    const owned = [...plan.owned];
    if (plan.adopt.length) {
      const fresh = await this.ctx.client.get('Deployment', d.metadata?.namespace, d.metadata?.name ?? '').catch(() => undefined);
      if (fresh && fresh.metadata?.uid === d.metadata?.uid && !fresh.metadata?.deletionTimestamp) {
        const ref = newControllerRef(d, 'apps/v1', 'Deployment');
        for (const rs of plan.adopt) {
          try {
            owned.push(await this.ctx.client.update<ReplicaSet>(withControllerRef(rs, ref)));
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
      }
    }
    for (const rs of plan.release) {
      try {
        await this.ctx.client.update<ReplicaSet>(withoutOwnerRef(rs, d.metadata?.uid ?? ''));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return owned;
  }

  /**
   * Finds the ReplicaSet of the current template, brings its revision and
   * annotations up to date (an old template brought back by a rollback takes
   * the next revision), and creates it when asked and missing.
   */
  private async syncNewReplicaSet(d: Deployment, rses: ReplicaSet[], create: boolean): Promise<{ d: Deployment; sets: Sets }> {
    const found = findNewReplicaSet(d, rses);
    const oldRSes = findOldReplicaSets(rses, found);
    const revision = nextRevision(oldRSes);

    if (found) {
      let newRS = found;
      const annotations = newReplicaSetAnnotations(d, newRS, revision);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (!wireEqual(annotations, newRS.metadata?.annotations) || (newRS.spec?.minReadySeconds ?? 0) !== minReady) {
        newRS = await this.ctx.client.update<ReplicaSet>({
          ...newRS,
          metadata: { ...newRS.metadata, annotations },
          spec: { ...newRS.spec, minReadySeconds: minReady },
        });
      }
      d = await this.syncRevisionAnnotation(d, newRS);
      if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
        const c = condition(PROGRESSING, 'True', Reason.FoundNewReplicaSet, `Found new replica set "${newRS.metadata?.name}"`, this.now());
        d = await this.writeStatus(d, { ...d.status, conditions: setCondition(d.status?.conditions, c) });
      }
      return { d, sets: { newRS, oldRSes } };
    }
    if (!create) return { d, sets: { newRS: undefined, oldRSes } };

    const hash = computeTemplateHash(d.spec?.template, d.status?.collisionCount);
    const replicas = newReplicaSetReplicas(d, oldRSes, undefined);
    const wanted = buildNewReplicaSet(d, hash, revision, replicas);
    let created: ReplicaSet;
    try {
      created = await this.ctx.client.create<ReplicaSet>(wanted);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const existing = await this.ctx.client.get('ReplicaSet', wanted.metadata?.namespace, wanted.metadata?.name ?? '');
        if (isControlledBy(existing, d) && templatesEqualIgnoringHash(existing.spec?.template, d.spec?.template)) {
          // Ours, not yet in the cache.
          return { d, sets: { newRS: existing, oldRSes } };
        }
        // Another object holds this name: move to the next hash.
        const collisionCount = (d.status?.collisionCount ?? 0) + 1;
        await this.writeStatus(d, { ...d.status, collisionCount });
        throw new ApiError('Conflict', `hash collision for ReplicaSet ${wanted.metadata?.name}; retrying with collisionCount ${collisionCount}`);
      }
      if (hasProgressDeadline(d)) {
        const msg = `Failed to create new replica set "${wanted.metadata?.name}": ${(err as Error).message}`;
        const c = condition(PROGRESSING, 'False', Reason.ReplicaSetCreateError, msg, this.now());
        await this.writeStatus(d, { ...d.status, conditions: setCondition(d.status?.conditions, c) }).catch(() => undefined);
        this.record(d, 'Warning', Reason.ReplicaSetCreateError, msg);
      }
      throw err;
    }
    if (replicas > 0) this.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name} to ${replicas}`);
    d = await this.syncRevisionAnnotation(d, created);
    if (hasProgressDeadline(d)) {
      const c = condition(PROGRESSING, 'True', Reason.NewReplicaSetCreated, `Created new replica set "${created.metadata?.name}"`, this.now());
      d = await this.writeStatus(d, { ...d.status, conditions: setCondition(d.status?.conditions, c) });
    }
    return { d, sets: { newRS: created, oldRSes } };
  }

  /** The Deployment carries its current revision, for `rollout history` and `undo`. */
  private async syncRevisionAnnotation(d: Deployment, newRS: ReplicaSet): Promise<Deployment> {
    const rev = newRS.metadata?.annotations?.[REVISION_ANNOTATION];
    if (!rev || d.metadata?.annotations?.[REVISION_ANNOTATION] === rev) return d;
    return this.ctx.client.update<Deployment>({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata?.annotations, [REVISION_ANNOTATION]: rev } } });
  }

  private async rolloutRolling(d0: Deployment, rses: ReplicaSet[]): Promise<void> {
    const { d, sets } = await this.syncNewReplicaSet(d0, rses, true);
    const newRS = sets.newRS!;
    const step = planRollingStep(d, newRS, sets.oldRSes);
    await this.applyScales(d, sets, step.scales);
    if (step.kind === 'none' && deploymentComplete(d, d.status ?? {})) await this.cleanupHistory(d, sets.oldRSes);
    await this.syncRolloutStatus(d, sets);
  }

  private async rolloutRecreate(d0: Deployment, rses: ReplicaSet[]): Promise<void> {
    let { d, sets } = await this.syncNewReplicaSet(d0, rses, false);
    const step = planRecreateStep(d, sets.newRS, sets.oldRSes, this.oldPodsRunning(sets));
    if (step.kind === 'scale-down-old') await this.applyScales(d, sets, step.scales);
    if (step.kind === 'scale-new') {
      if (!sets.newRS) ({ d, sets } = await this.syncNewReplicaSet(d, rses, true));
      if (specReplicas(sets.newRS) !== step.replicas) await this.applyScales(d, sets, [{ rs: sets.newRS!, replicas: step.replicas }]);
    }
    if (step.kind === 'none' && deploymentComplete(d, d.status ?? {})) await this.cleanupHistory(d, sets.oldRSes);
    await this.syncRolloutStatus(d, sets);
  }

  /** Whether any pod of an old ReplicaSet may still run (terminating ones included). */
  private oldPodsRunning(sets: Sets): boolean {
    if (sets.oldRSes.some((rs) => statusReplicas(rs) > 0)) return true;
    return sets.oldRSes.some((rs) =>
      this.podInformer
        .byIndex(OWNER_UID_INDEX, rs.metadata?.uid ?? '')
        .some((p) => controllerRef(p)?.uid === rs.metadata?.uid && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'),
    );
  }

  /** A paused Deployment, or one whose size changed: resize without advancing the rollout. */
  private async syncScale(d0: Deployment, rses: ReplicaSet[]): Promise<void> {
    const { d, sets } = await this.syncNewReplicaSet(d0, rses, false);
    await this.applyScales(d, sets, planScale(d, sets.newRS, sets.oldRSes));
    if (d.spec?.paused) await this.cleanupHistory(d, sets.oldRSes);
    await this.syncStatus(d, sets);
  }

  private async applyScales(d: Deployment, sets: Sets, scales: Scale[]): Promise<void> {
    for (const s of scales) {
      const updated = await this.scaleReplicaSet(d, s.rs, s.replicas);
      if (sets.newRS === s.rs) sets.newRS = updated;
      else sets.oldRSes = sets.oldRSes.map((rs) => (rs === s.rs ? updated : rs));
    }
  }

  private async scaleReplicaSet(d: Deployment, rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const desired = desiredReplicas(d);
    const max = desired + maxSurge(d);
    const from = specReplicas(rs);
    if (from === replicas && !replicasAnnotationsNeedUpdate(rs, desired, max)) return rs;
    const updated = await this.ctx.client.update<ReplicaSet>({
      ...rs,
      metadata: { ...rs.metadata, annotations: withReplicasAnnotations(rs.metadata?.annotations, desired, max) },
      spec: { ...rs.spec, replicas },
    });
    if (from !== replicas) {
      const dir = replicas > from ? 'up' : 'down';
      this.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${dir} replica set ${rs.metadata?.name} to ${replicas}`);
    }
    return updated;
  }

  private async cleanupHistory(d: Deployment, oldRSes: ReplicaSet[]): Promise<void> {
    for (const rs of planHistoryCleanup(d, oldRSes)) {
      try {
        await this.ctx.client.delete('ReplicaSet', rs.metadata?.namespace, rs.metadata?.name ?? '', { preconditions: { uid: rs.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private all(sets: Sets): ReplicaSet[] {
    return sets.newRS ? [...sets.oldRSes, sets.newRS] : sets.oldRSes;
  }

  private async syncStatus(d: Deployment, sets: Sets): Promise<void> {
    const next = calculateStatus(d, this.all(sets), sets.newRS, this.now());
    if (statusChanged(d.status, next)) await this.writeStatus(d, next);
  }

  private async syncRolloutStatus(d: Deployment, sets: Sets): Promise<void> {
    const now = this.now();
    const next = rolloutStatus(d, this.all(sets), sets.newRS, now);
    if (statusChanged(d.status, next)) d = await this.writeStatus(d, next);
    // Nothing else will wake the Deployment when its deadline passes.
    const wait = msUntilDeadlineCheck(d, next, now);
    if (wait !== undefined) this.queue.addAfter(keyOf(d), wait);
  }

  private async writeStatus(d: Deployment, status: Deployment['status']): Promise<Deployment> {
    return this.ctx.client.updateStatus<Deployment>({ ...d, status });
  }

  private record(d: Deployment, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.recorder.event(d, type, reason, message);
  }
}
