// One informer per (kind, namespace, selectors) for a whole process, so
// controllers that watch the same objects share one cache and one watch.
import type { KindName, KindTypes } from '../api/kinds.js';
import type { ListOptions } from '../client/api-client.js';
import type { Logger } from '../logging.js';
import type { AnyObject } from '../api/kinds.js';
import { Informer, type InformerSettings, type TransformFunc } from './informer.js';
import type { ListerWatcher } from './list-watch.js';

export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;
  private stopped = false;
  private readonly starts: Promise<void>[] = [];

  constructor(
    private readonly source: ListerWatcher,
    /** transform: applied by every informer of the factory (see TransformFunc) */
    private readonly settings: InformerSettings & { log?: Logger; transform?: TransformFunc<AnyObject> } = {},
  ) {}

  /**
   * The shared informer for kind with these options. Informers asked for
   * after start() start at once.
   */
  informer<K extends KindName>(kind: K, opts: ListOptions = {}): Informer<KindTypes[K]> {
    const key = informerKey(kind, opts);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.source, kind, normalise(opts), this.settings);
      this.informers.set(key, inf);
      if (this.started && !this.stopped) this.starts.push(inf.start());
    }
    return inf as unknown as Informer<KindTypes[K]>;
  }

  /** Starts every informer made so far (and, from now on, each new one). Does not wait for sync. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const inf of this.informers.values()) this.starts.push(inf.start());
  }

  /**
   * Resolves true when every started informer has its first list cached,
   * false if the factory was stopped first; rejects if an informer's request
   * is refused outright (e.g. a malformed selector).
   */
  async waitForSync(): Promise<boolean> {
    // Informers may be added while we wait; loop until the set is stable.
    for (;;) {
      const n = this.starts.length;
      await Promise.all(this.starts);
      if (this.starts.length === n) break;
    }
    return !this.stopped && Array.from(this.informers.values()).every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(Array.from(this.informers.values(), (i) => i.stop()));
  }

  list(): Informer[] {
    return Array.from(this.informers.values());
  }
}

function normalise(opts: ListOptions): ListOptions {
  const out: ListOptions = {};
  if (opts.namespace) out.namespace = opts.namespace;
  if (opts.labelSelector) out.labelSelector = opts.labelSelector;
  if (opts.fieldSelector) out.fieldSelector = opts.fieldSelector;
  return out;
}

function informerKey(kind: KindName, opts: ListOptions): string {
  const o = normalise(opts);
  return [kind, o.namespace ?? '', o.labelSelector ?? '', o.fieldSelector ?? ''].join('\u0000');
}
