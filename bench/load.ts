// Closed-loop load: `concurrency` workers, each sending its next request as
// soon as its last one answered, until `total` requests are done. The load is
// bounded by the number of workers, never by a rate the machine cannot keep.
import { percentiles, type Percentiles } from './stats.js';

export interface LoadResult {
  ops: number;
  errors: number;
  elapsedMs: number;
  /** successful requests per second over the whole run */
  perSecond: number;
  /** latency of successful requests, ms */
  latency: Percentiles;
  firstError?: string;
}

/** Runs op(worker, i) for i in 0..total-1 on `concurrency` workers. */
export async function closedLoop(concurrency: number, total: number, op: (worker: number, i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const worker = async (w: number) => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t0 = performance.now();
      try {
        await op(w, i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message ?? String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - start;
  return {
    ops: latencies.length,
    errors,
    elapsedMs,
    perSecond: elapsedMs > 0 ? (latencies.length * 1000) / elapsedMs : Number.NaN,
    latency: percentiles(latencies),
    firstError,
  };
}
