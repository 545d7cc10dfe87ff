import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyObject } from '../../lib/api/kinds.js';
import { eventFor, type EventMemo, type WatchFilter } from './watch-events.js';

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

test('a filter matching everything needs no previous state, and gets the change as it is', () => {
  const all: WatchFilter = { matches: () => true, matchesAll: true };
  const change = {
    type: 'MODIFIED' as const,
    obj: obj('a', 'front'),
    get prev(): never {
      throw new Error('prev decoded');
    },
    rev: 3,
  };
  assert.equal(eventFor(change, all)?.type, 'MODIFIED');
  assert.equal(eventFor(change, { ...all, namespace: 'default' })?.type, 'MODIFIED');
  assert.equal(eventFor(change, { ...all, namespace: 'other' }), undefined);
});

test('watchers given the same memo share one event per type of a change', () => {
  const memo: EventMemo = new Map();
  const all: WatchFilter = { matches: () => true, matchesAll: true };
  const back: WatchFilter = { matches: (o) => o.metadata?.labels?.tier === 'back' };
  const change = { type: 'MODIFIED' as const, obj: obj('a', 'front'), prev: obj('a', 'back'), rev: 8 };
  const a = eventFor(change, all, memo);
  const b = eventFor(change, { ...front }, memo);
  const left = eventFor(change, back, memo);
  assert.equal(a?.type, 'MODIFIED');
  assert.equal(b?.type, 'ADDED');
  assert.equal(left?.type, 'DELETED');
  assert.equal(left?.obj.metadata?.resourceVersion, '8');
  assert.equal(eventFor(change, all, memo), a);
  assert.equal(eventFor(change, front, memo), b);
  assert.equal(eventFor(change, back, memo), left);
});
