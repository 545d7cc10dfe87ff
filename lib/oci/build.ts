// Images for users who have a root filesystem but no image tooling: a
// directory or tarball becomes one gzip layer, plus an OCI config and
// manifest, ready for pushImage().
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { ApiError } from '../errors.js';
import { DigestingStream, sha256Digest, type Digest } from './digest.js';
import { packDirectory, type PackOptions } from './layer-tar.js';
import { MediaType, hostPlatform, type ContainerConfig, type Descriptor, type ImageConfig, type ImageManifest, type Platform } from './manifest.js';

/** The PATH an image gets when its Env names none, as Docker gives one (runc needs it to find argv[0]). */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildImageOptions {
  /** A root filesystem: a directory, or a tar archive (plain or gzip). Give this or `layers`. */
  rootfs?: string;
  /** Several root filesystem layers, bottom first, each a directory or tar archive (for images with whiteouts). */
  layers?: string[];
  entrypoint?: string[];
  cmd?: string[];
  /** `KEY=value` entries; PATH is added when absent. */
  env?: string[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
  /** Default: this machine's (linux/amd64 here). */
  platform?: Platform;
  /** Recorded as the image's creation time; default now. */
  created?: Date;
  /** Record files from directories as owned by this uid/gid instead of their owner on disk. */
  owner?: PackOptions['owner'];
}

/** One layer blob ready to upload. */
export interface LayerBlob {
  descriptor: Descriptor;
  /** Digest of the uncompressed tar: what the config's rootfs.diff_ids lists. */
  diffId: Digest;
  /** The compressed blob on disk. */
  path: string;
}

export interface BuiltImage {
  manifest: ImageManifest;
  manifestBytes: Buffer;
  manifestDigest: Digest;
  manifestMediaType: string;
  config: ImageConfig;
  configBytes: Buffer;
  configDigest: Digest;
  layers: LayerBlob[];
  /** Removes the temporary blobs; the image cannot be pushed after. */
  dispose(): Promise<void>;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Checks `KEY=value` entries; returns the list with a default PATH when none is given. */
export function imageEnv(env: string[] = []): string[] {
  const bad = env.filter((e) => !/^[^=\s]+=/.test(e));
  if (bad.length) {
    throw new ApiError('BadRequest', `environment entries must look like KEY=value: ${bad.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  return env.some((e) => e.startsWith('PATH=')) ? env : [DEFAULT_PATH_ENV, ...env];
}

/** The OCI config for layers with these diff IDs; pure so its shape is tested without files. */
export function imageConfig(options: BuildImageOptions, diffIds: Digest[]): ImageConfig {
  const platform = options.platform ?? hostPlatform();
  const created = (options.created ?? new Date()).toISOString();
  const runtime: ContainerConfig = { Env: imageEnv(options.env) };
  if (options.entrypoint) runtime.Entrypoint = options.entrypoint;
  if (options.cmd) runtime.Cmd = options.cmd;
  if (options.workingDir) {
    if (!options.workingDir.startsWith('/')) {
      throw new ApiError('BadRequest', `working directory "${options.workingDir}" must be an absolute path`);
    }
    runtime.WorkingDir = options.workingDir;
  }
  if (options.user) runtime.User = options.user;
  if (options.labels) runtime.Labels = options.labels;
  return {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant && { variant: platform.variant }),
    config: runtime,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created, created_by: 'tugboat buildImage' })),
  };
}

/** Builds an image from a root filesystem; its layer blobs live in a temp dir until dispose(). */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const sources = options.layers ?? (options.rootfs !== undefined ? [options.rootfs] : []);
  if (options.layers && options.rootfs !== undefined) throw new ApiError('BadRequest', 'give either rootfs or layers, not both');
  if (sources.length === 0) throw new ApiError('BadRequest', 'an image needs a root filesystem: give rootfs (a directory or tarball)');
  const workDir = await mkdtemp(join(tmpdir(), 'tug-image-build-'));
  try {
    const layers: LayerBlob[] = [];
    for (const [i, source] of sources.entries()) layers.push(await buildLayer(source, join(workDir, `layer-${i}.tar.gz`), options));
    const config = imageConfig(options, layers.map((l) => l.diffId));
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = sha256Digest(configBytes);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => l.descriptor),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    return {
      manifest,
      manifestBytes,
      manifestDigest: sha256Digest(manifestBytes),
      manifestMediaType: MediaType.ociManifest,
      config,
      configBytes,
      configDigest,
      layers,
      dispose: () => rm(workDir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(workDir, { recursive: true, force: true });
    throw e;
  }
}

/** Compression of a file from its first bytes: what `tug image push SRC` was given. */
export async function sniffArchive(path: string): Promise<'gzip' | 'tar' | 'zstd' | 'unknown'> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (GZIP_MAGIC.every((b, i) => head[i] === b)) return 'gzip';
    if (ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
    // POSIX ustar and GNU tar both put "ustar" at offset 257 of the first header.
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return 'unknown';
  } finally {
    await fh.close();
  }
}

async function buildLayer(source: string, blobPath: string, options: BuildImageOptions): Promise<LayerBlob> {
  const st = await stat(source).catch(() => {
    throw new ApiError('NotFound', `root filesystem ${source} does not exist`);
  });
  if (st.isDirectory()) {
    return compressTar(packDirectory(source, { ...(options.owner && { owner: options.owner }) }), blobPath);
  }
  if (!st.isFile()) throw new ApiError('BadRequest', `root filesystem ${source} is neither a directory nor a file`);
  const kind = await sniffArchive(source);
  if (kind === 'tar') return compressTar(createReadStream(source), blobPath);
  if (kind === 'gzip') return gzipLayer(source);
  const why = kind === 'zstd' ? 'zstd-compressed archives are not supported (use gzip or plain tar)' : 'it is not a tar archive (plain or gzip)';
  throw new ApiError('BadRequest', `root filesystem ${basename(source)} cannot be used: ${why}`);
}

/** tar bytes → gzip blob on disk, hashing both sides on the way. */
async function compressTar(tarStream: Readable, blobPath: string): Promise<LayerBlob> {
  const diff = new DigestingStream();
  const blob = new DigestingStream();
  await pipeline(tarStream, diff, createGzip(), blob, createWriteStream(blobPath));
  return {
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: blob.digest(), size: blob.size },
    diffId: diff.digest(),
    path: blobPath,
  };
}

/** An already gzipped tarball is its own blob; only its digests need computing. */
async function gzipLayer(path: string): Promise<LayerBlob> {
  const blob = new DigestingStream();
  const diff = new DigestingStream();
  await pipeline(createReadStream(path), blob, createGunzip(), diff, discard());
  return {
    descriptor: { mediaType: MediaType.ociLayerGzip, digest: blob.digest(), size: blob.size },
    diffId: diff.digest(),
    path,
  };
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}
