// The default profile: which plugins run, in which order, with which weights.
import type { Plugin, Profile } from '../framework.js';
import { NodeAffinity, NODE_AFFINITY } from './node-affinity.js';
import { NodePorts } from './node-ports.js';
import { NodeReady } from './node-ready.js';
import { NodeResourcesFit } from './node-resources-fit.js';
import { NodeResourcesLeastAllocated, NodeResourcesMostAllocated, LEAST_ALLOCATED, MOST_ALLOCATED, type ScoringStrategy } from './resource-allocation.js';
import { OwnerSpread, OWNER_SPREAD } from './owner-spread.js';
import { TaintToleration, TAINT_TOLERATION } from './taint-toleration.js';

export * from './node-affinity.js';
export * from './node-ports.js';
export * from './node-ready.js';
export * from './node-resources-fit.js';
export * from './resource-allocation.js';
export * from './owner-spread.js';
export * from './taint-toleration.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/**
 * Weights follow Kubernetes' defaults in spirit: taints and affinity are
 * what a user asked for, so they outweigh the resource balance; spreading
 * weighs as much as affinity so replicas do not pile up.
 */
export const DEFAULT_SCORE_WEIGHTS: Record<string, number> = {
  [LEAST_ALLOCATED]: 1,
  [MOST_ALLOCATED]: 1,
  [NODE_AFFINITY]: 2,
  [OWNER_SPREAD]: 2,
  [TAINT_TOLERATION]: 3,
};

export function defaultProfile(opts: { schedulerName?: string; scoring?: ScoringStrategy } = {}): Profile {
  // Taints first: an unreachable node carries a taint saying so, which tells a
  // person more than "not ready".
  const plugins: Plugin[] = [
    new TaintToleration(),
    new NodeReady(),
    new NodeAffinity(),
    new NodePorts(),
    new NodeResourcesFit(),
    opts.scoring === 'most-allocated' ? new NodeResourcesMostAllocated() : new NodeResourcesLeastAllocated(),
    new OwnerSpread(),
  ];
  return { schedulerName: opts.schedulerName ?? DEFAULT_SCHEDULER_NAME, plugins, scoreWeights: { ...DEFAULT_SCORE_WEIGHTS } };
}
