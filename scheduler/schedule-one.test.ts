import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Framework, unschedulable, type Status } from './framework.js';
import { defaultProfile } from './plugins/index.js';
import { fitErrorMessage, numFeasibleNodesToFind, SchedulingAlgorithm } from './schedule-one.js';
import { NodeInfo, podInfoFor } from './node-info.js';
import { syntheticNode, syntheticPod } from './simulate.js';

const st = (...reasons: string[]): Status => unschedulable(...reasons);

test('failure message counts nodes per reason, most frequent first', () => {
  const msg = fitErrorMessage(3, [
    st('Insufficient memory'),
    st('node(s) had untolerated taint {node.kubernetes.io/unreachable: }'),
    st('Insufficient memory'),
  ]);
  assert.equal(msg, '0/3 nodes are available: 2 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.');
});

test('failure message: a node with several reasons counts under each; equal counts sort by reason', () => {
  const msg = fitErrorMessage(12, [
    ...Array.from({ length: 10 }, () => st('Insufficient cpu')),
    st('Insufficient cpu', 'Insufficient memory'),
    st('Too many pods'),
  ]);
  assert.equal(msg, '0/12 nodes are available: 11 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.');
});

test('failure message with no nodes, and with a pod-level problem', () => {
  assert.match(fitErrorMessage(0, []), /^0\/0 nodes are available: no nodes are registered/);
  assert.equal(fitErrorMessage(2, [], 'bad request'), '0/2 nodes are available: bad request.');
});

test('the algorithm names every node that failed and why', () => {
  const algo = new SchedulingAlgorithm(new Framework(defaultProfile()));
  const small = new NodeInfo('small', syntheticNode('small', '1', '1Gi'));
  const tainted = syntheticNode('tainted', '8', '8Gi');
  tainted.spec = { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] };
  const notReady = syntheticNode('down', '8', '8Gi');
  notReady.status!.conditions = [{ type: 'Ready', status: 'False' }];
  const r = algo.schedule(syntheticPod('big', '2', '2Gi'), [small, new NodeInfo('tainted', tainted), new NodeInfo('down', notReady)]);
  assert.equal(r.kind, 'unschedulable');
  if (r.kind !== 'unschedulable') return;
  assert.equal(
    r.message,
    '0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were not ready.',
  );
  assert.deepEqual(r.nodeStatuses.get('small')?.reasons, ['Insufficient cpu', 'Insufficient memory']);
});

test('a pod with a malformed request is unschedulable with the parse error as reason', () => {
  const algo = new SchedulingAlgorithm(new Framework(defaultProfile()));
  const r = algo.schedule(syntheticPod('p', 'a lot', undefined), [new NodeInfo('n', syntheticNode('n', '1', '1Gi'))]);
  assert.equal(r.kind, 'unschedulable');
  assert.match(r.kind === 'unschedulable' ? r.message : '', /^0\/1 nodes are available: .*a lot/);
});

test('the best score wins', () => {
  const algo = new SchedulingAlgorithm(new Framework(defaultProfile()));
  const busy = new NodeInfo('a-busy', syntheticNode('a-busy', '4', '4Gi'));
  busy.addPod(podInfoFor(syntheticPod('x', '3', '3Gi')));
  const idle = new NodeInfo('b-idle', syntheticNode('b-idle', '4', '4Gi'));
  const r = algo.schedule(syntheticPod('p', '500m', '512Mi'), [busy, idle]);
  assert.equal(r.kind === 'scheduled' && r.nodeName, 'b-idle');
  const packer = new SchedulingAlgorithm(new Framework(defaultProfile({ scoring: 'most-allocated' })));
  const r2 = packer.schedule(syntheticPod('p', '500m', '512Mi'), [busy, idle]);
  assert.equal(r2.kind === 'scheduled' && r2.nodeName, 'a-busy');
});

test('ties are broken round-robin over the tied nodes in name order', () => {
  const algo = new SchedulingAlgorithm(new Framework(defaultProfile()));
  const nodes = ['n3', 'n1', 'n2'].map((n) => new NodeInfo(n, syntheticNode(n, '4', '4Gi')));
  const picks = [0, 1, 2, 3].map((i) => {
    const r = algo.schedule(syntheticPod(`p${i}`, '1', '1Gi'), nodes);
    return r.kind === 'scheduled' ? r.nodeName : '';
  });
  assert.deepEqual(picks, ['n1', 'n2', 'n3', 'n1']);
  assert.equal(algo.selectHost([{ name: 'x', score: 5 }, { name: 'y', score: 7 }]), 'y');
});

test('large clusters score only a share of the feasible nodes, starting where the last scan stopped', () => {
  assert.equal(numFeasibleNodesToFind(50), 50);
  assert.equal(numFeasibleNodesToFind(1000), 420);
  assert.equal(numFeasibleNodesToFind(5000), 500);
  assert.equal(numFeasibleNodesToFind(1000, 100), 1000);
  assert.equal(numFeasibleNodesToFind(1000, 1), 100);

  const algo = new SchedulingAlgorithm(new Framework(defaultProfile()), { percentageOfNodesToScore: 10 });
  const nodes = Array.from({ length: 1000 }, (_, i) => new NodeInfo(`n${String(i).padStart(4, '0')}`, syntheticNode(`n${i}`, '4', '4Gi')));
  const r1 = algo.schedule(syntheticPod('a', '1', '1Gi'), nodes);
  const r2 = algo.schedule(syntheticPod('b', '1', '1Gi'), nodes);
  assert.equal(r1.kind === 'scheduled' && r1.evaluatedNodes, 100);
  assert.ok(r1.kind === 'scheduled' && r1.nodeName < 'n0100', 'first scan covers the first 100 nodes');
  assert.ok(r2.kind === 'scheduled' && r2.nodeName >= 'n0100' && r2.nodeName < 'n0200', 'second scan starts after the first');
});
