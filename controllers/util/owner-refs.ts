// Controller ownerReferences: who controls an object, and which candidates a
// controller should adopt (orphans its selector matches) or release (objects
// it controls that its selector no longer matches).
import type { ObjectMeta, OwnerReference } from '../../lib/api/generated/types.js';

interface HasMeta {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export function controllerRef(obj: HasMeta): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

export function isControlledBy(obj: HasMeta, owner: HasMeta): boolean {
  const ref = controllerRef(obj);
  return !!ref && !!ref.uid && ref.uid === owner.metadata?.uid;
}

/** The ownerReference a controller puts on what it creates or adopts. */
export function newControllerRef(owner: HasMeta, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name,
    uid: owner.metadata?.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimPlan<O> {
  /** controlled by the owner and still matching: counted as the owner's */
  owned: O[];
  /** orphans that match: to be given the owner's controller reference */
  adopt: O[];
  /** controlled by the owner but no longer matching: to lose the reference */
  release: O[];
}

/**
 * Sorts candidates into what the owner keeps, adopts and releases. Objects
 * controlled by someone else are left alone. Nothing is adopted while the
 * owner or the candidate is being deleted, so a dying owner never grabs new
 * dependents and a dying dependent never changes hands.
 */
export function planClaims<O extends HasMeta>(owner: HasMeta, matches: (o: O) => boolean, candidates: O[]): ClaimPlan<O> {
  const plan: ClaimPlan<O> = { owned: [], adopt: [], release: [] };
  const ownerDying = !!owner.metadata?.deletionTimestamp;
  for (const c of candidates) {
    const ref = controllerRef(c);
    if (ref) {
      if (ref.uid !== owner.metadata?.uid) continue;
      if (matches(c)) plan.owned.push(c);
      else if (!ownerDying) plan.release.push(c);
      continue;
    }
    if (ownerDying || c.metadata?.deletionTimestamp) continue;
    if (matches(c)) plan.adopt.push(c);
  }
  return plan;
}

/** A copy of obj carrying owner's controller reference (existing non-controller references kept). */
export function withControllerRef<O extends HasMeta>(obj: O, ref: OwnerReference): O {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [...refs, ref] } };
}

/** A copy of obj without any reference to the owner with this uid. */
export function withoutOwnerRef<O extends HasMeta>(obj: O, uid: string): O {
  const refs = (obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: refs } };
}
