import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as T from '../lib/api/generated/types.js';
import { decode } from '../lib/api/schema.js';
import { encodeWatchEvent, framedLength } from '../lib/api/watch-wire.js';
import { WatchSender, type SenderLimits } from './watch-sender.js';

const ev = (rv: number, pad = 0) => encodeWatchEvent({ type: 'BOOKMARK', resourceVersion: String(rv).padStart(pad, '0') });
const rvs = (message: Buffer) => (decode<T.WatchResponse>('WatchResponse', message).events ?? []).map((e) => Number(e.resourceVersion));
const tick = () => new Promise((r) => setImmediate(r));

/** A transport that completes writes only when told to. */
function transport() {
  const sent: Buffer[] = [];
  const waiting: ((err?: Error | null) => void)[] = [];
  return {
    sent,
    write: (m: Buffer, done: (err?: Error | null) => void) => {
      sent.push(m);
      waiting.push(done);
    },
    complete(err?: Error) {
      waiting.shift()?.(err);
    },
    get inFlight() {
      return waiting.length;
    },
  };
}

const big: SenderLimits = { maxMessageBytes: 1 << 20, maxPendingBytes: 1 << 24 };

test('events pushed while a message is in flight leave together, in order, as the next message', async () => {
  const t = transport();
  const s = new WatchSender(t.write, () => assert.fail('no overflow'), big);
  s.push(ev(1));
  s.push(ev(2));
  await tick();
  assert.deepEqual(t.sent.map(rvs), [[1, 2]]);
  for (let rv = 3; rv <= 10; rv++) s.push(ev(rv));
  await tick();
  assert.equal(t.inFlight, 1, 'one message at a time');
  t.complete();
  assert.deepEqual(t.sent.map(rvs), [[1, 2], [3, 4, 5, 6, 7, 8, 9, 10]]);
  t.complete();
  s.push(ev(11));
  await tick();
  assert.deepEqual(t.sent.map(rvs).at(-1), [11]);
});

test('a message takes events up to maxMessageBytes, and one event even when larger', async () => {
  const t = transport();
  const one = framedLength(ev(1, 40));
  const s = new WatchSender(t.write, () => assert.fail('no overflow'), { maxMessageBytes: one * 3, maxPendingBytes: 1 << 24 });
  for (let rv = 1; rv <= 7; rv++) s.push(ev(rv, 40));
  await tick();
  t.complete();
  t.complete();
  t.complete();
  assert.deepEqual(t.sent.map(rvs), [[1, 2, 3], [4, 5, 6], [7]]);

  const t2 = transport();
  const s2 = new WatchSender(t2.write, () => assert.fail('no overflow'), { maxMessageBytes: 1, maxPendingBytes: 1 << 24 });
  s2.push(ev(1));
  s2.push(ev(2));
  await tick();
  t2.complete();
  assert.deepEqual(t2.sent.map(rvs), [[1], [2]]);
});

test('a watcher that stops reading is dropped once maxPendingBytes wait, and what waited is freed', async () => {
  const t = transport();
  const one = framedLength(ev(1, 40));
  let overflow: [number, number] | undefined;
  const s = new WatchSender(t.write, (bytes, events) => (overflow = [bytes, events]), { maxMessageBytes: 1 << 20, maxPendingBytes: one * 5 });
  s.push(ev(0, 40));
  await tick();
  assert.equal(t.inFlight, 1); // never completes: the client does not read
  for (let rv = 1; rv <= 5; rv++) s.push(ev(rv, 40));
  assert.equal(overflow, undefined);
  assert.equal(s.waitingEvents, 5);
  s.push(ev(6, 40));
  assert.deepEqual(overflow, [one * 6, 6]);
  assert.equal(s.waitingBytes, 0);
  s.push(ev(7, 40));
  t.complete();
  await tick();
  assert.equal(t.sent.length, 1, 'nothing is written after the drop');
});

test('a failed write closes the sender', async () => {
  const t = transport();
  const s = new WatchSender(t.write, () => assert.fail('no overflow'), big);
  s.push(ev(1));
  await tick();
  s.push(ev(2));
  t.complete(new Error('stream reset'));
  await tick();
  assert.equal(t.sent.length, 1);
  assert.equal(s.waitingEvents, 0);
});

test('what a watch starts with is not held against it; what comes after is', async () => {
  const t = transport();
  const one = framedLength(ev(1, 40));
  let overflow = false;
  const s = new WatchSender(t.write, () => (overflow = true), { maxMessageBytes: one * 4, maxPendingBytes: one * 3 });
  for (let rv = 1; rv <= 10; rv++) s.push(ev(rv, 40), true);
  assert.equal(overflow, false);
  for (let rv = 11; rv <= 13; rv++) s.push(ev(rv, 40));
  assert.equal(overflow, false, '3 live events fit the limit');
  await tick();
  t.complete(); // rv 1-4 sent
  t.complete(); // rv 5-8; rv 9-12 now in flight, 13 waits
  assert.deepEqual(t.sent.map(rvs), [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  s.push(ev(14, 40));
  s.push(ev(15, 40));
  assert.equal(overflow, false);
  s.push(ev(16, 40));
  assert.equal(overflow, true, 'a 4th live event waiting is over the limit');
});
