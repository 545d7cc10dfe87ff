import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, defaultNormalizeScore, Framework, SKIP, unschedulable, type FilterPlugin, type NodeScore, type ScorePlugin } from './framework.js';
import { NodeInfo, podInfoFor } from './node-info.js';
import { syntheticNode, syntheticPod } from './simulate.js';

const nodes = ['a', 'b'].map((n) => new NodeInfo(n, syntheticNode(n, '1', '1Gi')));
const pod = podInfoFor(syntheticPod('p', '1m', '1Mi'));

test('filters run in profile order and the first rejection is the answer', () => {
  const calls: string[] = [];
  const f = (name: string, reject: boolean): FilterPlugin => ({
    name,
    filter: () => {
      calls.push(name);
      return reject ? unschedulable(`${name} says no`) : undefined;
    },
  });
  const fw = new Framework({ schedulerName: 's', plugins: [f('first', false), f('second', true), f('third', true)] });
  const s = fw.runFilter(new CycleState(), pod, nodes[0]!);
  assert.deepEqual(s, { code: 'Unschedulable', reasons: ['second says no'], plugin: 'second' });
  assert.deepEqual(calls, ['first', 'second']);
});

test('scores are normalised per plugin then summed by weight; weight 0 disables a plugin', () => {
  const raw = (name: string, values: Record<string, number>, normalize?: ScorePlugin['normalizeScore']): ScorePlugin => ({
    name,
    score: (_s, _p, n) => values[n.name]!,
    normalizeScore: normalize,
  });
  const fw = new Framework({
    schedulerName: 's',
    plugins: [
      raw('direct', { a: 10, b: 40 }),
      raw('counts', { a: 1, b: 4 }, (_s, _p, scores) => defaultNormalizeScore(scores, false)),
      raw('off', { a: 100, b: 0 }),
    ],
    scoreWeights: { direct: 2, counts: 1, off: 0 },
  });
  assert.deepEqual(fw.runScore(new CycleState(), pod, nodes), [
    { name: 'a', score: 2 * 10 + 25 },
    { name: 'b', score: 2 * 40 + 100 },
  ]);
  assert.deepEqual(fw.pluginNames.score, [{ name: 'direct', weight: 2 }, { name: 'counts', weight: 1 }]);
});

test('a score outside 0..100 after normalising is a plugin bug and is reported', () => {
  const fw = new Framework({ schedulerName: 's', plugins: [{ name: 'wild', score: () => 250 } as ScorePlugin] });
  assert.throws(() => fw.runScore(new CycleState(), pod, nodes), /wild gave node a score 250/);
});

test('a plugin listed twice is refused', () => {
  assert.throws(() => new Framework({ schedulerName: 's', plugins: [{ name: 'x' }, { name: 'x' }] }), /listed twice/);
});

test('defaultNormalizeScore scales to the maximum, optionally reversed', () => {
  const s: NodeScore[] = [{ name: 'a', score: 3 }, { name: 'b', score: 6 }, { name: 'c', score: 0 }];
  defaultNormalizeScore(s, false);
  assert.deepEqual(s.map((x) => x.score), [50, 100, 0]);
  const r: NodeScore[] = [{ name: 'a', score: 3 }, { name: 'b', score: 6 }, { name: 'c', score: 0 }];
  defaultNormalizeScore(r, true);
  assert.deepEqual(r.map((x) => x.score), [50, 0, 100]);
});

test('a PreFilter SKIP leaves that plugin\'s filter out of the attempt; a PreScore SKIP its score', () => {
  const calls: string[] = [];
  const skipping = {
    name: 'skipping',
    preFilter: () => SKIP,
    filter: () => {
      calls.push('filter');
      return unschedulable('never');
    },
    preScore: () => SKIP,
    score: () => {
      calls.push('score');
      return 100;
    },
  };
  const counting: ScorePlugin = { name: 'counting', score: (_s, _p, n) => (n.name === 'a' ? 10 : 20) };
  const fw = new Framework({ schedulerName: 's', plugins: [skipping, counting] });
  const state = new CycleState();
  assert.equal(fw.runPreFilter(state, pod).code, 'Success');
  assert.equal(fw.runFilter(state, pod, nodes[0]!).code, 'Success');
  assert.deepEqual(fw.runScore(state, pod, nodes), [
    { name: 'a', score: 10 },
    { name: 'b', score: 20 },
  ]);
  assert.deepEqual(calls, []);
  // Without PreFilter (a fresh state) every filter runs.
  assert.equal(fw.runFilter(new CycleState(), pod, nodes[0]!).code, 'Unschedulable');
});
