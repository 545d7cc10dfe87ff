import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import {
  hollowNode,
  hollowNodeStatus,
  hollowLease,
  hollowPodStatus,
  isHollowRunning,
  isReady,
  microTime,
  validateHollowSpec,
  HOLLOW_LABEL,
  type HollowNodeSpec,
} from './status.js';
import { PodIPAllocator, claimPodCIDR, releasePodCIDR } from './pod-ips.js';

const spec: HollowNodeSpec = { nodeName: 'node-a', cpus: 4, memory: '16Gi', maxPods: 110, podCIDR: '100.64.3.0/24' };
const NOW = '2024-05-01T10:00:00.000Z';

test('the registered node carries hostname and hollow labels and its pod CIDR', () => {
  const n = hollowNode(spec);
  assert.equal(n.metadata?.name, 'node-a');
  assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'node-a');
  assert.equal(n.metadata?.labels?.[HOLLOW_LABEL], 'true');
  assert.equal(n.spec?.podCIDR, '100.64.3.0/24');
});

test('node status: capacity = allocatable, Ready=True with heartbeat, loopback address', () => {
  const s = hollowNodeStatus(spec, NOW);
  assert.deepEqual(s.capacity, { cpu: '4', memory: '16Gi', pods: '110' });
  assert.deepEqual(s.allocatable, s.capacity);
  const ready = s.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'True');
  assert.equal(ready.lastHeartbeatTime, NOW);
  assert.deepEqual(s.addresses![0], { type: 'InternalIP', address: '127.0.0.1' });
  assert.equal(isReady({ status: s }), true);
  // A transition time survives a re-post with the same status.
  const later = hollowNodeStatus(spec, '2024-05-01T11:00:00.000Z', s.conditions);
  assert.equal(later.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, NOW);
  const afterUnknown = hollowNodeStatus(spec, '2024-05-01T11:00:00.000Z', [{ type: 'Ready', status: 'Unknown', lastTransitionTime: NOW }]);
  assert.equal(afterUnknown.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, '2024-05-01T11:00:00.000Z');
});

test('sizes are validated with messages naming the flag', () => {
  assert.throws(() => validateHollowSpec({ ...spec, cpus: 'lots' }), (e: unknown) => e instanceof ApiError && /--cpus "lots"/.test(e.message));
  assert.throws(() => validateHollowSpec({ ...spec, memory: '0' }), /--memory "0"/);
  assert.throws(() => validateHollowSpec({ ...spec, maxPods: 300 }), /--max-pods 300 must be a whole number from 1 to 250/);
  assert.throws(() => validateHollowSpec({ ...spec, nodeName: 'Node_A' }), /--node-name "Node_A"/);
  validateHollowSpec({ ...spec, cpus: '1500m', memory: '512Mi' });
});

test('lease: owned by the Node, microsecond renewTime', () => {
  const l = hollowLease('node-a', 'uid-1', Date.parse(NOW), 40);
  assert.equal(l.metadata?.namespace, 'kube-node-lease');
  assert.deepEqual(l.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'uid-1' }]);
  assert.equal(l.spec?.renewTime, '2024-05-01T10:00:00.000000Z');
  assert.equal(l.spec?.holderIdentity, 'node-a');
  assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
});

const pod: Pod = {
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'abcdef12-3456' },
  spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'nginx' }, { name: 'side', image: 'busybox' }], initContainers: [{ name: 'init', image: 'busybox' }] },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-05-01T09:00:00.000Z' }] },
};

test('a bound pod is reported Running and Ready with every container running', () => {
  const s = hollowPodStatus(pod, { hostIP: '127.0.0.1', podIP: '100.64.3.2', nowIso: NOW })!;
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '100.64.3.2');
  assert.deepEqual(s.podIPs, [{ ip: '100.64.3.2' }]);
  assert.equal(s.hostIP, '127.0.0.1');
  assert.equal(s.startTime, NOW);
  assert.deepEqual(s.conditions!.map((c) => `${c.type}=${c.status}`), ['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']);
  assert.equal(s.conditions![0]!.lastTransitionTime, '2024-05-01T09:00:00.000Z', 'existing transition times are kept');
  assert.deepEqual(s.containerStatuses!.map((c) => [c.name, c.ready, c.restartCount, c.state?.running?.startedAt]), [
    ['app', true, 0, NOW],
    ['side', true, 0, NOW],
  ]);
  assert.equal(s.initContainerStatuses![0]!.state?.terminated?.reason, 'Completed');
  const running = { ...pod, status: s };
  assert.equal(isHollowRunning(running), true);
  assert.equal(hollowPodStatus(running, { hostIP: '127.0.0.1', podIP: '100.64.3.2', nowIso: '2024-05-01T12:00:00.000Z' }), undefined, 'nothing to write twice');
});

test('a pod marked NotReady by the node controller is reported Ready again; a changed image is re-reported', () => {
  const s = hollowPodStatus(pod, { hostIP: '127.0.0.1', podIP: '100.64.3.2', nowIso: NOW })!;
  const notReady = { ...pod, status: { ...s, conditions: s.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c)) } };
  assert.equal(isHollowRunning(notReady), false);
  const again = hollowPodStatus(notReady, { hostIP: '127.0.0.1', podIP: '100.64.3.2', nowIso: '2024-05-01T12:00:00.000Z' })!;
  assert.equal(again.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  assert.equal(again.startTime, NOW);
  const newImage = { ...pod, spec: { ...pod.spec, containers: [{ name: 'app', image: 'nginx:2' }, { name: 'side', image: 'busybox' }] }, status: s };
  assert.equal(isHollowRunning(newImage), false);
});

test('finished pods are left alone', () => {
  assert.equal(hollowPodStatus({ ...pod, status: { phase: 'Succeeded' } }, { hostIP: 'h', podIP: 'p', nowIso: NOW }), undefined);
});

test('pod IPs: lowest free address per uid, stable, released, adopted, bounded', () => {
  const a = new PodIPAllocator('100.64.3.0/24');
  assert.equal(a.ipFor('u1'), '100.64.3.2');
  assert.equal(a.ipFor('u2'), '100.64.3.3');
  assert.equal(a.ipFor('u1'), '100.64.3.2');
  a.release('u1');
  assert.equal(a.ipFor('u3'), '100.64.3.2');
  a.adopt('u4', '100.64.3.77');
  a.adopt('u5', '100.64.3.77');
  a.adopt('u6', '10.0.0.5');
  assert.equal(a.ipFor('u4'), '100.64.3.77');
  assert.equal(a.size, 3);
  for (let i = 0; i < 300; i++) a.ipFor(`x${i}`);
  assert.equal(a.size, 253);
  assert.equal(a.ipFor('one-too-many'), undefined);
  assert.throws(() => new PodIPAllocator('10.0.0.0/16'), /must be a \/24/);
});

test('pod CIDRs claimed in one process never collide, and follow from the name', () => {
  const seen = new Set<string>();
  const names = Array.from({ length: 2000 }, (_, i) => `hollow-${i}`);
  for (const n of names) {
    const c = claimPodCIDR(n);
    assert.match(c, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.0\/24$/);
    assert.equal(seen.has(c), false, `duplicate ${c}`);
    seen.add(c);
  }
  for (const c of seen) releasePodCIDR(c);
  const again = claimPodCIDR('hollow-0');
  releasePodCIDR(again);
  assert.equal(claimPodCIDR('hollow-0'), again);
  releasePodCIDR(again);
});
