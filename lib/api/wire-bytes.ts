// Responses built from the bytes etcd holds, without decoding and encoding
// the object again. A stored object is its kind's message without
// metadata.resourceVersion (that is the key's revision); what a client gets
// is the same message with the revision added inside metadata and apiVersion
// and kind set. Protobuf lets fields come in any order and, for a scalar
// field seen twice, keeps the last, so both can be spliced in: the metadata
// field is re-framed with the resourceVersion field appended to it, and
// apiVersion and kind are appended to the end.
import type { KindInfo } from './kinds.js';
import { messageType } from './schema.js';

const LEN = 2; // wire type of length-delimited fields

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function readVarint(b: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= b.length) throw new Error('truncated varint');
    const byte = b[at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
    scale *= 128;
  }
}

/** A length-delimited field: tag, length, then the bytes. */
function field(no: number, bytes: Uint8Array): Buffer {
  const tag = (no << 3) | LEN;
  const out = Buffer.allocUnsafe(varintLength(tag) + varintLength(bytes.length) + bytes.length);
  let at = writeVarint(out, 0, tag);
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return out;
}

function stringField(no: number, s: string): Buffer {
  return field(no, Buffer.from(s, 'utf8'));
}

interface Layout {
  metadata: number;
  apiVersion: number;
  kind: number;
  /** ApiObject's field for this kind */
  wrapper: number;
  /** apiVersion and kind, encoded once */
  trailer: Buffer;
}

const layouts = new Map<string, Layout>();
let resourceVersionNo: number | undefined;

function layoutOf(info: KindInfo): Layout {
  let l = layouts.get(info.kind);
  if (!l) {
    const t = messageType(info.message);
    const id = (name: string) => {
      const f = t.fields[name];
      if (!f) throw new Error(`${info.message} has no field ${name}`);
      return f.id;
    };
    const wrapper = messageType('ApiObject').fields[info.field]!.id;
    l = { metadata: id('metadata'), apiVersion: id('apiVersion'), kind: id('kind'), wrapper, trailer: Buffer.alloc(0) };
    l.trailer = Buffer.concat([stringField(l.apiVersion, info.apiVersion), stringField(l.kind, info.kind)]);
    layouts.set(info.kind, l);
  }
  resourceVersionNo ??= messageType('ObjectMeta').fields['resourceVersion']!.id;
  return l;
}

/** [start, end) of the last occurrence of a length-delimited top-level field's contents, or undefined. */
function findField(b: Uint8Array, no: number): { tagAt: number; start: number; end: number } | undefined {
  let found: { tagAt: number; start: number; end: number } | undefined;
  let at = 0;
  while (at < b.length) {
    const tagAt = at;
    const [tag, next] = readVarint(b, at);
    at = next;
    const wt = tag & 7;
    if (wt === 0) at = readVarint(b, at)[1];
    else if (wt === 1) at += 8;
    else if (wt === 5) at += 4;
    else if (wt === LEN) {
      const [len, start] = readVarint(b, at);
      at = start + len;
      if (tag >>> 3 === no) found = { tagAt, start, end: at };
    } else throw new Error(`unexpected wire type ${wt}`);
    if (at > b.length) throw new Error('truncated field');
  }
  return found;
}

/**
 * The object message as a client gets it (metadata.resourceVersion = rev,
 * apiVersion and kind of its kind) from the bytes it is stored as.
 */
export function objectBytes(info: KindInfo, stored: Uint8Array, rev: number): Buffer {
  const l = layoutOf(info);
  const rv = stringField(resourceVersionNo!, String(rev));
  const meta = findField(stored, l.metadata);
  if (!meta) return Buffer.concat([stored, field(l.metadata, rv), l.trailer]);
  const metaLen = meta.end - meta.start + rv.length;
  const head = Buffer.allocUnsafe(varintLength((l.metadata << 3) | LEN) + varintLength(metaLen));
  writeVarint(head, writeVarint(head, 0, (l.metadata << 3) | LEN), metaLen);
  return Buffer.concat([
    stored.subarray(0, meta.tagAt),
    head,
    stored.subarray(meta.start, meta.end),
    rv,
    stored.subarray(meta.end),
    l.trailer,
  ]);
}

/** An ApiObject holding the object message `object` of this kind. */
export function apiObjectBytes(info: KindInfo, object: Uint8Array): Buffer {
  return field(layoutOf(info).wrapper, object);
}

/** A WatchEvent (type 1, object 2, resourceVersion 3) around an encoded ApiObject. */
export function watchEventBytes(type: string, apiObject: Uint8Array, resourceVersion: string): Buffer {
  return Buffer.concat([stringField(1, type), field(2, apiObject), stringField(3, resourceVersion)]);
}

/** A ListResponse (resourceVersion 1, items 2) of encoded ApiObjects. */
export function listResponseBytes(resourceVersion: string, items: readonly Uint8Array[]): Buffer {
  return Buffer.concat([stringField(1, resourceVersion), ...items.map((i) => field(2, i))]);
}
