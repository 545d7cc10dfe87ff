// Two replicas each of the scheduler and the controller-manager, as real
// processes from dist/ against one apiserver: exactly one of each leads and
// acts, the other only waits; a leader stopped with SIGTERM hands over at
// once, one killed with SIGKILL is replaced once its lease has expired, and
// a leader that can no longer reach the apiserver exits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, ReplicaSet } from '../lib/api/generated/types.js';
import { ApiClient } from '../lib/client/api-client.js';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { freePort } from '../lib/testing/ports.js';
import { ProcessGroup, waitFor, type Proc } from '../lib/testing/processes.js';

let etcd: EtcdServer;
let procs: ProcessGroup;
let server: string;
let client: ApiClient;
let apiserver: Proc;
const schedulers: Proc[] = [];
const managers: Proc[] = [];

// The controller-managers' lease outlasts the wait for a graceful handover,
// so only a released lease lets the standby through in time.
const CM_FLAGS = ['--leader-elect-lease-duration', '30s', '--leader-elect-renew-deadline', '10s', '--leader-elect-retry-period', '500ms'];
// Short enough for a quick takeover after SIGKILL; the renew deadline leaves room for a loaded machine.
const SCHEDULER_FLAGS = ['--leader-elect-lease-duration', '8s', '--leader-elect-renew-deadline', '5s', '--leader-elect-retry-period', '500ms'];

const logged = (p: Proc, msg: string) => p.log().split('\n').some((l) => l.includes(`"msg":"${msg}"`));
const lines = (p: Proc, msg: string) => p.log().split('\n').filter((l) => l.includes(`"msg":"${msg}"`));

async function oneLeader(ps: Proc[], what: string): Promise<{ leader: Proc; standby: Proc }> {
  const leader = await waitFor(`one ${what} to become leader`, () => ps.find((p) => logged(p, 'became leader')), 30_000).catch((e) =>
    assert.fail(`${e}\n${procs.tails()}`),
  );
  const standby = ps.find((p) => p !== leader)!;
  await waitFor(`the other ${what} to see the leader`, () => logged(standby, 'new leader observed'), 30_000);
  assert.equal(logged(standby, 'became leader'), false, `${standby.name} leads as well:\n${procs.tails()}`);
  return { leader, standby };
}

const replicaSet = (replicas: number): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'busybox:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
    },
  },
});

async function boundPods(n: number): Promise<string[]> {
  return waitFor(`${n} web pods bound`, async () => {
    const pods = (await client.list('Pod', { namespace: 'default', labelSelector: 'app=web' })).items;
    return pods.length === n && pods.every((p) => p.spec?.nodeName) && pods.map((p) => p.metadata!.name!);
  }, 60_000).catch((e) => assert.fail(`${e}\n${procs.tails()}`));
}

before(async () => {
  etcd = await startEtcd();
  procs = new ProcessGroup();
  server = `127.0.0.1:${await freePort()}`;
  apiserver = procs.node('apiserver', 'apiserver/main.js', ['--etcd-servers', etcd.endpoint, '--listen', server]);
  client = new ApiClient(server, { timeoutMs: 5000 });
  await waitFor('the apiserver', () => client.version().then(() => true), 30_000);
  for (const i of [1, 2]) {
    managers.push(procs.node(`controller-manager-${i}`, 'controllers/main.js', ['--server', server, ...CM_FLAGS]));
    schedulers.push(procs.node(`scheduler-${i}`, 'scheduler/main.js', ['--server', server, ...SCHEDULER_FLAGS]));
  }
  procs.node('agent', 'agent/main.js', ['--hollow', '--node-name', 'node-a', '--cpus', '4', '--memory', '8Gi', '--server', server, '--lease-renew-interval', '1']);
});

after(async () => {
  client?.close();
  await procs?.stopAll();
  await etcd?.stop();
});

test('one replica of each component leads and acts; the standbys start nothing', async () => {
  const cm = await oneLeader(managers, 'controller-manager');
  const sched = await oneLeader(schedulers, 'scheduler');
  await client.create(replicaSet(3));
  const pods = await boundPods(3);
  for (const pod of pods) {
    assert.ok(lines(sched.leader, 'bound').some((l) => l.includes(`default/${pod}`)), `${sched.leader.name} bound ${pod}`);
  }
  // A standby has no informers and no loops: it never even started its component.
  assert.equal(lines(sched.standby, 'bound').length, 0);
  assert.equal(logged(sched.standby, 'scheduler started'), false);
  assert.ok(logged(cm.leader, 'controller-manager starting'));
  assert.equal(logged(cm.standby, 'controller-manager starting'), false);
  const lease = await client.get('Lease', 'kube-system', 'tug-controller-manager');
  assert.match(lease.spec?.holderIdentity ?? '', new RegExp(`_${cm.leader.child.pid}_`), 'the lease names the leading process');
  assert.equal((await client.get('Lease', 'kube-system', 'tug-scheduler')).spec?.leaseDurationSeconds, 8);
});

test('SIGTERM to the leading controller-manager: it releases the lease and the standby takes over at once', async () => {
  const { leader, standby } = await oneLeader(managers, 'controller-manager');
  await leader.kill('SIGTERM');
  assert.equal(await leader.exited, 0);
  assert.ok(logged(leader, 'released the leader lease'), leader.log());
  // 15 s is half the 30 s lease: only the release makes this possible.
  await waitFor('the standby controller-manager to lead', () => logged(standby, 'became leader'), 15_000).catch((e) =>
    assert.fail(`${e}\n${procs.tails()}`),
  );
  // The new leader acts: a new Node gets a pod CIDR from its IPAM controller.
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } };
  await client.create(node);
  await waitFor('node-b to get a pod CIDR', async () => (await client.get('Node', undefined, 'node-b')).spec?.podCIDR, 30_000);
  const lease = await client.get('Lease', 'kube-system', 'tug-controller-manager');
  assert.match(lease.spec?.holderIdentity ?? '', new RegExp(`_${standby.child.pid}_`));
  assert.equal(lease.spec?.leaseTransitions, 1);
});

test('SIGKILL to the leading scheduler: the standby takes over once the lease expires', async () => {
  const { leader, standby } = await oneLeader(schedulers, 'scheduler');
  await leader.kill('SIGKILL');
  // Nothing released the lease: the standby saw it renewed within the last
  // retry period, so it keeps waiting for most of the 8 s lease.
  await sleep(2_000);
  assert.equal(logged(standby, 'became leader'), false, 'took over before the lease expired');
  await waitFor('the standby scheduler to lead', () => logged(standby, 'became leader'), 30_000).catch((e) =>
    assert.fail(`${e}\n${procs.tails()}`),
  );
  // The ReplicaSet controller writes its status meanwhile: retry on Conflict.
  await waitFor('the ReplicaSet scaled to 5', async () => {
    const rs = await client.get('ReplicaSet', 'default', 'web');
    await client.update({ ...rs, spec: { ...rs.spec, replicas: 5 } });
    return true;
  }, 30_000, 100);
  const pods = await boundPods(5);
  const byStandby = pods.filter((p) => lines(standby, 'bound').some((l) => l.includes(`default/${p}`)));
  assert.equal(byStandby.length, 2, `the new leader bound the two new pods\n${procs.tails()}`);
});

test('leaders that cannot reach the apiserver stop leading and exit', async () => {
  const running = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;
  const cm = managers.find((p) => running(p) && logged(p, 'became leader'))!;
  const sched = schedulers.find((p) => running(p) && logged(p, 'became leader'))!;
  assert.ok(cm && sched, 'a leader of each is running');
  await apiserver.kill('SIGKILL');
  const codes = await waitFor('both leaders to exit', async () => {
    const [a, b] = [cm.child.exitCode, sched.child.exitCode];
    return a !== null && b !== null && [a, b];
  }, 60_000).catch((e) => assert.fail(`${e}\n${procs.tails()}`));
  assert.deepEqual(codes, [1, 1]);
  assert.ok(logged(cm, 'lost leadership') && logged(sched, 'lost leadership'), procs.tails());
});
