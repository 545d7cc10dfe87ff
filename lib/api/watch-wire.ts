// Watch responses assembled from events encoded once. The apiserver sends the
// same event to many streams (every all-pods watcher gets every pod change),
// so it encodes each event a single time and a WatchResponse is just those
// bytes, each framed as one occurrence of its repeated `events` field.
import type * as T from './generated/types.js';
import { encode } from './schema.js';
import { varintLength, writeVarint } from './wire-bytes.js';

/** WatchResponse.events is field 1, length-delimited: tag (1 << 3) | 2. */
const EVENTS_TAG = 0x0a;

/** One WatchEvent in protobuf form, ready to be framed into any number of responses. */
export function encodeWatchEvent(ev: T.WatchEvent): Buffer {
  const b = encode('WatchEvent', ev);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Bytes an encoded event takes inside a WatchResponse. */
export function framedLength(event: Buffer): number {
  return 1 + varintLength(event.length) + event.length;
}

/** A WatchResponse holding `events` (each from encodeWatchEvent), in order. */
export function frameWatchEvents(events: readonly Buffer[]): Buffer {
  let total = 0;
  for (const e of events) total += framedLength(e);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const e of events) {
    out[at++] = EVENTS_TAG;
    at = writeVarint(out, at, e.length);
    at += e.copy(out, at);
  }
  return out;
}
