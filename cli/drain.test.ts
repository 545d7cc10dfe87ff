import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../lib/api/generated/types.js';
import { planDrain } from './drain.js';

const pod = (name: string, o: { owner?: string; emptyDir?: boolean; phase?: string; deleting?: boolean; mirror?: boolean } = {}): Pod => ({
  metadata: {
    name,
    namespace: 'default',
    uid: name,
    ownerReferences: o.owner ? [{ kind: o.owner, name: 'o', uid: 'o', controller: true }] : undefined,
    deletionTimestamp: o.deleting ? '2024-01-01T00:00:00Z' : undefined,
    annotations: o.mirror ? { 'kubernetes.io/config.mirror': 'x' } : undefined,
  },
  spec: { containers: [{ name: 'c' }], volumes: o.emptyDir ? [{ name: 'v', emptyDir: {} }] : undefined },
  status: { phase: o.phase ?? 'Running' },
});
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name);

test('controller-owned pods are removed; bare pods block unless forced', () => {
  const pods = [pod('rs1', { owner: 'ReplicaSet' }), pod('bare')];
  const p = planDrain(pods, {});
  assert.deepEqual(names(p.remove), ['rs1']);
  assert.equal(p.blocking.length, 1);
  assert.match(p.blocking[0]!.message, /declare no controller \(use --force/);
  assert.deepEqual(names(p.blocking[0]!.pods), ['bare']);
  const forced = planDrain(pods, { force: true });
  assert.deepEqual(names(forced.remove), ['rs1', 'bare']);
  assert.equal(forced.blocking.length, 0);
});

test('DaemonSet pods block unless ignored; emptyDir pods need --delete-emptydir-data', () => {
  const pods = [pod('ds', { owner: 'DaemonSet' }), pod('ed', { owner: 'ReplicaSet', emptyDir: true })];
  const p = planDrain(pods, {});
  assert.equal(p.blocking.length, 2);
  const q = planDrain(pods, { ignoreDaemonSets: true, deleteEmptyDirData: true });
  assert.deepEqual(names(q.remove), ['ed']);
  assert.deepEqual(q.ignored.map((i) => `${i.pod.metadata!.name}:${i.reason}`), ['ds:DaemonSet-managed']);
});

test('finished and already-deleting pods never block; mirror pods are left alone', () => {
  const p = planDrain([pod('done', { phase: 'Succeeded' }), pod('going', { deleting: true }), pod('m', { mirror: true })], {});
  assert.deepEqual(names(p.remove), ['done', 'going']);
  assert.equal(p.blocking.length, 0);
  assert.deepEqual(p.ignored.map((i) => i.reason), ['mirror pod']);
});
