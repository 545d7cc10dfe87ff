// The scheduler cache: NodeInfo per node, fed by the informers (bound pods,
// nodes) and by the scheduler's own decisions (assumed pods). Assuming lets
// the next decision see a pod on its node before the apiserver has bound it,
// so a burst never overcommits; a failed bind forgets it again, and an
// assumption the informer never confirms expires.
import type { Node, Pod } from '../lib/api/generated/types.js';
import { NodeInfo, OwnerCounts, podInfoFor, podKey, type PodInfo } from './node-info.js';

export interface CacheOptions {
  now?: () => number;
  /**
   * How long after a successful bind an assumption may wait for the informer
   * to show the pod bound before it is dropped (ms).
   */
  assumedPodTtlMs?: number;
}

interface PodState {
  nodeName: string;
  info: PodInfo;
  assumed: boolean;
  /** set once the bind returned; the assumption expires after it */
  deadline: number | undefined;
}

export type PodAddOutcome = 'confirmed' | 'added' | 'updated';

/** A pod that can no longer use a node's resources. */
export const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

function withNodeName(pod: Pod, nodeName: string): Pod {
  return { ...pod, spec: { ...pod.spec, nodeName } };
}

/** Bound pods are counted even if a quantity is unreadable: as requesting nothing rather than not at all. */
function boundPodInfo(pod: Pod): PodInfo {
  try {
    return podInfoFor(pod);
  } catch {
    return { key: podKey(pod), pod, requests: { milliCpu: 0, memory: 0 }, nonZeroRequests: { milliCpu: 0, memory: 0 }, hostPorts: [], ownerKey: undefined };
  }
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  private readonly owners = new OwnerCounts();
  private sorted: NodeInfo[] | undefined;
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(opts: CacheOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.assumedPodTtlMs ?? 30_000;
  }

  // ---- nodes ----

  addNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    let info = this.infos.get(name);
    if (!info) {
      info = new NodeInfo(name, undefined, this.owners);
      this.infos.set(name, info);
    }
    if (!info.node) this.sorted = undefined;
    info.setNode(node);
    return info;
  }

  updateNode(node: Node): NodeInfo {
    return this.addNode(node);
  }

  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    // Pods still bound there keep their NodeInfo, so a node that comes back
    // (or an agent that re-registers) is not mistaken for empty.
    if (info.pods.size > 0) info.clearNode();
    else this.infos.delete(name);
    this.sorted = undefined;
  }

  /** Nodes that exist, in name order. The returned array is shared: do not modify it. */
  nodeInfos(): NodeInfo[] {
    if (!this.sorted) {
      this.sorted = [...this.infos.values()].filter((i) => i.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return this.sorted;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  // ---- pods ----

  private place(nodeName: string, info: PodInfo): NodeInfo {
    let node = this.infos.get(nodeName);
    if (!node) {
      node = new NodeInfo(nodeName, undefined, this.owners);
      this.infos.set(nodeName, node);
    }
    node.addPod(info);
    return node;
  }

  private unplace(st: PodState): void {
    const node = this.infos.get(st.nodeName);
    if (!node) return;
    node.removePod(st.info.key);
    if (!node.node && node.pods.size === 0) this.infos.delete(st.nodeName);
  }

  /** Count the pod on nodeName now, before the bind. False if the cache already has the pod. */
  assume(pi: PodInfo, nodeName: string): boolean {
    if (this.pods.has(pi.key)) return false;
    const info = { ...pi, pod: withNodeName(pi.pod, nodeName) };
    this.place(nodeName, info);
    this.pods.set(pi.key, { nodeName, info, assumed: true, deadline: undefined });
    return true;
  }

  /** The bind returned: from now on the assumption waits at most the TTL for the informer. */
  finishBinding(key: string): void {
    const st = this.pods.get(key);
    if (st?.assumed) st.deadline = this.now() + this.ttlMs;
  }

  /** The bind failed: the pod no longer counts on its node. */
  forget(key: string): boolean {
    const st = this.pods.get(key);
    if (!st?.assumed) return false;
    this.unplace(st);
    this.pods.delete(key);
    return true;
  }

  isAssumed(key: string): boolean {
    return !!this.pods.get(key)?.assumed;
  }

  /** Where the cache counts the pod, if anywhere. */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.nodeName;
  }

  /**
   * A bound pod seen by the informer. For an assumed pod this is the
   * confirmation; if the apiserver put it elsewhere, the informer wins.
   */
  addPod(pod: Pod): PodAddOutcome {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw new Error(`cache.addPod given unbound pod ${podKey(pod)}`);
    const info = boundPodInfo(pod);
    const prev = this.pods.get(info.key);
    if (prev) this.unplace(prev);
    this.place(nodeName, info);
    this.pods.set(info.key, { nodeName, info, assumed: false, deadline: undefined });
    return prev?.assumed ? 'confirmed' : prev ? 'updated' : 'added';
  }

  updatePod(pod: Pod): PodAddOutcome {
    return this.addPod(pod);
  }

  /** The pod is gone (deleted or finished): it frees its node, assumed or not. */
  removePod(key: string): boolean {
    const st = this.pods.get(key);
    if (!st) return false;
    this.unplace(st);
    this.pods.delete(key);
    return true;
  }

  /** Drop assumptions whose bind finished more than the TTL ago without the informer confirming. */
  cleanupExpiredAssumedPods(): string[] {
    const now = this.now();
    const expired: string[] = [];
    for (const [key, st] of this.pods) {
      if (st.assumed && st.deadline !== undefined && now >= st.deadline) expired.push(key);
    }
    for (const key of expired) this.forget(key);
    return expired;
  }

  get podCount(): number {
    return this.pods.size;
  }

  get assumedCount(): number {
    let n = 0;
    for (const st of this.pods.values()) if (st.assumed) n++;
    return n;
  }
}
