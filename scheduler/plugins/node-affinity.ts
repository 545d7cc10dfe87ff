// NodeAffinity: spec.nodeSelector and required node affinity decide where a
// pod may go; preferred node affinity adds the weights of the terms a node
// matches to its score.
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from '../../lib/api/generated/types.js';
import {
  defaultNormalizeScore,
  SKIP,
  sharedUnschedulable,
  type CycleState,
  type FilterPlugin,
  type NodeScore,
  type PreFilterPlugin,
  type ScorePlugin,
  type Status,
} from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

const INTEGER = /^[+-]?\d+$/;

/** One requirement against a node's labels (or fields). Malformed ones match nothing. */
export function matchesRequirement(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const key = r.key ?? '';
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  const value = has ? labels[key]! : undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1 || !INTEGER.test(value!) || !INTEGER.test(values[0]!)) return false;
      const [a, b] = [BigInt(value!), BigInt(values[0]!)];
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/**
 * A term matches when all its label expressions and all its field
 * expressions do. Only metadata.name is a field, as in Kubernetes; a term
 * with no expressions at all matches nothing.
 */
export function matchesTerm(term: NodeSelectorTerm, nodeName: string, labels: Record<string, string>): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) if (!matchesRequirement(r, labels)) return false;
  for (const r of fields) {
    if (r.key !== 'metadata.name') return false;
    if (!matchesRequirement(r, { 'metadata.name': nodeName })) return false;
  }
  return true;
}

interface Required {
  nodeSelector: [string, string][];
  /** undefined: no required affinity; otherwise any term must match */
  terms: NodeSelectorTerm[] | undefined;
}

function requiredOf(pod: Pod): Required {
  return {
    nodeSelector: Object.entries(pod.spec?.nodeSelector ?? {}),
    terms: pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
  };
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
export function podMatchesNodeRequirements(pod: Pod, nodeName: string, labels: Record<string, string>): boolean {
  return matchesRequired(requiredOf(pod), nodeName, labels);
}

function matchesRequired(req: Required, nodeName: string, labels: Record<string, string>): boolean {
  for (const [k, v] of req.nodeSelector) if (labels[k] !== v) return false;
  if (req.terms !== undefined && !req.terms.some((t) => matchesTerm(t, nodeName, labels))) return false;
  return true;
}

const STATE_KEY = 'NodeAffinity/required';
const PREFERRED_KEY = 'NodeAffinity/preferred';
const NO_MATCH = sharedUnschedulable(NODE_AFFINITY, ERR_NODE_AFFINITY);

/** Preferred terms that can add to a score: a zero weight or an empty preference says nothing. */
function preferredOf(pod: Pod): PreferredSchedulingTerm[] {
  return (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).filter(
    (p: PreferredSchedulingTerm) =>
      (p.weight ?? 0) > 0 && ((p.preference?.matchExpressions?.length ?? 0) > 0 || (p.preference?.matchFields?.length ?? 0) > 0),
  );
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;

  /** A pod with neither nodeSelector nor required affinity may go anywhere. */
  preFilter(state: CycleState, pod: PodInfo): Status | undefined {
    const req = requiredOf(pod.pod);
    if (req.nodeSelector.length === 0 && req.terms === undefined) return SKIP;
    state.write(STATE_KEY, req);
    return undefined;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const req = state.read<Required>(STATE_KEY) ?? requiredOf(pod.pod);
    return matchesRequired(req, node.name, node.labels) ? undefined : NO_MATCH;
  }

  /** Without preferred terms every node scores 0. */
  preScore(state: CycleState, pod: PodInfo): Status | undefined {
    const preferred = preferredOf(pod.pod);
    if (preferred.length === 0) return SKIP;
    state.write(PREFERRED_KEY, preferred);
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const preferred = state.read<PreferredSchedulingTerm[]>(PREFERRED_KEY) ?? preferredOf(pod.pod);
    const labels = node.labels;
    let sum = 0;
    for (const p of preferred) {
      if (p.preference && matchesTerm(p.preference, node.name, labels)) sum += p.weight ?? 0;
    }
    return sum;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, false);
  }
}
