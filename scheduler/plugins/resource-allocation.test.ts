import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { NodeResourcesLeastAllocated, NodeResourcesMostAllocated } from './resource-allocation.js';

const least = new NodeResourcesLeastAllocated();
const most = new NodeResourcesMostAllocated();

function nodeUsing(cpu: string, memory: string): NodeInfo {
  const n = new NodeInfo('n', syntheticNode('n', '4', '4Gi'));
  n.addPod(podInfoFor(syntheticPod('existing', cpu, memory)));
  return n;
}

test('least-allocated: the share left free after the pod, averaged over cpu and memory', () => {
  const pod = podInfoFor(syntheticPod('p', '1', '1Gi'));
  // cpu: (4000-1000-1000)/4000 = 50; memory: (4-1-1)/4 = 50
  assert.equal(least.score(new CycleState(), pod, nodeUsing('1', '1Gi')), 50);
  // cpu: 1000/4000 = 25 free; memory: 2/4 free = 50 → 37
  assert.equal(least.score(new CycleState(), pod, nodeUsing('2', '1Gi')), 37);
  assert.equal(least.score(new CycleState(), pod, new NodeInfo('e', syntheticNode('e', '4', '4Gi'))), 75);
});

test('most-allocated: the share used after the pod; capped at 100', () => {
  const pod = podInfoFor(syntheticPod('p', '1', '1Gi'));
  assert.equal(most.score(new CycleState(), pod, nodeUsing('1', '1Gi')), 50);
  assert.equal(most.score(new CycleState(), pod, nodeUsing('3', '3Gi')), 100);
  assert.equal(most.score(new CycleState(), pod, nodeUsing('4', '4Gi')), 100);
});

test('an emptier node scores higher under least-allocated and lower under most-allocated', () => {
  const pod = podInfoFor(syntheticPod('p', '500m', '512Mi'));
  const busy = nodeUsing('3', '3Gi');
  const idle = nodeUsing('100m', '100Mi');
  assert.ok(least.score(new CycleState(), pod, idle) > least.score(new CycleState(), pod, busy));
  assert.ok(most.score(new CycleState(), pod, idle) < most.score(new CycleState(), pod, busy));
});

test('pods without requests still weigh on the score through the defaults', () => {
  const empty = new NodeInfo('e', syntheticNode('e', '1', '1Gi'));
  const withBare = new NodeInfo('b', syntheticNode('b', '1', '1Gi'));
  withBare.addPod(podInfoFor(syntheticPod('bare', undefined, undefined)));
  const pod = podInfoFor(syntheticPod('p', undefined, undefined));
  assert.ok(least.score(new CycleState(), pod, empty) > least.score(new CycleState(), pod, withBare));
});

test('a node with no allocatable scores 0', () => {
  const pod = podInfoFor(syntheticPod('p', '1', '1Gi'));
  assert.equal(least.score(new CycleState(), pod, new NodeInfo('z', syntheticNode('z', '0', '0'))), 0);
  assert.equal(most.score(new CycleState(), pod, new NodeInfo('z', syntheticNode('z', '0', '0'))), 0);
});
