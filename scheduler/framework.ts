// The plugin framework: one small interface per extension point. A plugin is
// an object with a name that implements any of them; a Profile lists the
// plugins and the weight of each score.
import type { NodeInfo, PodInfo } from './node-info.js';

export const MAX_NODE_SCORE = 100;

/**
 * Skip, from a PreFilter or PreScore, says this plugin has nothing to say
 * about this pod (no node selector, no owner, ...): its Filter or Score is
 * not run in this attempt, which is most of the per-node work saved.
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'Error' | 'Skip';

export interface Status {
  code: StatusCode;
  /** people-facing reasons, counted per node in the failure message */
  reasons: string[];
  /** the plugin that answered, for logs */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] }) as Status;
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: [] }) as Status;
export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
/**
 * A rejection shared by every node that gets it, so a full cluster does not
 * cost a fresh object per node per attempt. Frozen: nobody may add to it.
 */
export const sharedUnschedulable = (plugin: string, ...reasons: string[]): Status =>
  Object.freeze({ code: 'Unschedulable', reasons: Object.freeze(reasons) as string[], plugin }) as Status;
export const isSuccess = (s: Status | undefined): boolean => !s || s.code === 'Success';

/** Per-pod scratch space shared by the plugins within one scheduling attempt. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** the filters still to run after PreFilter skips (undefined: all of them) */
  filters: FilterPlugin[] | undefined;
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

/**
 * Runs once per pod before any node is looked at: precompute, reject the pod
 * outright, or answer SKIP when this plugin's Filter would pass every node.
 */
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
  /** scores is only lent for the call: the framework reuses it. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
  /**
   * Runs once per attempt before the plugin scores the feasible nodes:
   * precompute, or answer SKIP when its normalised score would be the same on
   * every one of them. Adding the same number to every node changes neither
   * the order nor the ties, so skipping changes no decision.
   */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined;
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
    // runPreFilter records skips as bits of a 32-bit number.
    if (this.preFilters.length > 31) throw new Error(`profile ${profile.schedulerName} has more than 31 PreFilter plugins`);
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

  /** SUCCESS or the first rejection. Plugins that answer SKIP have their Filter left out of this attempt (state.filters). */
  runPreFilter(state: CycleState, pod: PodInfo): Status {
    // Bit i set: preFilters[i] answered SKIP. Few plugins, so few combinations.
    let skipped = 0;
    for (let i = 0; i < this.preFilters.length; i++) {
      const p = this.preFilters[i]!;
      const s = p.preFilter(state, pod);
      if (!s || s.code === 'Success') continue;
      if (s.code === 'Skip') skipped |= 1 << i;
      else return s.plugin ? s : { ...s, plugin: p.name };
    }
    state.filters = skipped ? this.filtersWithout(skipped) : this.filters;
    return SUCCESS;
  }

  private readonly filtersBySkipped = new Map<number, FilterPlugin[]>();

  private filtersWithout(skipped: number): FilterPlugin[] {
    let list = this.filtersBySkipped.get(skipped);
    if (!list) {
      const skip = new Set<Plugin>(this.preFilters.filter((_, i) => skipped & (1 << i)));
      list = this.filters.filter((f) => !skip.has(f));
      this.filtersBySkipped.set(skipped, list);
    }
    return list;
  }

  /** The first rejection, or SUCCESS. Hot: runs for every pod × node. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const filters = state.filters ?? this.filters;
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
    const totals = this.runScoreTotals(state, pod, nodes);
    return nodes.map((n, i) => ({ name: n.name, score: totals[i]! }));
  }

  /**
   * PreScore, then Score, per plugin: the weighted total of each node (same
   * index as nodes). Hot: runs for every pod × feasible node, so plugins
   * without normalizeScore add straight into the totals.
   */
  runScoreTotals(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Float64Array {
    const n = nodes.length;
    const total = new Float64Array(n);
    for (const { plugin, weight } of this.scorers) {
      if (plugin.preScore?.(state, pod, nodes)?.code === 'Skip') continue;
      if (!plugin.normalizeScore) {
        for (let i = 0; i < n; i++) {
          const s = plugin.score(state, pod, nodes[i]!);
          if (!(s >= 0 && s <= MAX_NODE_SCORE)) throw outOfRange(plugin, nodes[i]!.name, s);
          total[i]! += s * weight;
        }
        continue;
      }
      const scores = this.scratchScores(n);
      for (let i = 0; i < n; i++) {
        const s = scores[i]!;
        s.name = nodes[i]!.name;
        s.score = plugin.score(state, pod, nodes[i]!);
      }
      plugin.normalizeScore(state, pod, scores);
      for (let i = 0; i < n; i++) {
        const s = scores[i]!.score;
        if (!(s >= 0 && s <= MAX_NODE_SCORE)) throw outOfRange(plugin, scores[i]!.name, s);
        total[i]! += s * weight;
      }
    }
    return total;
  }

  // normalizeScore gets the same array every time, resized to the node count:
  // a fresh one per plugin per attempt was a good share of the garbage.
  // Plugins must not keep it past the call.
  private readonly scores: NodeScore[] = [];

  private scratchScores(n: number): NodeScore[] {
    const a = this.scores;
    if (a.length > n) a.length = n;
    while (a.length < n) a.push({ name: '', score: 0 });
    return a;
  }
}

function outOfRange(plugin: Plugin, node: string, s: number): Error {
  return new Error(`score plugin ${plugin.name} gave node ${node} score ${s}, outside 0..${MAX_NODE_SCORE}`);
}
