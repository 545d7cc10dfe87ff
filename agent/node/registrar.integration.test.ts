// NodeRegistrar against a real etcd + apiserver: registration, heartbeats,
// lease renewal, a pod CIDR assigned later, taking over an existing Node, and
// registering again after the Node was deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import type { NodeDescription, NodeHealth } from './node-object.js';
import { NodeRegistrar } from './registrar.js';

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(50);
  }
}

const description = (name: string, podCIDR?: string): NodeDescription => ({
  nodeName: name,
  cpuMillis: 4000,
  memoryBytes: 8 * 2 ** 30,
  maxPods: 50,
  reservedCpuMillis: 0,
  reservedMemoryBytes: 0,
  address: '192.0.2.20',
  ...(podCIDR ? { podCIDR } : {}),
  agentPort: 10250,
  machine: { kernelVersion: '6.1', osImage: 'test', architecture: 'amd64', machineID: 'm', bootID: 'b', runcVersion: '1.1.5' },
});

describe('NodeRegistrar', { timeout: 120_000 }, () => {
  let etcd: EtcdServer | undefined;
  let api: RunningApiServer | undefined;
  let client: ApiClient;
  const registrars: NodeRegistrar[] = [];
  const log = createLogger('registrar-test', 'error');

  before(async () => {
    etcd = await startEtcd();
    api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
    client = new ApiClient(api.address);
  });
  after(async () => {
    for (const r of registrars) await r.stop();
    client?.close();
    await api?.stop();
    await etcd?.stop();
  });

  it('waits NotReady for a pod CIDR, then reports it once the Node gets one, and keeps heartbeating', async () => {
    const cidrs: string[] = [];
    let health: NodeHealth = { ready: false, reason: 'KubeletNotReady', message: 'network not ready: the node has no pod CIDR yet' };
    const r = new NodeRegistrar({
      client,
      description: description('late-cidr'),
      health: () => health,
      log,
      statusIntervalMs: 100,
      leaseRenewIntervalMs: 100,
      onPodCIDR: (c) => {
        cidrs.push(c);
        health = { ready: true, reason: 'KubeletReady', message: 'ok' };
      },
    });
    registrars.push(r);
    await r.start();
    const n = await client.get('Node', undefined, 'late-cidr');
    assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal(r.podCIDR, undefined);
    assert.deepEqual(cidrs, []);
    await client.update({ ...n, kind: 'Node', spec: { ...n.spec, podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] } });
    await eventually('the CIDR noticed', async () => cidrs.length === 1);
    assert.deepEqual(cidrs, ['10.244.9.0/24']);
    const ready = await eventually('Ready', async () => {
      const x = await client.get('Node', undefined, 'late-cidr');
      return x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? x : undefined;
    });
    const beat = ready.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime!;
    await eventually('another heartbeat', async () => {
      const x = await client.get('Node', undefined, 'late-cidr');
      return x.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime !== beat;
    });
    const lease = await client.get('Lease', 'kube-node-lease', 'late-cidr');
    assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, ready.metadata?.uid);
  });

  it('notices a pod CIDR the control plane assigns right away, not at the next heartbeat', async () => {
    const cidrs: string[] = [];
    const r = new NodeRegistrar({
      client,
      description: description('watched'),
      health: () => ({ ready: false, reason: 'KubeletNotReady', message: 'network not ready' }),
      log,
      // Far beyond this test's waits: only the watch of the Node can bring the CIDR in time.
      statusIntervalMs: 10 * 60_000,
      onPodCIDR: (c) => cidrs.push(c),
    });
    registrars.push(r);
    await r.start();
    const n = await client.get('Node', undefined, 'watched');
    await client.update({ ...n, kind: 'Node', spec: { ...n.spec, podCIDR: '10.244.11.0/24', podCIDRs: ['10.244.11.0/24'] } });
    await eventually('the CIDR noticed', async () => cidrs.length === 1);
    assert.equal(r.podCIDR, '10.244.11.0/24');
  });

  it('takes over an existing Node, keeping its pod CIDR, and registers again after the Node is deleted', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'existing', labels: { keep: 'me' } }, spec: { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'] } });
    const r = new NodeRegistrar({
      client,
      description: description('existing', '10.244.99.0/24'),
      health: () => ({ ready: true, reason: 'KubeletReady', message: 'ok' }),
      log,
      statusIntervalMs: 100,
      leaseRenewIntervalMs: 100,
    });
    registrars.push(r);
    await r.start();
    assert.equal(r.podCIDR, '10.244.7.0/24', 'the Node\'s own CIDR wins');
    const n = await client.get('Node', undefined, 'existing');
    assert.equal(n.metadata?.labels?.keep, 'me');
    assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'existing');
    assert.equal(n.status?.capacity?.cpu, '4');
    assert.equal(n.status?.allocatable?.pods, '50');

    await client.delete('Node', undefined, 'existing');
    const again = await eventually('the Node registered again', async () => {
      const x = await client.get('Node', undefined, 'existing');
      return x.metadata?.uid !== n.metadata?.uid && x.status?.conditions?.length ? x : undefined;
    });
    assert.equal(again.spec?.podCIDR, '10.244.7.0/24', 'it keeps using the CIDR it had');
  });
});
