import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ReplicaSet } from '../../lib/api/generated/types.js';
import {
  replicaDiff,
  rankPodsForDeletion,
  podsToDelete,
  slowStartBatches,
  newPodForReplicaSet,
  computeReplicaSetStatus,
  replicaSetStatusChanged,
  nextAvailabilityCheck,
  podNamePrefix,
} from './replicas.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface PodOpts {
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  created?: number;
  restarts?: number;
  labels?: Record<string, string>;
}
function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', creationTimestamp: iso(o.created ?? T0), labels: o.labels ?? { app: 'web' } },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: iso(o.readySince ?? T0) }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
    },
  };
}

const rs = (over: Partial<ReplicaSet['spec']> = {}, generation = 1): ReplicaSet => ({
  kind: 'ReplicaSet',
  metadata: { name: 'web-abc', namespace: 'ns', uid: 'rs-uid', generation },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    ...over,
  },
});

test('replica diff: create the shortfall, delete the surplus, both capped by the burst', () => {
  assert.deepEqual(replicaDiff(3, 1), { action: 'create', count: 2 });
  assert.deepEqual(replicaDiff(1, 4), { action: 'delete', count: 3 });
  assert.deepEqual(replicaDiff(2, 2), { action: 'none' });
  assert.deepEqual(replicaDiff(1000, 0, 500), { action: 'create', count: 500 });
  assert.deepEqual(replicaDiff(0, 900, 500), { action: 'delete', count: 500 });
});

test('deletion order: unscheduled < pending < not ready < ready, then newer first', () => {
  const pods = [
    pod('ready-old', { node: 'n1', ready: true, created: T0, readySince: T0 }),
    pod('ready-new', { node: 'n2', ready: true, created: T0 + 5000, readySince: T0 }),
    pod('unscheduled', { phase: 'Pending' }),
    pod('pending', { node: 'n3', phase: 'Pending' }),
    pod('not-ready', { node: 'n4', ready: false }),
  ];
  assert.deepEqual(
    rankPodsForDeletion(pods).map((p) => p.metadata!.name),
    ['unscheduled', 'pending', 'not-ready', 'ready-new', 'ready-old'],
  );
  assert.deepEqual(podsToDelete(pods, 2).map((p) => p.metadata!.name), ['unscheduled', 'pending']);
  assert.equal(podsToDelete(pods, 0).length, 0);
});

test('deletion order among ready pods: crowded node first, then ready most recently, then more restarts', () => {
  const crowded = [
    pod('a', { node: 'n1', ready: true }),
    pod('b', { node: 'n1', ready: true }),
    pod('c', { node: 'n2', ready: true, created: T0 + 10_000 }),
  ];
  assert.match(rankPodsForDeletion(crowded)[0]!.metadata!.name!, /^[ab]$/);
  const recency = [pod('long', { node: 'n1', ready: true, readySince: T0 }), pod('short', { node: 'n2', ready: true, readySince: T0 + 1000 })];
  assert.equal(rankPodsForDeletion(recency)[0]!.metadata!.name, 'short');
  const restarts = [pod('calm', { node: 'n1', ready: true }), pod('flaky', { node: 'n2', ready: true, restarts: 4 })];
  assert.equal(rankPodsForDeletion(restarts)[0]!.metadata!.name, 'flaky');
});

test('slow start: 1, 2, 4, ... adding up to the total', () => {
  assert.deepEqual(slowStartBatches(0), []);
  assert.deepEqual(slowStartBatches(1), [1]);
  assert.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
  assert.deepEqual(slowStartBatches(15), [1, 2, 4, 8]);
  for (let n = 0; n < 100; n++) assert.equal(slowStartBatches(n).reduce((a, b) => a + b, 0), n);
});

test('a new pod carries the template, the given name and a controller reference', () => {
  const p = newPodForReplicaSet(rs(), 'web-abc-x2b4q');
  assert.equal(p.metadata!.name, 'web-abc-x2b4q');
  assert.equal(p.metadata!.namespace, 'ns');
  assert.deepEqual(p.metadata!.labels, { app: 'web', tier: 'front' });
  assert.deepEqual(p.metadata!.ownerReferences, [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true },
  ]);
  assert.deepEqual(p.spec, { containers: [{ name: 'c', image: 'nginx' }] });
  assert.equal(podNamePrefix('x'.repeat(80)).length, 57);
});

test('status counts replicas, fully labelled, ready, available (minReadySeconds) and the generation', () => {
  const set = rs({ minReadySeconds: 10 }, 4);
  const pods = [
    pod('a', { ready: true, readySince: T0, labels: { app: 'web', tier: 'front' } }),
    pod('b', { ready: true, readySince: T0 + 5000, labels: { app: 'web', tier: 'front' } }),
    pod('c', { ready: false, labels: { app: 'web' } }),
  ];
  const s = computeReplicaSetStatus(set, pods, T0 + 12_000);
  assert.deepEqual(s, { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
  assert.equal(nextAvailabilityCheck(set, pods, T0 + 12_000), 3_050);
  assert.equal(nextAvailabilityCheck(rs(), pods, T0), undefined);
});

test('status change detection ignores what the wire drops, and sees real changes', () => {
  const s = computeReplicaSetStatus(rs(), [], T0);
  assert.ok(!replicaSetStatusChanged({ observedGeneration: 1 }, s));
  assert.ok(replicaSetStatusChanged({ observedGeneration: 0 }, s));
  assert.ok(replicaSetStatusChanged({ observedGeneration: 1, replicas: 1 }, s));
});

test('a failed create is reported as ReplicaFailure and cleared by a clean sync', () => {
  const failed = computeReplicaSetStatus(rs(), [], T0, { reason: 'FailedCreate', message: 'pods "x" is forbidden' });
  assert.equal(failed.conditions?.[0]?.type, 'ReplicaFailure');
  assert.equal(failed.conditions?.[0]?.reason, 'FailedCreate');
  const withCond = { ...rs(), status: failed };
  const again = computeReplicaSetStatus(withCond, [], T0 + 1000, { reason: 'FailedCreate', message: 'pods "x" is forbidden' });
  assert.ok(!replicaSetStatusChanged(failed, again), 'an unchanged failure keeps its time');
  const cleared = computeReplicaSetStatus(withCond, [], T0 + 2000);
  assert.equal(cleared.conditions, undefined);
});
