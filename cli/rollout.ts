// Rollout decisions, pure: how far a Deployment's rollout has got, its
// revision history from the ReplicaSets it owns, and what `undo` restores.
import type * as T from '../lib/api/generated/types.js';
import { semanticEqual } from '../lib/api/equality.js';
import { ApiError } from '../lib/errors.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export interface RolloutStatus {
  message: string;
  done: boolean;
}

/**
 * kubectl's reading of a Deployment's status. Throws when the rollout has
 * failed (its progress deadline passed), since waiting longer will not help.
 */
export function rolloutStatus(d: T.Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const st = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false };
  }
  const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    throw new ApiError('Timeout', `deployment "${name}" exceeded its progress deadline`);
  }
  const desired = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < desired) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`, done: false };
  }
  if (total > updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`, done: false };
  }
  if (available < updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false };
  }
  return { message: `deployment "${name}" successfully rolled out`, done: true };
}

export function isOwnedBy(obj: { metadata?: T.ObjectMeta }, owner: { metadata?: T.ObjectMeta }): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata?.uid);
}

export interface Revision {
  revision: number;
  replicaSet: T.ReplicaSet;
  changeCause?: string;
}

/** The Deployment's revisions, oldest first, one per owned ReplicaSet that has a revision. */
export function revisionHistory(d: T.Deployment, replicaSets: T.ReplicaSet[]): Revision[] {
  const out: Revision[] = [];
  for (const rs of replicaSets) {
    if (!isOwnedBy(rs, d)) continue;
    const rev = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
    if (!Number.isInteger(rev) || rev <= 0) continue;
    out.push({ revision: rev, replicaSet: rs, changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] });
  }
  return out.sort((a, b) => a.revision - b.revision);
}

export function historyRows(history: Revision[]): string[][] {
  return [['REVISION', 'CHANGE-CAUSE'], ...history.map((h) => [String(h.revision), h.changeCause || '<none>'])];
}

/** A ReplicaSet's template as the Deployment would hold it: without the label the controller adds. */
export function templateOf(rs: T.ReplicaSet): T.PodTemplateSpec {
  const t = structuredClone(rs.spec?.template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

export type UndoPlan = { action: 'rollback'; revision: number; template: T.PodTemplateSpec } | { action: 'skip'; revision: number };

/**
 * The template `rollout undo` puts back: revision `toRevision`, or with 0 the
 * one before the newest. Skips when the Deployment already runs it.
 */
export function planUndo(d: T.Deployment, history: Revision[], toRevision: number): UndoPlan {
  const name = d.metadata?.name ?? '';
  if (d.spec?.paused) {
    throw new ApiError('BadRequest', `you cannot rollback a paused deployment; resume it first with 'tug rollout resume deployment/${name}' and try again`);
  }
  if (!history.length) throw new ApiError('NotFound', `no rollout history found for deployment "${name}"`);
  let target: Revision | undefined;
  if (toRevision > 0) {
    target = history.find((h) => h.revision === toRevision);
    if (!target) throw new ApiError('NotFound', `unable to find specified revision ${toRevision} in history`);
  } else {
    if (history.length < 2) throw new ApiError('NotFound', `no previous revision to roll back to for deployment "${name}"`);
    target = history[history.length - 2];
  }
  const template = templateOf(target!.replicaSet);
  if (semanticEqual(template, d.spec?.template)) return { action: 'skip', revision: target!.revision };
  return { action: 'rollback', revision: target!.revision, template };
}
