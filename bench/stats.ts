// Summaries of measured samples. Pure, so the arithmetic is tested apart
// from any timing.

/** The middle value (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The p-th percentile (0..100) by the nearest-rank method: the smallest sample
 * with at least p % of the samples at or below it. Nearest rank never invents
 * a value between samples, so a p99 is a latency some request really had.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]! : Number.NaN);
  return { count: s.length, p50: at(50), p90: at(90), p99: at(99), max: s.length ? s[s.length - 1]! : Number.NaN };
}

/** Per-field median over several runs' percentiles (each run summarised first, then the runs). */
export function medianPercentiles(runs: readonly Percentiles[]): Percentiles {
  return {
    count: runs.reduce((n, r) => n + r.count, 0),
    p50: median(runs.map((r) => r.p50)),
    p90: median(runs.map((r) => r.p90)),
    p99: median(runs.map((r) => r.p99)),
    max: Math.max(...runs.map((r) => r.max)),
  };
}

/** value / reference, undefined when either is missing or the reference is 0. */
export function ratio(value: number | undefined, reference: number | undefined): number | undefined {
  if (value === undefined || reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return undefined;
  return value / reference;
}

/** Per-key median over several runs' maps (a key missing from a run counts as 0 there). */
export function medianByKey(runs: readonly Map<string, number>[]): Map<string, number> {
  const keys = new Set(runs.flatMap((r) => [...r.keys()]));
  return new Map([...keys].map((k) => [k, median(runs.map((r) => r.get(k) ?? 0))]));
}
