// Revisions and the bookkeeping annotations a Deployment keeps on its
// ReplicaSets: which rollout each one belongs to (revision, and the earlier
// revisions it held when an old template came back), and the Deployment size
// it was last scaled for (used by proportional scaling).
import type { Deployment, ReplicaSet } from '../../lib/api/generated/types.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

// The Deployment's own bookkeeping is per ReplicaSet, and the applied
// configuration describes the Deployment; neither is copied down.
const NOT_COPIED = new Set([
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  LAST_APPLIED_ANNOTATION,
]);

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (!v || !/^\d+$/.test(v)) return 0;
  return Number(v);
}

export function maxRevision(rses: ReplicaSet[]): number {
  return rses.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** The revision the new ReplicaSet must carry: one past every old one. */
export function nextRevision(oldRSes: ReplicaSet[]): number {
  return maxRevision(oldRSes) + 1;
}

/**
 * The annotations the new ReplicaSet should have: the Deployment's own
 * (e.g. kubernetes.io/change-cause, so history can show it), and the new
 * revision when it is higher than the one held (an old template brought back
 * moves to the front, its old number kept in the history annotation).
 */
export function newReplicaSetAnnotations(d: Deployment, rs: ReplicaSet | undefined, revision: number): Record<string, string> {
  const out: Record<string, string> = { ...(rs?.metadata?.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (!NOT_COPIED.has(k)) out[k] = v;
  }
  const held = revisionOf(rs);
  if (held < revision) {
    out[REVISION_ANNOTATION] = String(revision);
    if (held > 0) {
      const history = out[REVISION_HISTORY_ANNOTATION] ? out[REVISION_HISTORY_ANNOTATION].split(',') : [];
      history.push(String(held));
      out[REVISION_HISTORY_ANNOTATION] = history.join(',');
    }
  }
  return out;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

export function withReplicasAnnotations(annotations: Record<string, string> | undefined, desired: number, max: number): Record<string, string> {
  return { ...(annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) };
}

function intAnnotation(rs: ReplicaSet, name: string): number | undefined {
  const v = rs.metadata?.annotations?.[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export const desiredReplicasOf = (rs: ReplicaSet) => intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
export const maxReplicasOf = (rs: ReplicaSet) => intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
