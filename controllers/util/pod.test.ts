import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../lib/api/generated/types.js';
import { isPodActive, isPodReady, isPodAvailable, msUntilAvailable } from './pod.js';
import { scaledValue } from './int-or-percent.js';

const readyAt = (iso: string, status = 'True'): Pod => ({
  status: { phase: 'Running', conditions: [{ type: 'Ready', status, lastTransitionTime: iso }] },
});

test('active excludes finished and terminating pods', () => {
  assert.ok(isPodActive({ status: { phase: 'Running' } }));
  assert.ok(isPodActive({}));
  assert.ok(!isPodActive({ status: { phase: 'Succeeded' } }));
  assert.ok(!isPodActive({ status: { phase: 'Failed' } }));
  assert.ok(!isPodActive({ metadata: { deletionTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Running' } }));
});

test('available means ready for at least minReadySeconds', () => {
  const t0 = Date.parse('2024-01-01T00:00:00Z');
  const p = readyAt('2024-01-01T00:00:00Z');
  assert.ok(isPodReady(p));
  assert.ok(isPodAvailable(p, 0, t0));
  assert.ok(!isPodAvailable(p, 10, t0 + 9_999));
  assert.ok(isPodAvailable(p, 10, t0 + 10_000));
  assert.equal(msUntilAvailable(p, 10, t0 + 4_000), 6_000);
  const notReady = readyAt('2024-01-01T00:00:00Z', 'False');
  assert.ok(!isPodReady(notReady));
  assert.ok(!isPodAvailable(notReady, 0, t0));
  assert.equal(msUntilAvailable(notReady, 10, t0), undefined);
});

test('int-or-percent: counts, percentages rounded as asked, defaults, garbage rejected', () => {
  assert.equal(scaledValue(3, 10, true), 3);
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.equal(scaledValue('100%', 7, false), 7);
  assert.equal(scaledValue(undefined, 4, true, '25%'), 1);
  assert.equal(scaledValue('', 4, false, 2), 2);
  assert.equal(scaledValue('5', 4, false), 5);
  assert.throws(() => scaledValue('lots', 4, false), /integer or a percentage/);
});
