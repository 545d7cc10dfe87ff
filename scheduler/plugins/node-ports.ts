// NodePorts: two pods cannot claim the same host port (protocol, address) on one node.
import { unschedulable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

export class NodePorts implements FilterPlugin {
  readonly name = NODE_PORTS;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    for (const p of pod.hostPorts) {
      if (node.usedPorts.conflicts(p)) return unschedulable(ERR_NODE_PORTS);
    }
    return undefined;
  }
}
