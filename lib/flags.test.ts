import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBooleanFlag, parseDuration } from './flags.js';

test('durations in Go/Kubernetes form', () => {
  assert.equal(parseDuration('40s'), 40_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('3'), 3000);
  for (const bad of ['', '5x', 's', '5 m', '-1s', '1m30']) assert.throws(() => parseDuration(bad), /not a duration/, bad);
});

test('boolean flags: alone, =true, =false', () => {
  assert.equal(parseBooleanFlag('--allocate-node-cidrs', true), true);
  assert.equal(parseBooleanFlag('--allocate-node-cidrs', 'true'), true);
  assert.equal(parseBooleanFlag('--allocate-node-cidrs', 'False'), false);
  assert.equal(parseBooleanFlag('--allocate-node-cidrs', '0'), false);
  assert.throws(() => parseBooleanFlag('--allocate-node-cidrs', 'nope'), /--allocate-node-cidrs takes true or false, got "nope"/);
});
