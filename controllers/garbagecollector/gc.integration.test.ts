// The garbage collector against a real etcd and apiserver: background
// cascade, orphaning, foreground deletion, dangling references.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, OwnerReference, Pod } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { isNotFound } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { startControllerManager, type RunningControllerManager } from '../manager.js';

let etcd: EtcdServer | undefined;
let api: RunningApiServer | undefined;
let client: ApiClient;
let manager: RunningControllerManager | undefined;

before(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(api.address);
  manager = startControllerManager({ client, controllers: ['garbagecollector'], log: createLogger('controller-manager', 'warn') });
  assert.equal(await manager.synced, true);
});

after(async () => {
  await manager?.stop();
  client?.close();
  await api?.stop();
  await etcd?.stop();
});

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function gone(kind: 'ConfigMap' | 'Pod', name: string): Promise<true> {
  return eventually(`${kind} ${name} deleted`, async () => {
    try {
      await client.get(kind, 'default', name);
      return undefined;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  });
}

const refTo = (o: ConfigMap): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata!.name!, uid: o.metadata!.uid! });
const cm = (name: string, owners: ConfigMap[] = [], finalizers: string[] = []): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', ownerReferences: owners.map(refTo), finalizers },
  data: { k: name },
});

test('deleting an owner deletes its dependents, transitively (background)', async () => {
  const root = await client.create(cm('bg-root'));
  const mid = await client.create(cm('bg-mid', [root]));
  await client.create(cm('bg-leaf', [mid]));
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bg-pod', namespace: 'default', ownerReferences: [refTo(root)] },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
  await client.create(pod);
  await client.delete('ConfigMap', 'default', 'bg-root');
  await gone('ConfigMap', 'bg-mid');
  await gone('ConfigMap', 'bg-leaf');
  await gone('Pod', 'bg-pod');
});

test('--cascade=orphan keeps the dependents and removes their reference to the owner', async () => {
  const owner = await client.create(cm('or-owner'));
  const other = await client.create(cm('or-other'));
  await client.create(cm('or-dep1', [owner]));
  await client.create(cm('or-dep2', [owner, other]));
  const { deleted } = await client.delete('ConfigMap', 'default', 'or-owner', { propagationPolicy: 'Orphan' });
  assert.equal(deleted, false, 'the apiserver holds the owner with the orphan finalizer');
  await gone('ConfigMap', 'or-owner');
  const d1 = await client.get('ConfigMap', 'default', 'or-dep1');
  const d2 = await client.get('ConfigMap', 'default', 'or-dep2');
  assert.deepEqual(d1.metadata?.ownerReferences ?? [], []);
  assert.deepEqual(d2.metadata?.ownerReferences?.map((r) => r.uid), [other.metadata?.uid]);
});

test('foreground deletion keeps the owner until its dependents are gone', async () => {
  const owner = await client.create(cm('fg-owner'));
  // A dependent held by someone else's finalizer keeps the owner waiting.
  await client.create(cm('fg-held', [owner], ['example.com/hold']));
  await client.create(cm('fg-free', [owner]));
  await client.delete('ConfigMap', 'default', 'fg-owner', { propagationPolicy: 'Foreground' });
  await gone('ConfigMap', 'fg-free');
  const held = await eventually('held dependent marked for deletion', async () => {
    const h = await client.get('ConfigMap', 'default', 'fg-held');
    return h.metadata?.deletionTimestamp ? h : undefined;
  });
  const waiting = await client.get('ConfigMap', 'default', 'fg-owner');
  assert.ok(waiting.metadata?.deletionTimestamp);
  assert.deepEqual(waiting.metadata?.finalizers, ['foregroundDeletion']);

  await client.update({ ...held, metadata: { ...held.metadata, finalizers: [] } });
  await gone('ConfigMap', 'fg-held');
  await gone('ConfigMap', 'fg-owner');
});

test('an object whose owner never existed (or is gone) is deleted; one with a surviving owner only loses the dangling reference', async () => {
  const alive = await client.create(cm('dg-alive'));
  const ghost: ConfigMap = { metadata: { name: 'dg-ghost', uid: '00000000-0000-4000-8000-000000000000' } };
  await client.create(cm('dg-orphaned', [ghost]));
  await client.create(cm('dg-mixed', [alive, ghost]));
  await gone('ConfigMap', 'dg-orphaned');
  const mixed = await eventually('dangling reference dropped', async () => {
    const m = await client.get('ConfigMap', 'default', 'dg-mixed');
    return m.metadata?.ownerReferences?.length === 1 ? m : undefined;
  });
  assert.equal(mixed.metadata?.ownerReferences?.[0]?.uid, alive.metadata?.uid);
});

test('an owner re-created under the same name does not adopt the old one\'s dependents', async () => {
  const first = await client.create(cm('rc-owner'));
  await client.create(cm('rc-dep', [first]));
  await client.delete('ConfigMap', 'default', 'rc-owner');
  await client.create(cm('rc-owner'));
  await gone('ConfigMap', 'rc-dep');
});
