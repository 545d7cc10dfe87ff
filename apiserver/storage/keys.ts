// Storage keys: one etcd key per object, /registry/<resource>/<namespace>/<name>
// (cluster-scoped kinds have no namespace segment).
import type { KindInfo } from '../../lib/api/kinds.js';

export const REGISTRY_PREFIX = '/registry/';

export function objectKey(info: KindInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${REGISTRY_PREFIX}${info.resource}/${namespace}/${name}` : `${REGISTRY_PREFIX}${info.resource}/${name}`;
}

/** Prefix of every object of a resource, or of those in one namespace. */
export function resourcePrefix(info: KindInfo, namespace?: string): string {
  return info.namespaced && namespace ? `${REGISTRY_PREFIX}${info.resource}/${namespace}/` : `${REGISTRY_PREFIX}${info.resource}/`;
}
