// What a controller has asked the apiserver to do and not yet seen come back
// through its informer. While a controller's expectations are outstanding its
// cache is known to lag behind its own writes, so it must not act on that
// cache again (it would create or delete a second time).
//
// Creations are counted (the names of pods about to exist are not useful to
// the informer path); deletions are tracked by pod key, so the update that
// sets deletionTimestamp and the final delete are counted once.

export interface ExpectationsOptions {
  /** After this long an expectation is presumed lost (a missed watch event) and ignored. */
  ttlMs?: number;
  now?: () => number;
}

interface Record_ {
  creates: number;
  deletes: Set<string>;
  at: number;
}

export class ControllerExpectations {
  private readonly records = new Map<string, Record_>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: ExpectationsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** True when the controller may act on its cache for this key. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.creates <= 0 && r.deletes.size === 0) return true;
    return this.now() - r.at > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    this.records.set(key, { creates: n, deletes: new Set(), at: this.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.records.set(key, { creates: 0, deletes: new Set(podKeys), at: this.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r && r.creates > 0) r.creates--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.records.get(key)?.deletes.delete(podKey);
  }

  /** Forget a controller entirely (its object was deleted). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** Outstanding counts, for logs and tests. */
  pending(key: string): { creates: number; deletes: number } {
    const r = this.records.get(key);
    return { creates: Math.max(0, r?.creates ?? 0), deletes: r?.deletes.size ?? 0 };
  }
}
