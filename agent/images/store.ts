// The per-node image store. Everything is content-addressed under one
// directory that belongs to one agent:
//
//   blobs/sha256/<hex>     manifests, indexes, configs and layer blobs, each verified before it lands
//   layers/<diffid-hex>/   each layer unpacked once, with overlay whiteouts: a ready lowerdir
//   images/<hex>.json      name → digests, one record per reference (hex = sha256 of the name)
//   tmp/                   downloads and unpacks in progress; emptied on open
//
// Every file and directory reaches its final name by rename, so a crash at
// any moment leaves either the whole thing or nothing (plus litter in tmp/).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/logging.js';
import { ApiError } from '../../lib/errors.js';
import { digestHex, isDigest, sha256Digest, type Digest } from '../../lib/oci/digest.js';
import {
  UNPACKABLE_LAYER_TYPES,
  hostPlatform,
  parseImageConfig,
  type Descriptor,
  type ImageConfig,
  type Platform,
} from '../../lib/oci/manifest.js';
import {
  defaultRegistry as envDefaultRegistry,
  digestReference,
  formatReference,
  manifestReference,
  parseImageReference,
  type ImageReference,
} from '../../lib/oci/reference.js';
import { RegistryClient, RegistryError, defaultPlainHttp } from '../../lib/oci/registry-client.js';
import { ImagePullError } from './errors.js';
import { ensureAction, type PullPolicy } from './pull-policy.js';
import { SingleFlight, mapLimit } from './singleflight.js';
import { unpackLayer } from './unpack.js';

export interface ImageStoreOptions {
  /** The store's directory (created if missing). One store per directory, one process per store. */
  root: string;
  /** Registry for image names without a host; default $TUG_REGISTRY or 127.0.0.1:5000. */
  defaultRegistry?: string;
  /** Registries (host:port) spoken to over plain HTTP besides loopback ones and $TUG_INSECURE_REGISTRIES. */
  insecureRegistries?: string[];
  /** Platform picked from multi-platform images; default this machine's (linux/amd64). */
  platform?: Platform;
  /** Layers downloaded and unpacked at once per image; default 3. */
  parallelLayers?: number;
  logger?: Logger;
}

/** An image ready for a container: what the runtime needs to build its rootfs and process. */
export interface EnsuredImage {
  reference: ImageReference;
  /** Fully qualified name, e.g. `127.0.0.1:5000/busybox:latest`. */
  name: string;
  /** The config's digest: the image's identity, whatever name it was pulled by. */
  imageID: Digest;
  /** `registry/repository@digest` of what the name resolved to (containerStatuses[].imageID). */
  repoDigest: string;
  /** The platform image manifest's digest. */
  manifestDigest: Digest;
  /** Unpacked layer directories, bottom first. overlayfs wants them the other way: `lowerdir=` top first. */
  layers: string[];
  config: ImageConfig;
  /** Whether this call fetched anything from a registry. */
  pulled: boolean;
}

/** Counters for tests and metrics; all only grow. */
export interface ImageStoreMetrics {
  /** HTTP requests sent to registries. */
  registryRequests: number;
  /** Tags or digests resolved to a manifest by GET (once per pull). */
  manifestFetches: number;
  /** HEAD checks of a present image under policy Always. */
  manifestChecks: number;
  /** Pulls that fetched an image's manifest and config and (re)wrote its record. */
  imagePulls: number;
  /** Layer blobs downloaded. */
  layerDownloads: number;
  /** Layers unpacked. */
  layerUnpacks: number;
}

/** What images/<hex>.json holds. */
export interface ImageRecord {
  name: string;
  /** What the name pointed at when pulled: an index's digest or the manifest's. */
  digest: Digest;
  manifestDigest: Digest;
  configDigest: Digest;
  layers: { digest: Digest; diffId: Digest; mediaType: string; size: number }[];
  pulledAt: string;
}

interface LocalImage {
  record: ImageRecord;
  config: ImageConfig;
  layerDirs: string[];
}

export class ImageStore {
  readonly root: string;
  readonly defaultRegistry: string;
  private readonly insecure: Set<string>;
  private readonly platform: Platform;
  private readonly parallelLayers: number;
  private readonly log: Logger | undefined;
  private readonly clients = new Map<string, RegistryClient>();
  private readonly images = new SingleFlight<EnsuredImage>();
  private readonly layerFlights = new SingleFlight<string>();
  private readonly blobFlights = new SingleFlight<string>();
  private readonly counters = { manifestFetches: 0, manifestChecks: 0, imagePulls: 0, layerDownloads: 0, layerUnpacks: 0 };

  private constructor(options: ImageStoreOptions) {
    this.root = options.root;
    this.defaultRegistry = options.defaultRegistry ?? envDefaultRegistry();
    this.insecure = new Set(options.insecureRegistries ?? []);
    this.platform = options.platform ?? hostPlatform();
    this.parallelLayers = options.parallelLayers ?? 3;
    this.log = options.logger;
  }

  /** Opens (creating if need be) the store at options.root and clears what a crash left in tmp/. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const store = new ImageStore(options);
    await rm(store.tmpDir, { recursive: true, force: true });
    for (const d of [store.blobDir, store.layersDir, store.imagesDir, store.tmpDir]) await mkdir(d, { recursive: true, mode: 0o700 });
    return store;
  }

  private get blobDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }
  private get layersDir(): string {
    return join(this.root, 'layers');
  }
  private get imagesDir(): string {
    return join(this.root, 'images');
  }
  private get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  metrics(): ImageStoreMetrics {
    let registryRequests = 0;
    for (const c of this.clients.values()) registryRequests += c.requests;
    return { registryRequests, ...this.counters };
  }

  /** The directory a layer with this diff ID is (or would be) unpacked in. */
  layerDir(diffId: Digest): string {
    return join(this.layersDir, digestHex(diffId));
  }

  /** `image` qualified with the default registry and tag, or InvalidImageName. */
  resolveName(image: string): ImageReference {
    try {
      return parseImageReference(image, { defaultRegistry: this.defaultRegistry });
    } catch (e) {
      throw new ImagePullError('InvalidImageName', image, (e as Error).message, 'BadRequest');
    }
  }

  /**
   * Makes `image` available according to `policy` and returns its layers and
   * config. Concurrent calls for the same image and policy share one pull.
   * Throws ImagePullError: ErrImagePull (registry unreachable, image missing,
   * bad content), ErrImageNeverPull, InvalidImageName.
   */
  async ensure(image: string, policy: PullPolicy): Promise<EnsuredImage> {
    const ref = this.resolveName(image);
    const name = formatReference(ref);
    return this.images.do(`${policy} ${name}`, () => this.ensureOnce(image, ref, name, policy));
  }

  /** The image if the store holds all of it; never contacts a registry. */
  async get(image: string): Promise<EnsuredImage | undefined> {
    const ref = this.resolveName(image);
    const local = await this.loadLocal(formatReference(ref));
    return local && this.result(ref, local, false);
  }

  private async ensureOnce(image: string, ref: ImageReference, name: string, policy: PullPolicy): Promise<EnsuredImage> {
    const local = await this.loadLocal(name);
    const action = ensureAction(policy, local !== undefined);
    if (action === 'use-local') return this.result(ref, local!, false);
    if (action === 'never-pull-missing') {
      throw new ImagePullError(
        'ErrImageNeverPull',
        image,
        `Container image "${image}" (${name}) is not present with pull policy of Never`,
        'NotFound',
        ref.registry,
      );
    }
    try {
      const client = this.client(ref.registry);
      if (action === 'check-then-pull') {
        this.counters.manifestChecks++;
        const head = await client.headManifest(ref.repository, manifestReference(ref));
        if (!head) {
          throw new RegistryError('NotFound', ref.registry, `manifest ${name} not found in registry ${ref.registry}`, 404);
        }
        if (head.digest === local!.record.digest) return this.result(ref, local!, false);
      }
      return await this.pull(ref, name, client);
    } catch (e) {
      throw pullFailure(image, ref, e);
    }
  }

  private async pull(ref: ImageReference, name: string, client: RegistryClient): Promise<EnsuredImage> {
    this.log?.info({ image: name }, 'pulling image');
    this.counters.manifestFetches++;
    const resolved = await client.resolveImage(ref.repository, manifestReference(ref), this.platform);
    const { manifest } = resolved;
    for (const l of manifest.layers) {
      if (!UNPACKABLE_LAYER_TYPES.includes(l.mediaType)) {
        throw new ApiError('BadRequest', `image ${name} has a layer of media type ${l.mediaType}, which tugboat cannot unpack (gzip or plain tar only)`);
      }
    }
    const configPath = await this.ensureBlob(manifest.config, 'config', (path) => client.downloadBlob(ref.repository, manifest.config, path));
    const configBytes = await readFile(configPath);
    const config = parseImageConfig(configBytes, manifest, `config of ${name}`);
    const diffIds = config.rootfs.diff_ids;
    const layerDirs = await mapLimit(manifest.layers, this.parallelLayers, (desc, i) =>
      this.ensureLayer(desc, diffIds[i]!, (path) => client.downloadBlob(ref.repository, desc, path)),
    );
    // Manifests are kept so the store can be checked and collected by content later.
    await this.putBlob(resolved.manifestDigest, resolved.manifestBytes);
    if (resolved.index) await this.putBlob(resolved.index.digest, resolved.index.bytes);
    const record: ImageRecord = {
      name,
      digest: resolved.digest,
      manifestDigest: resolved.manifestDigest,
      configDigest: manifest.config.digest,
      layers: manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i]!, mediaType: l.mediaType, size: l.size })),
      pulledAt: new Date().toISOString(),
    };
    await this.atomicWrite(this.recordPath(name), Buffer.from(JSON.stringify(record, null, 2)));
    this.counters.imagePulls++;
    this.log?.info({ image: name, digest: resolved.digest, layers: layerDirs.length }, 'pulled image');
    return this.result(ref, { record, config, layerDirs }, true);
  }

  /** Unpacks a layer once: concurrent callers share the work, later ones find the directory. */
  private ensureLayer(desc: Descriptor, diffId: Digest, download: (path: string) => Promise<void>): Promise<string> {
    const dir = this.layerDir(diffId);
    return this.layerFlights.do(diffId, async () => {
      if (await isDirectory(dir)) return dir;
      const blob = await this.ensureBlob(desc, 'layer', download);
      const tmp = await mkdtemp(join(this.tmpDir, 'layer-'));
      try {
        const result = await unpackLayer(blob, tmp);
        if (result.diffId !== diffId) {
          throw new ApiError('Internal', `layer ${desc.digest} unpacks to content ${result.diffId}, but the image config says ${diffId}`);
        }
        this.counters.layerUnpacks++;
        await rename(tmp, dir);
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
      return dir;
    });
  }

  /** The path of a verified blob, downloading it (to tmp/, then renamed) when absent. */
  private ensureBlob(
    desc: Pick<Descriptor, 'digest' | 'size'>,
    kind: 'config' | 'layer',
    download: (path: string) => Promise<void>,
  ): Promise<string> {
    const path = join(this.blobDir, digestHex(desc.digest));
    return this.blobFlights.do(desc.digest, async () => {
      if (await exists(path)) return path;
      const tmp = join(this.tmpDir, `blob-${digestHex(desc.digest)}-${process.pid}-${Math.random().toString(36).slice(2)}`);
      try {
        await download(tmp);
        if (kind === 'layer') this.counters.layerDownloads++;
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return path;
    });
  }

  private async putBlob(digest: Digest, bytes: Buffer): Promise<void> {
    if (sha256Digest(bytes) !== digest) throw new ApiError('Internal', `refusing to store blob ${digest}: its bytes have another digest`);
    const path = join(this.blobDir, digestHex(digest));
    if (!(await exists(path))) await this.atomicWrite(path, bytes);
  }

  private async atomicWrite(path: string, bytes: Buffer): Promise<void> {
    const tmp = join(this.tmpDir, `write-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  private recordPath(name: string): string {
    return join(this.imagesDir, `${createHash('sha256').update(name).digest('hex')}.json`);
  }

  /** The record, config and layer directories of `name` if all are present; undefined otherwise. */
  private async loadLocal(name: string): Promise<LocalImage | undefined> {
    let record: ImageRecord;
    try {
      record = JSON.parse(await readFile(this.recordPath(name), 'utf8')) as ImageRecord;
    } catch {
      return undefined;
    }
    if (record.name !== name || !isDigest(record.configDigest) || !Array.isArray(record.layers)) return undefined;
    let config: ImageConfig;
    try {
      config = JSON.parse(await readFile(join(this.blobDir, digestHex(record.configDigest)), 'utf8')) as ImageConfig;
    } catch {
      return undefined;
    }
    const layerDirs = record.layers.map((l) => this.layerDir(l.diffId));
    for (const dir of layerDirs) if (!(await isDirectory(dir))) return undefined;
    return { record, config, layerDirs };
  }

  private result(ref: ImageReference, local: LocalImage, pulled: boolean): EnsuredImage {
    return {
      reference: ref,
      name: formatReference(ref),
      imageID: local.record.configDigest,
      repoDigest: digestReference(ref, local.record.digest),
      manifestDigest: local.record.manifestDigest,
      layers: local.layerDirs,
      config: local.config,
      pulled,
    };
  }

  private client(registry: string): RegistryClient {
    let c = this.clients.get(registry);
    if (!c) {
      c = new RegistryClient(registry, { plainHttp: this.insecure.has(registry) || defaultPlainHttp(registry) });
      this.clients.set(registry, c);
    }
    return c;
  }
}

/** Any failure of a pull as ErrImagePull, saying which image and which registry. */
function pullFailure(image: string, ref: ImageReference, e: unknown): ImagePullError {
  if (e instanceof ImagePullError) return e;
  const why = e instanceof Error ? e.message : String(e);
  const code = e instanceof ApiError ? e.code : 'Internal';
  // Registry errors name the registry and the full reference already.
  const where = e instanceof RegistryError ? '' : ` (${formatReference(ref)} from registry ${ref.registry})`;
  return new ImagePullError('ErrImagePull', image, `Failed to pull image "${image}"${where}: ${why}`, code, ref.registry);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
