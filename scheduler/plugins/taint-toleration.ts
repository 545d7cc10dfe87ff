// TaintToleration: a node's NoSchedule/NoExecute taints keep off every pod
// that does not tolerate them; PreferNoSchedule taints only lower the score.
import type { Taint, Toleration } from '../../lib/api/generated/types.js';
import { defaultNormalizeScore, SKIP, unschedulable, type CycleState, type FilterPlugin, type NodeScore, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const TAINT_TOLERATION = 'TaintToleration';

/** Whether one toleration covers one taint: matching effect (or any), key (or any with Exists), and value unless Exists. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator || 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function tolerated(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

export const untoleratedTaintReason = (taint: Taint): string =>
  `node(s) had untolerated taint {${taint.key ?? ''}: ${taint.value ?? ''}}`;

const PREFERRED_KEY = 'TaintToleration/preferNoSchedule';

/** The tolerations that can cover a PreferNoSchedule taint. */
const preferNoScheduleTolerations = (pod: PodInfo): Toleration[] =>
  (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = TAINT_TOLERATION;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const taints = node.hardTaints;
    if (taints.length === 0) return undefined;
    const tolerations = pod.pod.spec?.tolerations;
    for (const taint of taints) {
      if (!tolerated(tolerations, taint)) return unschedulable(untoleratedTaintReason(taint));
    }
    return undefined;
  }

  /** Without a PreferNoSchedule taint on any of the nodes, every node scores the same. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined {
    if (!nodes.some((n) => n.preferNoScheduleTaints.length > 0)) return SKIP;
    state.write(PREFERRED_KEY, preferNoScheduleTolerations(pod));
    return undefined;
  }

  /** How many PreferNoSchedule taints the pod does not tolerate; fewer is better. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const taints = node.preferNoScheduleTaints;
    if (taints.length === 0) return 0;
    const tolerations = state.read<Toleration[]>(PREFERRED_KEY) ?? preferNoScheduleTolerations(pod);
    let n = 0;
    for (const taint of taints) if (!tolerated(tolerations, taint)) n++;
    return n;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }
}
