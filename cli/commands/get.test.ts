import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo, type AnyObject } from '../../lib/api/kinds.js';
import { noResourcesMessage, sortForTable } from './get.js';

test('the empty-result message names the namespace only where it applies', () => {
  assert.equal(noResourcesMessage([kindInfo('Pod')], 'default', false), 'No resources found in default namespace.');
  assert.equal(noResourcesMessage([kindInfo('Pod')], 'default', true), 'No resources found');
  assert.equal(noResourcesMessage([kindInfo('Node')], 'default', false), 'No resources found');
});

test('tables sort by namespace then name; events by when they were last seen', () => {
  const o = (ns: string, name: string) => ({ metadata: { namespace: ns, name } }) as AnyObject;
  assert.deepEqual(
    sortForTable(kindInfo('Pod'), [o('b', 'a'), o('a', 'z'), o('a', 'b')], true).map((x) => `${x.metadata!.namespace}/${x.metadata!.name}`),
    ['a/b', 'a/z', 'b/a'],
  );
  const ev = (name: string, t: string) => ({ metadata: { name }, lastTimestamp: t }) as AnyObject;
  assert.deepEqual(
    sortForTable(kindInfo('Event'), [ev('a', '2024-01-01T00:00:09Z'), ev('b', '2024-01-01T00:00:01Z')], false).map((x) => x.metadata!.name),
    ['b', 'a'],
  );
});
