// The ReplicaSet controller's decisions, free of I/O: how many pods to create
// or delete, which pods go first, in what batches creates are sent, the pod a
// ReplicaSet creates, and the status it reports.
import type { Condition, Pod, ReplicaSet, ReplicaSetStatus } from '../../lib/api/generated/types.js';
import { wireEqual } from '../util/wire-equal.js';
import { creationTime, isPodAvailable, isPodReady, podReadySince } from '../util/pod.js';
import { newControllerRef } from '../util/owner-refs.js';

/** Most pods created or deleted in one sync, so one huge scale cannot swamp the apiserver. */
export const BURST_REPLICAS = 500;

export type ReplicaDiff = { action: 'none' } | { action: 'create'; count: number } | { action: 'delete'; count: number };

/** How far the active pods a ReplicaSet owns are from spec.replicas. */
export function replicaDiff(desired: number, activeOwned: number, burst = BURST_REPLICAS): ReplicaDiff {
  const diff = desired - activeOwned;
  if (diff > 0) return { action: 'create', count: Math.min(diff, burst) };
  if (diff < 0) return { action: 'delete', count: Math.min(-diff, burst) };
  return { action: 'none' };
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/**
 * Orders pods from the one losing least when deleted to the one losing most:
 * unscheduled before scheduled, Pending before Unknown before Running, not
 * ready before ready, pods on nodes crowded with their siblings first (to keep
 * the spread), ready for a shorter time first, more restarts first, newer
 * first.
 */
export function rankPodsForDeletion(pods: Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const key = (p: Pod) => ({
    scheduled: p.spec?.nodeName ? 1 : 0,
    phase: PHASE_ORDER[p.status?.phase ?? 'Pending'] ?? 0,
    ready: isPodReady(p) ? 1 : 0,
    crowd: p.spec?.nodeName ? perNode.get(p.spec.nodeName)! : 0,
    readySince: podReadySince(p) ?? 0,
    restarts: restarts(p),
    created: creationTime(p),
    name: p.metadata?.name ?? '',
  });
  return pods
    .map((p) => ({ p, k: key(p) }))
    .sort(
      (a, b) =>
        a.k.scheduled - b.k.scheduled ||
        a.k.phase - b.k.phase ||
        a.k.ready - b.k.ready ||
        b.k.crowd - a.k.crowd ||
        // both ready: the one ready more recently goes first
        (a.k.ready && b.k.ready ? b.k.readySince - a.k.readySince : 0) ||
        b.k.restarts - a.k.restarts ||
        b.k.created - a.k.created ||
        (a.k.name < b.k.name ? -1 : a.k.name > b.k.name ? 1 : 0),
    )
    .map((x) => x.p);
}

export function podsToDelete(pods: Pod[], count: number): Pod[] {
  return rankPodsForDeletion(pods).slice(0, Math.max(0, count));
}

/**
 * Batch sizes for creating `total` pods: 1, 2, 4, ... so that a template the
 * apiserver rejects costs one failed call, not hundreds.
 */
export function slowStartBatches(total: number, initial = 1): number[] {
  const out: number[] = [];
  let left = total;
  let size = Math.max(1, initial);
  while (left > 0) {
    const n = Math.min(size, left);
    out.push(n);
    left -= n;
    size *= 2;
  }
  return out;
}

/** The pod a ReplicaSet creates: its template, a generated name, and the controller reference. */
export function newPodForReplicaSet(rs: ReplicaSet, name: string): Pod {
  const tmpl = rs.spec?.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: rs.metadata?.namespace,
      labels: { ...(tmpl.metadata?.labels ?? {}) },
      annotations: tmpl.metadata?.annotations ? { ...tmpl.metadata.annotations } : undefined,
      finalizers: tmpl.metadata?.finalizers ? [...tmpl.metadata.finalizers] : undefined,
      ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
    },
    spec: structuredClone(tmpl.spec ?? {}),
  };
}

/** Pods get the ReplicaSet's name and a random suffix, trimmed so the whole stays a valid name. */
export function podNamePrefix(rsName: string): string {
  const max = 63 - 6;
  return (rsName.length > max ? rsName.slice(0, max) : rsName).replace(/[-.]+$/, '');
}

function hasAllLabels(pod: Pod, labels: Record<string, string>): boolean {
  const pl = pod.metadata?.labels ?? {};
  return Object.entries(labels).every(([k, v]) => pl[k] === v);
}

/** Set when creates or deletes fail, cleared when a sync goes through. */
export interface ManageFailure {
  reason: 'FailedCreate' | 'FailedDelete';
  message: string;
}

/**
 * The status a ReplicaSet reports for the active pods it owns (taken before
 * this sync's creates and deletes, as the next sync will correct it).
 */
export function computeReplicaSetStatus(
  rs: ReplicaSet,
  activeOwned: Pod[],
  now: number,
  failure?: ManageFailure,
): ReplicaSetStatus {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const status: ReplicaSetStatus = {
    replicas: activeOwned.length,
    fullyLabeledReplicas: activeOwned.filter((p) => hasAllLabels(p, templateLabels)).length,
    readyReplicas: activeOwned.filter(isPodReady).length,
    availableReplicas: activeOwned.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  const others = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  const existing = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  const conditions: Condition[] = [...others];
  if (failure) {
    conditions.push(
      existing && existing.reason === failure.reason && existing.message === failure.message
        ? existing
        : { type: 'ReplicaFailure', status: 'True', reason: failure.reason, message: failure.message, lastTransitionTime: new Date(now).toISOString() },
    );
  }
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Whether writing `next` would change what the ReplicaSet reports. */
export function replicaSetStatusChanged(current: ReplicaSetStatus | undefined, next: ReplicaSetStatus): boolean {
  return !wireEqual(current ?? {}, next);
}

/**
 * When a ReplicaSet with minReadySeconds must be looked at again because a
 * ready pod will turn available, in ms from now; undefined when nothing waits.
 */
export function nextAvailabilityCheck(rs: ReplicaSet, activeOwned: Pod[], now: number): number | undefined {
  const minReady = rs.spec?.minReadySeconds ?? 0;
  if (!minReady) return undefined;
  let soonest: number | undefined;
  for (const p of activeOwned) {
    if (!isPodReady(p) || isPodAvailable(p, minReady, now)) continue;
    const since = podReadySince(p);
    if (since === undefined) continue;
    const wait = Math.max(0, since + minReady * 1000 - now) + 50;
    soonest = soonest === undefined ? wait : Math.min(soonest, wait);
  }
  return soonest;
}
