import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerExpectations } from './expectations.js';

test('creations must all be observed before the key is satisfied', () => {
  const e = new ControllerExpectations();
  assert.ok(e.satisfied('ns/rs'));
  e.expectCreations('ns/rs', 2);
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(e.satisfied('ns/rs'));
  e.creationObserved('ns/rs'); // an unexpected extra observation does not go negative
  assert.deepEqual(e.pending('ns/rs'), { creates: 0, deletes: 0 });
});

test('a deletion is counted once per pod, however often it is observed', () => {
  const e = new ControllerExpectations();
  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/a');
  assert.ok(!e.satisfied('ns/rs'));
  e.deletionObserved('ns/rs', 'ns/c');
  assert.ok(!e.satisfied('ns/rs'));
  e.deletionObserved('ns/rs', 'ns/b');
  assert.ok(e.satisfied('ns/rs'));
});

test('expectations expire so a lost watch event cannot wedge a controller', () => {
  let now = 1000;
  const e = new ControllerExpectations({ ttlMs: 100, now: () => now });
  e.expectCreations('k', 1);
  assert.ok(!e.satisfied('k'));
  now += 101;
  assert.ok(e.satisfied('k'));
});

test('deleting a key forgets it', () => {
  const e = new ControllerExpectations();
  e.expectCreations('k', 3);
  e.delete('k');
  assert.ok(e.satisfied('k'));
});
