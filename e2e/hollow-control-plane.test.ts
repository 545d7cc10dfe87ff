// The control plane end to end, as separate processes built from dist/:
// etcd, apiserver, scheduler, controller-manager and three hollow nodes (a
// test tool that reports pods Running without running them) of different
// sizes, driven through the tug CLI as a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { freePort } from '../lib/testing/ports.js';
import { DIST, ProcessGroup, waitFor, type Proc } from '../lib/testing/processes.js';
import { ApiClient } from '../lib/client/api-client.js';
import { cpuToMillis, memoryToBytes } from '../lib/quantity.js';
import type { Pod, Node } from '../lib/api/generated/types.js';

const run = promisify(execFile);
let etcd: EtcdServer;
let procs: ProcessGroup;
let server: string;
let client: ApiClient;
const agents = new Map<string, Proc>();
const SIZES = { small: { cpus: '2', memory: '4Gi' }, medium: { cpus: '4', memory: '8Gi' }, large: { cpus: '8', memory: '16Gi' } };

async function tug(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(DIST, 'cli/main.js'), '--server', server, ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function deployment(replicas: number, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        resources:
          requests: {cpu: "1", memory: 1Gi}
`;
}

async function webPods(): Promise<Pod[]> {
  return (await client.list('Pod', { namespace: 'default', labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

function checkFits(pods: Pod[], nodes: Node[]): void {
  for (const node of nodes) {
    const on = pods.filter((p) => p.spec?.nodeName === node.metadata?.name);
    const cpu = on.reduce((s, p) => s + cpuToMillis(p.spec?.containers?.[0]?.resources?.requests?.cpu), 0);
    const mem = on.reduce((s, p) => s + memoryToBytes(p.spec?.containers?.[0]?.resources?.requests?.memory), 0);
    assert.ok(cpu <= cpuToMillis(node.status?.allocatable?.cpu), `${node.metadata?.name}: ${cpu}m cpu requested over ${node.status?.allocatable?.cpu}`);
    assert.ok(mem <= memoryToBytes(node.status?.allocatable?.memory), `${node.metadata?.name}: memory over allocatable`);
  }
}

before(async () => {
  etcd = await startEtcd();
  procs = new ProcessGroup();
  server = `127.0.0.1:${await freePort()}`;
  procs.node('apiserver', 'apiserver/main.js', ['--etcd-servers', etcd.endpoint, '--listen', server]);
  client = new ApiClient(server, { timeoutMs: 5000 });
  await waitFor('the apiserver', () => client.version().then(() => true), 30_000);
  procs.node('scheduler', 'scheduler/main.js', ['--server', server]);
  procs.node('controllers', 'controllers/main.js', ['--server', server, '--node-monitor-grace-period', '4s', '--node-monitor-period', '1s', '--pod-eviction-timeout', '3s']);
  for (const [name, size] of Object.entries(SIZES)) {
    agents.set(name, procs.node(`agent-${name}`, 'agent/main.js', ['--hollow', '--node-name', name, '--cpus', size.cpus, '--memory', size.memory, '--server', server, '--lease-renew-interval', '1']));
  }
  await waitFor('3 Ready nodes', async () => {
    const nodes = (await client.list('Node')).items;
    return nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 3;
  });
});

after(async () => {
  client?.close();
  await procs?.stopAll();
  await etcd?.stop();
});

test('a 10-replica Deployment is placed only where it fits, spread over the nodes', async (t) => {
  const file = join(procs.dir, 'web.yaml');
  writeFileSync(file, deployment(10, 'busybox:1'));
  const applied = await tug('apply', '-f', file);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /deployment\.apps\/web created/);
  const pods = await waitFor('10 running web pods', async () => {
    const ps = await webPods();
    return ps.length === 10 && ps.every((p) => p.status?.phase === 'Running') && ps;
  }).catch((e) => assert.fail(`${e}\n${procs.tails()}`));
  const nodes = (await client.list('Node')).items;
  checkFits(pods, nodes);
  const used = new Set(pods.map((p) => p.spec?.nodeName));
  assert.equal(used.size, 3, `spread over all nodes, got ${[...used].join(',')}`);
  t.diagnostic(`placement: ${[...used].map((n) => `${n}=${pods.filter((p) => p.spec?.nodeName === n).length}`).join(' ')}`);
});

test('scaling to 25 leaves what does not fit Pending with a reason a person can act on', async () => {
  const scaled = await tug('scale', 'deployment/web', '--replicas', '25');
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.match(scaled.stdout, /deployment\.apps\/web scaled/);
  // 2 + 4 + 8 cpus hold 14 one-cpu pods
  const pods = await waitFor('14 bound and 11 pending pods with a reason', async () => {
    const ps = await webPods();
    const pending = ps.filter((p) => !p.spec?.nodeName);
    const explained = pending.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && /0\/3 nodes are available: 3 Insufficient cpu/.test(c.message ?? '')));
    return ps.length === 25 && ps.length - pending.length === 14 && explained.length === 11 && ps;
  }).catch((e) => assert.fail(`${e}\n${procs.tails()}`));
  checkFits(pods, (await client.list('Node')).items);
  const events = await tug('get', 'events');
  assert.match(events.stdout, /FailedScheduling/);
  const back = await tug('scale', 'deployment/web', '--replicas', '10');
  assert.equal(back.code, 0, back.stderr);
  await waitFor('10 web pods again', async () => (await webPods()).length === 10);
});

test('rollout status follows an image change to the end', async () => {
  const file = join(procs.dir, 'web.yaml');
  writeFileSync(file, deployment(10, 'busybox:2'));
  const applied = await tug('apply', '-f', file);
  assert.match(applied.stdout, /deployment\.apps\/web configured/, applied.stderr);
  const status = await tug('rollout', 'status', 'deployment/web', '--timeout', '90s');
  assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}\n${procs.tails()}`);
  assert.match(status.stdout, /deployment "web" successfully rolled out/);
  const pods = await webPods();
  assert.ok(pods.length >= 10 && pods.every((p) => p.spec?.containers?.[0]?.image === 'busybox:2' || p.metadata?.deletionTimestamp));
  const history = await tug('rollout', 'history', 'deployment/web');
  assert.match(history.stdout, /^1\s/m);
  assert.match(history.stdout, /^2\s/m);
});

test('stopping a node moves its pods to the others', async () => {
  const before = await webPods();
  const victim = 'small';
  const onVictim = before.filter((p) => p.spec?.nodeName === victim).length;
  assert.ok(onVictim > 0, 'the small node runs some pods');
  await agents.get(victim)!.kill('SIGKILL');
  await waitFor('the stopped node to turn NotReady', async () => {
    const node = await client.get('Node', undefined, victim);
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status !== 'True') && node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable');
  }, 30_000);
  const after = await waitFor('10 running pods on the remaining nodes', async () => {
    const ps = await webPods();
    return ps.length === 10 && ps.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName && p.spec.nodeName !== victim) && ps;
  }, 60_000).catch((e) => assert.fail(`${e}\n${procs.tails()}`));
  checkFits(after, (await client.list('Node')).items.filter((n) => n.metadata?.name !== victim));
});
