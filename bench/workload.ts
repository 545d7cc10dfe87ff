// The scheduling workload, shared by the end-to-end run (hollow nodes and
// pods through the apiserver) and the in-memory run, so both decide the same
// thing. Sizes and shapes are those of scheduler/simulate.ts benchmarkScheduling.
import type { Pod } from '../lib/api/generated/types.js';

export const NODE_SIZES: readonly { cpus: string; memory: string }[] = [
  { cpus: '4', memory: '8Gi' },
  { cpus: '8', memory: '16Gi' },
  { cpus: '16', memory: '64Gi' },
];

export const POD_SHAPES: readonly { cpu: string; memory: string }[] = [
  { cpu: '100m', memory: '128Mi' },
  { cpu: '250m', memory: '256Mi' },
  { cpu: '500m', memory: '512Mi' },
  { cpu: '1', memory: '1Gi' },
];

export const MAX_PODS_PER_NODE = 110;
/** pods in a row with the same shape */
const PODS_PER_SHAPE = 10;

export function nodeName(i: number): string {
  return `node-${String(i).padStart(5, '0')}`;
}

export function nodeSize(i: number): { cpus: string; memory: string } {
  return NODE_SIZES[i % NODE_SIZES.length]!;
}

export function podShape(i: number): { cpu: string; memory: string } {
  return POD_SHAPES[Math.floor(i / PODS_PER_SHAPE) % POD_SHAPES.length]!;
}

/** A pending pod as a user would create it: one container with requests, no owner. */
export function benchPod(name: string, i: number, namespace = 'default'): Pod {
  const { cpu, memory } = podShape(i);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'sched-bench' } },
    spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu, memory } } }] },
  };
}
