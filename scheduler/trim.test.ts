import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podInfoFor } from './node-info.js';
import { nodeAllocatable } from './resources.js';
import { nodeIsReady } from './node-info.js';
import { syntheticNode, syntheticPod } from './simulate.js';
import { trimNode, trimPod } from './trim.js';

function richPod() {
  const p = syntheticPod('web-1', '250m', '256Mi', { owner: 'web', priority: 5 });
  p.metadata!.labels = { app: 'web' };
  p.metadata!.annotations = { note: 'x'.repeat(1000) };
  p.metadata!.resourceVersion = '7';
  p.spec!.containers![0]!.ports = [{ containerPort: 80, hostPort: 8080 }];
  p.spec!.containers![0]!.env = [{ name: 'A', value: 'b' }];
  p.spec!.initContainers = [{ name: 'init', image: 'busybox', command: ['true'], resources: { requests: { cpu: '2' } } }];
  p.spec!.volumes = [{ name: 'data', emptyDir: {} }];
  p.status = { phase: 'Running', podIP: '10.0.0.5', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'busybox' }] };
  return p;
}

test('a pending pod is kept whole; a bound one keeps what scheduling reads and drops the rest', () => {
  const pending = richPod();
  pending.status = { phase: 'Pending' };
  assert.equal(trimPod(pending), pending);

  const bound = richPod();
  bound.spec!.nodeName = 'n1';
  const t = trimPod(bound);
  const { pod: _a, ...full } = podInfoFor(bound);
  const { pod: _b, ...trimmed } = podInfoFor(t);
  assert.deepEqual(trimmed, full);
  assert.equal(t.spec?.nodeName, 'n1');
  assert.equal(t.spec?.schedulerName, 'default-scheduler');
  assert.equal(t.status?.phase, 'Running');
  assert.deepEqual(t.metadata?.labels, { app: 'web' });
  assert.equal(t.metadata?.resourceVersion, '7');
  assert.equal(t.metadata?.annotations, undefined);
  assert.equal(t.spec?.volumes, undefined);
  assert.equal(t.spec?.containers?.[0]?.env, undefined);
  assert.equal(t.status?.containerStatuses, undefined);
  assert.ok(JSON.stringify(t).length < JSON.stringify(bound).length / 3);
});

test('a finished pod is trimmed even without a node; a deleted one keeps its deletion time', () => {
  const done = richPod();
  done.status = { phase: 'Succeeded' };
  assert.equal(trimPod(done).status?.containerStatuses, undefined);
  const going = richPod();
  going.spec!.nodeName = 'n1';
  going.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
  assert.equal(trimPod(going).metadata?.deletionTimestamp, '2024-01-01T00:00:00Z');
});

test('a trimmed node offers the same and is Ready, tainted and cordoned the same', () => {
  const n = syntheticNode('n1', '8', '16Gi', 50, { zone: 'a' });
  n.spec = { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], unschedulable: true, podCIDR: '10.1.0.0/24' };
  n.status!.conditions = [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'long message' }];
  n.status!.addresses = [{ type: 'InternalIP', address: '10.0.0.1' }];
  const t = trimNode(n);
  assert.deepEqual(nodeAllocatable(t), nodeAllocatable(n));
  assert.equal(nodeIsReady(t), true);
  assert.deepEqual(t.spec, { taints: n.spec.taints, unschedulable: true });
  assert.deepEqual(t.metadata?.labels, n.metadata?.labels);
  assert.equal(t.status?.addresses, undefined);
});
