import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cfsQuota,
  containerCgroupResources,
  containerResources,
  cpuShares,
  oomScoreAdj,
  podCgroupResources,
  qosClass,
  sharesToWeight,
} from './resources.js';

describe('cpu shares and quota', () => {
  it('turns a cpu request into shares (1024 per core, at least 2)', () => {
    assert.equal(cpuShares(1000), 1024);
    assert.equal(cpuShares(250), 256);
    assert.equal(cpuShares(100), 102);
    assert.equal(cpuShares(1), 2);
    assert.equal(cpuShares(0), 2);
    assert.equal(cpuShares(undefined), 2);
    assert.equal(cpuShares(1_000_000), 262144);
  });
  it('turns a cpu limit into a CFS quota per 100 ms period, at least 1 ms', () => {
    assert.equal(cfsQuota(500), 50_000);
    assert.equal(cfsQuota(2000), 200_000);
    assert.equal(cfsQuota(1), 1_000);
    assert.equal(cfsQuota(0), undefined);
    assert.equal(cfsQuota(undefined), undefined);
  });
  it('maps shares onto cgroup v2 weights', () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
  });
});

describe('containerResources', () => {
  it('reads Kubernetes quantities, a limit standing in for a missing request', () => {
    assert.deepEqual(containerResources({ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } }), {
      cpuRequestMillis: 250,
      cpuLimitMillis: 1000,
      memoryRequestBytes: 64 * 1024 * 1024,
      memoryLimitBytes: 128 * 1024 * 1024,
    });
    assert.deepEqual(containerResources({ limits: { cpu: '500m' } }), { cpuRequestMillis: 500, cpuLimitMillis: 500 });
    assert.deepEqual(containerResources(undefined), {});
  });
  it('gives cgroup numbers for a container', () => {
    assert.deepEqual(containerCgroupResources({ cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 1000, pidsLimit: 50 }), {
      cpuShares: 256,
      cpuQuotaUs: 50_000,
      cpuPeriodUs: 100_000,
      memoryLimitBytes: 1000,
      pidsLimit: 50,
    });
    assert.deepEqual(containerCgroupResources({}), { cpuShares: 2 });
  });
});

describe('qosClass', () => {
  it('is BestEffort with no requests or limits at all', () => {
    assert.equal(qosClass([{}, { requests: {}, limits: {} }]), 'BestEffort');
  });
  it('is Guaranteed when every container has equal cpu and memory requests and limits', () => {
    const g = { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '0.5', memory: '64Mi' } };
    assert.equal(qosClass([g, g]), 'Guaranteed');
    // Requests default to limits.
    assert.equal(qosClass([{ limits: { cpu: '1', memory: '1Gi' } }]), 'Guaranteed');
  });
  it('is Burstable otherwise', () => {
    assert.equal(qosClass([{ requests: { cpu: '100m' } }]), 'Burstable');
    assert.equal(qosClass([{ limits: { cpu: '1', memory: '1Gi' } }, {}]), 'Burstable');
    assert.equal(qosClass([{ requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } }]), 'Burstable');
    assert.equal(qosClass([{ limits: { memory: '1Gi' } }]), 'Burstable');
  });
});

describe('oomScoreAdj', () => {
  it('protects Guaranteed, sacrifices BestEffort, and scales Burstable with the request', () => {
    assert.equal(oomScoreAdj('Guaranteed', 0, 1e9), -997);
    assert.equal(oomScoreAdj('BestEffort', 0, 1e9), 1000);
    assert.equal(oomScoreAdj('Burstable', 5e8, 1e9), 500);
    assert.equal(oomScoreAdj('Burstable', 0, 1e9), 999);
    assert.equal(oomScoreAdj('Burstable', 2e9, 1e9), 2);
  });
});

describe('podCgroupResources', () => {
  it('sums requests into shares, and limits only when every container has one', () => {
    assert.deepEqual(
      podCgroupResources([
        { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 100 },
        { cpuRequestMillis: 750, cpuLimitMillis: 1000, memoryLimitBytes: 200 },
      ]),
      { cpuShares: 1024, cpuQuotaUs: 150_000, cpuPeriodUs: 100_000, memoryLimitBytes: 300 },
    );
    assert.deepEqual(podCgroupResources([{ cpuRequestMillis: 500, cpuLimitMillis: 500, memoryLimitBytes: 100 }, { cpuRequestMillis: 100 }], 1024), {
      cpuShares: 614,
      pidsLimit: 1024,
    });
    assert.deepEqual(podCgroupResources([]), { cpuShares: 2 });
  });
});
