// Content addresses: every manifest, config and layer is named by the sha256
// of its bytes, and nothing fetched is trusted until its bytes match its name.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ApiError } from '../errors.js';

/** `sha256:` followed by 64 lowercase hex digits: the only algorithm registries and tugboat use. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** The digest as given, or a BadRequest saying what a digest looks like. */
export function parseDigest(s: string, what = 'digest'): Digest {
  if (isDigest(s)) return s;
  if (/^[a-z0-9]+([+._-][a-z0-9]+)*:/.test(s) && !s.startsWith('sha256:')) {
    throw new ApiError('BadRequest', `${what} "${s}" uses an unsupported algorithm: only sha256 digests are supported`);
  }
  throw new ApiError('BadRequest', `${what} "${s}" is not a digest: expected sha256: followed by 64 lowercase hex digits`);
}

export function sha256Digest(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The 64 hex digits of a digest: what file names in content-addressed stores use. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

/**
 * A pass-through stream that hashes and counts what flows through it, so a
 * download or a decompression can be verified without a second read.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  /** Valid once the stream has finished. */
  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }

  get size(): number {
    return this.bytes;
  }
}
