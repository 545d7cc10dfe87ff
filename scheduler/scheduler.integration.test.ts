// tug-scheduler in-process against a real etcd and apiserver: pods land only
// where they fit and spread; a pod too big for every node stays Pending with
// the reason, and lands once a big enough node appears.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type * as T from '../lib/api/generated/types.js';
import { ApiClient } from '../lib/client/api-client.js';
import { createLogger } from '../lib/logging.js';
import { cpuToMillis, memoryToBytes } from '../lib/quantity.js';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../apiserver/index.js';
import { startScheduler, type RunningScheduler } from './run.js';

let etcd: EtcdServer | undefined;
let server: RunningApiServer | undefined;
let client: ApiClient | undefined;
let sched: RunningScheduler | undefined;

async function createNode(name: string, cpu: string, memory: string, pods = 110): Promise<void> {
  const allocatable = { cpu, memory, pods: String(pods) };
  const node = await client!.create<T.Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {} });
  // Status is the agent's to write, through UpdateStatus, as a real agent would.
  await client!.updateStatus<T.Node>({
    ...node,
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady', lastHeartbeatTime: new Date().toISOString() }],
    },
  });
}

function pod(name: string, cpu: string, memory: string, owner?: string): T.Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { app: owner ?? name },
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] : undefined,
    },
    spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu, memory } } }] },
  };
}

/** Polls until check returns a value; the deadline only bounds a broken run. */
async function eventually<V>(what: string, check: () => Promise<V | undefined>, ms = 30_000): Promise<V> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  etcd = await startEtcd();
  server = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(server.address);
  await createNode('small', '1', '1Gi');
  await createNode('medium', '2', '2Gi');
  await createNode('large', '4', '4Gi');
  sched = await startScheduler({ client, log: createLogger('scheduler', 'warn'), tickMs: 200 });
});

after(async () => {
  await sched?.stop();
  client?.close();
  await server?.stop();
  await etcd?.stop();
});

test('10 pods with requests land only where they fit and spread across nodes', async () => {
  for (let i = 0; i < 10; i++) await client!.create(pod(`web-${i}`, '500m', '256Mi', 'web'));
  const pods = await eventually('all 10 pods bound', async () => {
    const { items } = await client!.list('Pod', { namespace: 'default', labelSelector: 'app=web' });
    return items.length === 10 && items.every((p) => p.spec?.nodeName) ? items : undefined;
  });

  const nodes = new Map((await client!.list('Node')).items.map((n) => [n.metadata!.name!, n]));
  const used = new Map<string, { cpu: number; memory: number; pods: number }>();
  for (const p of pods) {
    const u = used.get(p.spec!.nodeName!) ?? { cpu: 0, memory: 0, pods: 0 };
    const req = p.spec!.containers![0]!.resources!.requests!;
    u.cpu += cpuToMillis(req['cpu']);
    u.memory += memoryToBytes(req['memory']);
    u.pods++;
    used.set(p.spec!.nodeName!, u);
    const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(scheduled?.status, 'True', `${p.metadata!.name} PodScheduled`);
  }
  for (const [name, u] of used) {
    const alloc = nodes.get(name)!.status!.allocatable!;
    assert.ok(u.cpu <= cpuToMillis(alloc['cpu']), `${name}: ${u.cpu}m cpu requested > ${alloc['cpu']}`);
    assert.ok(u.memory <= memoryToBytes(alloc['memory']), `${name}: memory over allocatable`);
  }
  assert.deepEqual([...used.keys()].sort(), ['large', 'medium', 'small'], 'every node got some of the replicas');

  const events = await eventually('Scheduled events', async () => {
    const { items } = await client!.list('Event', { namespace: 'default' });
    const scheduled = items.filter((e) => e.reason === 'Scheduled' && e.involvedObject?.name?.startsWith('web-'));
    return scheduled.length === 10 ? scheduled : undefined;
  });
  const web0 = pods.find((p) => p.metadata!.name === 'web-0')!;
  assert.ok(events.some((e) => e.message === `Successfully assigned default/web-0 to ${web0.spec!.nodeName}`));
});

test('a pod beyond every node stays Pending with the reason, and lands when a big node is added', async () => {
  await client!.create(pod('huge', '8', '64Mi'));
  const cond = await eventually('PodScheduled=False', async () => {
    const p = await client!.get('Pod', 'default', 'huge');
    const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c?.status === 'False' ? c : undefined;
  });
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, '0/3 nodes are available: 3 Insufficient cpu.');
  const stillPending = await client!.get('Pod', 'default', 'huge');
  assert.equal(stillPending.spec?.nodeName ?? '', '');

  await eventually('FailedScheduling event', async () => {
    const { items } = await client!.list('Event', { namespace: 'default' });
    return items.find((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && e.involvedObject?.name === 'huge' && e.message === cond.message);
  });

  await createNode('big', '16', '16Gi');
  const bound = await eventually('huge bound', async () => {
    const p = await client!.get('Pod', 'default', 'huge');
    return p.spec?.nodeName ? p : undefined;
  });
  assert.equal(bound.spec!.nodeName, 'big');
  assert.equal(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
});
