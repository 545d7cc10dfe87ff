import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../lib/api/generated/types.js';
import { resolvConf } from '../sandbox/etc-files.js';
import { podDnsConfig, podResources, podSandboxConfig, qosCgroupParent } from './sandbox-config.js';

const pod = (containers: Pod['spec'], ns = 'shop'): Pod => ({ metadata: { name: 'web', namespace: ns, uid: 'u1' }, spec: containers });

describe('pod sandbox settings', () => {
  it('writes a cluster resolv.conf for ClusterFirst pods once cluster DNS is known, the node one otherwise', () => {
    const dns = podDnsConfig(pod({ containers: [] }), { clusterDomain: 'cluster.local', dnsServers: ['10.96.0.10'], nodeSearches: ['corp.example'] });
    assert.equal(
      resolvConf(dns, 'nameserver 1.1.1.1\nsearch corp.example\n'),
      'nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n',
    );
    assert.equal(podDnsConfig(pod({ containers: [] }), { clusterDomain: 'cluster.local', dnsServers: [] }), undefined);
    assert.equal(podDnsConfig(pod({ containers: [], dnsPolicy: 'Default' }), { clusterDomain: 'cluster.local', dnsServers: ['10.96.0.10'] }), undefined);
    assert.equal(resolvConf(undefined, 'nameserver 1.1.1.1\nsearch corp.example\n'), 'nameserver 1.1.1.1\nsearch corp.example\n');
  });

  it('places pods in QoS tiers below the node parent', () => {
    assert.equal(qosCgroupParent('/tugboat/n1', 'Guaranteed'), '/tugboat/n1');
    assert.equal(qosCgroupParent('/tugboat/n1', 'Burstable'), '/tugboat/n1/burstable');
    assert.equal(qosCgroupParent('/tugboat/n1', 'BestEffort'), '/tugboat/n1/besteffort');
    const cfg = podSandboxConfig(pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }], hostname: 'h' }), {
      clusterDomain: 'cluster.local',
      dnsServers: [],
      cgroupParent: '/tugboat/n1',
    });
    assert.equal(cfg.cgroupParent, '/tugboat/n1');
    assert.equal(cfg.hostname, 'h');
    assert.equal(cfg.podUid, 'u1');
  });

  it('sizes the pod cgroup from app containers and the largest init container', () => {
    const r = podResources(
      pod({
        initContainers: [{ name: 'i', resources: { limits: { cpu: '2', memory: '512Mi' } } }],
        containers: [
          { name: 'a', resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '128Mi' } } },
          { name: 'b', resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '128Mi' } } },
        ],
      }),
    );
    assert.deepEqual(r, { cpuShares: 2048, cpuQuotaUs: 200_000, cpuPeriodUs: 100_000, memoryLimitBytes: 512 * 2 ** 20 });
    const unlimited = podResources(pod({ containers: [{ name: 'a', resources: { limits: { memory: '64Mi' } } }, { name: 'b' }] }));
    assert.deepEqual(unlimited, { cpuShares: 2 });
  });
});
