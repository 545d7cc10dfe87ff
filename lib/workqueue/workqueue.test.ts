import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './workqueue.js';
import { runWorkers } from './workers.js';
import { backoffDelay, jitteredBackoffDelay } from './backoff.js';

/** Resolves with the key get() returns, or 'pending' if it does not return synchronously-soon. */
async function tryGet<K>(q: WorkQueue<K>): Promise<K | undefined | 'pending'> {
  return Promise.race([q.get(), new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

test('adds of a queued key collapse into one', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
});

test('a key being processed is not handed out again until done, then exactly once more', async () => {
  const q = new WorkQueue();
  q.add('a');
  const first = await q.get();
  assert.equal(first, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'a key in process waits instead of being queued');
  // A second worker asking now must not get 'a'.
  const second = q.get();
  let got: string | undefined | 'none' = 'none';
  void second.then((k) => (got = k));
  await new Promise((r) => setImmediate(r));
  assert.equal(got, 'none');
  q.done('a');
  assert.equal(await second, 'a');
  q.done('a');
  assert.equal(await tryGet(q), 'pending', 'no third delivery: the two adds collapsed into one');
  q.shutDown();
});

test('a waiting get() receives a key added later', async () => {
  const q = new WorkQueue<number>();
  const p = q.get();
  q.add(7);
  assert.equal(await p, 7);
});

test('shutDown releases waiting and future get() calls with undefined and drops adds', async () => {
  const q = new WorkQueue();
  const p = q.get();
  q.add('x');
  assert.equal(await p, 'x');
  const waiting = q.get();
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add('y');
  assert.equal(await q.get(), undefined);
  assert.equal(q.len(), 0);
  assert.equal(q.isShuttingDown(), true);
});

test('addAfter delivers after the delay, and the earliest of two delays wins', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const q = new WorkQueue();
  q.addAfter('a', 1000);
  q.addAfter('a', 100);
  q.addAfter('a', 5000);
  assert.equal(q.len(), 0);
  mock.timers.tick(99);
  assert.equal(q.len(), 0);
  mock.timers.tick(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  mock.timers.tick(10_000);
  assert.equal(q.len(), 0, 'the later delays were replaced, not kept');
  q.shutDown();
});

test('addRateLimited backs off per key exponentially up to the cap; forget resets', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    q.addRateLimited('k');
    let waited = 0;
    while (q.len() === 0 && waited < 10_000) {
      mock.timers.tick(1);
      waited++;
    }
    delays.push(waited);
    // Drain so the next addRateLimited schedules a fresh delay.
    q.done((await q.get())!);
  }
  assert.deepEqual(delays, [10, 20, 40, 50, 50]);
  assert.equal(q.numRequeues('k'), 5);
  assert.equal(q.numRequeues('other'), 0, 'back-off is per key');
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.shutDown();
});

test('default back-off is 5 ms doubling to a 1000 s cap', () => {
  assert.equal(backoffDelay(0, 5, 1_000_000), 5);
  assert.equal(backoffDelay(3, 5, 1_000_000), 40);
  assert.equal(backoffDelay(40, 5, 1_000_000), 1_000_000);
  assert.equal(backoffDelay(5000, 5, 1_000_000), 1_000_000);
  const j = jitteredBackoffDelay(2, 100, 10_000, () => 0.5);
  assert.equal(j, 300);
});

test('runWorkers never runs two syncs of one key at once and retries failures', async () => {
  const q = new WorkQueue<string>({ baseDelayMs: 1, maxDelayMs: 2 });
  const running = new Set<string>();
  let overlap = false;
  const calls: string[] = [];
  let bFailed = false;
  let bSucceededAfterFailure = false;
  const sync = async (key: string): Promise<void> => {
    if (running.has(key)) overlap = true;
    running.add(key);
    calls.push(key);
    await new Promise((r) => setImmediate(r));
    // Re-adding itself while in process must not start a parallel sync.
    if (calls.length < 6) q.add(key);
    running.delete(key);
    if (key === 'b' && !bFailed) {
      bFailed = true;
      throw new Error('transient');
    }
    if (key === 'b') bSucceededAfterFailure = true;
  };
  q.add('a');
  q.add('b');
  const done = runWorkers(q, sync, { workers: 4 });
  while (calls.length < 6 || !bSucceededAfterFailure) await new Promise((r) => setTimeout(r, 1));
  q.shutDown();
  await done;
  assert.equal(overlap, false);
  assert.ok(calls.filter((k) => k === 'b').length >= 2, 'failed key was retried');
  assert.equal(q.numRequeues('b'), 0, 'a later success forgot the back-off');
});
