// A client for the OCI distribution (Docker registry v2) HTTP API: manifests
// and blobs by pull and push, every byte checked against its digest. Only
// anonymous access is spoken; registries that want a login are reported as such.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiError, type ErrorCode } from '../errors.js';
import { DigestingStream, isDigest, sha256Digest, type Digest } from './digest.js';
import {
  MANIFEST_ACCEPT,
  hostPlatform,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type ParsedManifest,
  type Platform,
} from './manifest.js';

/** Registries (host[:port], comma-separated) spoken to over plain HTTP besides loopback ones. */
export const INSECURE_REGISTRIES_ENV = 'TUG_INSECURE_REGISTRIES';

export type RegistryErrorKind =
  | 'Unreachable'
  | 'NotFound'
  | 'Unauthorized'
  | 'Denied'
  | 'DigestMismatch'
  | 'Unsupported'
  | 'BadResponse';

const CODE_OF: Record<RegistryErrorKind, ErrorCode> = {
  Unreachable: 'Unavailable',
  NotFound: 'NotFound',
  Unauthorized: 'Unauthorized',
  Denied: 'Forbidden',
  DigestMismatch: 'Internal',
  Unsupported: 'BadRequest',
  BadResponse: 'Internal',
};

/** A failed registry exchange; `kind` says what went wrong in registry terms, `code` in tugboat's. */
export class RegistryError extends ApiError {
  constructor(
    readonly kind: RegistryErrorKind,
    /** host:port of the registry. */
    readonly registry: string,
    message: string,
    /** HTTP status, when the registry answered. */
    readonly status?: number,
  ) {
    super(CODE_OF[kind], message);
  }
}

export function isRegistryError(e: unknown, kind?: RegistryErrorKind): e is RegistryError {
  return e instanceof RegistryError && (kind === undefined || e.kind === kind);
}

export interface RegistryClientOptions {
  /**
   * Speak plain HTTP instead of HTTPS. Default: true for loopback addresses
   * (127.0.0.0/8, localhost, [::1]) and for those listed in $TUG_INSECURE_REGISTRIES.
   */
  plainHttp?: boolean;
  /** Bound on each manifest or small request; blob transfers are bounded by inactivity instead. Default 30 s. */
  requestTimeoutMs?: number;
}

/** Loopback hosts need no TLS: nothing leaves the machine. */
export function isLoopbackRegistry(address: string): boolean {
  const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Whether `address` is spoken to over plain HTTP when no option says otherwise. */
export function defaultPlainHttp(address: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (isLoopbackRegistry(address)) return true;
  const listed = (env[INSECURE_REGISTRIES_ENV] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return listed.includes(address);
}

/** What a HEAD or GET of a manifest says about it. */
export interface ManifestDescriptor {
  digest: Digest;
  mediaType: string;
  size: number;
}

export interface FetchedManifest extends ManifestDescriptor {
  bytes: Buffer;
  parsed: ParsedManifest;
}

/** A tag or digest followed down to the image manifest for one platform. */
export interface ResolvedImage {
  /** What the reference points at: the index's digest when it names an index, else the manifest's. */
  digest: Digest;
  /** The platform's image manifest. */
  manifestDigest: Digest;
  manifestMediaType: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  /** Set when the reference named an index (manifest list). */
  index?: { digest: Digest; mediaType: string; bytes: Buffer };
}

/** Something to upload: bytes in memory, or a stream that can be opened (again) on demand. */
export interface BlobSource {
  digest: Digest;
  size: number;
  /** The bytes, or a way to open them (called at most once per upload). */
  data: Buffer | (() => Readable);
}

interface ErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** A blob transfer that moves nothing for this long is abandoned. */
const BLOB_IDLE_TIMEOUT_MS = 120_000;
/** Configs and manifests are small; anything bigger is a mistake or an attack. */
const MAX_SMALL_BLOB_BYTES = 16 * 1024 * 1024;

export class RegistryClient {
  readonly address: string;
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private requestCount = 0;

  constructor(address: string, options: RegistryClientOptions = {}) {
    this.address = address;
    const plain = options.plainHttp ?? defaultPlainHttp(address);
    this.baseUrl = `${plain ? 'http' : 'https'}://${address}`;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** HTTP requests sent so far (tests assert that a cached image costs none). */
  get requests(): number {
    return this.requestCount;
  }

  /** Checks that the registry speaks the v2 API. */
  async ping(): Promise<void> {
    const res = await this.send('GET', '/v2/', {}, 'ping');
    await res.body?.cancel();
    if (res.status !== 200) throw await this.failure(res, 'the /v2/ API check');
  }

  /** The manifest's digest and type without its body; undefined when the registry has no such tag or digest. */
  async headManifest(repository: string, reference: string): Promise<ManifestDescriptor | undefined> {
    const what = `manifest ${this.name(repository, reference)}`;
    const res = await this.send('HEAD', `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT.join(', ') }, what);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.failure(res, what);
    const digest = res.headers.get('docker-content-digest');
    const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    const size = Number(res.headers.get('content-length') ?? NaN);
    if (!isDigest(digest)) {
      // Without the digest header a HEAD tells nothing; fall back to the body.
      const m = await this.getManifest(repository, reference);
      return { digest: m.digest, mediaType: m.mediaType, size: m.size };
    }
    if (isDigest(reference) && digest !== reference) {
      throw new RegistryError('DigestMismatch', this.address, `${what}: the registry answered with digest ${digest}`);
    }
    return { digest, mediaType, size };
  }

  /** A manifest or index, checked against its digest (the requested one, or the one the registry names). */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${this.name(repository, reference)}`;
    const res = await this.send('GET', `/v2/${repository}/manifests/${reference}`, { accept: MANIFEST_ACCEPT.join(', ') }, what);
    if (res.status !== 200) throw await this.failure(res, what);
    const bytes = await this.readSmallBody(res, what);
    const digest = sha256Digest(bytes);
    const claimed = res.headers.get('docker-content-digest');
    if (isDigest(reference) && digest !== reference) {
      throw new RegistryError('DigestMismatch', this.address, `${what}: content has digest ${digest}, not the requested one`);
    }
    if (isDigest(claimed) && claimed !== digest) {
      throw new RegistryError('DigestMismatch', this.address, `${what}: content has digest ${digest} but the registry says ${claimed}`);
    }
    const contentType = res.headers.get('content-type') ?? undefined;
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(bytes, contentType, what);
    } catch (e) {
      throw new RegistryError('Unsupported', this.address, (e as Error).message);
    }
    return { digest, mediaType: parsed.mediaType, size: bytes.length, bytes, parsed };
  }

  /** Follows a tag or digest to the image manifest for `platform` (default this machine's), through an index if need be. */
  async resolveImage(repository: string, reference: string, platform: Platform = hostPlatform()): Promise<ResolvedImage> {
    const top = await this.getManifest(repository, reference);
    if (top.parsed.kind === 'manifest') {
      return {
        digest: top.digest,
        manifestDigest: top.digest,
        manifestMediaType: top.mediaType,
        manifest: top.parsed.manifest,
        manifestBytes: top.bytes,
      };
    }
    let entry: Descriptor;
    try {
      entry = selectPlatform(top.parsed.index, platform, this.name(repository, reference));
    } catch (e) {
      throw new RegistryError('NotFound', this.address, (e as Error).message);
    }
    const inner = await this.getManifest(repository, entry.digest);
    if (inner.parsed.kind !== 'manifest') {
      throw new RegistryError('Unsupported', this.address, `${this.name(repository, reference)}: nested indexes are not supported`);
    }
    return {
      digest: top.digest,
      manifestDigest: inner.digest,
      manifestMediaType: inner.mediaType,
      manifest: inner.parsed.manifest,
      manifestBytes: inner.bytes,
      index: { digest: top.digest, mediaType: top.mediaType, bytes: top.bytes },
    };
  }

  /** A small blob (an image config) in memory, checked against its digest and size. */
  async getBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Buffer> {
    const what = `blob ${descriptor.digest} of ${this.address}/${repository}`;
    if (descriptor.size > MAX_SMALL_BLOB_BYTES) {
      throw new RegistryError('Unsupported', this.address, `${what} is ${descriptor.size} bytes, too big to hold in memory`);
    }
    const res = await this.send('GET', `/v2/${repository}/blobs/${descriptor.digest}`, {}, what);
    if (res.status !== 200) throw await this.failure(res, what);
    const bytes = await this.readSmallBody(res, what);
    const digest = sha256Digest(bytes);
    if (digest !== descriptor.digest || bytes.length !== descriptor.size) {
      throw new RegistryError(
        'DigestMismatch',
        this.address,
        `${what}: received ${bytes.length} bytes with digest ${digest}, expected ${descriptor.size} bytes`,
      );
    }
    return bytes;
  }

  /**
   * Streams a blob into `path` (created or truncated), checking digest and
   * size; on any failure the file is removed. Callers write to a temporary
   * name and rename, so a half download is never taken for the blob.
   */
  async downloadBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, path: string): Promise<void> {
    const what = `blob ${descriptor.digest} of ${this.address}/${repository}`;
    // Big blobs take as long as they take; only a transfer that stops moving is abandoned.
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${BLOB_IDLE_TIMEOUT_MS / 1000} s`)), BLOB_IDLE_TIMEOUT_MS);
    };
    touch();
    let res: Response;
    try {
      res = await this.send('GET', `/v2/${repository}/blobs/${descriptor.digest}`, {}, what, idle.signal);
    } catch (e) {
      clearTimeout(timer);
      throw e;
    }
    if (res.status !== 200 || !res.body) {
      clearTimeout(timer);
      throw await this.failure(res, what);
    }
    const counter = new DigestingStream();
    counter.on('data', touch);
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), counter, createWriteStream(path));
    } catch (e) {
      await rm(path, { force: true });
      throw new RegistryError('Unreachable', this.address, `${what}: download failed: ${causeText(e)}`);
    } finally {
      clearTimeout(timer);
    }
    if (counter.digest() !== descriptor.digest || counter.size !== descriptor.size) {
      await rm(path, { force: true });
      throw new RegistryError(
        'DigestMismatch',
        this.address,
        `${what}: received ${counter.size} bytes with digest ${counter.digest()}, expected ${descriptor.size} bytes`,
      );
    }
  }

  async hasBlob(repository: string, digest: Digest): Promise<boolean> {
    const what = `blob ${digest} of ${this.address}/${repository}`;
    const res = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, {}, what);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.failure(res, what);
  }

  /**
   * Uploads a blob unless the repository has it already (monolithic upload:
   * POST opens the session, one PUT carries the bytes). Returns whether bytes were sent.
   */
  async pushBlob(repository: string, blob: BlobSource): Promise<boolean> {
    if (await this.hasBlob(repository, blob.digest)) return false;
    const what = `upload of blob ${blob.digest} to ${this.address}/${repository}`;
    const start = await this.send('POST', `/v2/${repository}/blobs/uploads/`, { 'content-length': '0' }, what);
    await start.body?.cancel();
    if (start.status !== 202) throw await this.failure(start, what);
    const location = start.headers.get('location');
    if (!location) throw new RegistryError('BadResponse', this.address, `${what}: the registry gave no upload location`);
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', blob.digest);
    const body = Buffer.isBuffer(blob.data) ? blob.data : (Readable.toWeb(blob.data()) as ReadableStream<Uint8Array>);
    // An upload may take a while: allow it at least 1 MB/s on top of the usual bound.
    const deadline = AbortSignal.timeout(this.timeoutMs + Math.ceil(blob.size / 1000));
    const res = await this.send(
      'PUT',
      url,
      { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      what,
      deadline,
      body,
    );
    await res.body?.cancel();
    if (res.status !== 201) throw await this.failure(res, what);
    return true;
  }

  /** Stores a manifest under a tag (or its digest); returns its digest. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const digest = sha256Digest(bytes);
    if (isDigest(reference) && reference !== digest) {
      throw new ApiError('BadRequest', `manifest has digest ${digest}, so it cannot be stored as ${reference}`);
    }
    const what = `push of manifest ${this.name(repository, reference)}`;
    const res = await this.send(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      { 'content-type': mediaType },
      what,
      undefined,
      bytes,
    );
    await res.body?.cancel();
    if (res.status !== 201) throw await this.failure(res, what);
    const claimed = res.headers.get('docker-content-digest');
    if (isDigest(claimed) && claimed !== digest) {
      throw new RegistryError('DigestMismatch', this.address, `${what}: the registry stored it as ${claimed}, expected ${digest}`);
    }
    return digest;
  }

  private name(repository: string, reference: string): string {
    return `${this.address}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  private async send(
    method: string,
    path: string | URL,
    headers: Record<string, string>,
    what: string,
    signal?: AbortSignal,
    body?: Buffer | ReadableStream<Uint8Array>,
  ): Promise<Response> {
    const url = typeof path === 'string' ? `${this.baseUrl}${path}` : path.toString();
    this.requestCount++;
    // Blob bodies get an inactivity bound from the caller instead of an overall deadline.
    const deadline = signal ?? AbortSignal.timeout(this.timeoutMs);
    try {
      return await fetch(url, {
        method,
        headers: { 'user-agent': 'tugboat', ...headers },
        body,
        signal: deadline,
        redirect: 'follow',
        // Node's fetch needs this to send a stream as a request body.
        ...(body && !Buffer.isBuffer(body) ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      throw new RegistryError(
        'Unreachable',
        this.address,
        `registry ${this.address} is unreachable (${what}, ${method} ${url}: ${causeText(e)}); ` +
          'check that the registry is running and that the image name or default registry points at it',
      );
    }
  }

  private async readSmallBody(res: Response, what: string): Promise<Buffer> {
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_SMALL_BLOB_BYTES) {
      await res.body?.cancel();
      throw new RegistryError('Unsupported', this.address, `${what} is ${length} bytes, too big to hold in memory`);
    }
    try {
      return Buffer.from(await res.arrayBuffer());
    } catch (e) {
      throw new RegistryError('Unreachable', this.address, `${what}: reading the answer failed: ${causeText(e)}`);
    }
  }

  /** A RegistryError for a non-success answer, with the registry's own error codes when it sent any. */
  private async failure(res: Response, what: string): Promise<RegistryError> {
    let detail = '';
    try {
      const text = await res.text();
      const body = JSON.parse(text) as ErrorBody;
      detail = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      // HEAD answers and proxies' HTML pages carry no registry error body.
    }
    const suffix = detail ? ` (${detail})` : '';
    const status = res.status;
    if (status === 404) {
      return new RegistryError('NotFound', this.address, `${what} not found in registry ${this.address}${suffix}`, status);
    }
    if (status === 401) {
      return new RegistryError(
        'Unauthorized',
        this.address,
        `registry ${this.address} requires authentication for ${what}${suffix}; tugboat only pulls and pushes anonymously`,
        status,
      );
    }
    if (status === 403) return new RegistryError('Denied', this.address, `registry ${this.address} denied ${what}${suffix}`, status);
    if (status === 405 || status === 415) {
      return new RegistryError('Unsupported', this.address, `registry ${this.address} does not support ${what} (HTTP ${status})${suffix}`, status);
    }
    const kind: RegistryErrorKind = status >= 500 ? 'Unreachable' : 'BadResponse';
    return new RegistryError(kind, this.address, `registry ${this.address} answered HTTP ${status} to ${what}${suffix}`, status);
  }
}

/** The useful part of a fetch failure: undici hides the socket error in `cause`. */
function causeText(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'timed out';
  if (err?.cause?.message) return err.cause.message;
  return err?.message ?? String(e);
}
