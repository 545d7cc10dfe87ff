// Node health and pod eviction, decided without I/O.
//
// Liveness comes from the node's Lease (kube-node-lease/<node>), which the
// agent renews every few seconds. The controller does not trust the agent's
// clock: it notes on its own clock when it last *saw* the lease change
// (lastRenewObservedAt) and calls the node unreachable when that is older
// than the grace period. Eviction delays count from the NoExecute taint's
// timeAdded, which the controller itself wrote, so a restarted controller
// evicts on the same schedule.
import type { Condition, Node, Pod, Taint, Toleration } from '../../lib/api/generated/types.js';

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
const MANAGED_TAINT_KEYS = new Set([TAINT_UNREACHABLE, TAINT_NOT_READY]);

export const UNKNOWN_REASON = 'NodeStatusUnknown';
export const UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';
export const NEVER_UPDATED_REASON = 'NodeStatusNeverUpdated';
export const NEVER_UPDATED_MESSAGE = 'Kubelet never posted node status.';

export type ReadyStatus = 'True' | 'False' | 'Unknown';

export interface NodeHealthInput {
  node: Node;
  /** controller clock, ms */
  now: number;
  /** controller clock, ms: when the controller last saw the lease renewed (or first saw the node) */
  lastRenewObservedAt: number;
  gracePeriodMs: number;
}

export interface NodeHealthPlan {
  /** the node's Ready status once this plan is applied; undefined if the agent has not reported one yet */
  ready: ReadyStatus | undefined;
  /** new status.conditions to write with UpdateStatus (only when the controller marks the node Unknown) */
  conditions?: Condition[];
  /** new spec.taints to write with Update (only when they change) */
  taints?: Taint[];
  /** true when this plan takes the node from reporting to unreachable (worth an event and pod NotReady) */
  becameUnreachable: boolean;
}

export function readyCondition(node: Node): Condition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

export function planNodeHealth(input: NodeHealthInput): NodeHealthPlan {
  const { node, now, lastRenewObservedAt, gracePeriodMs } = input;
  const ready = readyCondition(node);
  const stale = now - lastRenewObservedAt > gracePeriodMs;
  let effective = ready?.status as ReadyStatus | undefined;
  let conditions: Condition[] | undefined;
  let becameUnreachable = false;
  if (stale) {
    conditions = markConditionsUnknown(node.status?.conditions ?? [], new Date(now).toISOString());
    becameUnreachable = ready?.status !== 'Unknown';
    effective = 'Unknown';
  }
  const taints = effective === undefined ? undefined : taintsFor(node.spec?.taints ?? [], effective, now);
  return {
    ready: effective,
    conditions,
    taints: taints && !sameTaints(taints, node.spec?.taints ?? []) ? taints : undefined,
    becameUnreachable,
  };
}

/**
 * Every condition the agent reported becomes Unknown (the controller cannot
 * know memory pressure either); a node that never reported gets a Ready
 * Unknown condition saying so. Returns undefined when nothing changes.
 */
export function markConditionsUnknown(conditions: Condition[], nowIso: string): Condition[] | undefined {
  let changed = false;
  const out = conditions.map((c) => {
    if (c.status === 'Unknown') return c;
    changed = true;
    return { ...c, status: 'Unknown', reason: UNKNOWN_REASON, message: UNKNOWN_MESSAGE, lastTransitionTime: nowIso };
  });
  if (!out.some((c) => c.type === 'Ready')) {
    changed = true;
    out.push({ type: 'Ready', status: 'Unknown', reason: NEVER_UPDATED_REASON, message: NEVER_UPDATED_MESSAGE, lastTransitionTime: nowIso });
  }
  return changed ? out : undefined;
}

/**
 * The node's taints with the controller-managed ones set for this Ready
 * status: Unknown → unreachable, False → not-ready (NoSchedule and
 * NoExecute), True → none. Other taints are kept as they are; a managed
 * taint that stays keeps its timeAdded, so eviction timers do not restart.
 */
export function taintsFor(current: Taint[], ready: ReadyStatus, now: number): Taint[] {
  const key = ready === 'Unknown' ? TAINT_UNREACHABLE : ready === 'False' ? TAINT_NOT_READY : undefined;
  const out = current.filter((t) => !MANAGED_TAINT_KEYS.has(t.key ?? '') || t.key === key);
  if (!key) return out;
  for (const effect of ['NoSchedule', 'NoExecute']) {
    if (out.some((t) => t.key === key && t.effect === effect)) continue;
    out.push(effect === 'NoExecute' ? { key, effect, timeAdded: new Date(now).toISOString() } : { key, effect });
  }
  return out;
}

function sameTaints(a: Taint[], b: Taint[]): boolean {
  const k = (t: Taint) => `${t.key}\u0000${t.value ?? ''}\u0000${t.effect}\u0000${t.timeAdded ?? ''}`;
  const sa = a.map(k).sort();
  const sb = b.map(k).sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

// ---- eviction ----

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/**
 * How long pod may stay on a node with this NoExecute taint, ms:
 * Infinity if a toleration without tolerationSeconds covers it; the shortest
 * tolerationSeconds of the tolerations that cover it; otherwise the default
 * eviction timeout for the controller's own taints (what Kubernetes' default
 * 300 s tolerations do) and 0 for anyone else's.
 */
export function allowedDurationMs(pod: Pod, taint: Taint, defaultEvictionTimeoutMs: number): number {
  const matching = (pod.spec?.tolerations ?? []).filter((t) => tolerates(t, taint));
  if (!matching.length) return MANAGED_TAINT_KEYS.has(taint.key ?? '') ? defaultEvictionTimeoutMs : 0;
  let best = 0;
  for (const t of matching) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) return Infinity;
    best = Math.max(best, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return best;
}

export interface EvictionInput {
  node: Node;
  /** pods bound to the node */
  pods: Pod[];
  now: number;
  defaultEvictionTimeoutMs: number;
}

export interface EvictionPlan {
  /** pods whose time on this node is up, each with why */
  evict: { pod: Pod; taint: Taint; since: string }[];
  /** ms until the next pod's time is up, if any is pending */
  nextCheckInMs?: number;
}

/** Which pods must leave a node because of its NoExecute taints, and when to look again. */
export function planEvictions(input: EvictionInput): EvictionPlan {
  const { node, pods, now, defaultEvictionTimeoutMs } = input;
  const noExecute = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  const plan: EvictionPlan = { evict: [] };
  if (!noExecute.length) return plan;
  for (const pod of pods) {
    let evictAt = Infinity;
    let cause: Taint | undefined;
    for (const taint of noExecute) {
      const added = taint.timeAdded ? Date.parse(taint.timeAdded) : 0;
      const at = (Number.isNaN(added) ? 0 : added) + allowedDurationMs(pod, taint, defaultEvictionTimeoutMs);
      if (at < evictAt) {
        evictAt = at;
        cause = taint;
      }
    }
    if (!cause || evictAt === Infinity) continue;
    if (now >= evictAt) plan.evict.push({ pod, taint: cause, since: cause.timeAdded ?? '' });
    else plan.nextCheckInMs = Math.min(plan.nextCheckInMs ?? Infinity, evictAt - now);
  }
  return plan;
}

/**
 * The pod's status with Ready=False, for pods on a node that stopped
 * reporting: their containers may be running, but nobody can vouch for
 * them, so Services should stop sending them traffic. undefined if already so.
 */
export function podStatusNotReady(pod: Pod, nowIso: string): Pod['status'] | undefined {
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'False') return undefined;
  const next: Condition = { type: 'Ready', status: 'False', reason: 'NodeNotReady', message: 'the node this pod runs on stopped reporting', lastTransitionTime: nowIso };
  return { ...pod.status, conditions: [...conditions.filter((c) => c.type !== 'Ready'), next] };
}
