// The loop every controller runs over its queue: take a key, sync it, and
// either forget its back-off (success) or retry it later with back-off.
import { ApiError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { WorkQueue } from './workqueue.js';

export interface RunWorkersOptions {
  /** concurrent workers; the queue guarantees they never share a key */
  workers?: number;
  log?: Logger;
  /** after this many failed attempts in a row a key is dropped (with an error log); default: never */
  maxRetries?: number;
}

/**
 * Runs `workers` loops of get → sync → done until the queue shuts down.
 * A sync that throws is retried with the queue's per-key back-off. Resolves
 * when every worker has stopped.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  sync: (key: K) => Promise<void>,
  opts: RunWorkersOptions = {},
): Promise<void> {
  const n = Math.max(1, opts.workers ?? 1);
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        const attempts = queue.numRequeues(key) + 1;
        if (opts.maxRetries !== undefined && attempts > opts.maxRetries) {
          opts.log?.error({ key, err, attempts }, 'giving up on key after repeated failures');
          queue.forget(key);
        } else {
          // Conflicts are routine when acting on a cache that is a moment behind: the retry sees the new state.
          if (err instanceof ApiError && (err.code === 'Conflict' || err.code === 'AlreadyExists')) {
            opts.log?.debug({ key, err: err.message, attempts }, 'sync raced another writer; retrying');
          } else {
            opts.log?.warn({ key, err, attempts }, 'sync failed; will retry with back-off');
          }
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}
