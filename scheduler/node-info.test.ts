import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostPortSet, NodeInfo, OwnerCounts, podInfoFor } from './node-info.js';
import { syntheticNode, syntheticPod } from './simulate.js';

test('NodeInfo keeps running sums as pods come and go', () => {
  const ni = new NodeInfo('n1', syntheticNode('n1', '4', '8Gi', 10));
  ni.addPod(podInfoFor(syntheticPod('a', '500m', '1Gi', { owner: 'rs' })));
  ni.addPod(podInfoFor(syntheticPod('b', '1', '512Mi', { owner: 'rs' })));
  assert.deepEqual(ni.requested, { milliCpu: 1500, memory: 1.5 * 2 ** 30, pods: 2 });
  assert.equal(ni.ownerCount('uid-rs'), 2);
  // adding the same key again replaces, never double counts
  ni.addPod(podInfoFor(syntheticPod('b', '1', '512Mi', { owner: 'rs' })));
  assert.equal(ni.requested.pods, 2);
  ni.removePod('default/a');
  assert.deepEqual(ni.requested, { milliCpu: 1000, memory: 2 ** 29, pods: 1 });
  assert.equal(ni.ownerCount('uid-rs'), 1);
  assert.equal(ni.removePod('default/missing'), undefined);
});

test('a pod being deleted does not count for spreading but still takes its resources', () => {
  const ni = new NodeInfo('n1', syntheticNode('n1', '4', '8Gi'));
  const p = syntheticPod('a', '500m', '1Gi', { owner: 'rs' });
  p.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
  ni.addPod(podInfoFor(p));
  assert.equal(ni.ownerCount('uid-rs'), 0);
  assert.equal(ni.requested.milliCpu, 500);
});

test('a node with a malformed allocatable offers nothing and says why', () => {
  const n = syntheticNode('n1', 'lots', '8Gi');
  const ni = new NodeInfo('n1', n);
  assert.deepEqual(ni.allocatable, { milliCpu: 0, memory: 0, pods: 0 });
  assert.match(ni.allocatableError ?? '', /lots/);
});

test('host ports conflict on the same protocol and port when addresses overlap', () => {
  const s = new HostPortSet();
  s.add({ ip: '127.0.0.1', protocol: 'TCP', port: 80 });
  assert.equal(s.conflicts({ ip: '127.0.0.1', protocol: 'TCP', port: 80 }), true);
  assert.equal(s.conflicts({ ip: '0.0.0.0', protocol: 'TCP', port: 80 }), true, 'wildcard overlaps every address');
  assert.equal(s.conflicts({ ip: '10.0.0.1', protocol: 'TCP', port: 80 }), false, 'other address');
  assert.equal(s.conflicts({ ip: '127.0.0.1', protocol: 'UDP', port: 80 }), false, 'other protocol');
  s.add({ ip: '0.0.0.0', protocol: 'UDP', port: 53 });
  assert.equal(s.conflicts({ ip: '10.0.0.1', protocol: 'UDP', port: 53 }), true, 'a wildcard claim blocks each address');
  s.add({ ip: '127.0.0.1', protocol: 'TCP', port: 80 });
  s.remove({ ip: '127.0.0.1', protocol: 'TCP', port: 80 });
  assert.equal(s.conflicts({ ip: '127.0.0.1', protocol: 'TCP', port: 80 }), true, 'one of two identical claims remains');
  s.remove({ ip: '127.0.0.1', protocol: 'TCP', port: 80 });
  assert.equal(s.conflicts({ ip: '127.0.0.1', protocol: 'TCP', port: 80 }), false);
});

test('NodeInfos sharing owner counts keep each node\'s own count', () => {
  const owners = new OwnerCounts();
  const a = new NodeInfo('a', syntheticNode('a', '4', '8Gi'), owners);
  const b = new NodeInfo('b', syntheticNode('b', '4', '8Gi'), owners);
  a.addPod(podInfoFor(syntheticPod('w1', '1m', '1Mi', { owner: 'rs' })));
  a.addPod(podInfoFor(syntheticPod('w2', '1m', '1Mi', { owner: 'rs' })));
  b.addPod(podInfoFor(syntheticPod('w3', '1m', '1Mi', { owner: 'rs' })));
  assert.deepEqual([a.ownerCount('uid-rs'), b.ownerCount('uid-rs')], [2, 1]);
  a.removePod('default/w1');
  a.removePod('default/w2');
  assert.deepEqual([a.ownerCount('uid-rs'), b.ownerCount('uid-rs')], [0, 1]);
  assert.equal(owners.count('uid-rs', a), 0);
});
