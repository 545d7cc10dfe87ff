// The service proxy for real: a real etcd and apiserver, a node made of
// network namespaces with two busybox httpd pods, a client pod and an
// outside host, and the proxy programming the node namespace's iptables.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { runCommand } from '../runtime/command.js';
import { startServiceProxy, type RunningServiceProxy } from './proxy.js';
import { createTestTopology, type TestTopology } from './test-topology.js';

const CLUSTER_IP = '10.96.7.10';
const EMPTY_IP = '10.96.7.11';
const NODE_PORT = 30780;

let etcd: EtcdServer | undefined;
let server: RunningApiServer | undefined;
let client: ApiClient | undefined;
let topo: TestTopology | undefined;
let proxy: RunningServiceProxy | undefined;
const log = createLogger('proxy-it', process.env.TUG_LOG_LEVEL ?? 'warn');

function webEndpoints(ready: string[], notReady: string[] = []): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [
      {
        ...(ready.length ? { addresses: ready.map((ip) => ({ ip })) } : {}),
        ...(notReady.length ? { notReadyAddresses: notReady.map((ip) => ({ ip })) } : {}),
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  };
}

async function setEndpoints(ep: Endpoints): Promise<void> {
  const cur = await client!.get('Endpoints', 'default', ep.metadata!.name!);
  await client!.update({ ...ep, metadata: { ...ep.metadata, resourceVersion: cur.metadata?.resourceVersion } });
}

/** Polls until check holds; the deadline only bounds a broken run. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function nodeIptables(): Promise<string> {
  const r = await topo!.exec(topo!.nodeNetns, ['iptables-save']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** n sequential requests; the bodies, and every failure with its message. */
async function requests(netns: string, url: string, n: number): Promise<{ bodies: string[]; failures: string[] }> {
  const bodies: string[] = [];
  const failures: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await topo!.fetch(netns, url);
    if (r.code === 0) bodies.push(r.stdout.trim());
    else failures.push(`exit ${r.code}: ${r.stderr.trim()}`);
  }
  return { bodies, failures };
}

before(async () => {
  etcd = await startEtcd();
  server = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0' });
  client = new ApiClient(server.address);
  topo = await createTestTopology({ pods: ['pod-a', 'pod-b', 'client'] });
  await topo.serve('pod-a', 8080, 'pod-a');
  await topo.serve('pod-b', 8080, 'pod-b');
  const a = topo.pods.get('pod-a')!.ip;
  const b = topo.pods.get('pod-b')!.ip;
  // Explicit cluster IP and node port, so the test does not depend on the apiserver's allocators.
  await client.create<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'NodePort', clusterIP: CLUSTER_IP, selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: NODE_PORT }] },
  });
  await client.create<Endpoints>(webEndpoints([a, b]));
  await client.create<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'empty', namespace: 'default' },
    spec: { clusterIP: EMPTY_IP, selector: { app: 'nothing' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  proxy = await startServiceProxy({ client, nodeName: 'node-1', nodeIPs: [topo.nodeIP], netns: topo.nodeNetns, log, minSyncIntervalMs: 50 });
});

after(async () => {
  // Each step on its own, so one failure does not leave the rest running.
  await proxy?.stop({ cleanup: true }).catch((e) => console.error('proxy stop:', e));
  await topo?.cleanup().catch((e) => console.error('topology cleanup:', e));
  client?.close();
  await server?.stop().catch((e) => console.error('apiserver stop:', e));
  await etcd?.stop().catch((e) => console.error('etcd stop:', e));
});

test('the proxy turns on forwarding and bridge netfilter in the node namespace', async () => {
  for (const key of ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables']) {
    const r = await topo!.exec(topo!.nodeNetns, ['cat', `/proc/sys/${key}`]);
    assert.equal(r.stdout.trim(), '1', key);
  }
});

test('30 requests from a pod to the ClusterIP reach both backends, on their named target port', async () => {
  const { bodies, failures } = await requests(topo!.pods.get('client')!.netns, `http://${CLUSTER_IP}/`, 30);
  assert.deepEqual(failures, []);
  assert.deepEqual(new Set(bodies), new Set(['pod-a', 'pod-b']));
});

test('a pod reaches itself through its own service (hairpin)', async () => {
  const { bodies, failures } = await requests(topo!.pods.get('pod-a')!.netns, `http://${CLUSTER_IP}/`, 30);
  assert.deepEqual(failures, []);
  assert.deepEqual(new Set(bodies), new Set(['pod-a', 'pod-b']));
});

test('the NodePort answers on the node address from outside the node, and on the pod gateway from a pod', async () => {
  const outside = await requests(topo!.outside.netns, `http://${topo!.nodeIP}:${NODE_PORT}/`, 30);
  assert.deepEqual(outside.failures, []);
  assert.deepEqual(new Set(outside.bodies), new Set(['pod-a', 'pod-b']));
  const fromPod = await requests(topo!.pods.get('client')!.netns, `http://${topo!.gateway}:${NODE_PORT}/`, 3);
  assert.deepEqual(fromPod.failures, []);
});

test('no request fails while the endpoints change under it', async () => {
  const a = topo!.pods.get('pod-a')!.ip;
  const b = topo!.pods.get('pod-b')!.ip;
  let changing = true;
  const changes = (async () => {
    let n = 0;
    while (changing) {
      const both = n++ % 2 === 1;
      await setEndpoints(both ? webEndpoints([a, b]) : webEndpoints([a], [b]));
      await proxy!.syncNow();
    }
    await setEndpoints(webEndpoints([a, b]));
    return n;
  })();
  let result: Awaited<ReturnType<typeof requests>>;
  try {
    result = await requests(topo!.pods.get('client')!.netns, `http://${CLUSTER_IP}/`, 30);
  } finally {
    changing = false;
  }
  const changed = await changes;
  assert.ok(changed >= 2, `endpoints changed ${changed} times during the requests`);
  assert.deepEqual(result.failures, []);
});

test('a service without ready endpoints refuses connections at once', async () => {
  const client = topo!.pods.get('client')!.netns;
  // A service whose Endpoints object does not even exist.
  await eventually('reject rule of the empty service', async () => (await nodeIptables()).includes(`-d ${EMPTY_IP}/32`));
  const empty = await topo!.fetch(client, `http://${EMPTY_IP}/`);
  assert.notEqual(empty.code, 0);
  assert.match(empty.stderr, /Connection refused/, `wget said: ${empty.stderr} (exit ${empty.code}; 124 means it hung until killed)`);

  // All endpoints of web turn unready: refused too, then back.
  const a = topo!.pods.get('pod-a')!.ip;
  const b = topo!.pods.get('pod-b')!.ip;
  await setEndpoints(webEndpoints([], [a, b]));
  await eventually('web rejected', async () => /default\/web:http has no endpoints/.test(await nodeIptables()));
  const r = await topo!.fetch(client, `http://${CLUSTER_IP}/`);
  assert.match(r.stderr, /Connection refused/, `wget said: ${r.stderr} (exit ${r.code})`);

  await setEndpoints(webEndpoints([b], [a]));
  await eventually('web served again', async () => !/default\/web:http has no endpoints/.test(await nodeIptables()));
  const back = await requests(client, `http://${CLUSTER_IP}/`, 5);
  assert.deepEqual(back.failures, []);
  assert.deepEqual(new Set(back.bodies), new Set(['pod-b']), 'the unready pod gets no traffic');
});

test('deleting a Service removes its rules', async () => {
  const before = await nodeIptables();
  assert.match(before, /default\/web:http cluster IP/);
  await client!.delete('Service', 'default', 'web');
  await client!.delete('Endpoints', 'default', 'web');
  await eventually('web rules gone', async () => !(await nodeIptables()).includes('default/web:'));
  const after = await nodeIptables();
  assert.doesNotMatch(after, /TUG-SVC-|TUG-SEP-/, 'no chain of any service with endpoints is left');
  assert.doesNotMatch(after, new RegExp(`--dport ${NODE_PORT}`));
  const r = await topo!.fetch(topo!.outside.netns, `http://${topo!.nodeIP}:${NODE_PORT}/`);
  assert.notEqual(r.code, 0, 'the node port no longer answers');
  // The other service's rules are untouched.
  assert.ok(after.includes(`-d ${EMPTY_IP}/32`));
});

test('stop({ cleanup: true }) leaves no TUG chain or rule, and the host iptables were never touched', async () => {
  const p = proxy!;
  proxy = undefined;
  await p.stop({ cleanup: true });
  const left = await nodeIptables();
  assert.doesNotMatch(left, /TUG-/);
  const host = await runCommand('iptables-save', []);
  assert.ok(!host.stdout.includes(CLUSTER_IP) && !host.stdout.includes(EMPTY_IP), 'the host namespace has none of the rules');
});
