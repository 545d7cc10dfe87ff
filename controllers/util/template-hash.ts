// The pod-template hash that names a Deployment's ReplicaSets. It must be the
// same for the same template in every process and after any round trip
// through the apiserver, so it is taken over a canonical form: keys sorted,
// absent and empty values dropped (protobuf cannot tell them apart).
import { randomInt } from 'node:crypto';
import { semanticEqual } from '../../lib/api/equality.js';
import type { PodTemplateSpec } from '../../lib/api/generated/types.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

// No vowels (no accidental words) and no look-alikes (0/o, 1/l, 3/e).
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function canonical(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map(canonical);
    return items.length ? items.map((x) => (x === undefined ? null : x)) : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/** A JSON text that is equal for semantically equal values. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(canonical(v) ?? null);
}

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function encodeSafe(n: number): string {
  let s = '';
  do {
    s = SAFE_ALPHABET[n % SAFE_ALPHABET.length] + s;
    n = Math.floor(n / SAFE_ALPHABET.length);
  } while (n > 0);
  return s;
}

/** The template without the pod-template-hash label (a Deployment's template never has it). */
export function withoutHashLabel(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const labels = { ...(template?.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...template, metadata: { ...template?.metadata, labels } };
}

/**
 * The hash of a pod template. collisionCount (from Deployment status) is mixed
 * in so that a Deployment whose hash is taken by a foreign ReplicaSet can move
 * to a fresh name.
 */
export function computeTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let text = canonicalJson(withoutHashLabel(template));
  if (collisionCount) text += `#${collisionCount}`;
  return encodeSafe(fnv1a32(text));
}

/** Whether two templates are the same apart from the pod-template-hash label. */
export function templatesEqualIgnoringHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return semanticEqual(canonical(withoutHashLabel(a)), canonical(withoutHashLabel(b)));
}

/** n characters from the safe alphabet, for generated object names. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return s;
}
