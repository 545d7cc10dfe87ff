// What a pod asks of a node and what a node offers, in the units the filters
// compare: cpu millicores, memory bytes, a pod count, host ports.
import type { Container, Node, Pod } from '../lib/api/generated/types.js';
import { cpuToMillis, memoryToBytes, parseQuantity } from '../lib/quantity.js';

export interface Resources {
  milliCpu: number;
  memory: number;
}

export interface Allocatable extends Resources {
  pods: number;
}

/**
 * Used only for scoring, never for fitting: a container without requests
 * still occupies something, so counting it as a small default keeps
 * request-less pods from all piling onto one node (Kubernetes does the same).
 */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export const zeroResources = (): Resources => ({ milliCpu: 0, memory: 0 });

/**
 * A container's effective requests. One that sets a limit but no request
 * requests its limit: that is what the apiserver defaults in Kubernetes, and
 * counting less would let the node overcommit what the container may use.
 */
export function containerRequests(c: Container): Resources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  return {
    milliCpu: memoized(cpuMemo, cpuToMillis, req['cpu'] ?? lim['cpu']),
    memory: memoized(memoryMemo, memoryToBytes, req['memory'] ?? lim['memory']),
  };
}

// Exact quantity parsing goes through BigInt and is the dearest part of
// reading a pod, yet a cluster's pods use a handful of distinct request
// strings. Only successful parses are kept, so a malformed one still throws
// every time; the bound keeps hostile variety from growing the maps.
const MEMO_LIMIT = 4096;
const cpuMemo = new Map<string, number>();
const memoryMemo = new Map<string, number>();

function memoized(memo: Map<string, number>, parse: (q: string | undefined) => number, q: string | undefined): number {
  if (q === undefined) return parse(q);
  let v = memo.get(q);
  if (v === undefined) {
    v = parse(q);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(q, v);
  }
  return v;
}

function nonZero(r: Resources): Resources {
  return {
    milliCpu: r.milliCpu === 0 ? DEFAULT_MILLI_CPU_REQUEST : r.milliCpu,
    memory: r.memory === 0 ? DEFAULT_MEMORY_REQUEST : r.memory,
  };
}

/**
 * Init containers run one at a time before the app containers, so the pod
 * needs the larger of (all app containers together) and (each init container
 * alone), per resource.
 */
function combine(pod: Pod, each: (c: Container) => Resources): Resources {
  const sum = zeroResources();
  for (const c of pod.spec?.containers ?? []) {
    const r = each(c);
    sum.milliCpu += r.milliCpu;
    sum.memory += r.memory;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = each(c);
    sum.milliCpu = Math.max(sum.milliCpu, r.milliCpu);
    sum.memory = Math.max(sum.memory, r.memory);
  }
  return sum;
}

/** The pod's requests as fitting sees them. Throws ApiError BadRequest on a malformed quantity. */
export function podRequests(pod: Pod): Resources {
  return combine(pod, containerRequests);
}

/** The pod's requests as scoring sees them: unset cpu/memory count as small defaults. */
export function podNonZeroRequests(pod: Pod): Resources {
  return combine(pod, (c) => nonZero(containerRequests(c)));
}

/**
 * What the node offers pods. status.allocatable, falling back per resource
 * to status.capacity for a node that reports only capacity; a resource it
 * reports neither way is 0, so nothing that requests it fits.
 */
export function nodeAllocatable(node: Node): Allocatable {
  const alloc = node.status?.allocatable ?? {};
  const cap = node.status?.capacity ?? {};
  const pick = (name: string): string | undefined => alloc[name] ?? cap[name];
  const pods = pick('pods');
  return {
    milliCpu: cpuToMillis(pick('cpu')),
    memory: memoryToBytes(pick('memory')),
    pods: pods === undefined || pods === '' ? 0 : Math.floor(parseQuantity(pods)),
  };
}

export interface HostPort {
  /** "0.0.0.0" means every address of the node */
  ip: string;
  protocol: string;
  port: number;
}

export const ANY_IP = '0.0.0.0';

/**
 * Host ports the pod's containers claim. A host-network pod binds its
 * container ports on the node itself, so those count too.
 */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const hostNetwork = !!pod.spec?.hostNetwork;
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      const port = p.hostPort || (hostNetwork ? p.containerPort : 0) || 0;
      if (port <= 0) continue;
      out.push({ ip: p.hostIP || ANY_IP, protocol: (p.protocol || 'TCP').toUpperCase(), port });
    }
  }
  return out;
}
