// The cache key of an object: "namespace/name", or "name" for cluster-scoped
// kinds. Also what controllers put in their workqueues.
import type { AnyObject } from '../api/kinds.js';

export function objectKey(obj: AnyObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/** Splits a key made by objectKey into namespace (undefined for cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
