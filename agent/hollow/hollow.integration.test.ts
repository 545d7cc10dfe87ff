// Hollow nodes against a real etcd and apiserver: registration, lease
// renewal, pods reported Running, deletion finished, many nodes per process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { isNotFound } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { startHollowNode, type HollowNode } from './hollow-node.js';

let etcd: EtcdServer | undefined;
let api: RunningApiServer | undefined;
let client: ApiClient;
const nodes: HollowNode[] = [];
const log = createLogger('hollow-test', 'warn');

before(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(api.address);
});

after(async () => {
  for (const n of nodes) await n.stop().catch(() => undefined);
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

const podOn = (name: string, node: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.25' }] },
});

test('registers a Node with the given capacity, Ready, and renews its Lease', async () => {
  const n = await startHollowNode({ client, nodeName: 'hollow-a', cpus: 4, memory: '8Gi', maxPods: 20, leaseRenewIntervalMs: 200, log });
  nodes.push(n);
  const node = await client.get('Node', undefined, 'hollow-a');
  assert.deepEqual(node.status?.capacity, { cpu: '4', memory: '8Gi', pods: '20' });
  assert.deepEqual(node.status?.allocatable, { cpu: '4', memory: '8Gi', pods: '20' });
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.ok(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime);
  assert.deepEqual(node.status?.addresses?.find((a) => a.type === 'InternalIP'), { type: 'InternalIP', address: '127.0.0.1' });
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'hollow-a');
  assert.equal(node.spec?.podCIDR, n.podCIDR);

  const lease = await client.get('Lease', 'kube-node-lease', 'hollow-a');
  assert.equal(lease.spec?.holderIdentity, 'hollow-a');
  assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid);
  const first = lease.spec?.renewTime;
  await eventually('lease renewal', async () => {
    const l = await client.get('Lease', 'kube-node-lease', 'hollow-a');
    return l.spec?.renewTime !== first ? l : undefined;
  });
});

test('reports bound pods Running with an IP from its range, and finishes their deletion', async () => {
  const n = nodes[0]!;
  await client.create(podOn('web-1', 'hollow-a'));
  const running = await eventually('pod Running', async () => {
    const p = await client.get('Pod', 'default', 'web-1');
    return p.status?.phase === 'Running' ? p : undefined;
  });
  const prefix = n.podCIDR.replace(/0\/24$/, '');
  assert.ok(running.status?.podIP?.startsWith(prefix), `${running.status?.podIP} in ${n.podCIDR}`);
  assert.equal(running.status?.hostIP, '127.0.0.1');
  assert.ok(running.status?.startTime);
  for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
    assert.equal(running.status?.conditions?.find((c) => c.type === type)?.status, 'True', type);
  }
  const cs = running.status?.containerStatuses?.[0];
  assert.equal(cs?.name, 'app');
  assert.equal(cs?.ready, true);
  assert.ok(cs?.state?.running?.startedAt);
  assert.equal(cs?.restartCount ?? 0, 0);

  // A graceful delete of a bound pod only marks it; the hollow node finishes it.
  const { deleted } = await client.delete('Pod', 'default', 'web-1');
  assert.equal(deleted, false, 'a bound, running pod waits for its node');
  await eventually('pod gone', async () => {
    try {
      await client.get('Pod', 'default', 'web-1');
      return undefined;
    } catch (e) {
      return isNotFound(e) ? true : undefined;
    }
  });
});

test('a stopped hollow node stops renewing; a restarted one takes its Node over', async () => {
  const n = nodes.shift()!;
  await n.stop();
  const before = (await client.get('Lease', 'kube-node-lease', 'hollow-a')).spec?.renewTime;
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await client.get('Lease', 'kube-node-lease', 'hollow-a')).spec?.renewTime, before);
  const uid = (await client.get('Node', undefined, 'hollow-a')).metadata?.uid;

  const again = await startHollowNode({ client, nodeName: 'hollow-a', cpus: 4, memory: '8Gi', maxPods: 20, leaseRenewIntervalMs: 200, log });
  nodes.push(again);
  assert.equal((await client.get('Node', undefined, 'hollow-a')).metadata?.uid, uid);
  assert.equal(again.podCIDR, n.podCIDR, 'the node keeps its pod range');
  assert.notEqual((await client.get('Lease', 'kube-node-lease', 'hollow-a')).spec?.renewTime, before);
});

test('fifty hollow nodes share one client in one process', async () => {
  const many = await Promise.all(
    Array.from({ length: 50 }, (_, i) => startHollowNode({ client, nodeName: `many-${i}`, cpus: 1 + (i % 4), memory: `${1 + (i % 8)}Gi`, log })),
  );
  nodes.push(...many);
  const { items } = await client.list('Node');
  const ready = items.filter((n) => n.metadata?.name?.startsWith('many-') && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  assert.equal(ready.length, 50);
  assert.equal(new Set(many.map((n) => n.podCIDR)).size, 50);
  const leases = await client.list('Lease', { namespace: 'kube-node-lease' });
  assert.ok(leases.items.filter((l) => l.metadata?.name?.startsWith('many-')).length === 50);
});
