import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, deadline } from './wait.js';

test('durations: units, combinations, bare seconds; junk is an error', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10'), 10_000);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('5 minutes'), /invalid duration/);
  assert.throws(() => parseDuration(''), /invalid duration/);
});

test('a deadline of 0 never fires; a short one rejects with Timeout', async () => {
  const never = deadline(0, 'x');
  const r = await Promise.race([never.promise.then(() => 'fired', () => 'fired'), new Promise((res) => setImmediate(() => res('pending')))]);
  assert.equal(r, 'pending');
  never.cancel();
  const soon = deadline(1, 'the thing');
  await assert.rejects(soon.promise, (e: Error & { code?: string }) => e.code === 'Timeout' && /the thing/.test(e.message));
});
