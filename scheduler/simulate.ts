// The scheduling loop in memory, binds assumed to succeed at once: for tests
// of whole bursts and for the benchmark (bench/ calls benchmarkScheduling).
import type { Node, Pod } from '../lib/api/generated/types.js';
import { SchedulingCore, type CoreOptions } from './core.js';

export interface LoopResult {
  /** pod key → node */
  placements: Map<string, string>;
  /** pod key → failure message, for pods left parked */
  unschedulable: Map<string, string>;
  decisions: number;
}

/**
 * Pop and decide until the active queue is empty. Every assumed pod is
 * treated as bound at once; parked pods stay parked.
 */
export function runSchedulingLoop(core: SchedulingCore, maxDecisions = Number.POSITIVE_INFINITY): LoopResult {
  const placements = new Map<string, string>();
  const unschedulable = new Map<string, string>();
  let decisions = 0;
  while (decisions < maxDecisions) {
    const qp = core.queue.pop();
    if (!qp) break;
    decisions++;
    const d = core.scheduleOne(qp);
    if (d.kind === 'assumed') {
      core.cache.finishBinding(qp.key);
      placements.set(qp.key, d.nodeName);
      unschedulable.delete(qp.key);
    } else {
      unschedulable.set(qp.key, d.message);
    }
  }
  return { placements, unschedulable, decisions };
}

/** A Ready node with the given allocatable. */
export function syntheticNode(name: string, cpu: string, memory: string, pods = 110, labels: Record<string, string> = {}): Node {
  const allocatable = { cpu, memory, pods: String(pods) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** A pending pod with one container requesting cpu/memory, optionally owned by a ReplicaSet. */
export function syntheticPod(
  name: string,
  cpu: string | undefined,
  memory: string | undefined,
  opts: { namespace?: string; owner?: string; created?: string; priority?: number } = {},
): Pod {
  const requests: Record<string, string> = {};
  if (cpu) requests['cpu'] = cpu;
  if (memory) requests['memory'] = memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      uid: `uid-${name}`,
      creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z',
      ownerReferences: opts.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: opts.owner, uid: `uid-${opts.owner}`, controller: true }] : undefined,
    },
    spec: {
      schedulerName: 'default-scheduler',
      priority: opts.priority,
      containers: [{ name: 'app', image: 'busybox', resources: { requests } }],
    },
    status: { phase: 'Pending' },
  };
}

export interface BenchmarkOptions extends CoreOptions {
  nodes: number;
  pods: number;
  /** pods per owning ReplicaSet (default 10) */
  podsPerOwner?: number;
}

export interface BenchmarkResult {
  nodes: number;
  pods: number;
  decisions: number;
  scheduled: number;
  unschedulable: number;
  elapsedMs: number;
  decisionsPerSecond: number;
}

/**
 * Decisions per second of the pure loop over N synthetic nodes of a few
 * sizes and M pods of a few shapes. Setup is not timed. Deterministic
 * workload, so runs are comparable.
 */
export function benchmarkScheduling(opts: BenchmarkOptions): BenchmarkResult {
  const core = new SchedulingCore(opts);
  const sizes: [string, string][] = [
    ['4', '8Gi'],
    ['8', '16Gi'],
    ['16', '64Gi'],
  ];
  for (let i = 0; i < opts.nodes; i++) {
    const [cpu, mem] = sizes[i % sizes.length]!;
    core.cache.addNode(syntheticNode(`node-${String(i).padStart(5, '0')}`, cpu, mem));
  }
  const shapes: [string, string][] = [
    ['100m', '128Mi'],
    ['250m', '256Mi'],
    ['500m', '512Mi'],
    ['1', '1Gi'],
  ];
  const perOwner = opts.podsPerOwner ?? 10;
  for (let i = 0; i < opts.pods; i++) {
    const [cpu, mem] = shapes[Math.floor(i / perOwner) % shapes.length]!;
    core.queue.add(syntheticPod(`pod-${i}`, cpu, mem, { owner: `rs-${Math.floor(i / perOwner)}` }));
  }
  const start = performance.now();
  const r = runSchedulingLoop(core);
  const elapsedMs = performance.now() - start;
  return {
    nodes: opts.nodes,
    pods: opts.pods,
    decisions: r.decisions,
    scheduled: r.placements.size,
    unschedulable: r.unschedulable.size,
    elapsedMs,
    decisionsPerSecond: elapsedMs > 0 ? (r.decisions * 1000) / elapsedMs : Number.POSITIVE_INFINITY,
  };
}
