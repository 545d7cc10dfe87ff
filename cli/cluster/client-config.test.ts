import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseConfig } from '../config.js';
import { addCluster, removeCluster } from './client-config.js';

test('up makes the new cluster current and keeps what else the file says', () => {
  const one = addCluster(undefined, 'a', '10.250.1.1:6443');
  assert.deepEqual(parseConfig(one, 'c'), { server: '10.250.1.1:6443' });
  const two = addCluster('# mine\nnamespace: dev\n' + one, 'b', '10.250.2.1:6443');
  assert.deepEqual(parseConfig(two, 'c'), { server: '10.250.2.1:6443', namespace: 'dev' });
  assert.match(two, /# mine/);
  assert.deepEqual(parse(two).clusters, { a: { server: '10.250.1.1:6443' }, b: { server: '10.250.2.1:6443' } });
  assert.equal(parse(two)['current-cluster'], 'b');
});

test('down of the current cluster points at one that remains, or drops server:', () => {
  const both = addCluster(addCluster(undefined, 'a', 'A:1'), 'b', 'B:1');
  const onlyA = removeCluster(both, 'b');
  assert.deepEqual(parse(onlyA), { clusters: { a: { server: 'A:1' } }, server: 'A:1', 'current-cluster': 'a' });
  const none = removeCluster(onlyA, 'a');
  assert.deepEqual(parseConfig(none, 'c'), {});
  assert.doesNotMatch(none, /\{\}/);
  // removing a cluster that is not current leaves server: alone
  assert.equal(parse(removeCluster(both, 'a')).server, 'B:1');
});

test('a config that is not a map is an error, not overwritten', () => {
  assert.throws(() => addCluster('- a\n', 'a', 'A:1'), /must be a YAML map/);
  assert.throws(() => addCluster('a: [\n', 'a', 'A:1'), /not valid YAML/);
});
