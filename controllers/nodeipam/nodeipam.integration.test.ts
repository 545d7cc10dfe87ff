// The node IPAM controller against a real etcd and apiserver: Nodes without a
// pod CIDR get distinct blocks of the cluster CIDR, CIDRs already on Nodes
// are kept (also ones outside the range), a restarted controller writes
// nothing new to Nodes that have one, a full range is a Warning event, and a
// deleted Node's block goes to a Node that was waiting for one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { parseCidr, containsCidr } from '../../lib/ipv4.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { waitFor } from '../../lib/testing/processes.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { startControllerManager, type RunningControllerManager } from '../manager.js';
import type { NodeIpamOptions } from './index.js';

let etcd: EtcdServer | undefined;
let api: RunningApiServer | undefined;
let client: ApiClient;
let manager: RunningControllerManager | undefined;

before(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(api.address);
});

after(async () => {
  await manager?.stop();
  client?.close();
  await api?.stop();
  await etcd?.stop();
});

async function startManager(nodeIpam: NodeIpamOptions): Promise<void> {
  await manager?.stop();
  manager = startControllerManager({ client, controllers: ['nodeipam'], nodeIpam, log: createLogger('controller-manager', 'warn') });
  assert.equal(await manager.synced, true);
}

const node = (name: string, podCIDR?: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
});

const get = (name: string) => client.get('Node', undefined, name);

async function cidrOf(name: string): Promise<string> {
  return waitFor(`${name} to get a pod CIDR`, async () => {
    const n = await get(name);
    return n.spec?.podCIDR ? n.spec.podCIDR : undefined;
  }, 30_000, 50);
}

const versions = async (names: string[]) => Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await get(n)).metadata?.resourceVersion])));

test('nodes get distinct CIDRs of the cluster CIDR; CIDRs already on nodes are kept', async () => {
  // Present before the controller starts: what it must learn from the Nodes themselves.
  await client.create(node('preset', '10.244.1.0/24'));
  await client.create(node('outside', '100.64.7.0/24'));
  const untouched = await versions(['preset', 'outside']);
  await startManager({ clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24 });
  for (const name of ['a', 'b', 'c']) await client.create(node(name));

  const got = await Promise.all(['a', 'b', 'c'].map(cidrOf));
  assert.equal(new Set(got).size, 3, `distinct: ${got.join(', ')}`);
  const range = parseCidr('10.244.0.0/16');
  for (const [i, cidr] of got.entries()) {
    assert.ok(containsCidr(range, parseCidr(cidr)) && cidr.endsWith('/24'), `${cidr} is a /24 of 10.244.0.0/16`);
    assert.notEqual(cidr, '10.244.1.0/24', 'not the preset node\'s block');
    assert.deepEqual((await get(['a', 'b', 'c'][i]!)).spec?.podCIDRs, [cidr]);
  }
  assert.deepEqual(await versions(['preset', 'outside']), untouched, 'nodes that had a CIDR are not written');
  assert.equal((await get('outside')).spec?.podCIDR, '100.64.7.0/24');
});

test('a restarted controller keeps every assignment and hands out only free blocks', async () => {
  const names = ['preset', 'outside', 'a', 'b', 'c'];
  const before = await versions(names);
  const held = await Promise.all(['preset', 'a', 'b', 'c'].map(async (n) => (await get(n)).spec!.podCIDR!));
  await startManager({ clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24 });
  await client.create(node('late'));
  const late = await cidrOf('late');
  assert.ok(!held.includes(late), `${late} is none of ${held.join(', ')}`);
  assert.deepEqual(await versions(names), before, 'no node that had a CIDR was written again');
});

test('a full range: a Warning event on the node; a deleted node\'s block goes to it', async () => {
  // A range of two /24s, which none of the nodes so far falls in.
  await startManager({ clusterCidr: '10.245.0.0/23', nodeCidrMaskSize: 24 });
  await client.create(node('full-a'));
  await client.create(node('full-b'));
  const a = await cidrOf('full-a');
  const b = await cidrOf('full-b');
  assert.deepEqual([a, b].sort(), ['10.245.0.0/24', '10.245.1.0/24']);

  await client.create(node('full-c'));
  const warning = await waitFor('a CIDRNotAvailable event for full-c', async () => {
    const { items } = await client.list('Event', { namespace: 'default' });
    return items.find((e) => e.involvedObject?.kind === 'Node' && e.involvedObject.name === 'full-c' && e.reason === 'CIDRNotAvailable');
  }, 30_000, 100);
  assert.equal(warning.type, 'Warning');
  assert.match(warning.message ?? '', /no pod CIDR left: all 2 \/24 blocks of the cluster CIDR 10\.245\.0\.0\/23 are held by Nodes/);
  assert.equal((await get('full-c')).spec?.podCIDR ?? '', '');

  await client.delete('Node', undefined, 'full-a');
  assert.equal(await cidrOf('full-c'), a, 'the deleted node\'s block is reused');
  assert.equal((await get('full-b')).spec?.podCIDR, b);
});
