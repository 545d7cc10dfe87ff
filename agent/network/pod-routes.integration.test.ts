// Pod routes for real, in a throwaway network namespace (removed at the end,
// also after a failure): `ip route` with the agent's protocol, level-
// triggered syncs, routes nobody asked for left alone; then the controller
// against a real etcd + apiserver, following Node objects, across a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Node } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { InformerFactory } from '../../lib/informer/index.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { waitFor } from '../../lib/testing/processes.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { mustRun, runCommand } from '../runtime/command.js';
import { PodRouteController, syncPodRoutes } from './pod-route-sync.js';
import { POD_ROUTE_PROTOCOL, type NodeRouteInfo } from './pod-routes.js';
import { IpRouteTable } from './route-table.js';

const NETNS = `tug-routetest-${randomBytes(3).toString('hex')}`;
const NETNS_PATH = `/run/netns/${NETNS}`;
const log = createLogger('pod-routes-test', 'warn');

const ip = (...args: string[]) => mustRun('ip', ['-n', NETNS, ...args]);
/** The namespace's routes, one line each, without the ones the kernel derives from addresses. */
async function routes(): Promise<string[]> {
  return (await ip('-4', 'route', 'show', 'table', 'main')).split('\n').map((l) => l.trim()).filter((l) => l && !l.includes('proto kernel')).sort();
}
/** Somebody else's route, made before the tests: it must survive everything. */
const foreignLine = '10.244.9.0/24 via 10.123.0.9 dev v0';
const ours = (dst: string, via: string) => `${dst} via ${via} dev v0 proto ${POD_ROUTE_PROTOCOL}`;

before(async () => {
  await mustRun('ip', ['netns', 'add', NETNS]);
  // A link with the node's address (the other "nodes" are on it), and a default route via a router.
  await ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  await ip('addr', 'add', '10.123.0.1/24', 'dev', 'v0');
  await ip('link', 'set', 'v0', 'up');
  await ip('link', 'set', 'v1', 'up');
  await ip('route', 'add', 'default', 'via', '10.123.0.254');
  await ip('route', 'add', '10.244.9.0/24', 'via', '10.123.0.9');
});

after(async () => {
  await runCommand('ip', ['netns', 'del', NETNS]);
});

describe('pod routes in a network namespace', () => {
  const table = new IpRouteTable({ netns: NETNS_PATH });
  const self: NodeRouteInfo = { name: 'a', podCIDR: '10.244.0.0/24', internalIP: '10.123.0.1' };
  const b: NodeRouteInfo = { name: 'b', podCIDR: '10.244.1.0/24', internalIP: '10.123.0.2' };
  const far: NodeRouteInfo = { name: 'far', podCIDR: '10.244.2.0/24', internalIP: '10.77.0.5' };
  const d: NodeRouteInfo = { name: 'd', podCIDR: '10.244.3.0/24', internalIP: '10.123.0.4' };
  const base = ['default via 10.123.0.254 dev v0', foreignLine];

  test('routes to on-link nodes appear, tagged; a node behind a router gets none and a reason', async () => {
    const plan = await syncPodRoutes(table, 'a', [self, b, far, d]);
    assert.deepEqual(await routes(), [...base, ours('10.244.1.0/24', '10.123.0.2'), ours('10.244.3.0/24', '10.123.0.4')].sort());
    assert.deepEqual(plan.skipped.map((s) => `${s.node} ${s.reason}`), ['far not-on-link']);
    const again = await syncPodRoutes(table, 'a', [self, b, far, d]);
    assert.deepEqual([again.replace, again.remove], [[], []], 'a second pass finds nothing to do');
  });

  test('a deleted node\'s route goes, a moved node\'s route follows it, a route deleted by hand comes back', async () => {
    await ip('route', 'del', '10.244.1.0/24', 'proto', String(POD_ROUTE_PROTOCOL));
    await syncPodRoutes(table, 'a', [self, { ...b, internalIP: '10.123.0.2' }, far, { ...d, internalIP: '10.123.0.44' }]);
    assert.deepEqual(await routes(), [...base, ours('10.244.1.0/24', '10.123.0.2'), ours('10.244.3.0/24', '10.123.0.44')].sort());
    await syncPodRoutes(table, 'a', [self, b]);
    assert.deepEqual(await routes(), [...base, ours('10.244.1.0/24', '10.123.0.2')].sort());
  });

  test('a route in the way that the agent did not make is left alone', async () => {
    await ip('route', 'add', '10.244.5.0/24', 'via', '10.123.0.50');
    const plan = await syncPodRoutes(table, 'a', [self, b, { name: 'e', podCIDR: '10.244.5.0/24', internalIP: '10.123.0.5' }]);
    assert.deepEqual(plan.skipped.map((s) => `${s.node} ${s.reason}`), ['e foreign-route']);
    assert.ok((await routes()).includes('10.244.5.0/24 via 10.123.0.50 dev v0'));
    await syncPodRoutes(table, 'a', [self]);
    assert.deepEqual(await routes(), [...base, '10.244.5.0/24 via 10.123.0.50 dev v0'].sort(), 'only its own routes are removed');
    await ip('route', 'del', '10.244.5.0/24');
  });
});

describe('the pod route controller, from Node objects', () => {
  let etcd: EtcdServer | undefined;
  let api: RunningApiServer | undefined;
  let client: ApiClient;
  let informers: InformerFactory | undefined;
  let controller: PodRouteController | undefined;

  before(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
    client = new ApiClient(api.address);
  });
  after(async () => {
    await controller?.stop();
    await informers?.stop();
    client?.close();
    await api?.stop();
    await etcd?.stop();
  });

  async function startController(): Promise<void> {
    await controller?.stop();
    await informers?.stop();
    informers = new InformerFactory(client, { log });
    controller = new PodRouteController({ informers, nodeName: 'a', netns: NETNS_PATH, resyncIntervalMs: 500, log });
    informers.start();
    controller.start();
  }

  async function register(name: string, address: string, podCIDR?: string): Promise<void> {
    const n = await client.create<Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });
    await client.updateStatus<Node>({ ...n, kind: 'Node', status: { addresses: [{ type: 'InternalIP', address }] } });
  }

  const routed = (want: string[]) => waitFor(`routes ${want.join(', ')}`, async () => {
    const got = (await routes()).filter((l) => l.includes(`proto ${POD_ROUTE_PROTOCOL}`));
    return JSON.stringify(got) === JSON.stringify([...want].sort()) ? got : undefined;
  }, 30_000, 100);

  test('routes follow the Nodes: a pod CIDR assigned later, a node deleted, also while the agent was down', async () => {
    await register('a', '10.123.0.1', '10.244.0.0/24');
    await register('b', '10.123.0.2', '10.244.1.0/24');
    await register('c', '10.123.0.3');
    await startController();
    await routed([ours('10.244.1.0/24', '10.123.0.2')]);

    // c's pod CIDR is assigned by the control plane after it registered.
    const c = await client.get('Node', undefined, 'c');
    await client.update<Node>({ ...c, kind: 'Node', spec: { ...c.spec, podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] } });
    await routed([ours('10.244.1.0/24', '10.123.0.2'), ours('10.244.2.0/24', '10.123.0.3')]);

    await client.delete('Node', undefined, 'b');
    await routed([ours('10.244.2.0/24', '10.123.0.3')]);

    // Stopped, the agent leaves its routes (pods keep talking); a Node deleted meanwhile loses its route at the restart.
    await controller!.stop();
    await informers!.stop();
    controller = undefined;
    assert.deepEqual((await routes()).filter((l) => l.includes(`proto ${POD_ROUTE_PROTOCOL}`)), [ours('10.244.2.0/24', '10.123.0.3')]);
    await client.delete('Node', undefined, 'c');
    await register('d', '10.123.0.4', '10.244.3.0/24');
    await startController();
    await routed([ours('10.244.3.0/24', '10.123.0.4')]);

    // Level-triggered: a route removed behind its back is back at the next resync.
    await ip('route', 'del', '10.244.3.0/24', 'proto', String(POD_ROUTE_PROTOCOL));
    await routed([ours('10.244.3.0/24', '10.123.0.4')]);
    assert.ok((await routes()).includes(foreignLine), 'the route the agent did not make is still there');
  });
});
