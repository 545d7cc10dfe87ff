// What one watcher sees of a change: a pure function of the change, the
// watcher's filter, and whether the object entered or left the filter.
import type { AnyObject } from '../../lib/api/kinds.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change as etcd reported it, decoded once and shared by all watchers. */
export interface Change {
  readonly type: ChangeType;
  /** the object after the change; for DELETED, the last state */
  readonly obj: AnyObject;
  /** the object before the change, when there was one */
  readonly prev?: AnyObject;
  readonly rev: number;
}

export interface WatchFilter {
  namespace?: string;
  matches(obj: AnyObject): boolean;
  /**
   * matches() accepts every object (no label or field selector). An object
   * never changes namespace, so such a watcher needs no look at the previous
   * state, which then need not be decoded.
   */
  matchesAll?: boolean;
}

/**
 * The events of one change, by type, shared by every watcher it goes to:
 * for a given change a type determines the object, so one DeliveredEvent
 * (and its encoding) serves them all.
 */
export type EventMemo = Map<ChangeType, DeliveredEvent>;

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
export function eventFor(change: Change, f: WatchFilter, memo?: EventMemo): DeliveredEvent | undefined {
  const type = eventType(change, f);
  if (!type) return undefined;
  let ev = memo?.get(type);
  if (!ev) {
    if (type !== 'DELETED') ev = { type, obj: change.obj };
    else ev = { type, obj: atRev(change.type === 'DELETED' ? change.obj : change.prev!, change.rev) };
    memo?.set(type, ev);
  }
  return ev;
}

function eventType(change: Change, f: WatchFilter): ChangeType | undefined {
  if (change.type === 'DELETED') return inScope(f, change.obj) ? 'DELETED' : undefined;
  const now = inScope(f, change.obj);
  if (change.type !== 'MODIFIED') return now ? 'ADDED' : undefined;
  const before = f.matchesAll ? now : inScope(f, change.prev);
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}
