import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { ERR_NODE_NOT_READY, ERR_NODE_UNSCHEDULABLE, NodeReady } from './node-ready.js';

const plugin = new NodeReady();
const pod = podInfoFor(syntheticPod('p', '100m', '64Mi'));

test('a Ready node passes', () => {
  assert.equal(plugin.filter(new CycleState(), pod, new NodeInfo('n', syntheticNode('n', '1', '1Gi'))), undefined);
});

test('a node whose Ready condition is False, Unknown or missing is rejected', () => {
  for (const conditions of [[{ type: 'Ready', status: 'False' }], [{ type: 'Ready', status: 'Unknown' }], [{ type: 'MemoryPressure', status: 'False' }], undefined]) {
    const n = syntheticNode('n', '1', '1Gi');
    n.status!.conditions = conditions;
    assert.deepEqual(plugin.filter(new CycleState(), pod, new NodeInfo('n', n))?.reasons, [ERR_NODE_NOT_READY], JSON.stringify(conditions));
  }
});

test('a cordoned node is rejected unless the pod tolerates the unschedulable taint', () => {
  const n = syntheticNode('n', '1', '1Gi');
  n.spec = { unschedulable: true };
  assert.deepEqual(plugin.filter(new CycleState(), pod, new NodeInfo('n', n))?.reasons, [ERR_NODE_UNSCHEDULABLE]);
  const tolerant = syntheticPod('t', '100m', '64Mi');
  tolerant.spec!.tolerations = [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }];
  assert.equal(plugin.filter(new CycleState(), podInfoFor(tolerant), new NodeInfo('n', n)), undefined);
});
