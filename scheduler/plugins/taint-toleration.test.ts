import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from '../../lib/api/generated/types.js';
import { CycleState, type NodeScore } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { TaintToleration, toleratesTaint } from './taint-toleration.js';

const plugin = new TaintToleration();
const nodeWith = (taints: Taint[], name = 'n1') => {
  const n = syntheticNode(name, '4', '8Gi');
  n.spec = { taints };
  return new NodeInfo(name, n);
};
const podWith = (tolerations: Toleration[] = []) => {
  const p = syntheticPod('p', '100m', '64Mi');
  p.spec!.tolerations = tolerations;
  return podInfoFor(p);
};

test('toleration matching: key, value, operator, effect', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint), true);
  assert.equal(toleratesTaint({ key: 'dedicated', value: 'gpu' }, taint), true, 'empty operator is Equal, empty effect is any');
  assert.equal(toleratesTaint({ key: 'dedicated', value: 'db' }, taint), false, 'value differs');
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint), true);
  assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true, 'empty key with Exists tolerates everything');
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint), false, 'effect differs');
  assert.equal(toleratesTaint({ key: 'other', operator: 'Exists' }, taint), false);
  assert.equal(toleratesTaint({ key: 'dedicated', operator: 'Bogus', value: 'gpu' }, taint), false);
});

test('filter rejects an untolerated NoSchedule or NoExecute taint with its key and value', () => {
  const s = plugin.filter(new CycleState(), podWith(), nodeWith([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]));
  assert.deepEqual(s?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
  const s2 = plugin.filter(new CycleState(), podWith(), nodeWith([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]));
  assert.deepEqual(s2?.reasons, ['node(s) had untolerated taint {dedicated: gpu}']);
});

test('filter passes tolerated taints and ignores PreferNoSchedule', () => {
  const node = nodeWith([
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'soft', effect: 'PreferNoSchedule' },
  ]);
  assert.equal(plugin.filter(new CycleState(), podWith([{ key: 'dedicated', operator: 'Equal', value: 'gpu' }]), node), undefined);
  assert.notEqual(plugin.filter(new CycleState(), podWith([{ key: 'dedicated', operator: 'Equal', value: 'cpu' }]), node), undefined);
});

test('score: fewer untolerated PreferNoSchedule taints is better, normalised so the best is 100', () => {
  const nodes = [
    nodeWith([], 'clean'),
    nodeWith([{ key: 'a', effect: 'PreferNoSchedule' }], 'one'),
    nodeWith([{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'NoSchedule' }], 'two'),
  ];
  const pod = podWith([{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }, { key: 'a', operator: 'Exists', effect: 'NoSchedule' }]);
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: plugin.score(new CycleState(), pod, n) }));
  assert.deepEqual(scores.map((s) => s.score), [0, 1, 1], 'a tolerates only b for PreferNoSchedule');
  plugin.normalizeScore(new CycleState(), pod, scores);
  assert.deepEqual(scores.map((s) => s.score), [100, 0, 0]);
  const none: NodeScore[] = [{ name: 'x', score: 0 }, { name: 'y', score: 0 }];
  plugin.normalizeScore(new CycleState(), pod, none);
  assert.deepEqual(none.map((s) => s.score), [100, 100]);
});
