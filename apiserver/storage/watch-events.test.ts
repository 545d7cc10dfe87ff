import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyObject } from '../../lib/api/kinds.js';
import { eventFor, type WatchFilter } from './watch-events.js';

const obj = (name: string, tier: string, ns = 'default') => ({ metadata: { name, namespace: ns, labels: { tier } } }) as AnyObject;
const front: WatchFilter = { matches: (o) => o.metadata?.labels?.tier === 'front' };

test('changes inside the filter pass with their own type', () => {
  assert.equal(eventFor({ type: 'ADDED', obj: obj('a', 'front'), rev: 2 }, front)?.type, 'ADDED');
  assert.equal(eventFor({ type: 'MODIFIED', obj: obj('a', 'front'), prev: obj('a', 'front'), rev: 3 }, front)?.type, 'MODIFIED');
  const del = eventFor({ type: 'DELETED', obj: obj('a', 'front'), rev: 4 }, front);
  assert.equal(del?.type, 'DELETED');
  assert.equal(del?.obj.metadata?.resourceVersion, '4');
});

test('an object entering the filter is ADDED, one leaving it is DELETED with its last matching state', () => {
  assert.equal(eventFor({ type: 'MODIFIED', obj: obj('a', 'front'), prev: obj('a', 'back'), rev: 5 }, front)?.type, 'ADDED');
  const left = eventFor({ type: 'MODIFIED', obj: obj('a', 'back'), prev: obj('a', 'front'), rev: 6 }, front);
  assert.equal(left?.type, 'DELETED');
  assert.equal(left?.obj.metadata?.labels?.tier, 'front');
  assert.equal(left?.obj.metadata?.resourceVersion, '6');
});

test('changes outside the filter or namespace are not delivered', () => {
  assert.equal(eventFor({ type: 'ADDED', obj: obj('a', 'back'), rev: 2 }, front), undefined);
  assert.equal(eventFor({ type: 'MODIFIED', obj: obj('a', 'back'), prev: obj('a', 'back'), rev: 3 }, front), undefined);
  assert.equal(eventFor({ type: 'ADDED', obj: obj('a', 'front', 'other'), rev: 2 }, { ...front, namespace: 'default' }), undefined);
});
