// Pod and container resources → cgroup numbers and QoS class. Pure.
import { cpuToMillis, memoryToBytes } from '../../lib/quantity.js';

/** What a container asks for, in Kubernetes' shape (`spec.containers[].resources`). */
export interface ResourceRequirementsLike {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

/** A container's resources in numbers; 0 / undefined means "not set". */
export interface ContainerResources {
  cpuRequestMillis?: number;
  cpuLimitMillis?: number;
  memoryRequestBytes?: number;
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The kernel's floor for cpu.shares. */
export const MIN_CPU_SHARES = 2;
/** cgroup v1 cpu.shares maximum. */
export const MAX_CPU_SHARES = 262144;
/** CFS period we always use (100 ms), as Kubernetes does. */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas below 1 ms. */
export const MIN_CFS_QUOTA_US = 1_000;

/** cpu.shares from a cpu request: 1000m → 1024; no request → the minimum 2. */
export function cpuShares(requestMillis: number | undefined): number {
  const m = requestMillis ?? 0;
  if (m <= 0) return MIN_CPU_SHARES;
  return Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, Math.floor((m * 1024) / 1000)));
}

/** CFS quota (µs per 100 ms period) from a cpu limit; undefined when there is no limit. */
export function cfsQuota(limitMillis: number | undefined): number | undefined {
  if (!limitMillis || limitMillis <= 0) return undefined;
  return Math.max(MIN_CFS_QUOTA_US, Math.floor((limitMillis * CFS_PERIOD_US) / 1000));
}

/** cgroup v2 cpu.weight (1..10000) from v1 shares, the mapping runc and systemd use. */
export function sharesToWeight(shares: number): number {
  const s = Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, shares));
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/**
 * Numbers from Kubernetes resource requirements. A limit without a request
 * counts as the request too, as the API server's defaulting would make it.
 */
export function containerResources(r: ResourceRequirementsLike | undefined): ContainerResources {
  const cpuLimit = cpuToMillis(r?.limits?.cpu);
  const memLimit = memoryToBytes(r?.limits?.memory);
  const cpuRequest = r?.requests?.cpu !== undefined ? cpuToMillis(r.requests.cpu) : cpuLimit;
  const memRequest = r?.requests?.memory !== undefined ? memoryToBytes(r.requests.memory) : memLimit;
  const out: ContainerResources = {};
  if (cpuRequest) out.cpuRequestMillis = cpuRequest;
  if (cpuLimit) out.cpuLimitMillis = cpuLimit;
  if (memRequest) out.memoryRequestBytes = memRequest;
  if (memLimit) out.memoryLimitBytes = memLimit;
  return out;
}

/**
 * The pod's QoS class: BestEffort when no container sets any cpu/memory request
 * or limit; Guaranteed when every container has cpu and memory limits equal to
 * its requests; Burstable otherwise.
 */
export function qosClass(containers: ResourceRequirementsLike[]): QosClass {
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const r = containerResources(c);
    if (r.cpuRequestMillis || r.cpuLimitMillis || r.memoryRequestBytes || r.memoryLimitBytes) any = true;
    const equal =
      !!r.cpuLimitMillis &&
      !!r.memoryLimitBytes &&
      r.cpuRequestMillis === r.cpuLimitMillis &&
      r.memoryRequestBytes === r.memoryLimitBytes;
    if (!equal) guaranteed = false;
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * oom_score_adj by QoS, so the kernel kills BestEffort work first and
 * Guaranteed work last: Burstable scales with the share of node memory requested.
 */
export function oomScoreAdj(qos: QosClass, memoryRequestBytes: number, nodeMemoryBytes: number): number {
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  if (nodeMemoryBytes <= 0) return 999;
  const adj = 1000 - Math.floor((1000 * memoryRequestBytes) / nodeMemoryBytes);
  // Keep Burstable strictly between the other two classes.
  return Math.min(999, Math.max(2, adj));
}

/** The numbers a cgroup gets. */
export interface CgroupResources {
  cpuShares?: number;
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

/** A container's cgroup numbers. */
export function containerCgroupResources(r: ContainerResources): CgroupResources {
  const out: CgroupResources = { cpuShares: cpuShares(r.cpuRequestMillis) };
  const quota = cfsQuota(r.cpuLimitMillis);
  if (quota !== undefined) {
    out.cpuQuotaUs = quota;
    out.cpuPeriodUs = CFS_PERIOD_US;
  }
  if (r.memoryLimitBytes) out.memoryLimitBytes = r.memoryLimitBytes;
  if (r.pidsLimit) out.pidsLimit = r.pidsLimit;
  return out;
}

/**
 * The pod cgroup's numbers: shares from the sum of requests; a quota and a
 * memory limit only when every container has one (one unlimited container
 * makes the pod unlimited).
 */
export function podCgroupResources(containers: ContainerResources[], pidsLimit?: number): CgroupResources {
  const sum = (f: (r: ContainerResources) => number | undefined) => containers.reduce((a, r) => a + (f(r) ?? 0), 0);
  const all = (f: (r: ContainerResources) => number | undefined) => containers.length > 0 && containers.every((r) => !!f(r));
  const out: CgroupResources = { cpuShares: cpuShares(sum((r) => r.cpuRequestMillis)) };
  if (all((r) => r.cpuLimitMillis)) {
    out.cpuQuotaUs = cfsQuota(sum((r) => r.cpuLimitMillis));
    out.cpuPeriodUs = CFS_PERIOD_US;
  }
  if (all((r) => r.memoryLimitBytes)) out.memoryLimitBytes = sum((r) => r.memoryLimitBytes);
  if (pidsLimit) out.pidsLimit = pidsLimit;
  return out;
}
