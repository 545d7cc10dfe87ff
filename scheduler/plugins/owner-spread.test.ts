import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, type NodeScore } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { OwnerSpread } from './owner-spread.js';

const plugin = new OwnerSpread();

function scoresFor(pod: ReturnType<typeof syntheticPod>, nodes: NodeInfo[]): number[] {
  const pi = podInfoFor(pod);
  const s: NodeScore[] = nodes.map((n) => ({ name: n.name, score: plugin.score(new CycleState(), pi, n) }));
  plugin.normalizeScore(new CycleState(), pi, s);
  return s.map((x) => x.score);
}

test('fewer pods of the same owner scores higher', () => {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => new NodeInfo(n, syntheticNode(n, '4', '8Gi')));
  a!.addPod(podInfoFor(syntheticPod('w1', '1m', '1Mi', { owner: 'web' })));
  a!.addPod(podInfoFor(syntheticPod('w2', '1m', '1Mi', { owner: 'web' })));
  b!.addPod(podInfoFor(syntheticPod('w3', '1m', '1Mi', { owner: 'web' })));
  c!.addPod(podInfoFor(syntheticPod('d1', '1m', '1Mi', { owner: 'db' })));
  assert.deepEqual(scoresFor(syntheticPod('w4', '1m', '1Mi', { owner: 'web' }), [a!, b!, c!]), [0, 50, 100]);
  assert.deepEqual(scoresFor(syntheticPod('d2', '1m', '1Mi', { owner: 'db' }), [a!, b!, c!]), [100, 100, 0]);
});

test('a pod without a controller, or an owner with no pods yet, scores the same everywhere', () => {
  const nodes = ['a', 'b'].map((n) => new NodeInfo(n, syntheticNode(n, '4', '8Gi')));
  nodes[0]!.addPod(podInfoFor(syntheticPod('w1', '1m', '1Mi', { owner: 'web' })));
  assert.deepEqual(scoresFor(syntheticPod('solo', '1m', '1Mi'), nodes), [100, 100]);
  assert.deepEqual(scoresFor(syntheticPod('new', '1m', '1Mi', { owner: 'new' }), nodes), [100, 100]);
});
