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
