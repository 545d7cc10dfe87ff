// OCI image-spec and Docker schema 2 documents: manifests, indexes (manifest
// lists), image configs, and the pure decisions about them (what kind of
// document a response is, which platform an index entry is for).
import { ApiError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;

/** What a manifest GET accepts, most preferred first. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
];

/** Layer media types the store can unpack (gzip or plain tar). */
export const UNPACKABLE_LAYER_TYPES: readonly string[] = [
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.dockerLayerGzip,
];

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The part of an image config a container runtime uses (Docker's capitalised field names). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An OCI image configuration (also what Docker's config blob holds). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

function invalidDoc(what: string, why: string): ApiError {
  return new ApiError('Invalid', `${what} is not a valid image manifest: ${why}`);
}

function checkDescriptor(d: unknown, where: string, what: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object') throw invalidDoc(what, `${where} is not an object`);
  if (typeof o.mediaType !== 'string') throw invalidDoc(what, `${where}.mediaType is missing`);
  if (!isDigest(o.digest)) throw invalidDoc(what, `${where}.digest "${String(o.digest)}" is not a sha256 digest`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw invalidDoc(what, `${where}.size must be a non-negative integer`);
  }
  return o as Descriptor;
}

/**
 * Decides what a manifest response is from its Content-Type and body (the
 * body's own mediaType wins when present, as registries may answer with a
 * generic type), and checks the fields the puller relies on.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what = 'manifest'): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw invalidDoc(what, `not JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object') throw invalidDoc(what, 'not a JSON object');
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : header && header !== 'application/json' ? header : undefined;
  if (doc.schemaVersion === 1 || mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed) {
    throw new ApiError('BadRequest', `${what} uses Docker schema 1, which is not supported: push the image again with a current tool (schema 2 or OCI)`);
  }
  if (doc.schemaVersion !== 2) throw invalidDoc(what, `schemaVersion is ${String(doc.schemaVersion)}, expected 2`);

  const isIndex =
    mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList || (mediaType === undefined && Array.isArray(doc.manifests));
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) throw invalidDoc(what, 'an index needs a "manifests" list');
    doc.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`, what));
    return { kind: 'index', mediaType: mediaType ?? MediaType.ociIndex, index: doc as unknown as ImageIndex };
  }
  const isManifest =
    mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest || (mediaType === undefined && doc.config !== undefined);
  if (!isManifest) throw new ApiError('BadRequest', `${what} has media type "${mediaType}", which is neither an image manifest nor an index`);
  checkDescriptor(doc.config, 'config', what);
  if (!Array.isArray(doc.layers)) throw invalidDoc(what, 'a manifest needs a "layers" list');
  doc.layers.forEach((l, i) => checkDescriptor(l, `layers[${i}]`, what));
  return { kind: 'manifest', mediaType: mediaType ?? MediaType.ociManifest, manifest: doc as unknown as ImageManifest };
}

const ARCH_BY_NODE: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** The platform of this machine in OCI terms (linux/amd64 here). */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ARCH_BY_NODE[process.arch] ?? process.arch };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The index entry for `want`: same os and architecture, and the same variant
 * when both name one (an entry without a variant fits any). Attestation
 * manifests (platform unknown/unknown) never match. Throws NotFound listing
 * the platforms the index offers.
 */
export function selectPlatform(index: ImageIndex, want: Platform, what = 'image'): Descriptor {
  const fits = index.manifests.filter(
    (d) =>
      d.platform &&
      d.platform.os === want.os &&
      d.platform.architecture === want.architecture &&
      (!want.variant || !d.platform.variant || d.platform.variant === want.variant),
  );
  // Prefer an exact variant match over an entry that leaves the variant open.
  const exact = fits.find((d) => d.platform?.variant === want.variant);
  const chosen = exact ?? fits[0];
  if (chosen) return chosen;
  // An index without platform fields around a single image manifest is still usable.
  const untagged = index.manifests.filter((d) => !d.platform && (d.mediaType === MediaType.ociManifest || d.mediaType === MediaType.dockerManifest));
  if (untagged.length === 1) return untagged[0]!;
  const offered = index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : 'unspecified')).join(', ') || 'none';
  throw new ApiError('NotFound', `${what} has no variant for platform ${formatPlatform(want)} (the index offers: ${offered})`);
}

/** Checks an image config blob and its agreement with the manifest that named it. */
export function parseImageConfig(bytes: Buffer, manifest: ImageManifest, what = 'image config'): ImageConfig {
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch (e) {
    throw new ApiError('Invalid', `${what} is not JSON (${(e as Error).message})`);
  }
  if (!cfg || typeof cfg !== 'object') throw new ApiError('Invalid', `${what} is not a JSON object`);
  const diffIds = cfg.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every(isDigest)) {
    throw new ApiError('Invalid', `${what} has no valid rootfs.diff_ids (a list of sha256 digests, one per layer)`);
  }
  if (diffIds.length !== manifest.layers.length) {
    throw new ApiError(
      'Invalid',
      `${what} lists ${diffIds.length} layer diff_ids but the manifest has ${manifest.layers.length} layers`,
    );
  }
  return cfg;
}
