// Index functions several components need; add them with
// informer.addIndexer(NAME, fn) (adding one twice is harmless).
import type { AnyObject } from '../api/kinds.js';
import type { Pod } from '../api/generated/types.js';

export const OWNER_UID_INDEX = 'ownerUid';
/** Files an object under the uid of each of its owners. */
export const byOwnerUid = (o: AnyObject): string[] => (o.metadata?.ownerReferences ?? []).map((r) => r.uid ?? '').filter(Boolean);

export const POD_NODE_NAME_INDEX = 'nodeName';
/** Files a pod under the node it is bound to (unbound pods are filed nowhere). */
export const podsByNodeName = (p: Pod): string[] => (p.spec?.nodeName ? [p.spec.nodeName] : []);
