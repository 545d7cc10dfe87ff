// What the garbage collector does with one object, decided without I/O.
//
// Two questions, asked about different objects:
// - planDependent: an object with ownerReferences: are its owners still there?
//   If none is, delete it; if some are gone but another remains, drop the
//   references to the gone ones.
// - planOwner: an object being deleted that holds one of the GC's finalizers:
//   `orphan` (strip its ownerReference from the dependents, then release it)
//   or `foregroundDeletion` (its dependents are deleted first; release it
//   once none remains).
import type { ObjectMeta, OwnerReference } from '../../lib/api/generated/types.js';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export interface HasMeta {
  kind?: string;
  metadata?: ObjectMeta;
}

/**
 * What the GC knows about one owner reference:
 * - exists: an object with that uid is there (possibly being deleted without waiting for dependents);
 * - absent: no object has that uid (confirmed with the apiserver, not just the cache);
 * - waitingForDependents: there, being deleted in the foreground, waiting for its dependents to go;
 * - unresolvable: the reference cannot be checked (unknown kind, namespaced owner of a cluster-scoped object).
 */
export type OwnerState = 'exists' | 'absent' | 'waitingForDependents' | 'unresolvable';

export interface ResolvedOwner {
  ref: OwnerReference;
  state: OwnerState;
}

export type DependentPlan =
  | { action: 'none'; reason: string }
  | { action: 'delete'; propagationPolicy: 'Background' | 'Foreground'; reason: string }
  | { action: 'removeOwnerReferences'; uids: string[]; reason: string };

/** The state of an owner object that was found with the referenced uid. */
export function stateOfOwner(owner: HasMeta): OwnerState {
  const m = owner.metadata ?? {};
  return m.deletionTimestamp && (m.finalizers ?? []).includes(FOREGROUND_FINALIZER) ? 'waitingForDependents' : 'exists';
}

/**
 * dependent: the object holding the references; owners: each of its
 * references resolved; hasDependents: whether other objects name it as owner
 * (then a foreground owner's wait must extend to them).
 */
export function planDependent(dependent: HasMeta, owners: ResolvedOwner[], hasDependents: boolean): DependentPlan {
  if (dependent.metadata?.deletionTimestamp) return { action: 'none', reason: 'already being deleted' };
  if (!owners.length) return { action: 'none', reason: 'has no owners' };
  // An owner we cannot check counts as present: never delete on a doubt.
  const solid = owners.filter((o) => o.state === 'exists' || o.state === 'unresolvable');
  const dangling = owners.filter((o) => o.state === 'absent');
  const waiting = owners.filter((o) => o.state === 'waitingForDependents');
  if (solid.length) {
    const drop = [...dangling, ...waiting];
    if (!drop.length) return { action: 'none', reason: 'all owners exist' };
    return {
      action: 'removeOwnerReferences',
      uids: drop.map((o) => o.ref.uid ?? ''),
      reason: `owner ${describe(solid[0]!.ref)} remains; dropping references to ${drop.map((o) => describe(o.ref)).join(', ')}`,
    };
  }
  if (waiting.length && hasDependents) {
    return {
      action: 'delete',
      propagationPolicy: 'Foreground',
      reason: `owner ${describe(waiting[0]!.ref)} is being deleted in the foreground and this object has dependents of its own`,
    };
  }
  return {
    action: 'delete',
    propagationPolicy: 'Background',
    reason: waiting.length
      ? `owner ${describe(waiting[0]!.ref)} is being deleted in the foreground`
      : `owner${dangling.length > 1 ? 's' : ''} ${dangling.map((o) => describe(o.ref)).join(', ')} no longer exist${dangling.length > 1 ? '' : 's'}`,
  };
}

export type OwnerPlan<D> =
  | { action: 'none' }
  /** strip the owner's reference from each dependent, then remove the `orphan` finalizer */
  | { action: 'orphan'; dependents: D[] }
  /** dependents remain: make sure each is being deleted (check each as a dependent) */
  | { action: 'waitForDependents'; dependents: D[] }
  | { action: 'removeFinalizer'; finalizer: string };

/** owner: an object, dependents: every object carrying a reference to its uid. */
export function planOwner<D extends HasMeta>(owner: HasMeta, dependents: D[]): OwnerPlan<D> {
  const m = owner.metadata ?? {};
  if (!m.deletionTimestamp) return { action: 'none' };
  const finalizers = m.finalizers ?? [];
  const uid = m.uid ?? '';
  const mine = dependents.filter((d) => (d.metadata?.ownerReferences ?? []).some((r) => r.uid === uid));
  if (finalizers.includes(ORPHAN_FINALIZER)) {
    return mine.length ? { action: 'orphan', dependents: mine } : { action: 'removeFinalizer', finalizer: ORPHAN_FINALIZER };
  }
  if (finalizers.includes(FOREGROUND_FINALIZER)) {
    return mine.length ? { action: 'waitForDependents', dependents: mine } : { action: 'removeFinalizer', finalizer: FOREGROUND_FINALIZER };
  }
  return { action: 'none' };
}

/** metadata with the references to these uids removed (the other fields untouched). */
export function withoutOwnerReferences<O extends HasMeta>(obj: O, uids: string[]): O {
  const drop = new Set(uids);
  return {
    ...obj,
    metadata: { ...obj.metadata, ownerReferences: (obj.metadata?.ownerReferences ?? []).filter((r) => !drop.has(r.uid ?? '')) },
  };
}

export function withoutFinalizer<O extends HasMeta>(obj: O, finalizer: string): O {
  return { ...obj, metadata: { ...obj.metadata, finalizers: (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer) } };
}

/** Whether the GC has work on this object as an owner. */
export function hasGcFinalizer(obj: HasMeta): boolean {
  const m = obj.metadata ?? {};
  return !!m.deletionTimestamp && (m.finalizers ?? []).some((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER);
}

/** Whether two objects reference the same owner uids. */
export function sameOwners(a: HasMeta, b: HasMeta): boolean {
  const ua = (a.metadata?.ownerReferences ?? []).map((r) => r.uid).sort();
  const ub = (b.metadata?.ownerReferences ?? []).map((r) => r.uid).sort();
  return ua.length === ub.length && ua.every((u, i) => u === ub[i]);
}

function describe(ref: OwnerReference): string {
  return `${ref.kind ?? '?'} "${ref.name ?? '?'}" (uid ${ref.uid ?? '?'})`;
}
