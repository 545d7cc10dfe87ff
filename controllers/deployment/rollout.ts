// Rollout arithmetic, free of I/O: which ReplicaSet is the new one, and for
// one sync of a Deployment the size each of its ReplicaSets should be scaled
// to (RollingUpdate, Recreate, proportional scaling) and which old ones can go.
//
// Counting is cautious where the cache may lag behind the cluster: a
// ReplicaSet is taken to have max(spec, status) pods (a scale-down not yet
// carried out still has its pods) and min(spec, status) available pods (a
// scale-down already ordered will remove pods, not-ready ones first), so a
// step never crosses replicas + maxSurge pods or replicas - maxUnavailable
// available pods because a status was stale.
import type { Deployment, ReplicaSet } from '../../lib/api/generated/types.js';
import { scaledValue } from '../util/int-or-percent.js';
import { creationTime } from '../util/pod.js';
import { templatesEqualIgnoringHash } from '../util/template-hash.js';
import { desiredReplicasOf, maxReplicasOf, revisionOf } from './revision.js';

export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

export const specReplicas = (rs: ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;
export const statusReplicas = (rs: ReplicaSet | undefined): number => rs?.status?.replicas ?? 0;
export const desiredReplicas = (d: Deployment): number => d.spec?.replicas ?? 1;

/** Pods a ReplicaSet may have right now, counting an ordered scale-down as not yet done. */
export const podsUpperBound = (rs: ReplicaSet): number => Math.max(specReplicas(rs), statusReplicas(rs));
/** Available pods a ReplicaSet is sure to keep, counting an ordered scale-down as done. */
export const availableLowerBound = (rs: ReplicaSet): number => Math.min(specReplicas(rs), rs.status?.availableReplicas ?? 0);

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * maxSurge and maxUnavailable as counts for the Deployment's size. Both zero
 * would forbid every step, so unavailability is then 1 (as Kubernetes does).
 */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const desired = desiredReplicas(d);
  const ru = d.spec?.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge, desired, true, DEFAULT_MAX_SURGE);
  let unavailable = scaledValue(ru?.maxUnavailable, desired, false, DEFAULT_MAX_UNAVAILABLE);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, desired);
}

/** Oldest first; name breaks ties so every process sorts the same way. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return creationTime(a) - creationTime(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The ReplicaSet running the Deployment's current template (the oldest, if several do). */
export function findNewReplicaSet(d: Deployment, rses: ReplicaSet[]): ReplicaSet | undefined {
  return [...rses].sort(byCreation).find((rs) => templatesEqualIgnoringHash(rs.spec?.template, d.spec?.template));
}

export function findOldReplicaSets(rses: ReplicaSet[], newRS: ReplicaSet | undefined): ReplicaSet[] {
  return rses.filter((rs) => rs !== newRS && (!newRS?.metadata?.uid || rs.metadata?.uid !== newRS.metadata.uid));
}

export const isActive = (rs: ReplicaSet): boolean => specReplicas(rs) > 0;

/** A planned size for one ReplicaSet. */
export interface Scale {
  rs: ReplicaSet;
  replicas: number;
}

/**
 * The size to give a new ReplicaSet (existing or about to be created). With
 * RollingUpdate it grows toward the Deployment's size as far as surge room
 * allows; with Recreate it takes the full size at once (old ones are gone by then).
 */
export function newReplicaSetReplicas(d: Deployment, allRSes: ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const current = specReplicas(newRS);
  const pods = allRSes.reduce((n, rs) => n + podsUpperBound(rs), 0);
  const room = desired + maxSurge(d) - pods;
  if (room <= 0) return Math.min(current, desired);
  return current + Math.max(0, Math.min(room, desired - current));
}

export type RollingStep =
  | { kind: 'scale-new'; scales: Scale[] }
  | { kind: 'scale-old'; scales: Scale[] }
  | { kind: 'none'; scales: [] };

/**
 * One step of a rolling update: grow the new ReplicaSet within surge room;
 * if it cannot grow, shrink old ones, unhealthy pods first, without going
 * below replicas - maxUnavailable available pods.
 */
export function planRollingStep(d: Deployment, newRS: ReplicaSet, oldRSes: ReplicaSet[]): RollingStep {
  const desired = desiredReplicas(d);
  const all = [...oldRSes, newRS];

  const newSize = specReplicas(newRS);
  if (newSize > desired) return { kind: 'scale-new', scales: [{ rs: newRS, replicas: desired }] };
  if (newSize < desired) {
    const target = newReplicaSetReplicas(d, all, newRS);
    if (target !== newSize) return { kind: 'scale-new', scales: [{ rs: newRS, replicas: target }] };
  }

  const oldPods = oldRSes.reduce((n, rs) => n + specReplicas(rs), 0);
  if (oldPods === 0) return { kind: 'none', scales: [] };

  const minAvailable = desired - maxUnavailable(d);
  const allPods = all.reduce((n, rs) => n + specReplicas(rs), 0);
  const newUnavailable = Math.max(0, specReplicas(newRS) - availableLowerBound(newRS));
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { kind: 'none', scales: [] };

  // Sizes as they evolve through this step.
  const size = new Map<ReplicaSet, number>(all.map((rs) => [rs, specReplicas(rs)]));
  const avail = (rs: ReplicaSet) => Math.min(size.get(rs)!, rs.status?.availableReplicas ?? 0);
  const oldest = [...oldRSes].sort(byCreation);

  // Unhealthy old pods go first: removing them costs no availability.
  let cleaned = 0;
  for (const rs of oldest) {
    if (cleaned >= maxScaledDown) break;
    const s = size.get(rs)!;
    const unhealthy = s - avail(rs);
    if (s === 0 || unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    size.set(rs, s - n);
    cleaned += n;
  }

  // Then healthy old pods, as far as the availability floor allows.
  const available = all.reduce((n, rs) => n + avail(rs), 0);
  let budget = available - minAvailable;
  for (const rs of oldest) {
    if (budget <= 0) break;
    const s = size.get(rs)!;
    if (s === 0) continue;
    const n = Math.min(s, budget);
    size.set(rs, s - n);
    budget -= n;
  }

  const scales = oldRSes.filter((rs) => size.get(rs) !== specReplicas(rs)).map((rs) => ({ rs, replicas: size.get(rs)! }));
  return scales.length ? { kind: 'scale-old', scales } : { kind: 'none', scales: [] };
}

export type RecreateStep =
  | { kind: 'scale-down-old'; scales: Scale[] }
  | { kind: 'wait-for-old-pods' }
  | { kind: 'scale-new'; replicas: number }
  | { kind: 'none' };

/**
 * One step of a Recreate rollout: old ReplicaSets to zero, then nothing until
 * their pods are gone, then the new ReplicaSet (created if need be) at full size.
 */
export function planRecreateStep(d: Deployment, newRS: ReplicaSet | undefined, oldRSes: ReplicaSet[], oldPodsRunning: boolean): RecreateStep {
  const active = oldRSes.filter(isActive);
  if (active.length) return { kind: 'scale-down-old', scales: active.map((rs) => ({ rs, replicas: 0 })) };
  if (oldPodsRunning) return { kind: 'wait-for-old-pods' };
  const desired = desiredReplicas(d);
  if (!newRS || specReplicas(newRS) !== desired) return { kind: 'scale-new', replicas: desired };
  return { kind: 'none' };
}

/**
 * True when the Deployment's size changed since its active ReplicaSets were
 * last scaled (their desired-replicas annotation says another size).
 */
export function isScalingEvent(d: Deployment, rses: ReplicaSet[]): boolean {
  const desired = desiredReplicas(d);
  return rses.filter(isActive).some((rs) => {
    const annotated = desiredReplicasOf(rs);
    return annotated !== undefined && annotated !== desired;
  });
}

function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicas(d);
  return desiredReplicasOf(rs) === desired && specReplicas(rs) === desired && (rs.status?.availableReplicas ?? 0) === desired;
}

/** The only ReplicaSet with pods, or the newest when none has any; undefined when several have pods. */
function activeOrLatest(newRS: ReplicaSet | undefined, oldRSes: ReplicaSet[]): ReplicaSet | undefined {
  const all = [...oldRSes, ...(newRS ? [newRS] : [])];
  if (!all.length) return undefined;
  const active = all.filter(isActive);
  if (active.length === 1) return active[0];
  if (active.length === 0) return newRS ?? [...oldRSes].sort(byCreation).at(-1);
  return undefined;
}

/**
 * Sizes for every ReplicaSet when the Deployment's size changes. Mid-rollout
 * the change is shared out in proportion to each ReplicaSet's share of the
 * size it was last scaled for, so a rollout neither restarts nor loses its
 * balance; the rounding remainder goes to the largest.
 */
export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSes: ReplicaSet[]): Scale[] {
  const desired = desiredReplicas(d);
  const only = activeOrLatest(newRS, oldRSes);
  if (only) return specReplicas(only) === desired ? [] : [{ rs: only, replicas: desired }];
  if (isSaturated(d, newRS)) return oldRSes.filter(isActive).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const active = [...oldRSes, ...(newRS ? [newRS] : [])].filter(isActive);
  const current = active.reduce((n, rs) => n + specReplicas(rs), 0);
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - current;
  if (toAdd === 0) return [];

  // Growing favours the largest and newest, shrinking the largest and oldest.
  const sorted = [...active].sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? -byCreation(a, b) : byCreation(a, b)));
  const size = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of sorted) {
    const share = proportion(d, rs, toAdd, added);
    size.set(rs, specReplicas(rs) + share);
    added += share;
  }
  const first = sorted[0]!;
  size.set(first, Math.max(0, size.get(first)! + (toAdd - added)));
  return sorted.filter((rs) => size.get(rs) !== specReplicas(rs)).map((rs) => ({ rs, replicas: size.get(rs)! }));
}

function proportion(d: Deployment, rs: ReplicaSet, toAdd: number, added: number): number {
  const size = specReplicas(rs);
  if (size === 0 || toAdd === 0 || toAdd === added) return 0;
  const desired = desiredReplicas(d);
  let fraction: number;
  if (desired === 0) fraction = -size;
  else {
    const annotated = maxReplicasOf(rs) ?? d.status?.replicas ?? 0;
    fraction = annotated > 0 ? Math.round((size * (desired + maxSurge(d))) / annotated) - size : 0;
  }
  const left = toAdd - added;
  return toAdd > 0 ? Math.max(0, Math.min(fraction, left)) : Math.min(0, Math.max(fraction, left));
}

/**
 * Old ReplicaSets to delete beyond revisionHistoryLimit: the lowest
 * revisions first, and only those fully scaled down and settled.
 */
export function planHistoryCleanup(d: Deployment, oldRSes: ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  const alive = oldRSes.filter((rs) => !rs.metadata?.deletionTimestamp);
  const excess = alive.length - limit;
  if (excess <= 0) return [];
  const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  return byRevision
    .slice(0, excess)
    .filter(
      (rs) =>
        specReplicas(rs) === 0 &&
        statusReplicas(rs) === 0 &&
        (rs.status?.observedGeneration ?? 0) >= (rs.metadata?.generation ?? 0),
    );
}
