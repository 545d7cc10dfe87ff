import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPullPolicy, ensureAction, parsePullPolicy } from './pull-policy.js';
import { SingleFlight, mapLimit } from './singleflight.js';

test('defaultPullPolicy: Always for latest or untagged, IfNotPresent for other tags and digests', () => {
  assert.equal(defaultPullPolicy('busybox'), 'Always');
  assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
  assert.equal(defaultPullPolicy('127.0.0.1:5000/busybox'), 'Always');
  assert.equal(defaultPullPolicy('busybox:1.35'), 'IfNotPresent');
  assert.equal(defaultPullPolicy(`busybox@sha256:${'a'.repeat(64)}`), 'IfNotPresent');
  assert.equal(defaultPullPolicy('Not Valid'), 'IfNotPresent');
});

test('ensureAction follows the policy and what the store holds', () => {
  assert.equal(ensureAction('Never', true), 'use-local');
  assert.equal(ensureAction('Never', false), 'never-pull-missing');
  assert.equal(ensureAction('IfNotPresent', true), 'use-local');
  assert.equal(ensureAction('IfNotPresent', false), 'pull');
  assert.equal(ensureAction('Always', true), 'check-then-pull');
  assert.equal(ensureAction('Always', false), 'pull');
  assert.equal(parsePullPolicy('Always'), 'Always');
  assert.throws(() => parsePullPolicy('always'), /"always" is not one of Always, IfNotPresent, Never/);
});

test('SingleFlight shares one run between concurrent callers and forgets it after', async () => {
  const flight = new SingleFlight<number>();
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const work = async (): Promise<number> => {
    runs++;
    await gate;
    return runs;
  };
  const a = flight.do('k', work);
  const b = flight.do('k', work);
  const other = flight.do('other', work);
  release();
  assert.deepEqual(await Promise.all([a, b, other]), [2, 2, 2]);
  assert.equal(runs, 2);
  assert.equal(flight.size, 0);
  const failing = flight.do('k', async () => {
    throw new Error('boom');
  });
  await assert.rejects(failing, /boom/);
  assert.equal(await flight.do('k', async () => 7), 7, 'a failed run is not cached');
});

test('mapLimit keeps order and never runs more than the limit at once', async () => {
  let active = 0;
  let peak = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setImmediate(r));
    active--;
    return n * 10 + i;
  });
  assert.deepEqual(out, [50, 11, 42, 23, 34]);
  assert.equal(peak, 2);
});
