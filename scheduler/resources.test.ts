import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../lib/api/generated/types.js';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, nodeAllocatable, podHostPorts, podNonZeroRequests, podRequests } from './resources.js';
import { syntheticNode } from './simulate.js';

const pod = (spec: Pod['spec']): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec });

test('pod requests sum the app containers', () => {
  const p = pod({
    containers: [
      { name: 'a', resources: { requests: { cpu: '250m', memory: '128Mi' } } },
      { name: 'b', resources: { requests: { cpu: '1', memory: '1Gi' } } },
    ],
  });
  assert.deepEqual(podRequests(p), { milliCpu: 1250, memory: 128 * 2 ** 20 + 2 ** 30 });
});

test('a container with limits but no requests requests its limits, per resource', () => {
  const p = pod({
    containers: [{ name: 'a', resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m' } } }],
  });
  assert.deepEqual(podRequests(p), { milliCpu: 100, memory: 256 * 2 ** 20 });
});

test('an init container larger than the app containers sets that resource', () => {
  const p = pod({
    initContainers: [
      { name: 'i1', resources: { requests: { cpu: '2', memory: '64Mi' } } },
      { name: 'i2', resources: { requests: { cpu: '100m', memory: '1Gi' } } },
    ],
    containers: [
      { name: 'a', resources: { requests: { cpu: '500m', memory: '256Mi' } } },
      { name: 'b', resources: { requests: { cpu: '500m', memory: '256Mi' } } },
    ],
  });
  assert.deepEqual(podRequests(p), { milliCpu: 2000, memory: 2 ** 30 });
});

test('a pod without requests requests nothing for fitting but small defaults for scoring', () => {
  const p = pod({ containers: [{ name: 'a' }, { name: 'b', resources: { requests: { cpu: '300m' } } }] });
  assert.deepEqual(podRequests(p), { milliCpu: 300, memory: 0 });
  assert.deepEqual(podNonZeroRequests(p), { milliCpu: DEFAULT_MILLI_CPU_REQUEST + 300, memory: 2 * DEFAULT_MEMORY_REQUEST });
});

test('a malformed request throws a BadRequest naming the value', () => {
  const p = pod({ containers: [{ name: 'a', resources: { requests: { cpu: 'lots' } } }] });
  assert.throws(() => podRequests(p), (e: Error & { code?: string }) => e.code === 'BadRequest' && /lots/.test(e.message));
});

test('node allocatable reads cpu, memory and pods, falling back to capacity', () => {
  assert.deepEqual(nodeAllocatable(syntheticNode('n', '3500m', '2Gi', 30)), { milliCpu: 3500, memory: 2 ** 31, pods: 30 });
  assert.deepEqual(
    nodeAllocatable({ status: { capacity: { cpu: '2', memory: '1G', pods: '10' }, allocatable: { cpu: '1500m' } } }),
    { milliCpu: 1500, memory: 1e9, pods: 10 },
  );
  assert.deepEqual(nodeAllocatable({}), { milliCpu: 0, memory: 0, pods: 0 });
});

test('host ports: explicit hostPort, defaults TCP and 0.0.0.0; host-network pods claim their container ports', () => {
  const p = pod({
    containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' }, { containerPort: 9000 }] }],
  });
  assert.deepEqual(podHostPorts(p), [
    { ip: '0.0.0.0', protocol: 'TCP', port: 8080 },
    { ip: '127.0.0.1', protocol: 'UDP', port: 53 },
  ]);
  const hn = pod({ hostNetwork: true, containers: [{ name: 'a', ports: [{ containerPort: 9000 }] }] });
  assert.deepEqual(podHostPorts(hn), [{ ip: '0.0.0.0', protocol: 'TCP', port: 9000 }]);
});
