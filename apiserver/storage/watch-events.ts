// What one watcher sees of a change: a pure function of the change, the
// watcher's filter, and whether the object entered or left the filter.
import type { AnyObject } from '../../lib/api/kinds.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change as etcd reported it, decoded once and shared by all watchers. */
export interface Change {
  type: ChangeType;
  /** the object after the change; for DELETED, the last state */
  obj: AnyObject;
  /** the object before the change, when there was one */
  prev?: AnyObject;
  rev: number;
}

export interface WatchFilter {
  namespace?: string;
  matches(obj: AnyObject): boolean;
}

export interface DeliveredEvent {
  type: ChangeType;
  obj: AnyObject;
}

function inScope(f: WatchFilter, obj: AnyObject | undefined): boolean {
  if (!obj) return false;
  if (f.namespace && obj.metadata?.namespace !== f.namespace) return false;
  return f.matches(obj);
}

function atRev(obj: AnyObject, rev: number): AnyObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

/**
 * An object moving into a watcher's selector is ADDED for it, one moving out
 * is DELETED (with its last matching state), as Kubernetes' watch cache does.
 */
export function eventFor(change: Change, f: WatchFilter): DeliveredEvent | undefined {
  if (change.type === 'DELETED') {
    return inScope(f, change.obj) ? { type: 'DELETED', obj: atRev(change.obj, change.rev) } : undefined;
  }
  const now = inScope(f, change.obj);
  const before = change.type === 'MODIFIED' && inScope(f, change.prev);
  if (now && before) return { type: 'MODIFIED', obj: change.obj };
  if (now) return { type: 'ADDED', obj: change.obj };
  if (before) return { type: 'DELETED', obj: atRev(change.prev!, change.rev) };
  return undefined;
}
