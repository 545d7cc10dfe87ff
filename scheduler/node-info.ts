// The scheduler's view of one node: the Node object, the pods bound or
// assumed on it, and running sums of what they take, kept incrementally so a
// decision costs O(plugins) per node, not O(pods).
import type { Node, Pod, Taint } from '../lib/api/generated/types.js';
import {
  ANY_IP,
  nodeAllocatable,
  podHostPorts,
  podNonZeroRequests,
  podRequests,
  type Allocatable,
  type HostPort,
  type Resources,
} from './resources.js';

/** A pod with everything the plugins need precomputed once. */
export interface PodInfo {
  /** "namespace/name", the informer key */
  key: string;
  pod: Pod;
  requests: Resources;
  nonZeroRequests: Resources;
  hostPorts: HostPort[];
  /** identity of the controlling owner (ReplicaSet, ...), for spreading */
  ownerKey: string | undefined;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** The controller ownerReference as a stable identity: its uid, or kind/ns/name if the uid is missing. */
export function controllerOwnerKey(pod: Pod): string | undefined {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (!ref) return undefined;
  return internOwnerKey(ref.uid || `${ref.kind ?? ''}/${pod.metadata?.namespace ?? ''}/${ref.name ?? ''}`);
}

// Spreading looks an owner key up in every feasible node's owner counts on
// every attempt. Each decoded pod brings its own copy of the owner's uid, and
// a map lookup with an equal but distinct string compares it character by
// character; one shared string per owner compares by identity. Clearing at
// the bound only loses sharing, never correctness.
const OWNER_KEYS_LIMIT = 16_384;
const ownerKeys = new Map<string, string>();

function internOwnerKey(key: string): string {
  const shared = ownerKeys.get(key);
  if (shared !== undefined) return shared;
  if (ownerKeys.size >= OWNER_KEYS_LIMIT) ownerKeys.clear();
  ownerKeys.set(key, key);
  return key;
}

/** Throws ApiError BadRequest when a request is not a valid quantity. */
export function podInfoFor(pod: Pod): PodInfo {
  return {
    key: podKey(pod),
    pod,
    requests: podRequests(pod),
    nonZeroRequests: podNonZeroRequests(pod),
    hostPorts: podHostPorts(pod),
    ownerKey: controllerOwnerKey(pod),
  };
}

/** Host ports in use on one node, counted so removing one of two identical claims keeps the other. */
export class HostPortSet {
  private readonly byIp = new Map<string, Map<string, number>>();

  add(p: HostPort): void {
    let ports = this.byIp.get(p.ip);
    if (!ports) this.byIp.set(p.ip, (ports = new Map()));
    const k = `${p.protocol}/${p.port}`;
    ports.set(k, (ports.get(k) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const ports = this.byIp.get(p.ip);
    const k = `${p.protocol}/${p.port}`;
    const n = ports?.get(k);
    if (!ports || n === undefined) return;
    if (n > 1) ports.set(k, n - 1);
    else ports.delete(k);
    if (ports.size === 0) this.byIp.delete(p.ip);
  }

  /** A wildcard address clashes with every address; otherwise only the same address or a wildcard does. */
  conflicts(p: HostPort): boolean {
    const k = `${p.protocol}/${p.port}`;
    if (p.ip === ANY_IP) {
      for (const ports of this.byIp.values()) if (ports.has(k)) return true;
      return false;
    }
    return !!this.byIp.get(p.ip)?.has(k) || !!this.byIp.get(ANY_IP)?.has(k);
  }

  get size(): number {
    let n = 0;
    for (const ports of this.byIp.values()) n += ports.size;
    return n;
  }
}

/** Whether the node's agent reports Ready=True. */
export function nodeIsReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_TAINTS: readonly Taint[] = Object.freeze([]);

/**
 * Pods per owner per node that are not being deleted. Kept owner first, so
 * spreading, which asks about one owner on hundreds of nodes per attempt,
 * reads one small map (the owner's few nodes) instead of one map per node.
 */
export class OwnerCounts {
  private readonly byOwner = new Map<string, Map<NodeInfo, number>>();

  add(owner: string, node: NodeInfo): void {
    let nodes = this.byOwner.get(owner);
    if (!nodes) this.byOwner.set(owner, (nodes = new Map()));
    nodes.set(node, (nodes.get(node) ?? 0) + 1);
  }

  remove(owner: string, node: NodeInfo): void {
    const nodes = this.byOwner.get(owner);
    const n = nodes?.get(node);
    if (!nodes || n === undefined) return;
    if (n > 1) nodes.set(node, n - 1);
    else {
      nodes.delete(node);
      if (nodes.size === 0) this.byOwner.delete(owner);
    }
  }

  count(owner: string, node: NodeInfo): number {
    return this.byOwner.get(owner)?.get(node) ?? 0;
  }
}

export class NodeInfo {
  /** undefined while pods are known to be bound to a node the informer has not shown (or no longer shows) */
  node: Node | undefined;
  // What the filters and scores ask of the Node on every attempt, read once
  // when the Node changes rather than once per pod × node.
  /** Ready=True */
  ready = false;
  /** spec.unschedulable (cordoned) */
  unschedulable = false;
  labels: Readonly<Record<string, string>> = NO_LABELS;
  /** taints with effect NoSchedule or NoExecute, in the node's order */
  hardTaints: readonly Taint[] = NO_TAINTS;
  /** taints with effect PreferNoSchedule, in the node's order */
  preferNoScheduleTaints: readonly Taint[] = NO_TAINTS;
  allocatable: Allocatable = { milliCpu: 0, memory: 0, pods: 0 };
  /** sum of the requests of every pod here; pods = how many */
  readonly requested = { milliCpu: 0, memory: 0, pods: 0 };
  /** the same with scoring's defaults for unset requests */
  readonly nonZeroRequested: Resources = { milliCpu: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  readonly usedPorts = new HostPortSet();
  constructor(
    readonly name: string,
    node?: Node,
    /** shared by every NodeInfo of one cache; a NodeInfo on its own keeps its own */
    private readonly owners: OwnerCounts = new OwnerCounts(),
  ) {
    if (node) this.setNode(node);
  }

  /** why allocatable could not be read, when it could not (the node then offers nothing) */
  allocatableError: string | undefined;

  setNode(node: Node): void {
    this.node = node;
    this.ready = nodeIsReady(node);
    this.unschedulable = !!node.spec?.unschedulable;
    this.labels = node.metadata?.labels ?? NO_LABELS;
    const taints = node.spec?.taints ?? [];
    this.hardTaints = taints.length ? taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute') : NO_TAINTS;
    this.preferNoScheduleTaints = taints.length ? taints.filter((t) => t.effect === 'PreferNoSchedule') : NO_TAINTS;
    try {
      this.allocatable = nodeAllocatable(node);
      this.allocatableError = undefined;
    } catch (err) {
      // The apiserver validates quantities, so this is a node written around
      // it; offering nothing is safer than guessing.
      this.allocatable = { milliCpu: 0, memory: 0, pods: 0 };
      this.allocatableError = (err as Error).message;
    }
  }

  clearNode(): void {
    this.node = undefined;
    this.ready = false;
    this.unschedulable = false;
    this.labels = NO_LABELS;
    this.hardTaints = NO_TAINTS;
    this.preferNoScheduleTaints = NO_TAINTS;
    this.allocatable = { milliCpu: 0, memory: 0, pods: 0 };
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    this.requested.milliCpu += pi.requests.milliCpu;
    this.requested.memory += pi.requests.memory;
    this.requested.pods += 1;
    this.nonZeroRequested.milliCpu += pi.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory += pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) this.usedPorts.add(p);
    const owner = spreadingOwner(pi);
    if (owner) this.owners.add(owner, this);
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    this.requested.milliCpu -= pi.requests.milliCpu;
    this.requested.memory -= pi.requests.memory;
    this.requested.pods -= 1;
    this.nonZeroRequested.milliCpu -= pi.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory -= pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) this.usedPorts.remove(p);
    const owner = spreadingOwner(pi);
    if (owner) this.owners.remove(owner, this);
    return pi;
  }

  /** Pods here with this controlling owner, not counting ones already being deleted. */
  ownerCount(ownerKey: string): number {
    return this.owners.count(ownerKey, this);
  }
}

// A pod on its way out is about to free its place, so it should not push
// its replacement elsewhere.
function spreadingOwner(pi: PodInfo): string | undefined {
  return pi.pod.metadata?.deletionTimestamp ? undefined : pi.ownerKey;
}
