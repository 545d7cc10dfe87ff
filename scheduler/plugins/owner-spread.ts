// OwnerSpread: replicas of one controller (same controlling ownerReference)
// prefer nodes holding fewer of their siblings, so losing a node loses few
// replicas. Pods without a controller score the same everywhere.
import { defaultNormalizeScore, type CycleState, type NodeScore, type ScorePlugin } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const OWNER_SPREAD = 'OwnerSpread';

export class OwnerSpread implements ScorePlugin {
  readonly name = OWNER_SPREAD;

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return pod.ownerKey ? node.ownerCount(pod.ownerKey) : 0;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }
}
