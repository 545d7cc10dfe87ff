import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../lib/api/generated/types.js';
import { gatewaysToCheck, nodeRouteInfo, planPodRoutes, type KernelRoute, type NodeRouteInfo, type PodRoutePlanInput, type Reachability } from './pod-routes.js';

const n = (name: string, podCIDR?: string, internalIP?: string): NodeRouteInfo => ({ name, ...(podCIDR ? { podCIDR } : {}), ...(internalIP ? { internalIP } : {}) });
const cluster = [n('node-1', '10.244.0.0/24', '10.250.3.11'), n('node-2', '10.244.1.0/24', '10.250.3.12'), n('node-3', '10.244.2.0/24', '10.250.3.13')];
const connected: KernelRoute[] = [
  { dst: 'default', gateway: '10.250.3.1', dev: 'eth0' },
  { dst: '10.250.3.0/24', dev: 'eth0' },
  { dst: '10.244.0.0/24', dev: 'cni0' },
];
const onLink = (...ips: string[]) => new Map<string, Reachability>(ips.map((ip) => [ip, 'on-link']));

function plan(over: Partial<PodRoutePlanInput>) {
  return planPodRoutes({ self: 'node-1', nodes: cluster, ours: [], all: connected, reach: onLink('10.250.3.12', '10.250.3.13'), ...over });
}
const routes = (p: { dst: string; via?: string; gateway?: string }[]) => p.map((r) => `${r.dst} via ${r.via ?? r.gateway}`);

test('a route to every other node\'s pod CIDR via its InternalIP', () => {
  const p = plan({});
  assert.deepEqual(routes(p.desired), ['10.244.1.0/24 via 10.250.3.12', '10.244.2.0/24 via 10.250.3.13']);
  assert.deepEqual(p.replace, p.desired);
  assert.deepEqual(p.remove, []);
  assert.deepEqual(p.skipped, []);
  assert.deepEqual(gatewaysToCheck('node-1', cluster), ['10.250.3.12', '10.250.3.13']);
});

test('routes already in place are left as they are; a changed address is replaced; routes of deleted nodes go', () => {
  const ours: KernelRoute[] = [
    { dst: '10.244.1.0/24', gateway: '10.250.3.12', dev: 'eth0' },
    { dst: '10.244.2.0/24', gateway: '10.250.3.99', dev: 'eth0' },
    { dst: '10.244.7.0/24', gateway: '10.250.3.17', dev: 'eth0' },
  ];
  const p = plan({ ours, all: [...connected, ...ours] });
  assert.deepEqual(routes(p.replace), ['10.244.2.0/24 via 10.250.3.13']);
  assert.deepEqual(routes(p.remove), ['10.244.7.0/24 via 10.250.3.17']);
  const again = plan({ ours: ours.slice(0, 1).concat({ dst: '10.244.2.0/24', gateway: '10.250.3.13' }), all: connected });
  assert.deepEqual(again.replace, [], 'converged: nothing to do');
  assert.deepEqual(again.remove, []);
});

test('nodes still registering are waited for, quietly', () => {
  const p = plan({ nodes: [cluster[0]!, n('node-2'), n('node-3', '10.244.2.0/24')], reach: onLink() });
  assert.deepEqual(p.desired, []);
  assert.deepEqual(p.skipped.map((s) => `${s.node} ${s.reason}`), ['node-2 no-pod-cidr', 'node-3 no-address']);
  assert.deepEqual(gatewaysToCheck('node-1', [n('node-2'), n('node-3', '10.244.2.0/24')]), []);
});

test('a gateway that is not on-link gets no route, and a warning that says why', () => {
  const reach = new Map<string, Reachability>([['10.250.3.12', 'via-router'], ['10.250.3.13', 'unreachable']]);
  const p = plan({ reach });
  assert.deepEqual(p.desired, []);
  assert.deepEqual(p.skipped.map((s) => `${s.node} ${s.reason}`), ['node-2 not-on-link', 'node-3 not-on-link']);
  assert.match(p.skipped[0]!.message, /node node-2's InternalIP 10\.250\.3\.12 is behind a router from this node, so its pods \(10\.244\.1\.0\/24\) cannot be routed host-gw style; put the nodes on one link/);
  assert.match(p.skipped[1]!.message, /is unreachable from this node/);
  assert.deepEqual(plan({ reach: new Map() }).desired, [], 'no answer counts as unreachable');
});

test('an existing route of the agent to a node no longer reachable on-link is removed', () => {
  const ours: KernelRoute[] = [{ dst: '10.244.1.0/24', gateway: '10.250.3.12' }];
  const p = plan({ ours, all: [...connected, ...ours], reach: new Map([['10.250.3.12', 'via-router'], ['10.250.3.13', 'on-link']]) });
  assert.deepEqual(routes(p.remove), ['10.244.1.0/24 via 10.250.3.12']);
  assert.deepEqual(routes(p.replace), ['10.244.2.0/24 via 10.250.3.13']);
});

test('routes the agent did not make are never touched', () => {
  const theirs: KernelRoute[] = [
    { dst: '10.244.1.0/24', gateway: '10.250.3.12' },
    { dst: '10.244.2.0/24', gateway: '10.250.3.50' },
  ];
  const p = plan({ all: [...connected, ...theirs] });
  assert.deepEqual(p.desired, []);
  assert.deepEqual(p.replace, []);
  assert.deepEqual(p.remove, []);
  assert.deepEqual(p.skipped.map((s) => `${s.node} ${s.reason}`), ['node-3 foreign-route'], 'the one going the same way is fine as it is');
  assert.match(p.skipped[0]!.message, /a route to 10\.244\.2\.0\/24 that the agent did not make is in the way \(via 10\.250\.3\.50\)/);
});

test('bad and overlapping pod CIDRs are skipped with a reason; the first node by name keeps a contested range', () => {
  const p = plan({
    nodes: [
      cluster[0]!,
      n('node-2', '10.244.0.128/25', '10.250.3.12'),
      n('node-3', 'fd00::/64', '10.250.3.13'),
      n('node-4', '10.244.4.0/24', '10.250.3.14'),
      n('node-5', '10.244.4.0/23', '10.250.3.15'),
      n('node-6', '10.244.6.0/24', '10.250.3.11'),
    ],
    reach: new Map<string, Reachability>([['10.250.3.12', 'on-link'], ['10.250.3.13', 'on-link'], ['10.250.3.14', 'on-link'], ['10.250.3.15', 'on-link'], ['10.250.3.11', 'local']]),
  });
  assert.deepEqual(routes(p.desired), ['10.244.4.0/24 via 10.250.3.14']);
  assert.deepEqual(p.skipped.map((s) => `${s.node} ${s.reason}`), ['node-2 overlaps-own-pod-cidr', 'node-3 bad-pod-cidr', 'node-5 overlaps-other-node', 'node-6 own-address']);
});

test('the Node fields it reads', () => {
  const node: Node = {
    metadata: { name: 'x' },
    spec: { podCIDRs: ['10.244.3.0/24'] },
    status: { addresses: [{ type: 'Hostname', address: 'x' }, { type: 'InternalIP', address: '10.250.3.14' }] },
  };
  assert.deepEqual(nodeRouteInfo(node), { name: 'x', podCIDR: '10.244.3.0/24', internalIP: '10.250.3.14' });
  assert.deepEqual(nodeRouteInfo({ metadata: { name: 'y' } }), { name: 'y' });
});
