// NodeResourcesFit: the pod's requests fit in what the node's allocatable
// leaves after the pods already bound or assumed there.
import { sharedUnschedulable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const ERR_TOO_MANY_PODS = 'Too many pods';
export const ERR_INSUFFICIENT_CPU = 'Insufficient cpu';
export const ERR_INSUFFICIENT_MEMORY = 'Insufficient memory';

const TOO_MANY_PODS = 1;
const INSUFFICIENT_CPU = 2;
const INSUFFICIENT_MEMORY = 4;

/** Bit set of what the pod lacks on this node; 0 when it fits. */
function shortfall(pod: PodInfo, node: NodeInfo): number {
  let bits = 0;
  if (node.requested.pods + 1 > node.allocatable.pods) bits |= TOO_MANY_PODS;
  // A zero request always fits, even on a node already overcommitted by pods
  // bound around the scheduler (spec.nodeName set by hand).
  const { milliCpu, memory } = pod.requests;
  if (milliCpu > 0 && milliCpu > node.allocatable.milliCpu - node.requested.milliCpu) bits |= INSUFFICIENT_CPU;
  if (memory > 0 && memory > node.allocatable.memory - node.requested.memory) bits |= INSUFFICIENT_MEMORY;
  return bits;
}

function reasonsOf(bits: number): string[] {
  const reasons: string[] = [];
  if (bits & TOO_MANY_PODS) reasons.push(ERR_TOO_MANY_PODS);
  if (bits & INSUFFICIENT_CPU) reasons.push(ERR_INSUFFICIENT_CPU);
  if (bits & INSUFFICIENT_MEMORY) reasons.push(ERR_INSUFFICIENT_MEMORY);
  return reasons;
}

/** Every resource the pod lacks on this node, in a stable order; empty when it fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  return reasonsOf(shortfall(pod, node));
}

// One shared status per combination of shortfalls: full nodes are the common
// rejection in a busy cluster.
const STATUSES: (Status | undefined)[] = Array.from({ length: 8 }, (_, bits) => (bits ? sharedUnschedulable(NODE_RESOURCES_FIT, ...reasonsOf(bits)) : undefined));

export class NodeResourcesFit implements FilterPlugin {
  readonly name = NODE_RESOURCES_FIT;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    return STATUSES[shortfall(pod, node)];
  }
}
