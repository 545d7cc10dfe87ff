// OCI images: references, manifests and configs, a registry client, and
// building and pushing images from a root filesystem. Shared by the CLI and the agent.
export { DigestingStream, digestHex, isDigest, parseDigest, sha256Digest, type Digest } from './digest.js';
export {
  DEFAULT_REGISTRY,
  DEFAULT_TAG,
  REGISTRY_ENV,
  defaultRegistry,
  digestReference,
  formatReference,
  manifestReference,
  parseImageReference,
  referenceName,
  registryAddressProblem,
  type ImageReference,
  type ParseReferenceOptions,
} from './reference.js';
export {
  MANIFEST_ACCEPT,
  MediaType,
  UNPACKABLE_LAYER_TYPES,
  formatPlatform,
  hostPlatform,
  parseImageConfig,
  parseManifest,
  selectPlatform,
  type ContainerConfig,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type ParsedManifest,
  type Platform,
} from './manifest.js';
export {
  INSECURE_REGISTRIES_ENV,
  RegistryClient,
  RegistryError,
  defaultPlainHttp,
  isLoopbackRegistry,
  isRegistryError,
  type BlobSource,
  type FetchedManifest,
  type ManifestDescriptor,
  type RegistryClientOptions,
  type RegistryErrorKind,
  type ResolvedImage,
} from './registry-client.js';
export { packDirectory, splitDevice, type PackOptions } from './layer-tar.js';
export {
  DEFAULT_PATH_ENV,
  buildImage,
  imageConfig,
  imageEnv,
  sniffArchive,
  type BuildImageOptions,
  type BuiltImage,
  type LayerBlob,
} from './build.js';
export { pushImage, type PushImageOptions, type PushedImage } from './push.js';
