// The API schema at run time: protobufjs reflection over the generated
// descriptor, with the two messages whose JSON form is a scalar
// (IntOrString, Quantity) mapped to and from that form.
import protobuf from 'protobufjs';
import { descriptor } from './generated/descriptor.js';

const PKG = 'tugboat.api';

// protobufjs consults `wrappers` when a Type first builds its converters, so
// these must be registered before the root is loaded.
protobuf.wrappers[`.${PKG}.IntOrString`] = {
  fromObject(this: protobuf.Type, value: unknown) {
    if (typeof value === 'number') return this.create({ intVal: value });
    if (typeof value === 'string') return this.create({ strVal: value, isStr: true });
    if (value && typeof value === 'object') return this.create(value as Record<string, unknown>);
    return this.create({});
  },
  toObject(this: protobuf.Type, message: protobuf.Message<{}>) {
    const m = message as unknown as { intVal?: number; strVal?: string; isStr?: boolean };
    return (m.isStr ? (m.strVal ?? '') : (m.intVal ?? 0)) as unknown as { [k: string]: unknown };
  },
};
protobuf.wrappers[`.${PKG}.Quantity`] = {
  fromObject(this: protobuf.Type, value: unknown) {
    if (typeof value === 'number' || typeof value === 'string') return this.create({ value: String(value) });
    if (value && typeof value === 'object') return this.create(value as Record<string, unknown>);
    return this.create({});
  },
  toObject(this: protobuf.Type, message: protobuf.Message<{}>) {
    return ((message as unknown as { value?: string }).value ?? '') as unknown as { [k: string]: unknown };
  },
};

export const root: protobuf.Root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace);
root.resolveAll();

const typeCache = new Map<string, protobuf.Type>();
/** The reflected message type named `name` in the API package (e.g. "Pod"). */
export function messageType(name: string): protobuf.Type {
  let t = typeCache.get(name);
  if (!t) {
    t = root.lookupType(`${PKG}.${name}`);
    typeCache.set(name, t);
  }
  return t;
}

const toObjectOptions: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: false, objects: false };

const SCALAR_FORM = new Set([`.${PKG}.IntOrString`, `.${PKG}.Quantity`]);

function isScalarForm(t: protobuf.Type): boolean {
  return SCALAR_FORM.has(t.fullName);
}

// protobufjs's generated fromObject insists that a message-typed field holds
// an object before it reaches the wrapper, so scalar forms are boxed first.
// Only types that reach a scalar-form message are walked.
const reachesScalarForm = new Map<protobuf.Type, boolean>();
function needsBoxing(t: protobuf.Type): boolean {
  const known = reachesScalarForm.get(t);
  if (known !== undefined) return known;
  reachesScalarForm.set(t, false); // breaks cycles
  let result = false;
  for (const f of t.fieldsArray) {
    const rt = f.resolvedType;
    if (rt instanceof protobuf.Type && (isScalarForm(rt) || needsBoxing(rt))) result = true;
  }
  reachesScalarForm.set(t, result);
  return result;
}

function box(t: protobuf.Type, value: unknown): unknown {
  if (isScalarForm(t)) {
    if (typeof value === 'number' || typeof value === 'string') return t.fromObject(value as never);
    return value;
  }
  if (!value || typeof value !== 'object' || !needsBoxing(t)) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const f of t.fieldsArray) {
    const rt = f.resolvedType;
    const v = src[f.name];
    if (v == null || !(rt instanceof protobuf.Type) || !(isScalarForm(rt) || needsBoxing(rt))) continue;
    if (f.map && typeof v === 'object') {
      const m: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) m[k] = box(rt, x);
      out[f.name] = m;
    } else if (f.repeated && Array.isArray(v)) {
      out[f.name] = v.map((x) => box(rt, x));
    } else {
      out[f.name] = box(rt, v);
    }
  }
  return out;
}

/** JSON-form object → protobuf bytes. */
export function encode(typeName: string, value: object): Uint8Array {
  const t = messageType(typeName);
  return t.encode(t.fromObject(box(t, value) as Record<string, unknown>)).finish();
}

/** protobuf bytes → JSON-form object. */
export function decode<T>(typeName: string, bytes: Uint8Array): T {
  const t = messageType(typeName);
  return t.toObject(t.decode(bytes), toObjectOptions) as T;
}
