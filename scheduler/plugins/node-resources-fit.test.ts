import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { ERR_INSUFFICIENT_CPU, ERR_INSUFFICIENT_MEMORY, ERR_TOO_MANY_PODS, NodeResourcesFit } from './node-resources-fit.js';

const plugin = new NodeResourcesFit();
const filter = (pod: ReturnType<typeof syntheticPod>, node: NodeInfo) => plugin.filter(new CycleState(), podInfoFor(pod), node)?.reasons ?? [];

test('fits exactly up to allocatable minus what is already there', () => {
  const node = new NodeInfo('n', syntheticNode('n', '2', '2Gi', 10));
  node.addPod(podInfoFor(syntheticPod('a', '1500m', '1Gi')));
  assert.deepEqual(filter(syntheticPod('b', '500m', '1Gi'), node), []);
  assert.deepEqual(filter(syntheticPod('c', '501m', '1Gi'), node), [ERR_INSUFFICIENT_CPU]);
  assert.deepEqual(filter(syntheticPod('d', '500m', '1025Mi'), node), [ERR_INSUFFICIENT_MEMORY]);
  assert.deepEqual(filter(syntheticPod('e', '1', '2Gi'), node), [ERR_INSUFFICIENT_CPU, ERR_INSUFFICIENT_MEMORY]);
});

test('the pod count is a resource too', () => {
  const node = new NodeInfo('n', syntheticNode('n', '8', '8Gi', 2));
  node.addPod(podInfoFor(syntheticPod('a', '100m', '64Mi')));
  assert.deepEqual(filter(syntheticPod('b', '100m', '64Mi'), node), []);
  node.addPod(podInfoFor(syntheticPod('b', '100m', '64Mi')));
  assert.deepEqual(filter(syntheticPod('c', undefined, undefined), node), [ERR_TOO_MANY_PODS]);
});

test('a pod without requests fits even on an overcommitted node; one with requests does not', () => {
  const node = new NodeInfo('n', syntheticNode('n', '1', '1Gi', 10));
  node.addPod(podInfoFor(syntheticPod('hand-placed', '2', '2Gi')));
  assert.deepEqual(filter(syntheticPod('b', undefined, undefined), node), []);
  assert.deepEqual(filter(syntheticPod('c', '1m', undefined), node), [ERR_INSUFFICIENT_CPU]);
});

test('limits without requests count as requests when fitting', () => {
  const node = new NodeInfo('n', syntheticNode('n', '1', '1Gi', 10));
  const p = syntheticPod('p', undefined, undefined);
  p.spec!.containers![0]!.resources = { limits: { cpu: '2' } };
  assert.deepEqual(filter(p, node), [ERR_INSUFFICIENT_CPU]);
});
