// An informer transform that changes no value, only how many copies of it
// exist. Every decoded object brings its own copy of each string, so 10,000
// cached pods hold 10,000 copies of "default", "Running", "True", "Ready",
// their image, their node's name and so on: about a quarter of a decoded
// pod's heap. Repeated values are replaced by one shared copy; values that are
// unique by nature (uids, resourceVersions, names, timestamps, IPs) are left
// alone so they do not churn the table.
import type { AnyObject } from '../api/kinds.js';

/** Fields whose values are (nearly) unique per object: sharing them saves nothing. */
const UNIQUE_FIELDS = new Set([
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
  'lastTransitionTime',
  'lastHeartbeatTime',
  'lastProbeTime',
  'lastUpdateTime',
  'startTime',
  'startedAt',
  'finishedAt',
  'renewTime',
  'acquireTime',
  'firstTimestamp',
  'lastTimestamp',
  'eventTime',
  'podIP',
  'ip',
  'containerID',
]);

/** Longer strings are rarely repeated verbatim (messages, certificates, data). */
const MAX_SHARED_LENGTH = 64;
/** The table is emptied when it reaches this size: sharing is lost for a while, never correctness. */
const MAX_TABLE = 8192;

const table = new Map<string, string>();

function share(s: string): string {
  if (s.length > MAX_SHARED_LENGTH) return s;
  const shared = table.get(s);
  if (shared !== undefined) return shared;
  if (table.size >= MAX_TABLE) table.clear();
  table.set(s, s);
  return s;
}

function walk(o: Record<string, unknown> | unknown[], isMetadata: boolean): void {
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const v = o[i];
      if (typeof v === 'string') o[i] = share(v);
      else if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, false);
    }
    return;
  }
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'string') {
      // metadata.name is unique; a container's or a condition's name is not.
      if (!UNIQUE_FIELDS.has(k) && !(isMetadata && k === 'name')) o[k] = share(v);
    } else if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, k === 'metadata');
  }
}

/**
 * Shares the object's repeated string values with every object passed here
 * before, in place, and returns it. Only for objects fresh from the decoder
 * (plain objects and arrays), such as an informer's.
 */
export function shareStrings<O extends AnyObject>(obj: O): O {
  walk(obj as unknown as Record<string, unknown>, false);
  return obj;
}
