import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/generated/types.js';
import { shareStrings } from './share-strings.js';

const pod = (i: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `web-${i}`, namespace: 'default', uid: `uid-${i}`, labels: { app: 'web' }, finalizers: ['a', 'b'], annotations: { long: 'x'.repeat(100) } },
  spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox', args: ['sleep', '1000'], resources: { requests: { cpu: '100m' } } }] },
  status: { phase: 'Running', podIP: `10.0.0.${i}`, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
});

test('shareStrings changes no value and returns the same object', () => {
  for (let i = 0; i < 3; i++) {
    const p = pod(i);
    const before = structuredClone(p);
    assert.equal(shareStrings(p), p);
    assert.deepEqual(p, before);
  }
});
