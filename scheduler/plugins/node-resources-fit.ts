// NodeResourcesFit: the pod's requests fit in what the node's allocatable
// leaves after the pods already bound or assumed there.
import { unschedulable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const ERR_TOO_MANY_PODS = 'Too many pods';
export const ERR_INSUFFICIENT_CPU = 'Insufficient cpu';
export const ERR_INSUFFICIENT_MEMORY = 'Insufficient memory';

/** Every resource the pod lacks on this node, in a stable order; empty when it fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.requested.pods + 1 > node.allocatable.pods) reasons.push(ERR_TOO_MANY_PODS);
  // A zero request always fits, even on a node already overcommitted by pods
  // bound around the scheduler (spec.nodeName set by hand).
  const { milliCpu, memory } = pod.requests;
  if (milliCpu > 0 && milliCpu > node.allocatable.milliCpu - node.requested.milliCpu) reasons.push(ERR_INSUFFICIENT_CPU);
  if (memory > 0 && memory > node.allocatable.memory - node.requested.memory) reasons.push(ERR_INSUFFICIENT_MEMORY);
  return reasons;
}

export class NodeResourcesFit implements FilterPlugin {
  readonly name = NODE_RESOURCES_FIT;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const reasons = insufficientResources(pod, node);
    return reasons.length ? unschedulable(...reasons) : undefined;
  }
}
