// One scheduling decision, pure: filter the nodes, score the feasible ones,
// pick the best. No I/O; the caller owns the cache and the apiserver.
import type { Pod } from '../lib/api/generated/types.js';
import { CycleState, type Framework, type NodeScore, type Status } from './framework.js';
import { podInfoFor, type NodeInfo, type PodInfo } from './node-info.js';

const isPodInfo = (p: Pod | PodInfo): p is PodInfo => 'requests' in p && 'pod' in p;

export type ScheduleResult =
  | {
      kind: 'scheduled';
      nodeName: string;
      /** nodes that passed every filter, of those evaluated */
      feasibleNodes: number;
      evaluatedNodes: number;
    }
  | {
      kind: 'unschedulable';
      /** `0/3 nodes are available: 2 Insufficient memory, 1 node(s) ....` */
      message: string;
      /** node name → why it was rejected */
      nodeStatuses: Map<string, Status>;
    };

/**
 * The failure message, in Kubernetes' words: how many nodes there are, and
 * how many nodes gave each reason. A node may give several reasons (short of
 * cpu and memory). Most frequent reason first, then alphabetical; Kubernetes
 * sorts the "N reason" strings as text, which puts "10 ..." before "2 ...".
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>, preFilterMessage?: string): string {
  const head = `0/${numAllNodes} nodes are available`;
  if (preFilterMessage) return `${head}: ${preFilterMessage}.`;
  if (numAllNodes === 0) return `${head}: no nodes are registered; start a tug-agent or create a Node.`;
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()]
    .sort(([ra, a], [rb, b]) => b - a || (ra < rb ? -1 : ra > rb ? 1 : 0))
    .map(([r, n]) => `${n} ${r}`);
  return parts.length ? `${head}: ${parts.join(', ')}.` : `${head}.`;
}

/**
 * How many feasible nodes are enough before scoring, as in Kubernetes: all of
 * them in a small cluster; in a large one a share that shrinks with size
 * (50% minus 1% per 125 nodes, at least 5%, at least 100 nodes), because
 * scoring every node of thousands costs more than it gains.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  const MIN_NODES = 100;
  if (numAllNodes < MIN_NODES || percentageOfNodesToScore >= 100) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(numAllNodes / 125));
  return Math.max(MIN_NODES, Math.floor((numAllNodes * pct) / 100));
}

export interface AlgorithmOptions {
  /** 0 (default) = adaptive, 100 = score every feasible node */
  percentageOfNodesToScore?: number;
}

/**
 * The decision procedure plus the little state that makes it fair across
 * decisions: where the next partial node scan starts, and a round-robin
 * counter for ties, so equal nodes take turns instead of the first by name
 * taking everything.
 */
export class SchedulingAlgorithm {
  private nextStartNodeIndex = 0;
  private tieCounter = 0;

  constructor(
    readonly framework: Framework,
    private readonly opts: AlgorithmOptions = {},
  ) {}

  /**
   * Decide where `pod` goes among `nodes` (which must all have a Node).
   * A pod whose spec cannot be read (a malformed quantity) is unschedulable
   * with that problem as the message.
   */
  schedule(pod: Pod | PodInfo, nodes: readonly NodeInfo[]): ScheduleResult {
    let pi: PodInfo;
    try {
      pi = isPodInfo(pod) ? pod : podInfoFor(pod);
    } catch (err) {
      return { kind: 'unschedulable', message: fitErrorMessage(nodes.length, [], (err as Error).message), nodeStatuses: new Map() };
    }
    const state = new CycleState();
    const pre = this.framework.runPreFilter(state, pi);
    if (pre.code !== 'Success') {
      return { kind: 'unschedulable', message: fitErrorMessage(nodes.length, [], pre.reasons.join(', ')), nodeStatuses: new Map() };
    }
    if (nodes.length === 0) return { kind: 'unschedulable', message: fitErrorMessage(0, []), nodeStatuses: new Map() };

    const want = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    // Rejections are kept as two parallel arrays and only turned into a map
    // when no node fits: in a busy cluster most attempts reject some nodes
    // and still place the pod.
    const rejected: NodeInfo[] = [];
    const rejections: Status[] = [];
    const total = nodes.length;
    let index = this.nextStartNodeIndex % total;
    let processed = 0;
    for (; processed < total && feasible.length < want; processed++) {
      const node = nodes[index]!;
      if (++index === total) index = 0;
      const s = this.framework.runFilter(state, pi, node);
      if (s.code === 'Success') feasible.push(node);
      else {
        rejected.push(node);
        rejections.push(s);
      }
    }
    this.nextStartNodeIndex = index;

    if (feasible.length === 0) {
      const statuses = new Map<string, Status>();
      for (let i = 0; i < rejected.length; i++) statuses.set(rejected[i]!.name, rejections[i]!);
      return { kind: 'unschedulable', message: fitErrorMessage(total, statuses.values()), nodeStatuses: statuses };
    }
    const result = { feasibleNodes: feasible.length, evaluatedNodes: processed };
    if (feasible.length === 1) return { kind: 'scheduled', nodeName: feasible[0]!.name, ...result };
    const totals = this.framework.runScoreTotals(state, pi, feasible);
    return { kind: 'scheduled', nodeName: this.pickBest(feasible, totals), ...result };
  }

  /** selectHost over parallel arrays, without building NodeScore objects. */
  private pickBest(nodes: readonly NodeInfo[], totals: Float64Array): string {
    let best = -Infinity;
    let first = 0;
    let ties = 0;
    for (let i = 0; i < totals.length; i++) {
      const s = totals[i]!;
      if (s > best) {
        best = s;
        first = i;
        ties = 1;
      } else if (s === best) ties++;
    }
    if (ties === 1) return nodes[first]!.name;
    const top: string[] = [];
    for (let i = first; i < totals.length; i++) if (totals[i] === best) top.push(nodes[i]!.name);
    top.sort();
    return top[this.tieCounter++ % top.length]!;
  }

  /** The highest total; among equals, the next in name order after the last tie's pick. */
  selectHost(scores: NodeScore[]): string {
    let best = -Infinity;
    let top: string[] = [];
    for (const s of scores) {
      if (s.score > best) {
        best = s.score;
        top = [s.name];
      } else if (s.score === best) top.push(s.name);
    }
    if (top.length === 1) return top[0]!;
    top.sort();
    return top[this.tieCounter++ % top.length]!;
  }
}
