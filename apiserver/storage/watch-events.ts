// What one watcher sees of a change: a pure function of the change, the
// watcher's filter, and whether the object entered or left the filter.
import type { AnyObject } from '../../lib/api/kinds.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A change as etcd reported it, shared by all watchers. Its objects may be
 * decoded only when first read: a watcher with no selector needs neither.
 */
export interface Change {
  readonly type: ChangeType;
  /** the object after the change; for DELETED, the last state */
  readonly obj: AnyObject;
  /** the object before the change, when there was one */
  readonly prev?: AnyObject;
  readonly rev: number;
  /** the object's namespace, when known without decoding it (from its key) */
  readonly namespace?: string;
  /** the stored bytes of obj and of prev, when known */
  readonly objBytes?: Uint8Array;
  readonly prevBytes?: Uint8Array;
}

export interface WatchFilter {
  namespace?: string;
  matches(obj: AnyObject): boolean;
  /**
   * matches() accepts every object (no label or field selector). An object
   * never changes namespace, so such a watcher needs no look at the objects
   * beyond their namespace, and they need not be decoded for it.
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
  readonly type: ChangeType;
  /** the object, at the event's revision */
  readonly obj: AnyObject;
  /** the bytes obj is stored as (all of it but its resourceVersion, which is the event's revision), when known */
  readonly stored?: Uint8Array;
}

function inScope(f: WatchFilter, change: Change, before: boolean): boolean {
  // an object keeps its namespace, so before and after are alike here
  if (f.matchesAll) return !f.namespace || (change.namespace ?? change.obj.metadata?.namespace) === f.namespace;
  const obj = before ? change.prev : change.obj;
  if (!obj) return false;
  if (f.namespace && obj.metadata?.namespace !== f.namespace) return false;
  return f.matches(obj);
}

function atRev(obj: AnyObject, rev: number): AnyObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

/** An event whose object is taken from the change (decoding it) only when read. */
class ChangeEvent implements DeliveredEvent {
  private decoded?: AnyObject;
  constructor(
    readonly type: ChangeType,
    private readonly change: Change,
    /** the object is the state before the change (it left the filter) */
    private readonly before: boolean,
  ) {}
  get stored(): Uint8Array | undefined {
    return this.before ? this.change.prevBytes : this.change.objBytes;
  }
  get obj(): AnyObject {
    if (!this.decoded) {
      const c = this.change;
      this.decoded = this.type !== 'DELETED' ? c.obj : atRev(this.before ? c.prev! : c.obj, c.rev);
    }
    return this.decoded;
  }
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
    ev = new ChangeEvent(type, change, type === 'DELETED' && change.type !== 'DELETED');
    memo?.set(type, ev);
  }
  return ev;
}

function eventType(change: Change, f: WatchFilter): ChangeType | undefined {
  if (change.type === 'DELETED') return inScope(f, change, false) ? 'DELETED' : undefined;
  const now = inScope(f, change, false);
  if (change.type !== 'MODIFIED') return now ? 'ADDED' : undefined;
  const before = f.matchesAll ? now : inScope(f, change, true);
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}
