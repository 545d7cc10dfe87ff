// Image references as people write them (`busybox`, `web:1.2`,
// `10.0.0.1:5000/team/web@sha256:...`) and the fully qualified form the
// registry client needs. Grammar as in the distribution project's reference
// package; a name without a registry host resolves to a configured default.
import { ApiError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';

/** The registry a bare name like `busybox` resolves to when nothing else is configured. */
export const DEFAULT_REGISTRY = '127.0.0.1:5000';

/** The environment variable that overrides DEFAULT_REGISTRY for the CLI and the agent. */
export const REGISTRY_ENV = 'TUG_REGISTRY';

export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** `host[:port]`, e.g. `127.0.0.1:5000`. */
  readonly registry: string;
  /** Path inside the registry, e.g. `busybox` or `team/web`. */
  readonly repository: string;
  /** Absent only when the reference names a digest alone. */
  readonly tag?: string;
  readonly digest?: Digest;
}

/** `$TUG_REGISTRY` when set (checked), else 127.0.0.1:5000. */
export function defaultRegistry(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[REGISTRY_ENV]?.trim();
  if (!fromEnv) return DEFAULT_REGISTRY;
  const problem = registryAddressProblem(fromEnv);
  if (problem) throw new ApiError('BadRequest', `${REGISTRY_ENV}="${fromEnv}" is not a registry address: ${problem}`);
  return fromEnv;
}

const HOST_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST_RE = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

/** Why `address` cannot be a registry `host[:port]`, or undefined when it can. */
export function registryAddressProblem(address: string): string | undefined {
  if (address.includes('/')) return 'expected host[:port] without a scheme or path (e.g. 127.0.0.1:5000)';
  if (!HOST_RE.test(address)) return 'expected host[:port] (e.g. 127.0.0.1:5000 or registry.local)';
  const port = /:(\d+)$/.exec(address.startsWith('[') ? address.slice(address.indexOf(']')) : address)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `port ${port} is out of range 1-65535`;
  return undefined;
}

/** The first path component is a registry host when it looks like one, as Docker decides. */
function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

function bad(input: string, why: string): ApiError {
  return new ApiError('BadRequest', `invalid image reference "${input}": ${why}`);
}

export interface ParseReferenceOptions {
  /** Registry for names without a host; default defaultRegistry(). */
  defaultRegistry?: string;
}

/**
 * Parses and qualifies a reference: the registry is filled in from the
 * default when absent, and the tag defaults to `latest` unless a digest is given.
 * Throws ApiError BadRequest naming the part that is wrong.
 */
export function parseImageReference(input: string, options: ParseReferenceOptions = {}): ImageReference {
  const s = input.trim();
  if (s === '') throw bad(input, 'it is empty');
  if (/\s/.test(s)) throw bad(input, 'it contains whitespace');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw bad(input, 'leave out the scheme (write host:port/name:tag)');

  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad(input, `"${d}" is not a digest: expected sha256: followed by 64 lowercase hex digits`);
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      throw bad(input, `tag "${tag}" is invalid: use up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
    }
  }

  const parts = rest.split('/');
  let registry: string;
  if (parts.length > 1 && looksLikeHost(parts[0]!)) {
    registry = parts.shift()!;
    const problem = registryAddressProblem(registry);
    if (problem) throw bad(input, `registry "${registry}": ${problem}`);
  } else {
    registry = options.defaultRegistry ?? defaultRegistry();
  }
  if (parts.length === 0 || parts.some((p) => p === '')) throw bad(input, 'the repository name is missing or has an empty path component');
  for (const p of parts) {
    if (!COMPONENT_RE.test(p)) {
      const hint = /[A-Z]/.test(p) ? 'repository names must be lowercase' : "use lowercase letters and digits, separated by '.', '_', '__' or '-'";
      throw bad(input, `repository path component "${p}" is invalid: ${hint}`);
    }
  }
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw bad(input, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** `registry/repository`. */
export function referenceName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified reference: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${referenceName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** `registry/repository@digest`: how a pulled image is named by content (a pod's containerStatuses imageID). */
export function digestReference(ref: ImageReference, digest: Digest): string {
  return `${referenceName(ref)}@${digest}`;
}
