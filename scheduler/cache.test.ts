import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.js';
import { podInfoFor } from './node-info.js';
import { syntheticNode, syntheticPod } from './simulate.js';

function setup() {
  const c = { t: 0 };
  const cache = new SchedulerCache({ now: () => c.t, assumedPodTtlMs: 30_000 });
  cache.addNode(syntheticNode('n1', '4', '4Gi'));
  cache.addNode(syntheticNode('n2', '4', '4Gi'));
  return { c, cache };
}
const bound = (name: string, node: string, cpu = '1') => {
  const p = syntheticPod(name, cpu, '1Gi');
  p.spec!.nodeName = node;
  return p;
};

test('an assumed pod counts on its node at once, and forgetting it frees the room', () => {
  const { cache } = setup();
  assert.equal(cache.assume(podInfoFor(syntheticPod('p', '1', '1Gi')), 'n1'), true);
  assert.equal(cache.nodeInfo('n1')!.requested.milliCpu, 1000);
  assert.equal(cache.isAssumed('default/p'), true);
  assert.equal(cache.nodeInfo('n1')!.pods.get('default/p')!.pod.spec!.nodeName, 'n1');
  assert.equal(cache.assume(podInfoFor(syntheticPod('p', '1', '1Gi')), 'n2'), false, 'never counted twice');
  assert.equal(cache.forget('default/p'), true);
  assert.equal(cache.nodeInfo('n1')!.requested.milliCpu, 0);
  assert.equal(cache.isAssumed('default/p'), false);
  assert.equal(cache.forget('default/p'), false);
});

test('the informer showing the pod bound confirms the assumption (and wins if the node differs)', () => {
  const { cache } = setup();
  cache.assume(podInfoFor(syntheticPod('p', '1', '1Gi')), 'n1');
  assert.equal(cache.addPod(bound('p', 'n1')), 'confirmed');
  assert.equal(cache.isAssumed('default/p'), false);
  assert.equal(cache.nodeInfo('n1')!.requested.pods, 1);

  cache.assume(podInfoFor(syntheticPod('q', '1', '1Gi')), 'n1');
  assert.equal(cache.addPod(bound('q', 'n2')), 'confirmed');
  assert.equal(cache.nodeInfo('n1')!.requested.pods, 1);
  assert.equal(cache.nodeInfo('n2')!.requested.pods, 1);
  assert.equal(cache.addPod(bound('r', 'n2')), 'added');
  assert.equal(cache.updatePod(bound('r', 'n2', '2')), 'updated');
  assert.equal(cache.nodeInfo('n2')!.requested.milliCpu, 3000);
});

test('an assumption expires only after its bind finished and the TTL passed without confirmation', () => {
  const { c, cache } = setup();
  cache.assume(podInfoFor(syntheticPod('p', '1', '1Gi')), 'n1');
  c.t = 100_000;
  assert.deepEqual(cache.cleanupExpiredAssumedPods(), [], 'the bind is still in progress');
  cache.finishBinding('default/p');
  c.t += 29_999;
  assert.deepEqual(cache.cleanupExpiredAssumedPods(), []);
  c.t += 1;
  assert.deepEqual(cache.cleanupExpiredAssumedPods(), ['default/p']);
  assert.equal(cache.nodeInfo('n1')!.requested.pods, 0);

  cache.assume(podInfoFor(syntheticPod('q', '1', '1Gi')), 'n1');
  cache.finishBinding('default/q');
  cache.addPod(bound('q', 'n1'));
  c.t += 60_000;
  assert.deepEqual(cache.cleanupExpiredAssumedPods(), [], 'confirmed pods never expire');
});

test('removing a pod frees its node, assumed or bound', () => {
  const { cache } = setup();
  cache.addPod(bound('a', 'n1'));
  cache.assume(podInfoFor(syntheticPod('b', '1', '1Gi')), 'n1');
  assert.equal(cache.removePod('default/a'), true);
  assert.equal(cache.removePod('default/b'), true);
  assert.equal(cache.nodeInfo('n1')!.requested.pods, 0);
  assert.equal(cache.podCount, 0);
});

test('nodes: listed in name order; a removed node with pods keeps them but is not offered', () => {
  const { cache } = setup();
  cache.addNode(syntheticNode('a0', '1', '1Gi'));
  assert.deepEqual(cache.nodeInfos().map((n) => n.name), ['a0', 'n1', 'n2']);
  cache.addPod(bound('p', 'n1'));
  cache.removeNode('n1');
  cache.removeNode('a0');
  assert.deepEqual(cache.nodeInfos().map((n) => n.name), ['n2']);
  assert.equal(cache.nodeInfo('a0'), undefined);
  cache.addNode(syntheticNode('n1', '4', '4Gi'));
  assert.equal(cache.nodeInfo('n1')!.requested.pods, 1, 'the returning node still carries its pod');
  cache.updateNode(syntheticNode('n1', '8', '4Gi'));
  assert.equal(cache.nodeInfo('n1')!.allocatable.milliCpu, 8000);
});

test('a pod bound to a node not seen yet is counted when the node appears', () => {
  const { cache } = setup();
  cache.addPod(bound('early', 'later'));
  assert.equal(cache.nodeInfos().some((n) => n.name === 'later'), false);
  cache.addNode(syntheticNode('later', '2', '2Gi'));
  assert.equal(cache.nodeInfo('later')!.requested.milliCpu, 1000);
});
