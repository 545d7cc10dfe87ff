// Deployment status, free of I/O: counts summed over its ReplicaSets, the
// Available condition, and the Progressing condition that tells whether a
// rollout moves, finished, is paused or ran past its deadline.
import type { Condition, Deployment, DeploymentStatus, ReplicaSet } from '../../lib/api/generated/types.js';
import { wireEqual } from '../util/wire-equal.js';
import { desiredReplicas, maxUnavailable, specReplicas, statusReplicas } from './rollout.js';

export const AVAILABLE = 'Available';
export const PROGRESSING = 'Progressing';
export const REPLICA_FAILURE = 'ReplicaFailure';

export const Reason = {
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  ReplicaSetCreateError: 'ReplicaSetCreateError',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
} as const;

export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/** Kubernetes' way of saying "no deadline". */
const NO_DEADLINE = 2147483647;

export function condition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: number): Condition {
  const t = new Date(now).toISOString();
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * The conditions with c set. A condition with the same status and reason is
 * left as it is (its times included); one whose status is unchanged keeps its
 * transition time.
 */
export function setCondition(conditions: Condition[] | undefined, c: Condition): Condition[] {
  const list = conditions ?? [];
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, c];
  const cur = list[i]!;
  if (cur.status === c.status && cur.reason === c.reason) return list;
  const next = cur.status === c.status ? { ...c, lastTransitionTime: cur.lastTransitionTime } : c;
  return list.map((x, j) => (j === i ? next : x));
}

export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  return s > 0 && s !== NO_DEADLINE;
}

function sum(rses: ReplicaSet[], f: (rs: ReplicaSet) => number): number {
  return rses.reduce((n, rs) => n + f(rs), 0);
}

/** Counts and the Available condition; other conditions carried over. */
export function calculateStatus(d: Deployment, allRSes: ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const available = sum(allRSes, (rs) => rs.status?.availableReplicas ?? 0);
  const total = sum(allRSes, specReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sum(allRSes, statusReplicas),
    updatedReplicas: newRS ? statusReplicas(newRS) : 0,
    readyReplicas: sum(allRSes, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    collisionCount: d.status?.collisionCount,
    conditions: [...(d.status?.conditions ?? [])],
  };
  const enough = available >= desiredReplicas(d) - maxUnavailable(d);
  status.conditions = setCondition(
    status.conditions,
    enough
      ? condition(AVAILABLE, 'True', Reason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now)
      : condition(AVAILABLE, 'False', Reason.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now),
  );
  return status;
}

/** Every pod updated, present and available, and this generation observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const n = desiredReplicas(d);
  return (
    (s.updatedReplicas ?? 0) === n &&
    (s.replicas ?? 0) === n &&
    (s.availableReplicas ?? 0) === n &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** Something moved since the last status: more updated, fewer old, more ready or available pods. */
export function deploymentProgressing(old: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  const oldOld = (old?.replicas ?? 0) - (old?.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old?.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old?.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old?.availableReplicas ?? 0)
  );
}

function deadlineMs(d: Deployment): number {
  return (d.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, PROGRESSING);
  if (!c) return false;
  if (c.reason === Reason.ProgressDeadlineExceeded) return true;
  if (c.reason === Reason.NewReplicaSetAvailable) return false;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + deadlineMs(d) < now;
}

/**
 * The status after a rollout step: counts, Available, and Progressing moved
 * on (completed, progressing with a fresh update time, or timed out), plus
 * the ReplicaSets' own ReplicaFailure surfaced.
 */
export function rolloutStatus(d: Deployment, allRSes: ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const s = calculateStatus(d, allRSes, newRS, now);
  if (!hasProgressDeadline(d)) s.conditions = removeCondition(s.conditions, PROGRESSING);
  const cur = getCondition(d.status, PROGRESSING);
  const finished = s.replicas === s.updatedReplicas && cur?.reason === Reason.NewReplicaSetAvailable;
  const rsName = newRS?.metadata?.name;
  const name = d.metadata?.name;
  if (hasProgressDeadline(d) && !finished) {
    if (deploymentComplete(d, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
      s.conditions = setCondition(s.conditions, condition(PROGRESSING, 'True', Reason.NewReplicaSetAvailable, msg, now));
    } else if (deploymentProgressing(d.status, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${name}" is progressing.`;
      // Progress refreshes the update time even when the reason stays, which
      // is what keeps the deadline from running out while pods keep coming.
      const c = condition(PROGRESSING, 'True', Reason.ReplicaSetUpdated, msg, now);
      if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      s.conditions = [...removeCondition(s.conditions, PROGRESSING), c];
    } else if (deploymentTimedOut(d, s, now)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
      s.conditions = setCondition(s.conditions, condition(PROGRESSING, 'False', Reason.ProgressDeadlineExceeded, msg, now));
    }
  }
  const failure = replicaFailure(allRSes, newRS);
  s.conditions = failure ? setCondition(s.conditions, failure) : removeCondition(s.conditions, REPLICA_FAILURE);
  return s;
}

/** The ReplicaFailure a ReplicaSet reports, the new one's first. */
function replicaFailure(allRSes: ReplicaSet[], newRS: ReplicaSet | undefined): Condition | undefined {
  const ordered = newRS ? [newRS, ...allRSes.filter((rs) => rs !== newRS)] : allRSes;
  for (const rs of ordered) {
    const c = rs.status?.conditions?.find((x) => x.type === REPLICA_FAILURE && x.status === 'True');
    if (c) return { type: REPLICA_FAILURE, status: 'True', reason: c.reason, message: c.message, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime };
  }
  return undefined;
}

/**
 * The Progressing condition a pause or resume calls for, or undefined when
 * it is already there (or a timeout is reported, which a pause must not hide).
 */
export function pauseCondition(d: Deployment, now: number): Condition | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const cur = getCondition(d.status, PROGRESSING);
  if (cur?.reason === Reason.ProgressDeadlineExceeded) return undefined;
  const pausedShown = cur?.reason === Reason.DeploymentPaused;
  if (d.spec?.paused && !pausedShown) return condition(PROGRESSING, 'Unknown', Reason.DeploymentPaused, 'Deployment is paused', now);
  if (!d.spec?.paused && pausedShown) return condition(PROGRESSING, 'Unknown', Reason.DeploymentResumed, 'Deployment is resumed', now);
  return undefined;
}

/**
 * How long until an unfinished rollout should be looked at again to declare
 * its deadline passed; undefined when no deadline is pending.
 */
export function msUntilDeadlineCheck(d: Deployment, s: DeploymentStatus, now: number): number | undefined {
  if (!hasProgressDeadline(d) || d.spec?.paused) return undefined;
  const c = getCondition(s, PROGRESSING);
  if (!c || deploymentComplete(d, s) || deploymentTimedOut(d, s, now)) return undefined;
  if (c.reason !== Reason.ReplicaSetUpdated && c.reason !== Reason.NewReplicaSetCreated && c.reason !== Reason.FoundNewReplicaSet && c.reason !== Reason.DeploymentResumed) return undefined;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return undefined;
  return Math.max(0, from + deadlineMs(d) - now) + 1000;
}

export function statusChanged(current: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  return !wireEqual(current ?? {}, next);
}
