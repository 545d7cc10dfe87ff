// What an informer needs from the apiserver: list, then watch from the
// list's resourceVersion. ApiClient has exactly this shape; tests pass a fake
// (see fake-lister-watcher.ts) so the informer runs without a server.
import type { KindName, KindTypes } from '../api/kinds.js';
import type { ListOptions, Watch, WatchOptions } from '../client/api-client.js';

export interface ListerWatcher {
  list<K extends KindName>(kind: K, opts?: ListOptions): Promise<{ items: KindTypes[K][]; resourceVersion: string }>;
  /** Events after opts.resourceVersion; the iterator throws ApiError TooOld (relist) or Unavailable (retry). */
  watch<K extends KindName>(kind: K, opts?: WatchOptions): Watch<KindTypes[K]>;
}
