import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulingCore } from './core.js';
import { benchmarkScheduling, runSchedulingLoop, syntheticNode, syntheticPod } from './simulate.js';

test('a burst of 100 pods onto 3 nodes of different sizes never exceeds allocatable', () => {
  const core = new SchedulingCore();
  core.cache.addNode(syntheticNode('small', '2', '2Gi', 110));
  core.cache.addNode(syntheticNode('medium', '4', '8Gi', 110));
  core.cache.addNode(syntheticNode('large', '8', '16Gi', 20));
  const shapes: [string, string][] = [
    ['250m', '256Mi'],
    ['500m', '1Gi'],
    ['100m', '512Mi'],
  ];
  for (let i = 0; i < 100; i++) {
    const [cpu, mem] = shapes[i % 3]!;
    core.queue.add(syntheticPod(`p${String(i).padStart(3, '0')}`, cpu, mem, { owner: `rs${i % 4}` }));
  }
  const r = runSchedulingLoop(core);
  assert.equal(r.placements.size + r.unschedulable.size, 100);
  assert.ok(r.placements.size > 30, `placed ${r.placements.size}`);
  for (const n of core.cache.nodeInfos()) {
    assert.ok(n.requested.milliCpu <= n.allocatable.milliCpu, `${n.name} cpu ${n.requested.milliCpu} > ${n.allocatable.milliCpu}`);
    assert.ok(n.requested.memory <= n.allocatable.memory, `${n.name} memory ${n.requested.memory} > ${n.allocatable.memory}`);
    assert.ok(n.requested.pods <= n.allocatable.pods, `${n.name} pods ${n.requested.pods} > ${n.allocatable.pods}`);
    assert.ok(n.requested.pods > 0, `${n.name} got no pods`);
  }
  // Recount from the placements themselves rather than trusting the running sums.
  const byNode = new Map<string, number>();
  for (const node of r.placements.values()) byNode.set(node, (byNode.get(node) ?? 0) + 1);
  for (const n of core.cache.nodeInfos()) assert.equal(byNode.get(n.name) ?? 0, n.requested.pods);
  // Whatever did not fit says so, per node.
  for (const msg of r.unschedulable.values()) assert.match(msg, /^0\/3 nodes are available: .*(Insufficient|Too many pods)/);
});

test('replicas of one owner spread over equal nodes', () => {
  const core = new SchedulingCore();
  for (const n of ['a', 'b', 'c']) core.cache.addNode(syntheticNode(n, '8', '8Gi'));
  for (let i = 0; i < 9; i++) core.queue.add(syntheticPod(`web-${i}`, '100m', '128Mi', { owner: 'web' }));
  const r = runSchedulingLoop(core);
  assert.deepEqual(
    ['a', 'b', 'c'].map((n) => core.cache.nodeInfo(n)!.ownerCount('uid-web')),
    [3, 3, 3],
  );
  assert.equal(r.placements.size, 9);
});

test('spreading holds even without requests, and a pod that fits nowhere is parked with the reason', () => {
  const clock = { t: 0 };
  const core = new SchedulingCore({ now: () => clock.t });
  core.cache.addNode(syntheticNode('a', '1', '1Gi'));
  core.cache.addNode(syntheticNode('b', '1', '1Gi'));
  for (let i = 0; i < 4; i++) core.queue.add(syntheticPod(`bare-${i}`, undefined, undefined, { owner: 'bare' }));
  core.queue.add(syntheticPod('huge', '4', undefined));
  const r = runSchedulingLoop(core);
  assert.equal(core.cache.nodeInfo('a')!.requested.pods, 2);
  assert.equal(core.cache.nodeInfo('b')!.requested.pods, 2);
  assert.equal(r.unschedulable.get('default/huge'), '0/2 nodes are available: 2 Insufficient cpu.');
  assert.equal(core.queue.where('default/huge'), 'unschedulable');
  // a bigger node arrives: the parked pod is retried and lands there
  core.cache.addNode(syntheticNode('big', '8', '8Gi'));
  core.queue.moveAllToActiveOrBackoff();
  assert.equal(core.queue.where('default/huge'), 'backoff', 'it failed a moment ago');
  clock.t += 1000;
  core.queue.flushBackoffCompleted();
  const r2 = runSchedulingLoop(core);
  assert.equal(r2.placements.get('default/huge'), 'big');
});

test('a failed bind forgets the assumption and requeues the pod', () => {
  const core = new SchedulingCore({ now: () => 0 });
  core.cache.addNode(syntheticNode('only', '1', '1Gi'));
  core.queue.add(syntheticPod('p', '1', '1Gi'));
  const qp = core.queue.pop()!;
  const d = core.scheduleOne(qp);
  assert.equal(d.kind, 'assumed');
  assert.equal(core.cache.nodeInfo('only')!.requested.milliCpu, 1000);
  core.bindFailed(qp, qp.pod);
  assert.equal(core.cache.nodeInfo('only')!.requested.milliCpu, 0);
  assert.equal(core.queue.where('default/p'), 'backoff');
});

test('the benchmark hook reports decisions per second over a synthetic cluster', () => {
  const r = benchmarkScheduling({ nodes: 50, pods: 200 });
  assert.equal(r.decisions, 200);
  assert.equal(r.scheduled + r.unschedulable, 200);
  assert.ok(r.scheduled > 0);
  assert.ok(r.decisionsPerSecond > 0);
});
