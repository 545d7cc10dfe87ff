// The namespaces as this apiserver's own watch of them last saw them, so a
// create checks its namespace without reading it from etcd first. Only a
// hint: the create's transaction also requires the namespace key to still be
// at the revision seen here, so a stale entry costs a retry with a fresh
// read, never a create in a namespace that is gone or terminating. Unknown
// namespaces (one created a moment ago) are read from etcd as before.
import { kindInfo } from '../../lib/api/kinds.js';
import type { Namespace } from '../../lib/api/generated/types.js';
import type { Logger } from '../../lib/logging.js';
import type { EtcdStore } from '../storage/etcd-store.js';
import type { Subscription, WatchCaches } from '../storage/watch-cache.js';

export interface NamespaceState {
  /** mod revision of the namespace's key */
  rev: number;
  terminating: boolean;
}

export class NamespaceIndex {
  private known = new Map<string, NamespaceState>();
  private state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  private sub?: Subscription;

  constructor(
    private readonly store: EtcdStore,
    private readonly caches: WatchCaches,
    private readonly log: Logger,
  ) {}

  /** What the watch last saw of the namespace; undefined when unknown (or the index is not running yet). */
  get(name: string): NamespaceState | undefined {
    if (this.state === 'idle') void this.start();
    return this.known.get(name);
  }

  stop(): void {
    this.state = 'stopped';
    this.sub?.stop();
    this.sub = undefined;
    this.known.clear();
  }

  private async start(): Promise<void> {
    this.state = 'starting';
    try {
      const info = kindInfo('Namespace');
      const cache = await this.caches.forResource(info);
      const { items, revision } = await this.store.list<Namespace>(info);
      if (this.state !== 'starting') return;
      const known = new Map<string, NamespaceState>();
      for (const { obj, rev } of items) known.set(obj.metadata!.name!, { rev, terminating: !!obj.metadata?.deletionTimestamp });
      this.known = known;
      const sub = await cache.subscribe(revision, { matches: () => true, matchesAll: true }, {
        event: (ev, rev) => {
          const name = ev.obj.metadata?.name;
          if (!name) return;
          if (ev.type === 'DELETED') known.delete(name);
          else known.set(name, { rev, terminating: !!ev.obj.metadata?.deletionTimestamp });
        },
        fail: (err) => {
          if (this.state === 'stopped') return;
          this.log.debug({ err: err.message }, 'namespace index lost its watch; namespaces are read from etcd until it restarts');
          this.known = new Map();
          this.sub = undefined;
          this.state = 'idle';
        },
      });
      if (this.state !== 'starting') {
        sub.stop();
        return;
      }
      this.sub = sub;
      this.state = 'running';
    } catch (err) {
      // e.g. etcd down or the apiserver stopping: creates read namespaces from etcd; the next create tries again
      if (this.state === 'starting') {
        this.known = new Map();
        this.state = 'idle';
      }
      this.log.debug({ err: String(err) }, 'namespace index could not start');
    }
  }
}
