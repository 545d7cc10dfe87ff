import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignColumns } from './tabwriter.js';

test('cells align within a block of consecutive lines; a line without tabs ends the block', () => {
  const out = alignColumns(['Name:\tweb', 'Namespace:\tdefault', 'Containers:', '  c:\tx', '  longer:\ty'], 2);
  assert.deepEqual(out, ['Name:       web', 'Namespace:  default', 'Containers:', '  c:       x', '  longer:  y']);
});

test('continuation lines with an empty first cell line up under the value', () => {
  assert.deepEqual(alignColumns(['Labels:\ta=b', '\tc=d'], 2), ['Labels:  a=b', '         c=d']);
});
