import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeSelectorTerm, Pod, PreferredSchedulingTerm } from '../../lib/api/generated/types.js';
import { CycleState, type NodeScore } from '../framework.js';
import { NodeInfo, podInfoFor } from '../node-info.js';
import { syntheticNode, syntheticPod } from '../simulate.js';
import { ERR_NODE_AFFINITY, matchesRequirement, matchesTerm, NodeAffinity } from './node-affinity.js';

const plugin = new NodeAffinity();
const node = (name: string, labels: Record<string, string>) => new NodeInfo(name, syntheticNode(name, '4', '8Gi', 110, labels));
const run = (pod: Pod, n: NodeInfo) => {
  const state = new CycleState();
  const pi = podInfoFor(pod);
  // SKIP (nothing required) tells the framework not to call filter; filter must still agree when called.
  assert.notEqual(plugin.preFilter(state, pi)?.code, 'Unschedulable');
  return plugin.filter(state, pi, n)?.reasons ?? [];
};
const podWith = (f: (p: Pod) => void) => {
  const p = syntheticPod('p', '100m', '64Mi');
  f(p);
  return p;
};
const required = (...terms: NodeSelectorTerm[]) => podWith((p) => (p.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } }));

test('operators In, NotIn, Exists, DoesNotExist, Gt, Lt', () => {
  const labels = { zone: 'a', cores: '8' };
  const m = (operator: string, key: string, values?: string[]) => matchesRequirement({ key, operator, values }, labels);
  assert.equal(m('In', 'zone', ['a', 'b']), true);
  assert.equal(m('In', 'zone', ['b']), false);
  assert.equal(m('In', 'missing', ['a']), false);
  assert.equal(m('NotIn', 'zone', ['b']), true);
  assert.equal(m('NotIn', 'zone', ['a']), false);
  assert.equal(m('NotIn', 'missing', ['a']), true, 'a missing label is not in any set');
  assert.equal(m('Exists', 'zone'), true);
  assert.equal(m('Exists', 'missing'), false);
  assert.equal(m('DoesNotExist', 'missing'), true);
  assert.equal(m('DoesNotExist', 'zone'), false);
  assert.equal(m('Gt', 'cores', ['4']), true);
  assert.equal(m('Gt', 'cores', ['8']), false);
  assert.equal(m('Lt', 'cores', ['16']), true);
  assert.equal(m('Lt', 'cores', ['8']), false);
  assert.equal(m('Gt', 'zone', ['1']), false, 'non-integer label');
  assert.equal(m('Gt', 'cores', ['x']), false, 'non-integer value');
  assert.equal(m('Gt', 'cores', ['1', '2']), false, 'exactly one value');
  assert.equal(m('Gt', 'missing', ['1']), false);
  assert.equal(m('Near', 'zone', ['a']), false, 'unknown operator');
});

test('a term ANDs its expressions; matchFields supports metadata.name; an empty term matches nothing', () => {
  const labels = { zone: 'a', disk: 'ssd' };
  assert.equal(matchesTerm({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['ssd'] }] }, 'n1', labels), true);
  assert.equal(matchesTerm({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }] }, 'n1', labels), false);
  assert.equal(matchesTerm({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, 'n1', labels), true);
  assert.equal(matchesTerm({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }, 'n1', labels), false);
  assert.equal(matchesTerm({ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['n1'] }] }, 'n1', labels), false);
  assert.equal(matchesTerm({}, 'n1', labels), false);
});

test('nodeSelector needs every label to match', () => {
  const p = podWith((p) => (p.spec!.nodeSelector = { zone: 'a', disk: 'ssd' }));
  assert.deepEqual(run(p, node('n1', { zone: 'a', disk: 'ssd', extra: 'x' })), []);
  assert.deepEqual(run(p, node('n2', { zone: 'a' })), [ERR_NODE_AFFINITY]);
  assert.deepEqual(run(p, node('n3', { zone: 'b', disk: 'ssd' })), [ERR_NODE_AFFINITY]);
});

test('required node affinity ORs its terms, and combines with nodeSelector', () => {
  const p = required(
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
  );
  assert.deepEqual(run(p, node('n1', { zone: 'a' })), []);
  assert.deepEqual(run(p, node('special', { zone: 'z' })), []);
  assert.deepEqual(run(p, node('n2', { zone: 'b' })), [ERR_NODE_AFFINITY]);
  p.spec!.nodeSelector = { disk: 'ssd' };
  assert.deepEqual(run(p, node('n1', { zone: 'a' })), [ERR_NODE_AFFINITY]);
  assert.deepEqual(run(p, node('n1', { zone: 'a', disk: 'ssd' })), []);
});

test('required affinity with an empty term list matches no node; no affinity matches every node', () => {
  assert.deepEqual(run(required(), node('n1', {})), [ERR_NODE_AFFINITY]);
  assert.deepEqual(run(syntheticPod('p', '1m', '1Mi'), node('n1', {})), []);
});

test('preferred affinity scores the weight of matching terms, normalised to the best node', () => {
  const preferred: PreferredSchedulingTerm[] = [
    { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
    { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
    { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
    { weight: 50, preference: {} },
  ];
  const pod = podInfoFor(podWith((p) => (p.spec!.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } })));
  const nodes = [node('both', { disk: 'ssd', zone: 'a' }), node('ssd', { disk: 'ssd' }), node('zone', { zone: 'a' }), node('none', {})];
  const state = new CycleState();
  plugin.preFilter(state, pod);
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) }));
  assert.deepEqual(scores.map((s) => s.score), [100, 80, 20, 0]);
  plugin.normalizeScore(state, pod, scores);
  assert.deepEqual(scores.map((s) => s.score), [100, 80, 20, 0]);
  const halves: NodeScore[] = [{ name: 'a', score: 20 }, { name: 'b', score: 10 }, { name: 'c', score: 0 }];
  plugin.normalizeScore(state, pod, halves);
  assert.deepEqual(halves.map((s) => s.score), [100, 50, 0]);
});

test('preFilter skips a pod with no nodeSelector and no required affinity; preScore skips one with no preferred terms', () => {
  const state = new CycleState();
  assert.equal(plugin.preFilter(state, podInfoFor(syntheticPod('p', '1m', '1Mi')))?.code, 'Skip');
  assert.equal(plugin.preFilter(state, podInfoFor(podWith((p) => (p.spec!.nodeSelector = { zone: 'a' }))))?.code, undefined);
  assert.equal(plugin.preFilter(state, podInfoFor(required()))?.code, undefined, 'an empty term list still rejects every node');
  assert.equal(plugin.preScore(state, podInfoFor(syntheticPod('p', '1m', '1Mi')))?.code, 'Skip');
  const zeroWeight = podWith((p) => (p.spec!.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } }] } }));
  assert.equal(plugin.preScore(state, podInfoFor(zeroWeight))?.code, 'Skip');
});
