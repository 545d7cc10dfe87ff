import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Event, Pod } from './api/generated/types.js';
import { ApiError } from './errors.js';
import type { ApiClient } from './client/api-client.js';
import { EventRecorder, objectReference, type EventSink } from './events.js';

const quiet = pino({ level: 'silent' });

/** A sink that stores Events by namespace/name with revisions, like the apiserver. */
class FakeSink implements EventSink {
  readonly events = new Map<string, Event>();
  creates = 0;
  updates = 0;
  failCreates = 0;
  private rv = 0;
  async create(ev: Event): Promise<Event> {
    this.creates++;
    if (this.failCreates > 0) {
      this.failCreates--;
      throw new ApiError('Unavailable', 'apiserver down');
    }
    const key = `${ev.metadata?.namespace}/${ev.metadata?.name}`;
    if (this.events.has(key)) throw new ApiError('AlreadyExists', key);
    const stored = { ...ev, metadata: { ...ev.metadata, resourceVersion: String(++this.rv) } };
    this.events.set(key, stored);
    return stored;
  }
  async update(ev: Event): Promise<Event> {
    this.updates++;
    const key = `${ev.metadata?.namespace}/${ev.metadata?.name}`;
    const cur = this.events.get(key);
    if (!cur) throw new ApiError('NotFound', key);
    if (ev.metadata?.resourceVersion && ev.metadata.resourceVersion !== cur.metadata?.resourceVersion) throw new ApiError('Conflict', key);
    const stored = { ...ev, metadata: { ...ev.metadata, resourceVersion: String(++this.rv) } };
    this.events.set(key, stored);
    return stored;
  }
  async get(_kind: 'Event', ns: string | undefined, name: string): Promise<Event> {
    const e = this.events.get(`${ns}/${name}`);
    if (!e) throw new ApiError('NotFound', name);
    return e;
  }
}

const pod: Pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '7' } };

test('ApiClient satisfies EventSink', () => {
  const f = (c: ApiClient): EventSink => c;
  assert.equal(typeof f, 'function');
});

test('an event is created in the object namespace with the involved object, source and counts', async () => {
  const sink = new FakeSink();
  const rec = new EventRecorder(sink, { component: 'scheduler', host: 'h1', log: quiet, now: () => Date.parse('2024-05-01T10:00:00Z') });
  await rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web-1 to n1');
  assert.equal(sink.events.size, 1);
  const [ev] = sink.events.values();
  assert.match(ev!.metadata!.name!, /^web-1\.[0-9a-f]+$/);
  assert.equal(ev!.metadata!.namespace, 'shop');
  assert.deepEqual(ev!.involvedObject, { kind: 'Pod', apiVersion: 'v1', namespace: 'shop', name: 'web-1', uid: 'u-1', resourceVersion: '7' });
  assert.equal(ev!.type, 'Normal');
  assert.equal(ev!.reason, 'Scheduled');
  assert.equal(ev!.count, 1);
  assert.equal(ev!.firstTimestamp, '2024-05-01T10:00:00.000Z');
  assert.equal(ev!.lastTimestamp, '2024-05-01T10:00:00.000Z');
  assert.deepEqual(ev!.source, { component: 'scheduler', host: 'h1' });
});

test('events about cluster-scoped objects go to the default namespace', async () => {
  const sink = new FakeSink();
  const rec = new EventRecorder(sink, { component: 'node-controller', log: quiet });
  await rec.event({ kind: 'Node', metadata: { name: 'n1', uid: 'nu' } }, 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
  const [ev] = sink.events.values();
  assert.equal(ev!.metadata!.namespace, 'default');
  assert.equal(ev!.involvedObject!.namespace, '');
  assert.equal(ev!.involvedObject!.apiVersion, 'v1');
});

test('a repeat within 10 minutes increments count; after the window or with another message it is a new Event', async () => {
  const sink = new FakeSink();
  let now = Date.parse('2024-05-01T10:00:00Z');
  const rec = new EventRecorder(sink, { component: 'c', log: quiet, now: () => now });
  await rec.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  now += 60_000;
  await rec.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  now += 9 * 60_000;
  await rec.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  assert.equal(sink.events.size, 1);
  const [ev] = sink.events.values();
  assert.equal(ev!.count, 3);
  assert.equal(ev!.firstTimestamp, '2024-05-01T10:00:00.000Z');
  assert.equal(ev!.lastTimestamp, '2024-05-01T10:10:00.000Z');

  await rec.event(pod, 'Warning', 'FailedScheduling', '0/4 nodes are available');
  assert.equal(sink.events.size, 2);
  now += 10 * 60_000 + 1;
  await rec.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  assert.equal(sink.events.size, 3);
});

test('concurrent identical events end as one Event with the full count', async () => {
  const sink = new FakeSink();
  const rec = new EventRecorder(sink, { component: 'c', log: quiet });
  await Promise.all(Array.from({ length: 5 }, () => rec.event(pod, 'Normal', 'Pulled', 'image pulled')));
  assert.equal(sink.events.size, 1);
  assert.equal([...sink.events.values()][0]!.count, 5);
  assert.equal(sink.creates, 1);
});

test('an Event deleted meanwhile is created again; a conflicting update is merged', async () => {
  const sink = new FakeSink();
  const rec = new EventRecorder(sink, { component: 'c', log: quiet });
  await rec.event(pod, 'Normal', 'R', 'm');
  sink.events.clear();
  await rec.event(pod, 'Normal', 'R', 'm');
  assert.equal(sink.events.size, 1);
  assert.equal([...sink.events.values()][0]!.count, 1);
  // Someone else bumps it: our cached resourceVersion is stale.
  const [key, ev] = [...sink.events.entries()][0]!;
  sink.events.set(key, { ...ev, count: 10, metadata: { ...ev.metadata, resourceVersion: '999' } });
  await rec.event(pod, 'Normal', 'R', 'm');
  assert.equal(sink.events.get(key)!.count, 11);
});

test('failures are logged, never thrown, and never reject', async () => {
  const sink = new FakeSink();
  sink.failCreates = 1;
  const warnings: unknown[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => warnings.push(JSON.parse(s)) });
  const rec = new EventRecorder(sink, { component: 'c', log });
  await rec.event(pod, 'Normal', 'R', 'm');
  await rec.event({ metadata: { name: 'x' } } as Pod, 'Normal', 'R', 'no kind');
  assert.equal(sink.events.size, 0);
  assert.equal(warnings.length, 2);
  // Recovers on the next call.
  await rec.event(pod, 'Normal', 'R', 'm');
  assert.equal(sink.events.size, 1);
});

test('long messages are cut to 1 KiB', async () => {
  const sink = new FakeSink();
  const rec = new EventRecorder(sink, { component: 'c', log: quiet });
  await rec.event(pod, 'Normal', 'R', 'x'.repeat(5000));
  assert.equal([...sink.events.values()][0]!.message!.length, 1024);
});

test('objectReference needs a known kind', () => {
  assert.throws(() => objectReference({ metadata: { name: 'a' } } as Pod), /known kind/);
  assert.equal(objectReference({ kind: 'Deployment', metadata: { name: 'd', namespace: 'x' } }).apiVersion, 'apps/v1');
});
