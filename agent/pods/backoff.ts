// Exponential back-off per key (a crashing container, an image that will not
// pull), the kubelet's way: the first failure is retried at once, each later
// one waits twice as long as the one before (10 s, 20 s, 40 s ... 5 min), and a
// key that has stayed quiet for twice the cap starts over. In memory only: an
// agent restart forgets it, which costs at most one early retry.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  now?: () => number;
}

interface Entry {
  delayMs: number;
  /** The event time of the last next(): when the back-off window starts. */
  lastEventMs: number;
}

export const DEFAULT_BACKOFF_INITIAL_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.maxMs = o.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.now = o.now ?? Date.now;
  }

  private expired(e: Entry, eventMs: number): boolean {
    return eventMs - e.lastEventMs > 2 * this.maxMs;
  }

  /**
   * How long, from now, a retry after an event at `eventMs` (a container's
   * exit time) must still wait; 0 when it may go.
   */
  remaining(key: string, eventMs: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventMs)) return 0;
    return Math.max(0, e.delayMs - (this.now() - eventMs));
  }

  /** Like remaining(), measured from the last recorded event (image pulls: the last failure). */
  remainingSinceLast(key: string): number {
    const e = this.entries.get(key);
    return e ? this.remaining(key, e.lastEventMs) : 0;
  }

  /** The current window of `key` in ms (0 when it has none). */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records a retry after an event at `eventMs`: the window doubles (or starts at the initial delay). */
  next(key: string, eventMs: number = this.now()): void {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventMs)) this.entries.set(key, { delayMs: this.initialMs, lastEventMs: eventMs });
    else this.entries.set(key, { delayMs: Math.min(e.delayMs * 2, this.maxMs), lastEventMs: eventMs });
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (e.g. a removed pod's uid). */
  forgetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drops entries quiet for longer than twice the cap, so the map does not grow forever. */
  gc(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.lastEventMs > 2 * this.maxMs) this.entries.delete(k);
  }
}
