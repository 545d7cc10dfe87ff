// The node lifecycle controller with hollow nodes against a real etcd and
// apiserver, with a 3 s grace period and a 4 s eviction timeout: a node that
// stops renewing goes Unknown and gets the unreachable taints, its pods are
// evicted after the timeout (not before), and a node that comes back is
// untainted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Toleration } from '../../lib/api/generated/types.js';
import { ApiClient, type Watch } from '../../lib/client/api-client.js';
import { isNotFound } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { startHollowNode, type HollowNode } from '../../agent/hollow/index.js';
import { startControllerManager, type RunningControllerManager } from '../manager.js';
import { TAINT_UNREACHABLE } from './decide.js';

const GRACE_MS = 3000;
const EVICTION_MS = 4000;

let etcd: EtcdServer | undefined;
let api: RunningApiServer | undefined;
let client: ApiClient;
let manager: RunningControllerManager | undefined;
const hollow = new Map<string, HollowNode>();
let podWatch: Watch<Pod> | undefined;
const deletedAt = new Map<string, number>();
const log = createLogger('nodelifecycle-test', 'warn');

before(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(api.address);
  for (const name of ['life-a', 'life-b']) hollow.set(name, await startNode(name));
  manager = startControllerManager({
    client,
    controllers: ['nodelifecycle'],
    nodeLifecycle: { gracePeriodMs: GRACE_MS, podEvictionTimeoutMs: EVICTION_MS, monitorPeriodMs: 250 },
    log: createLogger('controller-manager', 'warn'),
  });
  assert.equal(await manager.synced, true);
});

after(async () => {
  podWatch?.stop();
  await manager?.stop();
  for (const n of hollow.values()) await n.stop().catch(() => undefined);
  client?.close();
  await api?.stop();
  await etcd?.stop();
});

function startNode(name: string): Promise<HollowNode> {
  return startHollowNode({ client, nodeName: name, cpus: 2, memory: '4Gi', leaseRenewIntervalMs: 300, log });
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
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
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');
const pod = (name: string, node: string, tolerations?: Toleration[]): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx' }], tolerations },
});

async function exists(name: string): Promise<boolean> {
  try {
    await client.get('Pod', 'default', name);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

test('a node that stops renewing its lease goes Unknown, is tainted, and its pods are evicted after the timeout', async () => {
  const { resourceVersion } = await client.list('Pod');
  podWatch = client.watch('Pod', { resourceVersion });
  void (async () => {
    for await (const ev of podWatch!) if (ev.type === 'DELETED') deletedAt.set(ev.object.metadata?.name ?? '', Date.now());
  })().catch(() => undefined);

  await client.create(pod('on-a-1', 'life-a'));
  await client.create(pod('on-a-2', 'life-a'));
  await client.create(pod('on-a-tolerant', 'life-a', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]));
  await client.create(pod('on-b', 'life-b'));
  for (const name of ['on-a-1', 'on-a-2', 'on-a-tolerant', 'on-b']) {
    await eventually(`${name} Running`, async () => ((await client.get('Pod', 'default', name)).status?.phase === 'Running' ? true : undefined));
  }

  // The agent of life-a dies.
  await hollow.get('life-a')!.stop();
  hollow.delete('life-a');

  const tainted = await eventually('life-a Unknown and tainted', async () => {
    const n = await client.get('Node', undefined, 'life-a');
    const keys = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
    return ready(n)?.status === 'Unknown' && keys.includes(`${TAINT_UNREACHABLE}:NoExecute`) && keys.includes(`${TAINT_UNREACHABLE}:NoSchedule`) ? n : undefined;
  });
  assert.equal(ready(tainted)?.reason, 'NodeStatusUnknown');
  assert.equal(ready(tainted)?.message, 'Kubelet stopped posting node status.');
  const taintTime = Date.parse(tainted.spec!.taints!.find((t) => t.effect === 'NoExecute')!.timeAdded!);
  assert.ok(Number.isFinite(taintTime), 'the NoExecute taint records when it was added');

  // Its pods are no longer vouched for.
  await eventually('pods on life-a NotReady', async () => {
    const p = await client.get('Pod', 'default', 'on-a-tolerant');
    return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? true : undefined;
  });
  const events = await eventually('NodeNotReady event', async () => {
    const { items } = await client.list('Event', { namespace: 'default' });
    const e = items.filter((ev) => ev.involvedObject?.name === 'life-a' && ev.reason === 'NodeNotReady');
    return e.length ? e : undefined;
  });
  assert.equal(events[0]!.involvedObject?.kind, 'Node');

  // After the eviction timeout the pods that do not tolerate the taint are deleted.
  await eventually('pods on life-a evicted', async () => (!(await exists('on-a-1')) && !(await exists('on-a-2')) ? true : undefined));
  for (const name of ['on-a-1', 'on-a-2']) {
    const seen = await eventually(`DELETED event for ${name}`, async () => deletedAt.get(name));
    assert.ok(seen >= taintTime + EVICTION_MS, `${name} was evicted ${seen - taintTime} ms after the taint; the timeout is ${EVICTION_MS} ms`);
  }
  assert.equal(await exists('on-a-tolerant'), true, 'a pod tolerating the taint for ever stays');
  assert.equal(await exists('on-b'), true, 'pods on the healthy node stay');
  const b = await client.get('Node', undefined, 'life-b');
  assert.equal(ready(b)?.status, 'True');
  assert.deepEqual(b.spec?.taints ?? [], []);
  const { items: evictions } = await client.list('Event', { namespace: 'default' });
  assert.ok(evictions.some((e) => e.reason === 'TaintManagerEviction' && e.involvedObject?.name === 'on-a-1'));
});

test('a node whose agent comes back reports Ready and the controller removes the taints', async () => {
  hollow.set('life-a', await startNode('life-a'));
  const n = await eventually('life-a Ready and untainted', async () => {
    const node = await client.get('Node', undefined, 'life-a');
    return ready(node)?.status === 'True' && !(node.spec?.taints ?? []).length ? node : undefined;
  });
  assert.equal(ready(n)?.status, 'True');
  // And it stays that way while the lease is renewed (several grace periods' worth of checks).
  await new Promise((r) => setTimeout(r, GRACE_MS + 1000));
  const later = await client.get('Node', undefined, 'life-a');
  assert.equal(ready(later)?.status, 'True');
  assert.deepEqual(later.spec?.taints ?? [], []);
});
