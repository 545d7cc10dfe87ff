import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { microTime, nodeLease, nodeObject, nodeStatus, type NodeDescription } from './node-object.js';

const d: NodeDescription = {
  nodeName: 'node-a',
  cpuMillis: 2000,
  memoryBytes: 8 * 2 ** 30,
  maxPods: 110,
  reservedCpuMillis: 500,
  reservedMemoryBytes: 2 ** 30,
  address: '192.0.2.7',
  podCIDR: '10.244.3.0/24',
  agentPort: 10250,
  labels: { zone: 'a' },
  machine: { kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', architecture: 'amd64', machineID: 'm', bootID: 'b', runcVersion: '1.1.5+ds1' },
};
const health = { ready: true, reason: 'KubeletReady', message: 'ok' };

describe('Node object', () => {
  it('registers with labels and the pod CIDR', () => {
    const n = nodeObject(d);
    assert.deepEqual(n.metadata?.labels, { zone: 'a', 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    assert.deepEqual(n.spec, { podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.3.0/24'] });
    assert.deepEqual(nodeObject({ ...d, podCIDR: undefined }).spec, {});
  });

  it('reports capacity, allocatable = capacity - reserved, addresses, endpoints and node info', () => {
    const s = nodeStatus(d, health, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(s.capacity, { cpu: '2', memory: '8388608Ki', pods: '110' });
    assert.deepEqual(s.allocatable, { cpu: '1500m', memory: '7340032Ki', pods: '110' });
    assert.deepEqual(s.addresses, [{ type: 'InternalIP', address: '192.0.2.7' }, { type: 'Hostname', address: 'node-a' }]);
    assert.deepEqual(s.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.equal(s.nodeInfo?.containerRuntimeVersion, 'runc://1.1.5+ds1');
    assert.equal(s.nodeInfo?.kernelVersion, '6.1.0');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(ready?.lastHeartbeatTime, '2026-01-01T00:00:00.000Z');
  });

  it('moves the heartbeat every time but the transition time only on a change', () => {
    const first = nodeStatus(d, health, '2026-01-01T00:00:00.000Z');
    const second = nodeStatus(d, health, '2026-01-01T00:00:10.000Z', first.conditions);
    const r2 = second.conditions?.find((c) => c.type === 'Ready');
    assert.equal(r2?.lastHeartbeatTime, '2026-01-01T00:00:10.000Z');
    assert.equal(r2?.lastTransitionTime, '2026-01-01T00:00:00.000Z');
    const third = nodeStatus(d, { ready: false, reason: 'KubeletNotReady', message: 'no CIDR' }, '2026-01-01T00:00:20.000Z', second.conditions);
    const r3 = third.conditions?.find((c) => c.type === 'Ready');
    assert.equal(r3?.status, 'False');
    assert.equal(r3?.lastTransitionTime, '2026-01-01T00:00:20.000Z');
  });

  it('makes a lease held by the node, owned by the Node', () => {
    const l = nodeLease('node-a', 'uid-1', Date.parse('2026-01-01T00:00:00.123Z'), 40);
    assert.equal(l.metadata?.namespace, 'kube-node-lease');
    assert.deepEqual(l.spec, { holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.123000Z' });
    assert.equal(l.metadata?.ownerReferences?.[0]?.uid, 'uid-1');
    assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
  });
});
