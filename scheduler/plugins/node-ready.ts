// NodeReady: only nodes whose agent reports Ready=True, and that are not
// cordoned (spec.unschedulable) unless the pod tolerates the cordon.
import { sharedUnschedulable, type CycleState, type FilterPlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';
import { tolerated } from './taint-toleration.js';

export { nodeIsReady } from '../node-info.js';

export const NODE_READY = 'NodeReady';
export const ERR_NODE_NOT_READY = 'node(s) were not ready';
export const ERR_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
/** The taint a pod tolerates to be placed on a cordoned node (as DaemonSet pods do). */
export const UNSCHEDULABLE_TAINT_KEY = 'node.kubernetes.io/unschedulable';

const NOT_READY = sharedUnschedulable(NODE_READY, ERR_NODE_NOT_READY);
const UNSCHEDULABLE = sharedUnschedulable(NODE_READY, ERR_NODE_UNSCHEDULABLE);

export class NodeReady implements FilterPlugin {
  readonly name = NODE_READY;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (!node.ready) return NOT_READY;
    if (node.unschedulable && !tolerated(pod.pod.spec?.tolerations, { key: UNSCHEDULABLE_TAINT_KEY, effect: 'NoSchedule' })) return UNSCHEDULABLE;
    return undefined;
  }
}
