// The plugin framework: one small interface per extension point. A plugin is
// an object with a name that implements any of them; a Profile lists the
// plugins and the weight of each score.
import type { NodeInfo, PodInfo } from './node-info.js';

export const MAX_NODE_SCORE = 100;

export type StatusCode = 'Success' | 'Unschedulable' | 'Error';

export interface Status {
  code: StatusCode;
  /** people-facing reasons, counted per node in the failure message */
  reasons: string[];
  /** the plugin that answered, for logs */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] }) as Status;
export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
export const isSuccess = (s: Status | undefined): boolean => !s || s.code === 'Success';

/** Per-pod scratch space shared by the plugins within one scheduling attempt. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

export interface Plugin {
  readonly name: string;
}

/** Runs once per pod before any node is looked at: precompute, or reject the pod outright. */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo): Status | undefined;
}

/** Whether the pod can run on this node; undefined or Success means yes. */
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

export interface NodeScore {
  name: string;
  score: number;
}

/**
 * How much the pod likes a feasible node. A raw score may be on any scale if
 * normalizeScore brings every node's score into 0..MAX_NODE_SCORE; without it
 * the raw score must already be in that range.
 */
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

export const isPreFilter = (p: Plugin): p is PreFilterPlugin => typeof (p as PreFilterPlugin).preFilter === 'function';
export const isFilter = (p: Plugin): p is FilterPlugin => typeof (p as FilterPlugin).filter === 'function';
export const isScore = (p: Plugin): p is ScorePlugin => typeof (p as ScorePlugin).score === 'function';

export interface Profile {
  schedulerName: string;
  /** in the order their filters run; the first filter that rejects a node gives that node's reasons */
  plugins: Plugin[];
  /** weight of each score plugin by name; a score plugin not listed weighs 1, one weighted 0 is skipped */
  scoreWeights?: Record<string, number>;
}

/**
 * Spread raw scores over 0..MAX_NODE_SCORE relative to the largest; with
 * reverse, the largest raw score becomes the lowest (for "fewer is better").
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) max = Math.max(max, s.score);
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = MAX_NODE_SCORE;
    return;
  }
  for (const s of scores) {
    const v = Math.floor((MAX_NODE_SCORE * s.score) / max);
    s.score = reverse ? MAX_NODE_SCORE - v : v;
  }
}

export class Framework {
  readonly schedulerName: string;
  private readonly preFilters: PreFilterPlugin[];
  private readonly filters: FilterPlugin[];
  private readonly scorers: { plugin: ScorePlugin; weight: number }[];

  constructor(profile: Profile) {
    this.schedulerName = profile.schedulerName;
    const names = new Set<string>();
    for (const p of profile.plugins) {
      if (names.has(p.name)) throw new Error(`plugin ${p.name} is listed twice in profile ${profile.schedulerName}`);
      names.add(p.name);
    }
    this.preFilters = profile.plugins.filter(isPreFilter);
    this.filters = profile.plugins.filter(isFilter);
    this.scorers = profile.plugins
      .filter(isScore)
      .map((plugin) => ({ plugin, weight: profile.scoreWeights?.[plugin.name] ?? 1 }))
      .filter((s) => s.weight > 0);
  }

  get pluginNames(): { preFilter: string[]; filter: string[]; score: { name: string; weight: number }[] } {
    return {
      preFilter: this.preFilters.map((p) => p.name),
      filter: this.filters.map((p) => p.name),
      score: this.scorers.map((s) => ({ name: s.plugin.name, weight: s.weight })),
    };
  }

  runPreFilter(state: CycleState, pod: PodInfo): Status {
    for (const p of this.preFilters) {
      const s = p.preFilter(state, pod);
      if (s && s.code !== 'Success') return s.plugin ? s : { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** The first rejection, or SUCCESS. Hot: runs for every pod × node. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const filters = this.filters;
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i]!;
      const s = p.filter(state, pod, node);
      if (s && s.code !== 'Success') {
        // Statuses may be shared constants; only fresh ones get the plugin name.
        if (!s.plugin && !Object.isFrozen(s)) s.plugin = p.name;
        return s;
      }
    }
    return SUCCESS;
  }

  /** Weighted sum of every score plugin's normalised score, per node, in the order given. */
  runScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): NodeScore[] {
    const total: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
    const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: 0 }));
    for (const { plugin, weight } of this.scorers) {
      for (let i = 0; i < nodes.length; i++) scores[i]!.score = plugin.score(state, pod, nodes[i]!);
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i]!.score;
        if (!(s >= 0 && s <= MAX_NODE_SCORE)) {
          throw new Error(`score plugin ${plugin.name} gave node ${scores[i]!.name} score ${s}, outside 0..${MAX_NODE_SCORE}`);
        }
        total[i]!.score += s * weight;
      }
    }
    return total;
  }
}
