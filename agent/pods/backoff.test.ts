import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Backoff } from './backoff.js';

it('lets the first failure retry at once, then doubles the wait up to the cap', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 10_000, maxMs: 300_000, now: () => now });
  assert.equal(b.remaining('c', 0), 0, 'no entry: go');
  b.next('c', 0);
  const delays: number[] = [];
  let exit = 0;
  for (let i = 0; i < 8; i++) {
    exit += 1000; // the container ran for a second and crashed again
    now = exit;
    delays.push(b.remaining('c', exit));
    now = exit + b.remaining('c', exit);
    b.next('c', exit);
  }
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
});

it('counts the wait from the exit time and forgets keys quiet for twice the cap', () => {
  let now = 100_000;
  const b = new Backoff({ initialMs: 10_000, maxMs: 60_000, now: () => now });
  b.next('c', 100_000);
  now = 104_000;
  assert.equal(b.remaining('c', 100_000), 6000);
  assert.equal(b.remaining('c', 100_000 + 200_000), 0, 'an exit long after the last one starts over');
  b.next('c', 100_000 + 200_000);
  assert.equal(b.delay('c'), 10_000);
  now = 1_000_000;
  b.gc();
  assert.equal(b.delay('c'), 0);
});

it('measures from the last failure for image pulls and forgets a pod by prefix', () => {
  let now = 0;
  const b = new Backoff({ initialMs: 1000, now: () => now });
  b.next('uid1/app/image');
  b.next('uid2/app/image');
  now = 400;
  assert.equal(b.remainingSinceLast('uid1/app/image'), 600);
  b.forgetPrefix('uid1/');
  assert.equal(b.remainingSinceLast('uid1/app/image'), 0);
  assert.equal(b.remainingSinceLast('uid2/app/image'), 600);
});
