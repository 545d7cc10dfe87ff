// ReplicaSetController.sync against an in-memory cache and client: the cache
// only changes when the test delivers an event, so a lagging informer is
// simulated exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ReplicaSet } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import type { ControllerContext } from '../context.js';
import { ReplicaSetController } from './controller.js';

type Obj = Pod | ReplicaSet;
const keyOf = (o: Obj) => `${o.metadata?.namespace}/${o.metadata?.name}`;

class FakeInformer<O extends Obj> {
  readonly cache = new Map<string, O>();
  private readonly indexers = new Map<string, (o: O) => string[]>();
  private readonly adds: ((o: O) => void)[] = [];
  private readonly updates: ((a: O, b: O) => void)[] = [];
  private readonly deletes: ((o: O) => void)[] = [];
  addIndexer(name: string, fn: (o: O) => string[]) {
    this.indexers.set(name, fn);
  }
  byIndex(name: string, value: string): O[] {
    const fn = this.indexers.get(name)!;
    return [...this.cache.values()].filter((o) => fn(o).includes(value));
  }
  byNamespace(ns: string): O[] {
    return [...this.cache.values()].filter((o) => o.metadata?.namespace === ns);
  }
  get(key: string) {
    return this.cache.get(key);
  }
  list() {
    return [...this.cache.values()];
  }
  hasSynced() {
    return true;
  }
  onAdd(f: (o: O) => void) {
    this.adds.push(f);
  }
  onUpdate(f: (a: O, b: O) => void) {
    this.updates.push(f);
  }
  onDelete(f: (o: O) => void) {
    this.deletes.push(f);
  }
  /** The watch delivering an object. */
  deliver(o: O) {
    const old = this.cache.get(keyOf(o));
    this.cache.set(keyOf(o), o);
    if (old) this.updates.forEach((f) => f(old, o));
    else this.adds.forEach((f) => f(o));
  }
  deliverDelete(o: O) {
    this.cache.delete(keyOf(o));
    this.deletes.forEach((f) => f(o));
  }
}

class FakeClient {
  readonly created: Pod[] = [];
  readonly deleted: string[] = [];
  readonly updated: Obj[] = [];
  readonly statuses: ReplicaSet[] = [];
  failCreatesAfter = Infinity;
  private rv = 100;
  constructor(private readonly rsInformer: FakeInformer<ReplicaSet>) {}
  async create(o: Pod) {
    if (this.created.length >= this.failCreatesAfter) throw new ApiError('Forbidden', 'exceeded quota');
    const p = { ...o, metadata: { ...o.metadata, uid: `uid-${o.metadata!.name}`, resourceVersion: String(++this.rv) } };
    this.created.push(p);
    return p;
  }
  async delete(_kind: string, ns: string, name: string) {
    this.deleted.push(`${ns}/${name}`);
    return { object: {}, deleted: true };
  }
  async update(o: Obj) {
    this.updated.push(o);
    return { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } };
  }
  async updateStatus(o: ReplicaSet) {
    this.statuses.push(o);
    return o;
  }
  async get(_kind: string, ns: string, name: string) {
    const o = this.rsInformer.get(`${ns}/${name}`);
    if (!o) throw new ApiError('NotFound', 'not found');
    return o;
  }
}

function setup() {
  const rsInformer = new FakeInformer<ReplicaSet>();
  const podInformer = new FakeInformer<Pod>();
  const client = new FakeClient(rsInformer);
  const events: string[] = [];
  const ctx = {
    client,
    informers: { informer: (kind: string) => (kind === 'Pod' ? podInformer : rsInformer) },
    recorder: () => ({ event: (_o: unknown, _t: string, reason: string, msg: string) => events.push(`${reason}: ${msg}`) }),
    log: createLogger('test', 'silent'),
    stopSignal: new AbortController().signal,
  } as unknown as ControllerContext;
  const controller = new ReplicaSetController(ctx);
  return { controller, rsInformer, podInformer, client, events };
}

function replicaSet(replicas: number): ReplicaSet {
  return {
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid', generation: 1, resourceVersion: '1' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  };
}

function ownedPod(name: string, ready = true, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '5',
      labels: { app: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }],
      ...extra,
    },
    spec: { nodeName: 'n1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

test('creates the missing pods once, and not again while the cache has not caught up', async () => {
  const { controller, rsInformer, podInformer, client } = setup();
  rsInformer.deliver(replicaSet(3));
  await controller.sync('ns/web');
  assert.equal(client.created.length, 3);
  for (const p of client.created) {
    assert.match(p.metadata!.name!, /^web-[a-z0-9]{5}$/);
    assert.equal(p.metadata!.ownerReferences![0]!.uid, 'rs-uid');
  }
  assert.deepEqual(controller.expectations.pending('ns/web'), { creates: 3, deletes: 0 });

  // The cache still shows no pods: a naive controller would create 3 more.
  await controller.sync('ns/web');
  podInformer.deliver(client.created[0]!);
  await controller.sync('ns/web');
  assert.equal(client.created.length, 3);

  podInformer.deliver(client.created[1]!);
  podInformer.deliver(client.created[2]!);
  assert.ok(controller.expectations.satisfied('ns/web'));
  await controller.sync('ns/web');
  assert.equal(client.created.length, 3);
});

test('deletes the surplus, not-ready pods first, and not again before the deletions are seen', async () => {
  const { controller, rsInformer, podInformer, client } = setup();
  rsInformer.deliver(replicaSet(2));
  const pods = [ownedPod('a'), ownedPod('b', false), ownedPod('c'), ownedPod('d', false)];
  pods.forEach((p) => podInformer.deliver(p));
  await controller.sync('ns/web');
  assert.deepEqual(client.deleted.sort(), ['ns/b', 'ns/d']);
  await controller.sync('ns/web');
  assert.equal(client.deleted.length, 2);
  // The update that marks a pod terminating and the final delete count once.
  podInformer.deliver({ ...pods[1]!, metadata: { ...pods[1]!.metadata, resourceVersion: '6', deletionTimestamp: '2024-01-01T00:00:00Z' } });
  podInformer.deliverDelete(pods[1]!);
  assert.ok(!controller.expectations.satisfied('ns/web'));
  podInformer.deliverDelete(pods[3]!);
  assert.ok(controller.expectations.satisfied('ns/web'));
  await controller.sync('ns/web');
  assert.equal(client.deleted.length, 2);
});

test('adopts matching orphans and releases pods that no longer match', async () => {
  const { controller, rsInformer, podInformer, client } = setup();
  rsInformer.deliver(replicaSet(2));
  const orphan: Pod = { ...ownedPod('orphan'), metadata: { ...ownedPod('orphan').metadata, ownerReferences: undefined } };
  const relabelled: Pod = { ...ownedPod('moved'), metadata: { ...ownedPod('moved').metadata, labels: { app: 'other' } } };
  podInformer.deliver(orphan);
  podInformer.deliver(relabelled);
  podInformer.deliver(ownedPod('mine'));
  await controller.sync('ns/web');
  const byName = Object.fromEntries(client.updated.map((o) => [o.metadata!.name, o]));
  assert.equal(byName.orphan?.metadata?.ownerReferences?.[0]?.uid, 'rs-uid');
  assert.deepEqual(byName.moved?.metadata?.ownerReferences, []);
  assert.equal(client.created.length, 0, 'the adopted orphan fills the second place');
  assert.equal(client.statuses.at(-1)?.status?.replicas, 2);
});

test('stops creating at the first failed batch, reports ReplicaFailure and forgets the skipped creations', async () => {
  const { controller, rsInformer, podInformer, client, events } = setup();
  rsInformer.deliver(replicaSet(10));
  client.failCreatesAfter = 2;
  await assert.rejects(controller.sync('ns/web'), /exceeded quota/);
  // batches 1, 2, 4: the third batch fails entirely, the fourth is never sent
  assert.equal(client.created.length, 2);
  // Only the two pods that exist are still awaited from the informer.
  assert.deepEqual(controller.expectations.pending('ns/web'), { creates: 2, deletes: 0 });
  const st = client.statuses.at(-1)!.status!;
  assert.equal(st.conditions?.[0]?.type, 'ReplicaFailure');
  assert.equal(st.conditions?.[0]?.reason, 'FailedCreate');
  assert.ok(events.some((e) => e.startsWith('FailedCreate: Error creating: exceeded quota')));
  client.created.forEach((p) => podInformer.deliver(p));
  assert.ok(controller.expectations.satisfied('ns/web'));
});

test('status is written only when it changes', async () => {
  const { controller, rsInformer, podInformer, client } = setup();
  rsInformer.deliver(replicaSet(1));
  podInformer.deliver(ownedPod('a'));
  await controller.sync('ns/web');
  assert.equal(client.statuses.length, 1);
  const written = client.statuses[0]!;
  assert.deepEqual(
    { ...written.status },
    { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 },
  );
  rsInformer.deliver({ ...written, metadata: { ...written.metadata, resourceVersion: '2' } });
  await controller.sync('ns/web');
  assert.equal(client.statuses.length, 1);
});
