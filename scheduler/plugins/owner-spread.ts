// OwnerSpread: replicas of one controller (same controlling ownerReference)
// prefer nodes holding fewer of their siblings, so losing a node loses few
// replicas. Pods without a controller score the same everywhere.
import { defaultNormalizeScore, SKIP, type CycleState, type NodeScore, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const OWNER_SPREAD = 'OwnerSpread';

export class OwnerSpread implements ScorePlugin {
  readonly name = OWNER_SPREAD;

  /** A pod without a controller has no siblings to spread from. */
  preScore(_state: CycleState, pod: PodInfo): Status | undefined {
    return pod.ownerKey ? undefined : SKIP;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return pod.ownerKey ? node.ownerCount(pod.ownerKey) : 0;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }
}
