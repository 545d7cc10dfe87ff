// Resource-allocation scores over cpu and memory, each weighted 1:
// LeastAllocated favours the emptiest node (spreads load), MostAllocated the
// fullest (packs nodes so others can be drained). Both use the scoring
// requests, where unset requests count as small defaults.
import { MAX_NODE_SCORE, type CycleState, type ScorePlugin } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const LEAST_ALLOCATED = 'NodeResourcesLeastAllocated';
export const MOST_ALLOCATED = 'NodeResourcesMostAllocated';

export type ScoringStrategy = 'least-allocated' | 'most-allocated';

// Written out per strategy rather than through a shared helper taking the
// per-resource function: this runs for every feasible node of every attempt.

/** The share of cpu and of memory left free once the pod is added, averaged. */
export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = leastRequested(node.nonZeroRequested.milliCpu + pod.nonZeroRequests.milliCpu, node.allocatable.milliCpu);
  const memory = leastRequested(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory);
  return Math.floor((cpu + memory) / 2);
}

/** The share of cpu and of memory in use once the pod is added, averaged. */
export function mostAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = mostRequested(node.nonZeroRequested.milliCpu + pod.nonZeroRequests.milliCpu, node.allocatable.milliCpu);
  const memory = mostRequested(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory);
  return Math.floor((cpu + memory) / 2);
}

function leastRequested(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return Math.floor(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
}

function mostRequested(requested: number, allocatable: number): number {
  if (allocatable <= 0) return 0;
  return Math.floor((Math.min(requested, allocatable) * MAX_NODE_SCORE) / allocatable);
}

export class NodeResourcesLeastAllocated implements ScorePlugin {
  readonly name = LEAST_ALLOCATED;

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return leastAllocatedScore(pod, node);
  }
}

export class NodeResourcesMostAllocated implements ScorePlugin {
  readonly name = MOST_ALLOCATED;

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    return mostAllocatedScore(pod, node);
  }
}
