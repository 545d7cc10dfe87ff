import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, overlaps, parseCidr, parseIpv4, formatIpv4 } from './cidr.js';
import {
  bridgeName,
  chooseNodeSubnet,
  clusterHash,
  hostVethName,
  isClusterLink,
  isClusterNetns,
  netnsName,
  parseRequest,
  planCluster,
  MAX_NODES,
} from './topology.js';

const request = (over: Partial<Parameters<typeof parseRequest>[0]> = {}) =>
  parseRequest({ name: 'tug', nodes: 3, cpusPerNode: '1', memoryPerNode: '2Gi', ...over });

test('cidr: parse, format and overlap', () => {
  assert.equal(formatIpv4(parseIpv4('10.250.3.17')), '10.250.3.17');
  assert.equal(formatCidr(parseCidr('10.250.3.17/24')), '10.250.3.0/24');
  assert.equal(formatCidr(parseCidr('192.168.1.1')), '192.168.1.1/32');
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.250.3.0/24')));
  assert.ok(overlaps(parseCidr('10.250.3.9/32'), parseCidr('10.250.3.0/24')));
  assert.ok(!overlaps(parseCidr('10.250.4.0/24'), parseCidr('10.250.3.0/24')));
  assert.throws(() => parseIpv4('10.250.300.1'), /not an IPv4 address/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /not an IPv4 prefix/);
});

test('link names fit Linux 15 characters and differ per cluster', () => {
  for (const name of ['tug', 'a-very-long-cluster-name-here-xx']) {
    assert.ok(bridgeName(name).length <= 15, bridgeName(name));
    assert.ok(hostVethName(name, MAX_NODES).length <= 15, hostVethName(name, MAX_NODES));
  }
  assert.equal(bridgeName('tug'), `tug-${clusterHash('tug')}`);
  assert.notEqual(bridgeName('a'), bridgeName('b'));
  assert.notEqual(hostVethName('a', 1), hostVethName('b', 1));
  assert.equal(netnsName('dev', 2), 'tug-dev-node-2');
});

test('a cluster recognises only its own namespaces and links, never a similarly named cluster\'s', () => {
  assert.ok(isClusterNetns('a', 'tug-a-node-1'));
  assert.ok(isClusterNetns('a', 'tug-a-node-12'));
  assert.ok(!isClusterNetns('a', 'tug-a-node-node-1'), 'node-1 of cluster "a-node"');
  assert.ok(!isClusterNetns('a', 'tug-ab-node-1'));
  assert.ok(isClusterLink('a', bridgeName('a')));
  assert.ok(isClusterLink('a', hostVethName('a', 3)));
  assert.ok(!isClusterLink('a', bridgeName('b')));
  assert.ok(!isClusterLink('a', hostVethName('b', 3)));
  assert.ok(!isClusterLink('a', 'eth0'));
});

test('node subnet: derived from the name, moved on past anything the host routes', () => {
  const hash = 'a0ffff';
  assert.equal(formatCidr(chooseNodeSubnet(hash, [])), '10.250.160.0/24');
  // the default route overlaps everything and must not count
  assert.equal(formatCidr(chooseNodeSubnet(hash, [parseCidr('0.0.0.0/0')])), '10.250.160.0/24');
  assert.equal(formatCidr(chooseNodeSubnet(hash, [parseCidr('10.250.160.0/24'), parseCidr('10.250.161.7/32')])), '10.250.162.0/24');
  // wraps around the /16
  assert.equal(formatCidr(chooseNodeSubnet('ff0000', [parseCidr('10.250.255.0/24')])), '10.250.0.0/24');
  // a broader route (a VPN's 10.0.0.0/8) leaves nothing
  assert.throws(() => chooseNodeSubnet(hash, [parseCidr('10.0.0.0/8')]), /no free \/24/);
});

test('request: every problem is reported at once', () => {
  assert.throws(
    () => parseRequest({ name: 'Bad_Name', nodes: 0, cpusPerNode: 'lots', memoryPerNode: '1Mi', apiPort: 2379, stateDir: 'rel' }),
    (e: Error) => {
      for (const part of ['cluster name "Bad_Name"', '--nodes', '--cpus-per-node', '--memory-per-node', '--api-port', '--state-dir']) {
        assert.ok(e.message.includes(part), `${part} missing from: ${e.message}`);
      }
      return true;
    },
  );
  const r = request({ cpusPerNode: '1500m', memoryPerNode: '1Gi' });
  assert.deepEqual(r, { name: 'tug', nodes: 3, cpuMillis: 1500, memoryBytes: 2 ** 30, stateDir: '/var/lib/tugboat/tug', apiPort: 6443, agentMode: 'real' });
  assert.equal(request({ stateDir: '/tmp/x/' }).stateDir, '/tmp/x');
});

test('plan: addresses, hollow pod CIDRs, cgroups and state dirs', () => {
  const plan = planCluster(request({ stateDir: '/tmp/s' }), parseCidr('10.250.7.0/24'));
  assert.equal(plan.hostAddress, '10.250.7.1');
  assert.equal(plan.bridge, bridgeName('tug'));
  assert.equal(plan.apiserver.address, '10.250.7.1:6443');
  assert.equal(plan.registry.address, '10.250.7.1:5000');
  assert.equal(plan.etcd.clientUrl, 'http://10.250.7.1:2379');
  assert.equal(plan.etcd.dataDir, '/tmp/s/etcd');
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.netns, n.address, n.hollowPodCIDR, n.cgroupPath, n.agentCgroupPath, n.stateDir]),
    [1, 2, 3].map((i) => [
      `node-${i}`,
      `tug-tug-node-${i}`,
      `10.250.7.${10 + i}`,
      `10.244.${i}.0/24`,
      `/tugboat-tug/node-${i}`,
      `/tugboat-tug/node-${i}/agent`,
      `/tmp/s/nodes/node-${i}`,
    ]),
  );
  assert.ok(plan.nodes.every((n) => n.cpuMillis === 1000 && n.memoryBytes === 2 * 2 ** 30));
});

test('two clusters get different bridges, subnets and cgroups', () => {
  const a = planCluster(request({ name: 'a' }), chooseNodeSubnet(clusterHash('a'), []));
  const used = [parseCidr(a.nodeSubnet)];
  const b = planCluster(request({ name: 'b' }), chooseNodeSubnet(clusterHash('b'), used));
  assert.notEqual(a.bridge, b.bridge);
  assert.notEqual(a.nodeSubnet, b.nodeSubnet);
  assert.notEqual(a.cgroupRoot, b.cgroupRoot);
  assert.notEqual(a.stateDir, b.stateDir);
  // the same name with its subnet taken moves on
  const a2 = chooseNodeSubnet(clusterHash('a'), used);
  assert.notEqual(formatCidr(a2), a.nodeSubnet);
});
