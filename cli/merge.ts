// The client-side apply merge: from what was applied last time, what is live
// and what the file says now, the object to send. Fields the file sets win;
// fields the last apply set but the file no longer has are removed; fields
// nobody applied (server defaults, other writers) are kept.
import { encode, decode } from '../lib/api/schema.js';
import { semanticEqual } from '../lib/api/equality.js';
import type { AnyObject, KindInfo } from '../lib/api/kinds.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Three-way merge. Maps merge key by key (a `null` in desired removes the
 * key, JSON-merge-patch style); lists of objects merge element by element
 * when their elements carry a key (`name`, `containerPort`, `port`,
 * `mountPath`, `ip`), so server defaults inside containers or ports survive;
 * other lists are replaced.
 */
export function threeWayMerge(last: unknown, live: unknown, desired: unknown): unknown {
  if (isObject(desired)) {
    if (!isObject(live)) return stripNulls(desired);
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(desired)) {
      if (v === null) delete out[k];
      else out[k] = threeWayMerge(isObject(last) ? last[k] : undefined, live[k], v) as Json;
    }
    if (isObject(last)) for (const k of Object.keys(last)) if (!(k in desired)) delete out[k];
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live)) return mergeList(Array.isArray(last) ? last : [], live, desired);
  return stripNulls(desired);
}

const MERGE_KEYS = ['name', 'containerPort', 'port', 'mountPath', 'ip'];

/** The field that identifies elements of this list, if every element has a distinct one. */
function mergeKeyOf(list: unknown[]): string | undefined {
  if (list.length === 0 || !list.every(isObject)) return undefined;
  for (const key of MERGE_KEYS) {
    const vals = (list as JsonObject[]).map((e) => e[key]);
    if (vals.every((v) => typeof v === 'string' || typeof v === 'number') && new Set(vals).size === vals.length) return key;
  }
  return undefined;
}

function mergeList(last: unknown[], live: unknown[], desired: unknown[]): unknown[] {
  const key = mergeKeyOf(desired);
  if (key) {
    const byKey = (l: unknown[]) => new Map(l.filter(isObject).filter((e) => e[key] !== undefined).map((e) => [e[key], e] as const));
    const liveBy = byKey(live);
    const lastBy = byKey(last);
    const wanted = new Set((desired as JsonObject[]).map((d) => d[key]));
    const out = (desired as JsonObject[]).map((d) => threeWayMerge(lastBy.get(d[key]!), liveBy.get(d[key]!), d));
    // Elements someone else added stay; ones this file used to apply go.
    for (const e of live) if (isObject(e) && !wanted.has(e[key]!) && !lastBy.has(e[key]!)) out.push(e);
    return out;
  }
  if (desired.every(isObject) && live.length === desired.length) {
    return desired.map((d, i) => threeWayMerge(last.length === desired.length ? last[i] : undefined, live[i], d));
  }
  return desired.map(stripNulls);
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x) as Json;
    return out;
  }
  return v;
}

/** The configuration recorded for the next apply: the desired object without its own record. */
export function lastAppliedOf(desired: AnyObject): string {
  const copy = structuredClone(desired) as AnyObject;
  const ann = copy.metadata?.annotations;
  if (ann) {
    delete ann[LAST_APPLIED];
    if (Object.keys(ann).length === 0) delete copy.metadata!.annotations;
  }
  return JSON.stringify(copy);
}

export function withLastApplied(obj: AnyObject, record: string): AnyObject {
  const out = structuredClone(obj) as AnyObject;
  out.metadata = { ...(out.metadata ?? {}), annotations: { ...(out.metadata?.annotations ?? {}), [LAST_APPLIED]: record } };
  return out;
}

export function readLastApplied(live: AnyObject): unknown {
  const s = live.metadata?.annotations?.[LAST_APPLIED];
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The object as the server would store it: quantities and int-or-strings in their wire form. */
export function canonical(info: KindInfo, obj: unknown): unknown {
  try {
    return decode(info.message, encode(info.message, obj as object));
  } catch {
    return obj;
  }
}

/**
 * A Secret's stringData is write-only: the apiserver folds it into data and
 * never returns it. Merging and comparing in the stored form (data, base64)
 * keeps an unchanged Secret unchanged, and a key dropped from stringData is
 * dropped from data.
 */
export function foldStringData(info: KindInfo, obj: unknown): unknown {
  if (info.kind !== 'Secret' || !isObject(obj) || !isObject(obj.stringData)) return obj;
  const { stringData, ...rest } = obj;
  const data: JsonObject = { ...(isObject(rest.data) ? rest.data : {}) };
  for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  return { ...rest, data };
}

export type ApplyPlan = { action: 'create'; object: AnyObject } | { action: 'update'; object: AnyObject } | { action: 'unchanged'; object: AnyObject };

/**
 * What apply does with one desired object given the live one (undefined:
 * absent). The update carries the live resourceVersion, so a concurrent
 * writer makes it fail with Conflict instead of being overwritten.
 */
export function planApply(info: KindInfo, given: AnyObject, live: AnyObject | undefined): ApplyPlan {
  const { status, ...desired } = given as AnyObject & { status?: unknown };
  const wanted = withLastApplied(desired as AnyObject, lastAppliedOf(desired as AnyObject));
  if (!live) return { action: 'create', object: (status === undefined ? wanted : { ...wanted, status }) as AnyObject };
  const merged = threeWayMerge(foldStringData(info, readLastApplied(live)), live, foldStringData(info, wanted)) as AnyObject;
  merged.metadata = { ...(merged.metadata ?? {}), resourceVersion: live.metadata?.resourceVersion };
  if (semanticEqual(canonical(info, merged), canonical(info, live))) return { action: 'unchanged', object: live };
  return { action: 'update', object: merged };
}
