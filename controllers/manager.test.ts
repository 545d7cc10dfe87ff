import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveControllers, CONTROLLER_NAMES } from './manager.js';

test('controller selection', () => {
  assert.deepEqual(resolveControllers(undefined), CONTROLLER_NAMES);
  assert.deepEqual(CONTROLLER_NAMES.slice().sort(), ['deployment', 'endpoints', 'garbagecollector', 'nodeipam', 'nodelifecycle', 'replicaset']);
  assert.deepEqual(resolveControllers(['nodelifecycle', ' garbagecollector', 'nodelifecycle']), ['nodelifecycle', 'garbagecollector']);
  assert.throws(() => resolveControllers(['gc', 'x']), /unknown controllers gc, x; known: deployment/);
  assert.throws(() => resolveControllers(['']), /no controller selected/);
});
