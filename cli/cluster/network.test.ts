import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.js';
import { networkSetupCommands } from './network.js';
import { parseRequest, planCluster } from './topology.js';

const plan = planCluster(parseRequest({ name: 'n', nodes: 2, cpusPerNode: '1', memoryPerNode: '1Gi' }), parseCidr('10.250.9.0/24'));
const cmds = networkSetupCommands(plan).map((c) => c.join(' '));
const at = (s: string) => {
  const i = cmds.indexOf(s);
  assert.ok(i >= 0, `missing: ${s}\n${cmds.join('\n')}`);
  return i;
};

test('the bridge comes first, with the host address, and is up before nodes attach', () => {
  assert.equal(cmds[0], `ip link add ${plan.bridge} type bridge`);
  assert.ok(at(`ip addr add 10.250.9.1/24 dev ${plan.bridge}`) < at(`ip link set ${plan.bridge} up`));
  assert.ok(at(`ip link set ${plan.bridge} up`) < at('ip netns add tug-n-node-1'));
});

test('each node: its namespace, a veth into the bridge, address, default route, forwarding; no pod routes (the agents make those)', () => {
  for (const n of plan.nodes) {
    const ns = n.netns;
    assert.ok(at(`ip netns add ${ns}`) < at(`ip link add ${n.hostVeth} type veth peer name eth0 netns ${ns}`));
    at(`ip link set ${n.hostVeth} master ${plan.bridge}`);
    at(`ip link set ${n.hostVeth} up`);
    at(`ip -n ${ns} link set lo up`);
    assert.ok(at(`ip -n ${ns} addr add ${n.address}/24 dev eth0`) < at(`ip -n ${ns} route add default via 10.250.9.1`));
    at(`ip netns exec ${ns} sysctl -q -w net.ipv4.ip_forward=1`);
  }
  const routes = cmds.filter((c) => / route add /.test(c));
  assert.deepEqual(routes, plan.nodes.map((n) => `ip -n ${n.netns} route add default via 10.250.9.1`));
});

test('nothing is routed or set on the host beyond the bridge and its address', () => {
  const host = cmds.filter((c) => !c.includes(' -n ') && !c.startsWith('ip netns'));
  assert.ok(host.every((c) => /^ip (link|addr) /.test(c)), host.join('\n'));
  assert.ok(!cmds.some((c) => c.includes('iptables') || c.includes('nft')));
});
