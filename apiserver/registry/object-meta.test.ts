import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo, type AnyObject } from '../../lib/api/kinds.js';
import { planDelete, prepareForCreate, prepareForStatusUpdate, prepareForUpdate, readyToRemove, timestamp, withGeneration } from './object-meta.js';

const clock = { now: () => new Date('2026-01-02T03:04:05.678Z') };

test('create fills identity, time and generation, drops user status, names from generateName', () => {
  const out = prepareForCreate(kindInfo('Deployment'), { kind: 'Deployment', metadata: { generateName: 'web-', resourceVersion: '5' }, status: { replicas: 3 } } as AnyObject, clock, 'u-1');
  assert.match(out.metadata!.name!, /^web-[a-z0-9]{5}$/);
  assert.equal(out.metadata!.namespace, 'default');
  assert.equal(out.metadata!.uid, 'u-1');
  assert.equal(out.metadata!.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(out.metadata!.generation, 1);
  assert.equal(out.metadata!.resourceVersion, undefined);
  assert.equal((out as { status?: unknown }).status, undefined);
  assert.equal(out.apiVersion, 'apps/v1');
});

test('create keeps a node its reported status and clears the namespace of cluster-scoped kinds', () => {
  const out = prepareForCreate(kindInfo('Node'), { metadata: { name: 'n', namespace: 'x' }, status: { capacity: { cpu: '2' } } } as AnyObject, clock);
  assert.equal(out.metadata!.namespace, undefined);
  assert.deepEqual((out as { status?: unknown }).status, { capacity: { cpu: '2' } });
});

test('update keeps identity and status, bumps generation only for spec changes', () => {
  const info = kindInfo('Deployment');
  const old = { kind: 'Deployment', metadata: { name: 'd', namespace: 'default', uid: 'u', generation: 4, creationTimestamp: 't' }, spec: { replicas: 1 }, status: { replicas: 1 } } as AnyObject;
  const relabel = prepareForUpdate(info, { ...old, metadata: { name: 'd', uid: 'x', labels: { a: 'b' } }, status: { replicas: 9 } } as AnyObject, old);
  assert.equal(relabel.metadata!.uid, 'u');
  assert.equal(relabel.metadata!.generation, 4);
  assert.deepEqual(relabel.metadata!.labels, { a: 'b' });
  assert.deepEqual((relabel as { status?: unknown }).status, { replicas: 1 });
  assert.equal(withGeneration(relabel, old).metadata!.generation, 4);
  const scaled = withGeneration(prepareForUpdate(info, { ...old, spec: { replicas: 2 } } as AnyObject, old), old);
  assert.equal(scaled.metadata!.generation, 5);
});

test('status update changes status only', () => {
  const old = { kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { nodeName: 'n1' }, status: { phase: 'Pending' } } as AnyObject;
  const out = prepareForStatusUpdate(kindInfo('Pod'), { metadata: { name: 'p', labels: {} }, spec: { nodeName: 'n2' }, status: { phase: 'Running' } } as AnyObject, old);
  assert.deepEqual(out.metadata, old.metadata);
  assert.deepEqual((out as { spec?: unknown }).spec, { nodeName: 'n1' });
  assert.deepEqual((out as { status?: unknown }).status, { phase: 'Running' });
});

test('delete: plain objects go at once; finalizers and propagation policies mark them', () => {
  const cm = { metadata: { name: 'c' } } as AnyObject;
  assert.deepEqual(planDelete(kindInfo('ConfigMap'), cm, {}, clock), { action: 'remove' });
  const held = planDelete(kindInfo('ConfigMap'), { metadata: { name: 'c', finalizers: ['x'] } } as AnyObject, {}, clock);
  assert.equal(held.action, 'mark');
  const orphan = planDelete(kindInfo('Deployment'), { metadata: { name: 'd' } } as AnyObject, { propagationPolicy: 'Orphan' }, clock);
  assert.ok(orphan.action === 'mark' && orphan.obj.metadata!.finalizers!.includes('orphan'));
  const fg = planDelete(kindInfo('Deployment'), { metadata: { name: 'd' } } as AnyObject, { propagationPolicy: 'Foreground' }, clock);
  assert.ok(fg.action === 'mark' && fg.obj.metadata!.finalizers!.includes('foregroundDeletion'));
});

test('delete: a running pod on a node is stopped gracefully; a shorter grace period hurries it', () => {
  const info = kindInfo('Pod');
  const pod = { metadata: { name: 'p' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 20 }, status: { phase: 'Running' } } as AnyObject;
  const plan = planDelete(info, pod, {}, clock);
  assert.equal(plan.action, 'mark');
  if (plan.action !== 'mark') return;
  assert.equal(plan.obj.metadata!.deletionGracePeriodSeconds, 20);
  assert.equal(plan.obj.metadata!.deletionTimestamp, timestamp(new Date(clock.now().getTime() + 20_000)));
  assert.equal(readyToRemove(plan.obj), false);
  assert.deepEqual(planDelete(info, plan.obj, {}, clock), { action: 'none' });
  assert.deepEqual(planDelete(info, plan.obj, { gracePeriodSeconds: 0 }, clock), { action: 'remove' });
  // unscheduled and finished pods have nothing to stop
  assert.deepEqual(planDelete(info, { metadata: { name: 'p' }, spec: {} } as AnyObject, {}, clock), { action: 'remove' });
  assert.deepEqual(planDelete(info, { ...pod, status: { phase: 'Succeeded' } } as AnyObject, {}, clock), { action: 'remove' });
});

test('delete: a namespace is marked Terminating with the kubernetes finalizer', () => {
  const plan = planDelete(kindInfo('Namespace'), { metadata: { name: 'ns' }, status: { phase: 'Active' } } as AnyObject, {}, clock);
  assert.ok(plan.action === 'mark');
  if (plan.action !== 'mark') return;
  assert.deepEqual(plan.obj.metadata!.finalizers, ['kubernetes']);
  assert.equal((plan.obj as { status?: { phase?: string } }).status?.phase, 'Terminating');
});
