import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from '../../lib/api/generated/types.js';
import {
  planDependent,
  planOwner,
  stateOfOwner,
  hasGcFinalizer,
  sameOwners,
  withoutFinalizer,
  withoutOwnerReferences,
  type HasMeta,
  type OwnerState,
} from './decide.js';

const ref = (uid: string, kind = 'ReplicaSet'): OwnerReference => ({ apiVersion: 'apps/v1', kind, name: `owner-${uid}`, uid });
const dep = (...uids: string[]): HasMeta => ({ kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'dep', ownerReferences: uids.map((u) => ref(u)) } });
const owners = (...states: [string, OwnerState][]) => states.map(([uid, state]) => ({ ref: ref(uid), state }));

test('a dependent whose only owner is gone is deleted in the background', () => {
  const p = planDependent(dep('a'), owners(['a', 'absent']), false);
  assert.equal(p.action, 'delete');
  assert.equal(p.action === 'delete' && p.propagationPolicy, 'Background');
  assert.match(p.reason, /ReplicaSet "owner-a" \(uid a\) no longer exists/);
});

test('a dependent with an existing owner is left alone', () => {
  assert.equal(planDependent(dep('a'), owners(['a', 'exists']), false).action, 'none');
});

test('an owner that cannot be checked counts as existing', () => {
  assert.equal(planDependent(dep('a', 'b'), owners(['a', 'absent'], ['b', 'unresolvable']), false).action, 'removeOwnerReferences');
  assert.equal(planDependent(dep('b'), owners(['b', 'unresolvable']), false).action, 'none');
});

test('with one owner left, references to gone and foreground-deleting owners are dropped instead', () => {
  const p = planDependent(dep('a', 'b', 'c'), owners(['a', 'exists'], ['b', 'absent'], ['c', 'waitingForDependents']), false);
  assert.deepEqual(p.action === 'removeOwnerReferences' && p.uids, ['b', 'c']);
});

test('dependents of a foreground deletion are deleted; in the foreground if they have dependents of their own', () => {
  const leaf = planDependent(dep('a'), owners(['a', 'waitingForDependents']), false);
  assert.equal(leaf.action === 'delete' && leaf.propagationPolicy, 'Background');
  const middle = planDependent(dep('a'), owners(['a', 'waitingForDependents']), true);
  assert.equal(middle.action === 'delete' && middle.propagationPolicy, 'Foreground');
});

test('objects already being deleted or without owners need nothing', () => {
  const going = dep('a');
  going.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
  assert.equal(planDependent(going, owners(['a', 'absent']), false).action, 'none');
  assert.equal(planDependent(dep(), [], false).action, 'none');
});

test('stateOfOwner: foreground deletion waits for dependents, other deletions do not', () => {
  assert.equal(stateOfOwner({ metadata: {} }), 'exists');
  assert.equal(stateOfOwner({ metadata: { deletionTimestamp: 't', finalizers: ['orphan'] } }), 'exists');
  assert.equal(stateOfOwner({ metadata: { deletionTimestamp: 't', finalizers: ['foregroundDeletion'] } }), 'waitingForDependents');
});

const owner = (finalizers: string[], deleting = true): HasMeta => ({
  kind: 'ReplicaSet',
  metadata: { name: 'rs', namespace: 'default', uid: 'o', finalizers, deletionTimestamp: deleting ? '2024-01-01T00:00:00Z' : undefined },
});

test('planOwner: orphan strips references first, then releases the owner', () => {
  const d1 = dep('o');
  const other = dep('x');
  const p = planOwner(owner(['orphan']), [d1, other]);
  assert.equal(p.action, 'orphan');
  assert.deepEqual(p.action === 'orphan' && p.dependents, [d1]);
  assert.deepEqual(planOwner(owner(['orphan']), [other]), { action: 'removeFinalizer', finalizer: 'orphan' });
});

test('planOwner: foreground waits while any dependent remains, then releases', () => {
  const d1 = dep('o');
  d1.metadata!.deletionTimestamp = 't';
  assert.equal(planOwner(owner(['foregroundDeletion']), [d1]).action, 'waitForDependents');
  assert.deepEqual(planOwner(owner(['foregroundDeletion']), []), { action: 'removeFinalizer', finalizer: 'foregroundDeletion' });
});

test('planOwner: nothing to do for owners not being deleted or without GC finalizers', () => {
  assert.deepEqual(planOwner(owner(['orphan'], false), [dep('o')]), { action: 'none' });
  assert.deepEqual(planOwner(owner(['example.com/other']), [dep('o')]), { action: 'none' });
});

test('helpers', () => {
  const d = dep('a', 'b');
  assert.deepEqual(withoutOwnerReferences(d, ['a']).metadata?.ownerReferences?.map((r) => r.uid), ['b']);
  assert.deepEqual(d.metadata?.ownerReferences?.length, 2, 'input untouched');
  assert.deepEqual(withoutFinalizer(owner(['orphan', 'x']), 'orphan').metadata?.finalizers, ['x']);
  assert.equal(hasGcFinalizer(owner(['orphan'])), true);
  assert.equal(hasGcFinalizer(owner(['orphan'], false)), false);
  assert.equal(hasGcFinalizer(owner(['x'])), false);
  assert.equal(sameOwners(dep('a', 'b'), dep('b', 'a')), true);
  assert.equal(sameOwners(dep('a'), dep('a', 'b')), false);
});
