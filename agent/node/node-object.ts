// The Node and Lease objects the agent writes, computed without I/O.
import type { Condition, Lease, Node, NodeStatus } from '../../lib/api/generated/types.js';
import { formatCpuMillis } from '../../lib/quantity.js';
import type { MachineInfo } from './machine.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const AGENT_VERSION = 'tugboat-agent/0.1.0';

export interface NodeDescription {
  nodeName: string;
  cpuMillis: number;
  memoryBytes: number;
  maxPods: number;
  reservedCpuMillis: number;
  reservedMemoryBytes: number;
  address: string;
  podCIDR?: string;
  /** The port the agent's logs/exec service listens on (daemonEndpoints.kubeletEndpoint.Port). */
  agentPort: number;
  labels?: Record<string, string>;
  machine: Pick<MachineInfo, 'kernelVersion' | 'osImage' | 'architecture' | 'machineID' | 'bootID' | 'runcVersion'>;
}

export interface NodeHealth {
  ready: boolean;
  reason: string;
  message: string;
}

/** Memory as Kubernetes nodes report it: whole KiB. */
export function memoryQuantity(bytes: number): string {
  return `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
}

export function nodeResources(d: NodeDescription): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  return {
    capacity: { cpu: formatCpuMillis(d.cpuMillis), memory: memoryQuantity(d.memoryBytes), pods: String(d.maxPods) },
    allocatable: {
      cpu: formatCpuMillis(Math.max(0, d.cpuMillis - d.reservedCpuMillis)),
      memory: memoryQuantity(Math.max(0, d.memoryBytes - d.reservedMemoryBytes)),
      pods: String(d.maxPods),
    },
  };
}

export function nodeLabels(d: NodeDescription): Record<string, string> {
  return {
    ...d.labels,
    'kubernetes.io/hostname': d.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': d.machine.architecture,
  };
}

/** The Node as first registered (status is written separately, with UpdateStatus). */
export function nodeObject(d: NodeDescription): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: d.nodeName, labels: nodeLabels(d) },
    spec: d.podCIDR ? { podCIDR: d.podCIDR, podCIDRs: [d.podCIDR] } : {},
  };
}

export function nodeStatus(d: NodeDescription, health: NodeHealth, nowIso: string, previous: Condition[] = []): NodeStatus {
  const cond = (type: string, status: string, reason: string, message: string): Condition => {
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: nowIso,
      lastTransitionTime: before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : nowIso,
    };
  };
  return {
    ...nodeResources(d),
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'agent has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'agent has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'agent has sufficient PID available'),
      cond('Ready', health.ready ? 'True' : 'False', health.reason, health.message),
    ],
    addresses: [
      { type: 'InternalIP', address: d.address },
      { type: 'Hostname', address: d.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: d.agentPort } },
    nodeInfo: {
      machineID: d.machine.machineID,
      bootID: d.machine.bootID,
      kernelVersion: d.machine.kernelVersion,
      osImage: d.machine.osImage,
      containerRuntimeVersion: `runc://${d.machine.runcVersion}`,
      kubeletVersion: AGENT_VERSION,
      operatingSystem: 'linux',
      architecture: d.machine.architecture,
    },
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export function nodeLease(nodeName: string, nodeUid: string | undefined, nowMs: number, durationSeconds: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      // Deleting the Node lets the garbage collector delete its Lease.
      ownerReferences: nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] : [],
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(nowMs) },
  };
}
