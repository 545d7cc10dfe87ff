import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as T from './generated/types.js';
import { decode } from './schema.js';
import { encodeWatchEvent, frameWatchEvents, framedLength } from './watch-wire.js';

const pod = (name: string, data = '') =>
  ({ pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: '7', ...(data ? { annotations: { data } } : {}) } } }) as T.ApiObject;

test('a framed response decodes as a WatchResponse holding the events in order', () => {
  const events: T.WatchEvent[] = [
    { type: 'ADDED', object: pod('a'), resourceVersion: '5' },
    { type: 'DELETED', object: pod('b'), resourceVersion: '6' },
    { type: 'BOOKMARK', resourceVersion: '9' },
  ];
  const framed = frameWatchEvents(events.map(encodeWatchEvent));
  const back = decode<T.WatchResponse>('WatchResponse', framed);
  assert.deepEqual(back.events, events);
});

test('events longer than 127 bytes get a multi-byte length, and framedLength counts it', () => {
  for (const size of [0, 100, 200, 20_000, 300_000]) {
    const ev = encodeWatchEvent({ type: 'MODIFIED', object: pod('x', 'y'.repeat(size)), resourceVersion: '3' });
    const framed = frameWatchEvents([ev, ev]);
    assert.equal(framed.length, 2 * framedLength(ev));
    const back = decode<T.WatchResponse>('WatchResponse', framed);
    assert.equal(back.events?.length, 2);
    assert.equal(back.events?.[1]?.object?.pod?.metadata?.annotations?.data?.length ?? 0, size);
  }
});

test('no events is an empty response', () => {
  assert.deepEqual(decode<T.WatchResponse>('WatchResponse', frameWatchEvents([])).events ?? [], []);
});
