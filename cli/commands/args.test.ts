import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDryRun } from './apply.js';
import { parseCascade, parseGracePeriod } from './delete.js';
import { parseReplicas } from './scale.js';

test('--cascade takes kubectl spellings', () => {
  assert.equal(parseCascade(undefined), 'Background');
  assert.equal(parseCascade('foreground'), 'Foreground');
  assert.equal(parseCascade('orphan'), 'Orphan');
  assert.equal(parseCascade('false'), 'Orphan');
  assert.throws(() => parseCascade('sideways'), /background, foreground or orphan/);
});

test('--grace-period: whole seconds; negative means the default', () => {
  assert.equal(parseGracePeriod('0'), 0);
  assert.equal(parseGracePeriod('-1'), undefined);
  assert.equal(parseGracePeriod(undefined), undefined);
  assert.throws(() => parseGracePeriod('soon'), /whole number/);
});

test('--replicas must be a whole number >= 0', () => {
  assert.equal(parseReplicas('5', '--replicas'), 5);
  assert.throws(() => parseReplicas('-1', '--replicas'), />= 0/);
  assert.throws(() => parseReplicas('2.5', '--replicas'), />= 0/);
});

test('--dry-run: none, client (also bare), server', () => {
  assert.equal(parseDryRun(undefined), 'none');
  assert.equal(parseDryRun(true), 'client');
  assert.equal(parseDryRun('server'), 'server');
  assert.throws(() => parseDryRun('maybe'), /none, client or server/);
});
