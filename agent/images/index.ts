// The node's image store: pulls images from OCI registries, keeps blobs by
// content, unpacks each layer once as an overlayfs lowerdir.
export { ImageStore, type EnsuredImage, type ImageRecord, type ImageStoreMetrics, type ImageStoreOptions } from './store.js';
export { ImagePullError, isImagePullError, type ImagePullReason } from './errors.js';
export { PULL_POLICIES, defaultPullPolicy, ensureAction, parsePullPolicy, type EnsureAction, type PullPolicy } from './pull-policy.js';
export {
  LayerFormatError,
  OPAQUE_WHITEOUT,
  OVERLAY_OPAQUE_XATTR,
  WHITEOUT_PREFIX,
  cleanEntryPath,
  unpackLayer,
  whiteoutOf,
  type UnpackResult,
  type WhiteoutKind,
} from './unpack.js';
