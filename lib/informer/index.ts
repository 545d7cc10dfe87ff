export { Informer, waitForCacheSync, type InformerSettings, type InformerState, type AddHandler, type UpdateHandler, type DeleteHandler, type TransformFunc } from './informer.js';
export { InformerFactory } from './factory.js';
export { objectKey, splitKey } from './key.js';
export { IndexedStore, NAMESPACE_INDEX, diffForReplace, type IndexFunc, type ReplaceDiff } from './store.js';
export type { ListerWatcher } from './list-watch.js';
export { byOwnerUid, OWNER_UID_INDEX, podsByNodeName, POD_NODE_NAME_INDEX } from './indexers.js';
export { shareStrings } from './share-strings.js';
