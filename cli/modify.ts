// Read-modify-write of one object, retried when another writer got there first.
import type { ApiClient } from '../lib/client/api-client.js';
import type { KindName, KindTypes } from '../lib/api/kinds.js';
import { isConflict } from '../lib/errors.js';

const MAX_ATTEMPTS = 10;

/**
 * Gets the object, lets `change` edit it in place, and updates it with the
 * resourceVersion it read. `change` returns false when there is nothing to
 * do. Resolves to the stored object and whether it was written.
 */
export async function modify<K extends KindName>(
  client: ApiClient,
  kind: K,
  namespace: string | undefined,
  name: string,
  change: (obj: KindTypes[K]) => boolean | void,
): Promise<{ object: KindTypes[K]; changed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const obj = await client.get(kind, namespace, name);
    if (change(obj) === false) return { object: obj, changed: false };
    try {
      return { object: (await client.update(obj)) as KindTypes[K], changed: true };
    } catch (e) {
      if (!isConflict(e) || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}
