// NodeIpamController against an in-memory Node cache and a scripted client:
// what sync writes, how a Conflict is retried with the same block, and what
// events do to the bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import type { ControllerContext } from '../context.js';
import { NodeIpamController } from './controller.js';

class FakeNodes {
  readonly cache = new Map<string, Node>();
  private readonly adds: ((o: Node) => void)[] = [];
  private readonly updates: ((a: Node, b: Node) => void)[] = [];
  private readonly deletes: ((o: Node) => void)[] = [];
  get(key: string) {
    return this.cache.get(key);
  }
  list() {
    return [...this.cache.values()];
  }
  async whenSynced() {
    return true;
  }
  onAdd(f: (o: Node) => void) {
    this.adds.push(f);
  }
  onUpdate(f: (a: Node, b: Node) => void) {
    this.updates.push(f);
  }
  onDelete(f: (o: Node) => void) {
    this.deletes.push(f);
  }
  deliver(o: Node) {
    const old = this.cache.get(o.metadata!.name!);
    this.cache.set(o.metadata!.name!, o);
    if (old) this.updates.forEach((f) => f(old, o));
    else this.adds.forEach((f) => f(o));
  }
  remove(name: string) {
    const o = this.cache.get(name)!;
    this.cache.delete(name);
    this.deletes.forEach((f) => f(o));
  }
}

const node = (name: string, extra: { podCIDR?: string; uid?: string; rv?: string; deleting?: boolean } = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, uid: extra.uid ?? `uid-${name}`, resourceVersion: extra.rv ?? '1', ...(extra.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: extra.podCIDR ? { podCIDR: extra.podCIDR, podCIDRs: [extra.podCIDR] } : {},
});

function setup(script: (ApiError | undefined)[] = []) {
  const nodes = new FakeNodes();
  const updates: Node[] = [];
  const events: { reason: string; type: string; message: string }[] = [];
  const client = {
    async update(n: Node) {
      updates.push(n);
      const fail = script.shift();
      if (fail) throw fail;
      return n;
    },
  };
  const ctx = {
    client,
    informers: { informer: () => nodes },
    recorder: () => ({ event: async (_o: unknown, type: string, reason: string, message: string) => void events.push({ type, reason, message }) }),
    log: createLogger('nodeipam-test', 'silent'),
    stopSignal: new AbortController().signal,
  } as unknown as ControllerContext;
  const c = new NodeIpamController(ctx, { clusterCidr: '10.244.0.0/22', nodeCidrMaskSize: 24 });
  return { c, nodes, updates, events };
}

test('sync writes podCIDR and podCIDRs on the cached object (its resourceVersion: a compare-and-swap)', async () => {
  const { c, nodes, updates } = setup();
  nodes.deliver(node('a', { rv: '42' }));
  await c.sync('a');
  assert.equal(updates.length, 1);
  assert.equal(updates[0]!.metadata?.resourceVersion, '42');
  assert.deepEqual(updates[0]!.spec, { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] });
});

test('a Conflict is thrown for the queue to retry, and the retry writes the same block', async () => {
  const { c, nodes, updates } = setup([new ApiError('Conflict', 'stale')]);
  nodes.deliver(node('a'));
  nodes.deliver(node('b'));
  await assert.rejects(c.sync('a'), (e: unknown) => e instanceof ApiError && e.code === 'Conflict');
  // The newer object arrives (someone else wrote the status), still without a CIDR.
  nodes.deliver(node('a', { rv: '2' }));
  await c.sync('b');
  await c.sync('a');
  assert.deepEqual(updates.map((u) => `${u.metadata?.name}@${u.metadata?.resourceVersion} ${u.spec?.podCIDR}`), [
    'a@1 10.244.0.0/24',
    'b@1 10.244.1.0/24',
    'a@2 10.244.0.0/24',
  ]);
});

test('a node that already has a CIDR, or is being deleted, is not written; a vanished one frees its block', async () => {
  const { c, nodes, updates } = setup([new ApiError('NotFound', 'gone')]);
  nodes.deliver(node('has', { podCIDR: '10.244.3.0/24' }));
  nodes.deliver(node('going', { deleting: true }));
  await c.sync('has');
  await c.sync('going');
  await c.sync('unknown');
  assert.equal(updates.length, 0);
  nodes.deliver(node('vanished'));
  await c.sync('vanished');
  assert.equal(updates.length, 1);
  assert.equal(c.allocator.holding('vanished'), undefined, 'NotFound releases the block');
  assert.equal(c.allocator.holding('has'), '10.244.3.0/24');
});

test('a full range: a Warning event and no write; deleting a node queues the waiting ones', async () => {
  const { c, nodes, updates, events } = setup();
  for (const n of ['a', 'b', 'c', 'd']) {
    nodes.deliver(node(n));
    await c.sync(n);
    nodes.deliver({ ...updates.at(-1)!, metadata: { ...updates.at(-1)!.metadata, resourceVersion: '2' } });
  }
  nodes.deliver(node('e'));
  while (c.queue.len() > 0) c.queue.done((await c.queue.get())!);
  await c.sync('e');
  assert.equal(updates.length, 4);
  assert.deepEqual(events.map((e) => `${e.type} ${e.reason}`), ['Warning CIDRNotAvailable']);
  assert.match(events[0]!.message, /^Node e has no pod CIDR: no pod CIDR left: all 4 \/24 blocks/);

  nodes.remove('b');
  assert.equal(c.queue.len(), 1, 'e is queued again');
  assert.equal(await c.queue.get(), 'e');
  await c.sync('e');
  assert.equal(updates.at(-1)!.spec?.podCIDR, '10.244.1.0/24', 'b\'s block');
  c.queue.shutDown();
});

test('a node deleted and created again under its name (seen as one update) does not keep the old block', async () => {
  const { c, nodes } = setup();
  nodes.deliver(node('a', { podCIDR: '10.244.2.0/24', uid: 'one' }));
  nodes.deliver(node('a', { uid: 'two' }));
  assert.equal(c.allocator.holding('a'), undefined);
  assert.equal(c.allocator.used, 0);
});
