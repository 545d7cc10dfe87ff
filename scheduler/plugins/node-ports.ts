// NodePorts: two pods cannot claim the same host port (protocol, address) on one node.
import { SKIP, sharedUnschedulable, type CycleState, type FilterPlugin, type PreFilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const PORTS_TAKEN = sharedUnschedulable(NODE_PORTS, ERR_NODE_PORTS);

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NODE_PORTS;

  /** A pod that claims no host port fits every node as far as ports go. */
  preFilter(_state: CycleState, pod: PodInfo): Status | undefined {
    return pod.hostPorts.length === 0 ? SKIP : undefined;
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    for (const p of pod.hostPorts) {
      if (node.usedPorts.conflicts(p)) return PORTS_TAKEN;
    }
    return undefined;
  }
}
