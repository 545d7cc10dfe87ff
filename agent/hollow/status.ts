// What a hollow node writes, computed without I/O: its Node object and
// status, its Lease, and the "Running" status of the pods bound to it.
//
// Hollow nodes are a TEST TOOL: they let the control plane (scheduler,
// controllers, apiserver) be exercised and benchmarked with hundreds of nodes
// on one machine. They start nothing; a pod on a hollow node is Running only
// on paper.
import type { Condition, ContainerStatus, Lease, Node, NodeStatus, Pod, PodStatus } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { isQuantity } from '../../lib/quantity.js';

export const HOLLOW_LABEL = 'tugboat.io/hollow-node';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const HOLLOW_VERSION = 'tugboat-hollow/0.1.0';
/** Pod IPs come from a /24, so at most this many pods fit (network, gateway and broadcast excluded). */
export const MAX_HOLLOW_PODS = 250;

export interface HollowNodeSpec {
  nodeName: string;
  /** cpu quantity: 4, "4", "1500m" */
  cpus: number | string;
  /** memory quantity: "16Gi" */
  memory: string;
  maxPods: number;
  podCIDR: string;
  labels?: Record<string, string>;
}

/** Checks the sizes a person typed, with messages saying what is accepted. */
export function validateHollowSpec(s: HollowNodeSpec): void {
  const problems: string[] = [];
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.nodeName) || s.nodeName.length > 253) {
    problems.push(`--node-name "${s.nodeName}" must be a DNS subdomain (lowercase letters, digits, "-" and ".")`);
  }
  if (!isQuantity(String(s.cpus)) || Number(String(s.cpus).replace(/m$/, '')) <= 0) {
    problems.push(`--cpus "${s.cpus}" must be a positive cpu quantity such as 2, 0.5 or 500m`);
  }
  if (!isQuantity(s.memory) || /^-|^0+[a-zA-Z]*$/.test(s.memory)) {
    problems.push(`--memory "${s.memory}" must be a positive memory quantity such as 8Gi or 512Mi`);
  }
  if (!Number.isInteger(s.maxPods) || s.maxPods < 1 || s.maxPods > MAX_HOLLOW_PODS) {
    problems.push(`--max-pods ${s.maxPods} must be a whole number from 1 to ${MAX_HOLLOW_PODS}`);
  }
  if (problems.length) throw new ApiError('BadRequest', `cannot start hollow node: ${problems.join('; ')}`);
}

/** The Node as registered: labels and pod CIDR (status is written separately, with UpdateStatus). */
export function hollowNode(s: HollowNodeSpec): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: s.nodeName,
      labels: {
        ...s.labels,
        'kubernetes.io/hostname': s.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch(process.arch),
        [HOLLOW_LABEL]: 'true',
      },
    },
    spec: { podCIDR: s.podCIDR, podCIDRs: [s.podCIDR] },
  };
}

/** Capacity = allocatable (a hollow node reserves nothing), Ready=True as of now. */
export function hollowNodeStatus(s: HollowNodeSpec, nowIso: string, previous: Condition[] = []): NodeStatus {
  const resources = { cpu: String(s.cpus), memory: s.memory, pods: String(s.maxPods) };
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
    capacity: { ...resources },
    allocatable: { ...resources },
    conditions: [
      cond('Ready', 'True', 'KubeletReady', 'hollow agent is posting ready status (test tool: no containers run here)'),
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'hollow agent has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'hollow agent has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'hollow agent has sufficient PID available'),
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: s.nodeName },
    ],
    nodeInfo: {
      kubeletVersion: HOLLOW_VERSION,
      containerRuntimeVersion: 'hollow://0.1.0',
      operatingSystem: 'linux',
      architecture: goArch(process.arch),
      osImage: 'hollow',
    },
  };
}

export function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export function hollowLease(nodeName: string, nodeUid: string | undefined, nowMs: number, durationSeconds: number): Lease {
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

/** Whether the pod already looks exactly as a hollow node reports it (no write needed). */
export function isHollowRunning(pod: Pod): boolean {
  const s = pod.status ?? {};
  if (s.phase !== 'Running' || !s.podIP || !s.hostIP || !s.startTime) return false;
  for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
    if (!s.conditions?.some((c) => c.type === type && c.status === 'True')) return false;
  }
  const byName = new Map((s.containerStatuses ?? []).map((c) => [c.name, c]));
  return (pod.spec?.containers ?? []).every((c) => {
    const st = byName.get(c.name);
    return !!st?.ready && !!st.state?.running && st.image === c.image;
  });
}

/**
 * The status of a pod "running" on a hollow node: every container running
 * and ready since startTime, init containers completed. Times already in the
 * status are kept, so rewriting it changes nothing. undefined when the pod
 * already looks like that, or has finished.
 */
export function hollowPodStatus(pod: Pod, opts: { hostIP: string; podIP: string; nowIso: string }): PodStatus | undefined {
  const s = pod.status ?? {};
  if (s.phase === 'Succeeded' || s.phase === 'Failed') return undefined;
  if (isHollowRunning(pod) && s.podIP === opts.podIP) return undefined;
  const now = opts.nowIso;
  const startTime = s.startTime || now;
  const condition = (type: string): Condition => {
    const before = s.conditions?.find((c) => c.type === type);
    return { type, status: 'True', lastTransitionTime: before?.status === 'True' && before.lastTransitionTime ? before.lastTransitionTime : now };
  };
  const uid = (pod.metadata?.uid ?? '').slice(0, 8);
  const previous = new Map((s.containerStatuses ?? []).map((c) => [c.name, c]));
  const containerStatuses: ContainerStatus[] = (pod.spec?.containers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: `hollow://${c.image ?? ''}`,
    containerID: `hollow://${uid}-${c.name ?? ''}`,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: previous.get(c.name)?.state?.running?.startedAt || startTime } },
  }));
  const initContainerStatuses: ContainerStatus[] = (pod.spec?.initContainers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: `hollow://${c.image ?? ''}`,
    containerID: `hollow://${uid}-${c.name ?? ''}`,
    ready: true,
    restartCount: 0,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: startTime, finishedAt: startTime } },
  }));
  return {
    ...s,
    phase: 'Running',
    hostIP: opts.hostIP,
    podIP: opts.podIP,
    podIPs: [{ ip: opts.podIP }],
    startTime,
    conditions: [condition('PodScheduled'), condition('Initialized'), condition('ContainersReady'), condition('Ready')],
    containerStatuses,
    ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
    reason: '',
    message: '',
  };
}

function goArch(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}
