import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../lib/api/generated/types.js';
import { historyRows, planUndo, revisionHistory, rolloutStatus, templateOf } from './rollout.js';

function dep(over: { generation?: number; observed?: number; replicas?: number; updated?: number; total?: number; available?: number; paused?: boolean } = {}): Deployment {
  return {
    metadata: { name: 'web', uid: 'd1', generation: over.generation ?? 2 },
    spec: { replicas: over.replicas ?? 5, paused: over.paused, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } } },
    status: { observedGeneration: over.observed ?? 2, updatedReplicas: over.updated ?? 5, replicas: over.total ?? 5, availableReplicas: over.available ?? 5 },
  };
}

test('rollout status follows kubectl: observed generation, then updated, old, available', () => {
  assert.deepEqual(rolloutStatus(dep({ observed: 1 })), { message: 'Waiting for deployment spec update to be observed...', done: false });
  assert.equal(rolloutStatus(dep({ updated: 2 })).message, 'Waiting for deployment "web" rollout to finish: 2 out of 5 new replicas have been updated...');
  assert.equal(rolloutStatus(dep({ total: 7 })).message, 'Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...');
  assert.equal(rolloutStatus(dep({ available: 2 })).message, 'Waiting for deployment "web" rollout to finish: 2 of 5 updated replicas are available...');
  assert.deepEqual(rolloutStatus(dep()), { message: 'deployment "web" successfully rolled out', done: true });
});

test('rollout status fails once the progress deadline has passed', () => {
  const d = dep({ updated: 1 });
  d.status!.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }];
  assert.throws(() => rolloutStatus(d), /exceeded its progress deadline/);
});

function rs(name: string, revision: string, image: string, owner = 'd1', cause?: string): ReplicaSet {
  return {
    metadata: {
      name,
      annotations: { 'deployment.kubernetes.io/revision': revision, ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) },
      ownerReferences: [{ kind: 'Deployment', name: 'web', uid: owner, controller: true }],
    },
    spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

test('history: owned ReplicaSets with a revision, oldest first', () => {
  const h = revisionHistory(dep(), [rs('b', '2', 'v2'), rs('a', '1', 'v1', 'd1', 'first'), rs('x', '9', 'v9', 'other'), { metadata: { name: 'norev', ownerReferences: [{ uid: 'd1', controller: true }] } }]);
  assert.deepEqual(h.map((r) => r.revision), [1, 2]);
  assert.deepEqual(historyRows(h), [['REVISION', 'CHANGE-CAUSE'], ['1', 'first'], ['2', '<none>']]);
});

test('undo: the previous revision by default, its template without pod-template-hash', () => {
  const h = revisionHistory(dep(), [rs('a', '1', 'v1'), rs('b', '2', 'v2')]);
  const plan = planUndo(dep(), h, 0);
  assert.equal(plan.action, 'rollback');
  assert.equal(plan.revision, 1);
  if (plan.action === 'rollback') {
    assert.equal(plan.template.spec!.containers![0]!.image, 'v1');
    assert.deepEqual(plan.template.metadata!.labels, { app: 'web' });
  }
  assert.deepEqual(templateOf(rs('a', '1', 'v1')).metadata!.labels, { app: 'web' });
});

test('undo: skips when already at the target; errors for unknown revisions, no history, paused', () => {
  const h = revisionHistory(dep(), [rs('a', '1', 'v1'), rs('b', '2', 'v2')]);
  assert.deepEqual(planUndo(dep(), h, 2), { action: 'skip', revision: 2 });
  assert.throws(() => planUndo(dep(), h, 7), /unable to find specified revision 7/);
  assert.throws(() => planUndo(dep(), [], 0), /no rollout history found/);
  assert.throws(() => planUndo(dep({ paused: true }), h, 0), /paused/);
});
