// scripts/run-tests.mjs (what `npm test` runs) decides which compiled tests run; its choices are pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

interface RunTests {
  sourceOf(distFile: string): string;
  suiteOf(source: string): 'unit' | 'integration' | 'e2e';
  selectTests(sources: string[], filters: string[]): string[];
}

// From dist/lib/testing/ back to the repository's scripts/, which the build does not copy.
const runTests = (await import(new URL('../../../scripts/run-tests.mjs', import.meta.url).href)) as RunTests;

const sources = [
  'apiserver/storage.integration.test.ts',
  'e2e/scale.test.ts',
  'lib/labels.test.ts',
  'lib/testing/etcd.integration.test.ts',
  'scheduler/plugins.test.ts',
  'agent/runtime/runc.e2e.test.ts',
];

test('suiteOf classifies tests by path: e2e/ or .e2e., .integration., else unit', () => {
  assert.equal(runTests.suiteOf('e2e/scale.test.ts'), 'e2e');
  assert.equal(runTests.suiteOf('agent/runtime/runc.e2e.test.ts'), 'e2e');
  assert.equal(runTests.suiteOf('apiserver/storage.integration.test.ts'), 'integration');
  assert.equal(runTests.suiteOf('lib/labels.test.ts'), 'unit');
});

test('selectTests keeps everything without filters', () => {
  assert.deepEqual(runTests.selectTests(sources, []), sources);
});

test('selectTests picks a suite by name', () => {
  assert.deepEqual(runTests.selectTests(sources, ['unit']), ['lib/labels.test.ts', 'scheduler/plugins.test.ts']);
  assert.deepEqual(runTests.selectTests(sources, ['e2e']), ['e2e/scale.test.ts', 'agent/runtime/runc.e2e.test.ts']);
});

test('selectTests picks by path substring and unions several filters', () => {
  assert.deepEqual(runTests.selectTests(sources, ['lib/']), [
    'lib/labels.test.ts',
    'lib/testing/etcd.integration.test.ts',
  ]);
  assert.deepEqual(runTests.selectTests(sources, ['labels', 'integration']), [
    'apiserver/storage.integration.test.ts',
    'lib/labels.test.ts',
    'lib/testing/etcd.integration.test.ts',
  ]);
  assert.deepEqual(runTests.selectTests(sources, ['nothing-like-this']), []);
});

test('sourceOf maps a compiled test back to its TypeScript source', () => {
  const compiled = new URL('../../../dist/lib/x.test.js', import.meta.url).pathname;
  assert.equal(runTests.sourceOf(compiled), 'lib/x.test.ts');
});
