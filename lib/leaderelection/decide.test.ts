import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, leaseSeconds, observe, recordOf, releasedRecord, type ElectorView, type LeaderRecord, type Observation } from './decide.js';

const ME = 'host-a_100_aaaa';
const OTHER = 'host-b_200_bbbb';
const T0 = '2024-01-02T03:04:05.000000Z';
const NOW = '2024-01-02T03:05:00.000000Z';

const held = (holder: string, over: Partial<LeaderRecord> = {}): LeaderRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: T0,
  renewTime: T0,
  leaseTransitions: 3,
  ...over,
});
const seen = (record: LeaderRecord, changedAtMs: number): Observation => ({ exists: true, record, changedAtMs });
const view = (observed: Observation, over: Partial<ElectorView> = {}): ElectorView => ({
  identity: ME,
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  observed,
  ...over,
});

test('no lease: create it, holding it from now with no transitions', () => {
  const d = decide(view({ exists: false }), 1_000, NOW);
  assert.deepEqual(d, {
    action: 'acquire',
    create: true,
    record: { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: NOW, renewTime: NOW, leaseTransitions: 0 },
  });
});

test('held by another and fresh: wait until its lease duration has passed since the last change seen here', () => {
  const d = decide(view(seen(held(OTHER), 1_000)), 6_000, NOW);
  assert.deepEqual(d, { action: 'wait', holder: OTHER, expiresInMs: 10_000 });
  // Just before expiry still waits.
  assert.equal(decide(view(seen(held(OTHER), 1_000)), 15_999, NOW).action, 'wait');
});

test('expired lease: taken over with one more transition and a new acquire time', () => {
  const d = decide(view(seen(held(OTHER), 1_000)), 16_000, NOW);
  assert.deepEqual(d, {
    action: 'acquire',
    create: false,
    record: { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: NOW, renewTime: NOW, leaseTransitions: 4 },
  });
});

test('expiry follows the duration the holder wrote, not this candidate\'s own', () => {
  const short = seen(held(OTHER, { leaseDurationSeconds: 3 }), 1_000);
  assert.equal(decide(view(short), 3_999, NOW).action, 'wait');
  assert.equal(decide(view(short), 4_000, NOW).action, 'acquire');
  // A record without a duration falls back to this candidate's own.
  const none = seen(held(OTHER, { leaseDurationSeconds: 0 }), 1_000);
  assert.equal(decide(view(none), 15_999, NOW).action, 'wait');
  assert.equal(decide(view(none), 16_000, NOW).action, 'acquire');
});

test('the holder\'s renewTime is never compared with the local clock', () => {
  // A renewTime far in the past (a skewed clock elsewhere) does not make a freshly changed lease expired...
  const old = seen(held(OTHER, { renewTime: '1999-01-01T00:00:00.000000Z' }), 50_000);
  assert.equal(decide(view(old), 51_000, NOW).action, 'wait');
  // ...and one far in the future does not keep an unchanged lease alive.
  const future = seen(held(OTHER, { renewTime: '2999-01-01T00:00:00.000000Z' }), 50_000);
  assert.equal(decide(view(future), 65_000, NOW).action, 'acquire');
});

test('released lease (no holder): acquired at once, counted as a transition', () => {
  const released = seen(held('', { leaseDurationSeconds: 1, leaseTransitions: 5 }), 9_000);
  const d = decide(view(released), 9_000, NOW);
  assert.equal(d.action, 'acquire');
  assert.equal(d.action === 'acquire' && d.record.leaseTransitions, 6);
  assert.equal(d.action === 'acquire' && d.create, false);
});

test('leader renews: keeps its acquire time and transitions, writes a new renew time', () => {
  const mine = seen(held(ME), 20_000);
  const d = decide(view(mine, { lastRenewMs: 20_000 }), 22_000, NOW);
  assert.deepEqual(d, {
    action: 'renew',
    record: { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: T0, renewTime: NOW, leaseTransitions: 3 },
  });
});

test('leader past its renew deadline has lost, whatever the record says', () => {
  const mine = seen(held(ME), 20_000);
  assert.equal(decide(view(mine, { lastRenewMs: 20_000 }), 29_999, NOW).action, 'renew');
  const d = decide(view(mine, { lastRenewMs: 20_000 }), 30_000, NOW);
  assert.equal(d.action, 'lost');
  assert.match(d.action === 'lost' ? d.reason : '', /renew deadline/);
});

test('leader that sees another holder, a released or a deleted lease has lost', () => {
  const taken = decide(view(seen(held(OTHER), 20_000), { lastRenewMs: 19_000 }), 21_000, NOW);
  assert.deepEqual(taken, { action: 'lost', reason: `the lease is now held by ${OTHER}` });
  const released = decide(view(seen(held(''), 20_000), { lastRenewMs: 19_000 }), 21_000, NOW);
  assert.equal(released.action, 'lost');
  const deleted = decide(view({ exists: false }, { lastRenewMs: 19_000 }), 21_000, NOW);
  assert.deepEqual(deleted, { action: 'lost', reason: 'the lease was deleted' });
});

test('a record naming this identity, not yet leading here: taken up at once, same term', () => {
  const d = decide(view(seen(held(ME), 1_000)), 1_500, NOW);
  assert.deepEqual(d, {
    action: 'acquire',
    create: false,
    record: { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: T0, renewTime: NOW, leaseTransitions: 3 },
  });
});

test('transitions count changes of holder across a sequence of decisions', () => {
  let obs: Observation = { exists: false };
  let d = decide(view(obs), 0, T0);
  assert.equal(d.action === 'acquire' && d.record.leaseTransitions, 0);
  // B takes over A's expired lease, then releases it, then A takes it again.
  obs = observe(obs, d.action === 'acquire' ? d.record : undefined, 0);
  d = decide(view(obs, { identity: OTHER }), 15_000, NOW);
  assert.ok(d.action === 'acquire');
  assert.equal(d.record.leaseTransitions, 1);
  const rel = releasedRecord(d.record, OTHER, NOW)!;
  obs = observe(obs, rel, 16_000);
  d = decide(view(obs), 16_000, NOW);
  assert.equal(d.action === 'acquire' && d.record.leaseTransitions, 2);
});

test('observe: the change time moves only when the content changes', () => {
  const a = held(OTHER);
  const first = observe(undefined, a, 100);
  assert.deepEqual(first, { exists: true, record: a, changedAtMs: 100 });
  assert.equal(observe(first, { ...a }, 900), first, 'same content read again keeps ageing');
  const renewed = observe(first, { ...a, renewTime: NOW }, 1_000);
  assert.equal(renewed.exists && renewed.changedAtMs, 1_000);
  assert.deepEqual(observe(renewed, undefined, 2_000), { exists: false });
  // A lease deleted and re-created with the same content is a change.
  assert.equal((observe({ exists: false }, a, 3_000) as { changedAtMs: number }).changedAtMs, 3_000);
});

test('release: only the holder releases; no holder, shortest duration, transitions kept', () => {
  assert.deepEqual(releasedRecord(held(ME), ME, NOW), {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: NOW,
    renewTime: NOW,
    leaseTransitions: 3,
  });
  assert.equal(releasedRecord(held(OTHER), ME, NOW), undefined);
  assert.equal(releasedRecord(held(''), ME, NOW), undefined);
});

test('recordOf fills what the API leaves out; lease seconds round up', () => {
  assert.deepEqual(recordOf(undefined), { holderIdentity: '', leaseDurationSeconds: 0, acquireTime: '', renewTime: '', leaseTransitions: 0 });
  assert.deepEqual(recordOf({ holderIdentity: ME, leaseDurationSeconds: 4 }).holderIdentity, ME);
  assert.equal(leaseSeconds(15_000), 15);
  assert.equal(leaseSeconds(1_500), 2);
  assert.equal(leaseSeconds(200), 1);
});
