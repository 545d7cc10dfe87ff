import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyObject } from '../lib/api/kinds.js';
import { RecorderEventSink } from './events.js';
import { syntheticPod } from './simulate.js';

test('events go to the recorder with the pod as a Pod, and flush waits for them', async () => {
  const seen: { obj: AnyObject; type: string; reason: string; message: string }[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const sink = new RecorderEventSink({
    event: async (obj, type, reason, message) => {
      await gate;
      seen.push({ obj, type, reason, message });
    },
  });
  const pod = syntheticPod('web-1', '1', '1Gi');
  delete pod.kind;
  sink.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-2');
  const flushed = sink.flush();
  assert.equal(seen.length, 0);
  release();
  await flushed;
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.obj.kind, 'Pod');
  assert.equal(seen[0]!.obj.metadata?.name, 'web-1');
  assert.equal(seen[0]!.reason, 'Scheduled');
});

test('events are written one at a time; beyond the queue Normal events are dropped and a Warning displaces the oldest Normal', async () => {
  const written: string[] = [];
  let active = 0;
  let maxActive = 0;
  const gates: (() => void)[] = [];
  const sink = new RecorderEventSink(
    {
      event: async (obj, _type, reason) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => gates.push(r));
        written.push(`${obj.metadata?.name} ${reason}`);
        active--;
      },
    },
    { maxQueued: 2 },
  );
  const pod = (name: string) => syntheticPod(name, '1', '1Gi');
  sink.event(pod('a'), 'Normal', 'Scheduled', 'x'); // taken at once
  sink.event(pod('b'), 'Normal', 'Scheduled', 'x'); // queued
  sink.event(pod('c'), 'Normal', 'Scheduled', 'x'); // queued
  sink.event(pod('d'), 'Normal', 'Scheduled', 'x'); // queue full: dropped
  sink.event(pod('e'), 'Warning', 'FailedScheduling', 'y'); // displaces b
  assert.equal(sink.droppedCount, 2);
  const flushed = sink.flush();
  while (written.length < 3) {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
  }
  await flushed;
  assert.deepEqual(written, ['a Scheduled', 'c Scheduled', 'e FailedScheduling']);
  assert.equal(maxActive, 1);
});

test('a queued event keeps only the reference fields of its pod', async () => {
  const seen: AnyObject[] = [];
  const sink = new RecorderEventSink({ event: async (obj) => void seen.push(obj) });
  const pod = syntheticPod('web-1', '1', '1Gi');
  pod.metadata!.resourceVersion = '42';
  sink.event(pod, 'Normal', 'Scheduled', 'm');
  await sink.flush();
  assert.deepEqual(seen[0], { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-1', namespace: 'default', uid: 'uid-web-1', resourceVersion: '42' } });
});
