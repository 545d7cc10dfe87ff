// What the scheduler keeps of the pods and nodes its informers cache. It
// reads a bound pod only to count what it takes from its node, and a node
// only for what the filters and scores look at, so at 10,000 pods the rest
// (images, env, container statuses, condition messages, ...) would be most of
// the scheduler's memory. Pending pods are kept whole: the scheduler writes
// their status (PodScheduled=False) from the cached object.
import type { Container, Node, Pod } from '../lib/api/generated/types.js';

const trimContainer = (c: Container): Container => ({ name: c.name, resources: c.resources, ports: c.ports });

/**
 * A bound (or finished) pod cut to what the cache, the plugins and the
 * informer need: identity and resourceVersion, labels and owners, deletion,
 * requests, host ports and phase. A pending pod is returned as is.
 */
export function trimPod(pod: Pod): Pod {
  const spec = pod.spec;
  if (!spec?.nodeName && !isFinished(pod)) return pod;
  const m = pod.metadata ?? {};
  return {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
      labels: m.labels,
      ownerReferences: m.ownerReferences,
    },
    spec: {
      nodeName: spec?.nodeName,
      schedulerName: spec?.schedulerName,
      priority: spec?.priority,
      hostNetwork: spec?.hostNetwork,
      containers: spec?.containers?.map(trimContainer),
      initContainers: spec?.initContainers?.map(trimContainer),
    },
    status: { phase: pod.status?.phase },
  };
}

const isFinished = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** A node cut to its labels, taints, cordon, capacity and condition statuses. */
export function trimNode(node: Node): Node {
  const m = node.metadata ?? {};
  const s = node.status;
  return {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels },
    spec: { taints: node.spec?.taints, unschedulable: node.spec?.unschedulable },
    status: {
      capacity: s?.capacity,
      allocatable: s?.allocatable,
      conditions: s?.conditions?.map((c) => ({ type: c.type, status: c.status })),
    },
  };
}
