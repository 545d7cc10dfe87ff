// Server-owned metadata and the parts of an object each verb may change,
// as pure functions of (request, stored object, clock).
import { randomUUID } from 'node:crypto';
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import type { ObjectMeta } from '../../lib/api/generated/types.js';
import { semanticEqual } from '../../lib/api/equality.js';

/** RFC 3339 at second precision, as Kubernetes writes timestamps. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return s;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Everything but metadata and status: what `generation` counts changes of. */
function desiredPart(obj: AnyObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj as AnyObject & { status?: unknown };
  return rest;
}

export function prepareForCreate(info: KindInfo, obj: AnyObject, clock: Clock = systemClock, uid: string = randomUUID()): AnyObject {
  const md: ObjectMeta = { ...(obj.metadata ?? {}) };
  if (!md.name && md.generateName) md.name = md.generateName + randomSuffix();
  if (info.namespaced) md.namespace = md.namespace || 'default';
  else delete md.namespace;
  md.uid = uid;
  md.creationTimestamp = timestamp(clock.now());
  md.generation = 1;
  delete md.resourceVersion;
  delete md.deletionTimestamp;
  delete md.deletionGracePeriodSeconds;
  const out = { ...obj, apiVersion: info.apiVersion, kind: info.kind, metadata: md } as AnyObject & { status?: unknown };
  // Status is the system's report, not the user's wish: only nodes and the
  // kinds without a status subresource bring it along on create.
  if (info.hasStatus && info.kind !== 'Node') delete out.status;
  if (info.kind === 'Pod') (out as { status?: unknown }).status = { phase: 'Pending' };
  return out;
}

/**
 * An Update may change labels, annotations, owners, finalizers and the
 * desired state; identity, timestamps and (for kinds with a status
 * subresource) status stay as stored.
 */
export function prepareForUpdate(info: KindInfo, next: AnyObject, old: AnyObject): AnyObject {
  const o = old.metadata ?? {};
  const md: ObjectMeta = {
    ...(next.metadata ?? {}),
    name: o.name,
    namespace: o.namespace,
    uid: o.uid,
    creationTimestamp: o.creationTimestamp,
    deletionTimestamp: o.deletionTimestamp,
    deletionGracePeriodSeconds: o.deletionGracePeriodSeconds,
    generation: o.generation,
    generateName: o.generateName,
    resourceVersion: o.resourceVersion,
  };
  const out = { ...next, apiVersion: info.apiVersion, kind: info.kind, metadata: md } as AnyObject & { status?: unknown };
  if (info.hasStatus) out.status = (old as { status?: unknown }).status;
  return out;
}

/**
 * generation counts changes of the desired state; compared after defaulting,
 * so re-applying the same file is no change.
 */
export function withGeneration(next: AnyObject, old: AnyObject): AnyObject {
  if (semanticEqual(desiredPart(next), desiredPart(old))) return next;
  return { ...next, metadata: { ...next.metadata, generation: (old.metadata?.generation ?? 0) + 1 } } as AnyObject;
}

/** UpdateStatus changes status only. */
export function prepareForStatusUpdate(info: KindInfo, next: AnyObject, old: AnyObject): AnyObject {
  return { ...old, apiVersion: info.apiVersion, kind: info.kind, status: (next as { status?: unknown }).status } as AnyObject;
}

/** An object marked for deletion goes once nothing holds it any more. */
export function readyToRemove(obj: AnyObject): boolean {
  const md = obj.metadata ?? {};
  return !!md.deletionTimestamp && (md.finalizers ?? []).length === 0 && (md.deletionGracePeriodSeconds ?? 0) === 0;
}

export type DeletePlan =
  | { action: 'remove' }
  | { action: 'mark'; obj: AnyObject }
  | { action: 'none' };

export interface DeleteRequestOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
}

/**
 * Decides what a Delete does: remove the key now, or mark the object
 * (deletionTimestamp) and leave the rest to its finalizers, to the node's
 * agent (a running pod's graceful stop), or to the namespace finalizer.
 */
export function planDelete(info: KindInfo, obj: AnyObject, opts: DeleteRequestOptions, clock: Clock = systemClock): DeletePlan {
  const md = obj.metadata ?? {};
  const finalizers = [...(md.finalizers ?? [])];
  if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
  if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');

  let grace = 0;
  if (info.kind === 'Pod') {
    const pod = obj as { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (pod.spec?.nodeName && !finished) grace = opts.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  }
  if (info.kind === 'Namespace' && !finalizers.includes('kubernetes')) finalizers.push('kubernetes');

  if (md.deletionTimestamp) {
    // Already going: a shorter grace period may hurry it, nothing else changes.
    const current = md.deletionGracePeriodSeconds ?? 0;
    if (info.kind === 'Pod' && grace < current) {
      const at = new Date(clock.now().getTime() + grace * 1000);
      const marked = { ...obj, metadata: { ...md, deletionTimestamp: timestamp(at), deletionGracePeriodSeconds: grace } } as AnyObject;
      return readyToRemove(marked) ? { action: 'remove' } : { action: 'mark', obj: marked };
    }
    return { action: 'none' };
  }
  if (finalizers.length === 0 && grace === 0) return { action: 'remove' };
  const at = new Date(clock.now().getTime() + grace * 1000);
  const marked = {
    ...obj,
    metadata: { ...md, finalizers, deletionTimestamp: timestamp(at), deletionGracePeriodSeconds: grace },
  } as AnyObject & { status?: Record<string, unknown> };
  if (info.kind === 'Namespace') marked.status = { ...(marked.status ?? {}), phase: 'Terminating' };
  return { action: 'mark', obj: marked };
}
