// Checks user-written JSON/YAML against the API schema before it is sent:
// the protobuf codec would silently drop unknown fields and coerce wrong
// types, so the CLI reports them here, each with its JSON path.
import protobuf from 'protobufjs';
import type { FieldCause } from '../errors.js';
import { isQuantity, QUANTITY_FORMS } from '../quantity.js';
import { kindInfo, type KindName } from './kinds.js';
import { messageType } from './schema.js';

const INT_OR_STRING = '.tugboat.api.IntOrString';
const QUANTITY = '.tugboat.api.Quantity';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const INT64_LIMIT = 2 ** 63;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function suggestion(name: string, t: protobuf.Type): string {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const f of t.fieldsArray) {
    const score = f.name.toLowerCase() === lower ? 0 : editDistance(lower, f.name.toLowerCase());
    if (score < bestScore) {
      best = f.name;
      bestScore = score;
    }
  }
  // Two edits is a typo; more is a different field.
  return best !== undefined && bestScore <= Math.min(2, Math.floor(name.length / 3)) ? `; did you mean "${best}"?` : '';
}

/** Problem with a scalar `v` of protobuf type `type`, or undefined when it fits. */
function scalarProblem(type: string, v: unknown): string | undefined {
  switch (type) {
    case 'string':
    case 'bytes':
      return typeof v === 'string' ? undefined : `expected string, got ${describe(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `expected boolean (true or false), got ${describe(v)}`;
    case 'double':
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `expected number, got ${describe(v)}`;
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `expected integer, got ${describe(v)}`;
      return v < INT32_MIN || v > INT32_MAX ? `integer ${v} is out of range: must be between ${INT32_MIN} and ${INT32_MAX}` : undefined;
    case 'uint32':
    case 'fixed32':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `expected integer, got ${describe(v)}`;
      return v < 0 || v > UINT32_MAX ? `integer ${v} is out of range: must be between 0 and ${UINT32_MAX}` : undefined;
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `expected integer, got ${describe(v)}`;
      return Math.abs(v) >= INT64_LIMIT ? `integer ${v} is out of the 64-bit range` : undefined;
    case 'uint64':
    case 'fixed64':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `expected integer, got ${describe(v)}`;
      return v < 0 || v >= 2 * INT64_LIMIT ? `integer ${v} is out of range: must be between 0 and 2^64-1` : undefined;
    default:
      return undefined;
  }
}

/** Checks one value (not a list or map) of field type `f` at `path`. */
function checkValue(f: protobuf.Field, v: unknown, path: string, out: FieldCause[]): void {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) {
    if (rt.fullName === INT_OR_STRING) {
      if (typeof v === 'string') return;
      if (typeof v === 'number' && Number.isInteger(v)) {
        if (v < INT32_MIN || v > INT32_MAX) out.push({ field: path, message: `integer ${v} is out of range: must be between ${INT32_MIN} and ${INT32_MAX}` });
        return;
      }
      out.push({ field: path, message: `expected integer or string, got ${describe(v)}` });
      return;
    }
    if (rt.fullName === QUANTITY) {
      if (typeof v !== 'string' && typeof v !== 'number') {
        out.push({ field: path, message: `expected a quantity (string or number), got ${describe(v)}` });
      } else if (!isQuantity(v)) {
        out.push({ field: path, message: `invalid quantity ${JSON.stringify(v)}: expected ${QUANTITY_FORMS}` });
      }
      return;
    }
    if (!isPlainObject(v)) {
      out.push({ field: path, message: `expected object, got ${describe(v)}` });
      return;
    }
    checkMessage(rt, v, path, out);
    return;
  }
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'string' && v in rt.values) return;
    if (typeof v === 'number' && Object.values(rt.values).includes(v)) return;
    out.push({ field: path, message: `unsupported value ${describe(v)}: supported values: ${Object.keys(rt.values).map((k) => `"${k}"`).join(', ')}` });
    return;
  }
  const problem = scalarProblem(f.type, v);
  if (problem) out.push({ field: path, message: problem });
}

function checkMessage(t: protobuf.Type, obj: Record<string, unknown>, path: string, out: FieldCause[]): void {
  for (const [name, v] of Object.entries(obj)) {
    const f = t.fields[name];
    const p = child(path, name);
    if (!f) {
      out.push({ field: p, message: `unknown field ${JSON.stringify(name)}${suggestion(name, t)}` });
      continue;
    }
    // YAML's `key:` with nothing after it, and Kubernetes' own `creationTimestamp: null`, mean absent.
    if (v === null || v === undefined) continue;
    if (f.map) {
      if (!isPlainObject(v)) {
        out.push({ field: p, message: `expected object (a map of ${f.type === 'string' ? 'strings' : f.type}), got ${describe(v)}` });
        continue;
      }
      for (const [k, x] of Object.entries(v)) {
        if (x === null) out.push({ field: `${p}[${k}]`, message: `expected ${f.type === 'string' ? 'string' : 'a value'}, got null` });
        else checkValue(f, x, `${p}[${k}]`, out);
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) {
        out.push({ field: p, message: `expected array, got ${describe(v)}` });
        continue;
      }
      v.forEach((x, i) => {
        if (x === null) out.push({ field: `${p}[${i}]`, message: 'expected a value, got null' });
        else checkValue(f, x, `${p}[${i}]`, out);
      });
    } else {
      checkValue(f, v, p, out);
    }
  }
}

/**
 * Every way `json` departs from the schema of `kind`: unknown fields (which
 * the codec would drop), wrong types, out-of-range integers, malformed
 * quantities. Paths read like `spec.template.spec.containers[0].ports[0].containerPort`.
 * null stands for an absent field, as in Kubernetes YAML.
 */
export function checkShape(kind: KindName, json: unknown): FieldCause[] {
  const out: FieldCause[] = [];
  if (!isPlainObject(json)) {
    out.push({ field: '', message: `expected a ${kind} object, got ${describe(json)}` });
    return out;
  }
  checkMessage(messageType(kindInfo(kind).message), json, '', out);
  return out;
}

function normalizeValue(f: protobuf.Field, v: unknown): unknown {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) {
    if (rt.fullName === QUANTITY) return typeof v === 'number' ? String(v) : v;
    if (rt.fullName === INT_OR_STRING) return v;
    return isPlainObject(v) ? normalizeMessage(rt, v) : v;
  }
  return v;
}

function normalizeMessage(t: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue;
    const f = t.fields[name];
    if (!f) {
      out[name] = v;
    } else if (f.map && isPlainObject(v)) {
      out[name] = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeValue(f, x)]));
    } else if (f.repeated && Array.isArray(v)) {
      out[name] = v.map((x) => normalizeValue(f, x));
    } else {
      out[name] = normalizeValue(f, v);
    }
  }
  return out;
}

/**
 * A copy of `json` in the form the apiserver stores and returns: absent
 * (null) fields dropped and numeric quantities written as strings
 * (`cpu: 1` → `"1"`), so a user's file compares equal to the stored object.
 * Anything checkShape would reject is left as it is.
 */
export function normalizeShape<T = unknown>(kind: KindName, json: unknown): T {
  if (!isPlainObject(json)) return json as T;
  return normalizeMessage(messageType(kindInfo(kind).message), json) as T;
}
