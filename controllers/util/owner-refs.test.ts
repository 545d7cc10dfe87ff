import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ReplicaSet } from '../../lib/api/generated/types.js';
import { planClaims, newControllerRef, controllerRef, isControlledBy, withControllerRef, withoutOwnerRef } from './owner-refs.js';

const rs: ReplicaSet = { kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'ns', uid: 'rs-1' } };
const pod = (name: string, labels: Record<string, string>, ownerUid?: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: {
    name,
    labels,
    ownerReferences: ownerUid ? [{ kind: 'ReplicaSet', name: 'x', uid: ownerUid, controller: true }] : undefined,
    ...extra,
  },
});
const matches = (p: Pod) => p.metadata?.labels?.app === 'web';

test('owned matching pods are kept, orphans adopted, non-matching owned released, foreign ignored', () => {
  const plan = planClaims(rs, matches, [
    pod('mine', { app: 'web' }, 'rs-1'),
    pod('orphan', { app: 'web' }),
    pod('relabelled', { app: 'db' }, 'rs-1'),
    pod('foreign', { app: 'web' }, 'rs-2'),
    pod('unrelated', { app: 'db' }),
  ]);
  assert.deepEqual(plan.owned.map((p) => p.metadata!.name), ['mine']);
  assert.deepEqual(plan.adopt.map((p) => p.metadata!.name), ['orphan']);
  assert.deepEqual(plan.release.map((p) => p.metadata!.name), ['relabelled']);
});

test('a dying orphan is not adopted, and a dying owner adopts and releases nothing', () => {
  const dying = planClaims(rs, matches, [pod('o', { app: 'web' }, undefined, { deletionTimestamp: '2024-01-01T00:00:00Z' })]);
  assert.equal(dying.adopt.length, 0);
  const dyingOwner = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
  const plan = planClaims(dyingOwner, matches, [pod('o', { app: 'web' }), pod('r', { app: 'db' }, 'rs-1'), pod('m', { app: 'web' }, 'rs-1')]);
  assert.equal(plan.adopt.length, 0);
  assert.equal(plan.release.length, 0);
  assert.equal(plan.owned.length, 1);
});

test('controller references are built, found, added and removed', () => {
  const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
  assert.deepEqual(ref, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true, blockOwnerDeletion: true });
  const p = withControllerRef(pod('p', {}, undefined, { ownerReferences: [{ kind: 'Other', uid: 'o-1' }] }), ref);
  assert.equal(p.metadata!.ownerReferences!.length, 2);
  assert.equal(controllerRef(p)?.uid, 'rs-1');
  assert.ok(isControlledBy(p, rs));
  const released = withoutOwnerRef(p, 'rs-1');
  assert.equal(controllerRef(released), undefined);
  assert.deepEqual(released.metadata!.ownerReferences, [{ kind: 'Other', uid: 'o-1' }]);
});
