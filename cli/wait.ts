// Waiting on the apiserver by watching, never by polling.
import type { ApiClient } from '../lib/client/api-client.js';
import type { AnyObject, KindInfo } from '../lib/api/kinds.js';
import { ApiError, isNotFound } from '../lib/errors.js';

/** Parses kubectl-style durations: `30s`, `5m`, `1h`, `1m30s`, `500ms`, a bare number of seconds; 0 means forever. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(t))) {
    const v = Number(m[1]);
    total += m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : m[2] === 'm' ? v * 60_000 : v * 3_600_000;
    end = re.lastIndex;
  }
  if (t === '' || end !== t.length) throw new ApiError('BadRequest', `invalid duration "${s}": use a form like 30s, 5m or 1h`);
  return total;
}

/** Rejects with a Timeout error after ms (never when ms is 0); cancel() clears it. */
export function deadline(ms: number, what: string): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    if (ms > 0) timer = setTimeout(() => reject(new ApiError('Timeout', `timed out waiting for ${what}`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Resolves once the object named is gone (or replaced by one with another uid). */
export async function waitForDeletion(client: ApiClient, info: KindInfo, namespace: string | undefined, name: string, uid: string | undefined): Promise<void> {
  for (;;) {
    let live: AnyObject;
    try {
      live = await client.get(info.kind, namespace, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (uid && live.metadata?.uid !== uid) return;
    const w = client.watch(info.kind, { namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: live.metadata?.resourceVersion });
    try {
      for await (const ev of w) {
        if (ev.type === 'DELETED' && (!uid || ev.object?.metadata?.uid === uid)) return;
      }
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 'TooOld' || e.code === 'Unavailable'))) throw e;
      // look again: the object may have gone while the watch was down
    } finally {
      w.stop();
    }
  }
}
