// What a pod's sandbox is made with, from its spec and the node's settings:
// the QoS-tiered cgroup parent, the pod cgroup's limits, DNS. Pure.
import type { Container, Pod } from '../../lib/api/generated/types.js';
import {
  CFS_PERIOD_US,
  cfsQuota,
  containerResources,
  cpuShares,
  qosClass,
  type CgroupResources,
  type ContainerResources,
  type QosClass,
} from '../runtime/resources.js';
import type { DnsConfig, SandboxConfig } from '../sandbox/index.js';

export interface PodDnsOptions {
  /** e.g. cluster.local */
  clusterDomain: string;
  /** Cluster DNS servers; empty = pods use the node's resolv.conf. */
  dnsServers: string[];
  /** The node's search domains, appended after the cluster ones (as kubelet does). */
  nodeSearches?: string[];
}

/** The pod's QoS class (Guaranteed / Burstable / BestEffort) from all its containers. */
export function podQos(pod: Pod): QosClass {
  const all: Container[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return qosClass(all.map((c) => ({ requests: c.resources?.requests, limits: c.resources?.limits })));
}

/** kubelet's tiers: Guaranteed pods right under the node's parent, the others in `burstable/` and `besteffort/`. */
export function qosCgroupParent(nodeParent: string, qos: QosClass): string {
  if (qos === 'Guaranteed') return nodeParent;
  return `${nodeParent}/${qos === 'Burstable' ? 'burstable' : 'besteffort'}`;
}

/**
 * The pod cgroup's limits. Init containers run one at a time before the app
 * containers, so each resource is the larger of the app containers' sum and
 * the largest init container's value, as Kubernetes computes a pod's needs;
 * a limit applies only when every container has one.
 */
export function podResources(pod: Pod): CgroupResources {
  const res = (c: Container) => containerResources({ requests: c.resources?.requests, limits: c.resources?.limits });
  const apps = (pod.spec?.containers ?? []).map(res);
  const inits = (pod.spec?.initContainers ?? []).map(res);
  const all = [...apps, ...inits];
  const effective = (f: (r: ContainerResources) => number | undefined) =>
    Math.max(apps.reduce((a, r) => a + (f(r) ?? 0), 0), ...inits.map((r) => f(r) ?? 0));
  const out: CgroupResources = { cpuShares: cpuShares(effective((r) => r.cpuRequestMillis)) };
  if (all.length && all.every((r) => r.cpuLimitMillis)) {
    out.cpuQuotaUs = cfsQuota(effective((r) => r.cpuLimitMillis));
    out.cpuPeriodUs = CFS_PERIOD_US;
  }
  if (all.length && all.every((r) => r.memoryLimitBytes)) out.memoryLimitBytes = effective((r) => r.memoryLimitBytes);
  return out;
}

/**
 * The pod's resolv.conf settings. ClusterFirst with cluster DNS servers known:
 * those servers, `<ns>.svc.<domain> svc.<domain> <domain>` then the node's
 * searches, ndots:5. Otherwise (Default policy, or no cluster DNS yet):
 * undefined, meaning the node's own resolv.conf.
 */
export function podDnsConfig(pod: Pod, o: PodDnsOptions): DnsConfig | undefined {
  const policy = pod.spec?.dnsPolicy || 'ClusterFirst';
  if (policy !== 'ClusterFirst' && policy !== 'ClusterFirstWithHostNet') return undefined;
  if (!o.dnsServers.length) return undefined;
  const ns = pod.metadata?.namespace || 'default';
  const d = o.clusterDomain.replace(/\.$/, '');
  const searches = [`${ns}.svc.${d}`, `svc.${d}`, d, ...(o.nodeSearches ?? [])];
  return { nameservers: [...o.dnsServers], searches: [...new Set(searches)], options: [{ name: 'ndots', value: '5' }] };
}

/** The SandboxConfig of a pod on this node. */
export function podSandboxConfig(pod: Pod, o: PodDnsOptions & { cgroupParent: string }): SandboxConfig {
  const md = pod.metadata ?? {};
  const dns = podDnsConfig(pod, o);
  return {
    podUid: md.uid ?? '',
    podName: md.name ?? '',
    podNamespace: md.namespace ?? 'default',
    ...(pod.spec?.hostname ? { hostname: pod.spec.hostname } : {}),
    resources: podResources(pod),
    ...(dns ? { dns } : {}),
    cgroupParent: qosCgroupParent(o.cgroupParent, podQos(pod)),
  };
}
