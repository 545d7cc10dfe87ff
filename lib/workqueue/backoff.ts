// Exponential back-off delays, shared by the workqueue (per-key retries) and
// the informer (reconnecting to the apiserver).

/** base·2^attempt, capped at max; attempt counts from 0. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  // 2^attempt overflows to Infinity for large attempts, which the cap absorbs.
  return Math.min(baseMs * 2 ** Math.max(0, attempt), maxMs);
}

/**
 * backoffDelay with "equal jitter": a delay in [d/2, d], so many clients that
 * lost the same server do not all come back at the same instant.
 */
export function jitteredBackoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const d = backoffDelay(attempt, baseMs, maxMs);
  return d / 2 + random() * (d / 2);
}
