// What a candidate should do with a Lease, decided without I/O. A Lease is
// expired when this process has seen no change to it for its lease duration,
// measured on this process's own monotonic clock from the moment it first
// saw the current content. The renewTime written by the holder is never
// compared with this machine's clock, so clock skew between processes does
// not matter; only the rate at which clocks run does, and the gap between
// the renew deadline and the lease duration absorbs that.
import type { LeaseSpec } from '../api/generated/types.js';

/** A Lease's spec with every field filled in. */
export interface LeaderRecord {
  /** '' when nobody holds the lease (never acquired, or released). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** The lease as this process last saw it. */
export type Observation =
  | { exists: false }
  | {
      exists: true;
      record: LeaderRecord;
      /** Local monotonic ms when this process first saw this content of the record. */
      changedAtMs: number;
    };

export interface ElectorView {
  identity: string;
  /** How long others must wait for this process's lease; written into the record. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops leading. */
  renewDeadlineMs: number;
  observed: Observation;
  /** Set while this process leads: local monotonic ms when its last successful write was sent. */
  lastRenewMs?: number;
}

export type Decision =
  /** Take the lease: create it when it does not exist, else update it (compare-and-swap). */
  | { action: 'acquire'; record: LeaderRecord; create: boolean }
  /** Still the leader: write a fresh renewTime. */
  | { action: 'renew'; record: LeaderRecord }
  /** Someone else holds a live lease. */
  | { action: 'wait'; holder: string; expiresInMs: number }
  /** This process must stop leading now. */
  | { action: 'lost'; reason: string };

export function recordOf(spec: LeaseSpec | undefined): LeaderRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: spec?.acquireTime ?? '',
    renewTime: spec?.renewTime ?? '',
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

function sameRecord(a: LeaderRecord, b: LeaderRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/**
 * Folds a fresh read (undefined: no Lease) into what was seen before. The
 * change time moves only when the content changed: an unchanged record keeps
 * ageing however often it is read.
 */
export function observe(prev: Observation | undefined, record: LeaderRecord | undefined, nowMs: number): Observation {
  if (!record) return { exists: false };
  if (prev?.exists && sameRecord(prev.record, record)) return prev;
  return { exists: true, record, changedAtMs: nowMs };
}

/** Whole seconds, rounded up, so others never wait less than this process was told to hold for. */
export function leaseSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * acquire / renew / wait / lost, from what was last observed, the local
 * monotonic time `nowMs` and `wallTime` (RFC 3339, only ever written into the
 * record, never compared).
 */
export function decide(view: ElectorView, nowMs: number, wallTime: string): Decision {
  const { identity, observed } = view;
  const fresh = (r: Partial<LeaderRecord>): LeaderRecord => ({
    holderIdentity: identity,
    leaseDurationSeconds: leaseSeconds(view.leaseDurationMs),
    acquireTime: wallTime,
    renewTime: wallTime,
    leaseTransitions: 0,
    ...r,
  });

  if (view.lastRenewMs !== undefined) {
    if (nowMs - view.lastRenewMs >= view.renewDeadlineMs) {
      return { action: 'lost', reason: `the lease was not renewed within the renew deadline (${view.renewDeadlineMs} ms)` };
    }
    // A deleted lease may already have been re-created by another candidate that
    // now leads; stepping down is the safe answer.
    if (!observed.exists) return { action: 'lost', reason: 'the lease was deleted' };
    const r = observed.record;
    if (r.holderIdentity !== identity) {
      return { action: 'lost', reason: r.holderIdentity ? `the lease is now held by ${r.holderIdentity}` : 'the lease was released by someone else' };
    }
    return { action: 'renew', record: fresh({ acquireTime: r.acquireTime || wallTime, leaseTransitions: r.leaseTransitions }) };
  }

  if (!observed.exists) return { action: 'acquire', create: true, record: fresh({}) };
  const r = observed.record;
  // Our own identity in the record: this identity led before; it carries on its term.
  if (r.holderIdentity === identity) {
    return { action: 'acquire', create: false, record: fresh({ acquireTime: r.acquireTime || wallTime, leaseTransitions: r.leaseTransitions }) };
  }
  if (r.holderIdentity !== '') {
    const durationMs = r.leaseDurationSeconds > 0 ? r.leaseDurationSeconds * 1000 : view.leaseDurationMs;
    const expiresInMs = observed.changedAtMs + durationMs - nowMs;
    if (expiresInMs > 0) return { action: 'wait', holder: r.holderIdentity, expiresInMs };
  }
  return { action: 'acquire', create: false, record: fresh({ leaseTransitions: r.leaseTransitions + 1 }) };
}

/**
 * The record that gives up this identity's lease so another candidate can
 * take it at once (no holder, and the shortest duration the API accepts);
 * undefined when the lease is not ours to release.
 */
export function releasedRecord(current: LeaderRecord, identity: string, wallTime: string): LeaderRecord | undefined {
  if (current.holderIdentity !== identity) return undefined;
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: wallTime, renewTime: wallTime, leaseTransitions: current.leaseTransitions };
}
