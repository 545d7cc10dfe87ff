import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultStartConcurrency, StartGate } from './start-gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('at most `limit` steps run at once; container steps go before waiting sandbox steps, each kind in order', async () => {
  const gate = new StartGate(2);
  const order: string[] = [];
  const blockers = new Map<string, ReturnType<typeof deferred>>();
  const step = (kind: 'sandbox' | 'container', name: string) => {
    const d = deferred();
    blockers.set(name, d);
    return gate.run(kind, async () => {
      order.push(name);
      await d.promise;
      return name;
    });
  };
  const runs = [step('sandbox', 's1'), step('sandbox', 's2'), step('sandbox', 's3'), step('container', 'c1'), step('sandbox', 's4'), step('container', 'c2')];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['s1', 's2']);
  assert.deepEqual(gate.load, { active: 2, waiting: 4 });
  blockers.get('s1')!.resolve();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['s1', 's2', 'c1']);
  blockers.get('s2')!.resolve();
  blockers.get('c1')!.resolve();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['s1', 's2', 'c1', 'c2', 's3']);
  for (const d of blockers.values()) d.resolve();
  assert.deepEqual(await Promise.all(runs), ['s1', 's2', 's3', 'c1', 's4', 'c2']);
  assert.deepEqual(order, ['s1', 's2', 'c1', 'c2', 's3', 's4']);
  assert.deepEqual(gate.load, { active: 0, waiting: 0 });
});

test('a failing step frees its slot and passes its error on', async () => {
  const gate = new StartGate(1);
  await assert.rejects(gate.run('sandbox', async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await gate.run('container', async () => 7), 7);
  assert.deepEqual(gate.load, { active: 0, waiting: 0 });
  assert.throws(() => new StartGate(0), RangeError);
});

test('four slots per core, at least four', () => {
  assert.equal(defaultStartConcurrency(2), 8);
  assert.equal(defaultStartConcurrency(0.5), 4);
  assert.equal(defaultStartConcurrency(1.5), 8);
});
