import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../errors.js';
import {
  DEFAULT_REGISTRY,
  defaultRegistry,
  digestReference,
  formatReference,
  manifestReference,
  parseImageReference,
  registryAddressProblem,
} from './reference.js';

const D = `sha256:${'ab'.repeat(32)}` as const;
const opts = { defaultRegistry: '127.0.0.1:5000' };

test('a bare name resolves to the default registry and tag latest', () => {
  assert.deepEqual(parseImageReference('busybox', opts), { registry: '127.0.0.1:5000', repository: 'busybox', tag: 'latest' });
  assert.equal(formatReference(parseImageReference('busybox', opts)), '127.0.0.1:5000/busybox:latest');
  assert.equal(formatReference(parseImageReference('team/web:1.2', opts)), '127.0.0.1:5000/team/web:1.2');
});

test('a first component with a dot, a colon or localhost is a registry host', () => {
  assert.deepEqual(parseImageReference('registry.local/web:1', opts), { registry: 'registry.local', repository: 'web', tag: '1' });
  assert.deepEqual(parseImageReference('10.0.0.1:5000/a/b', opts), { registry: '10.0.0.1:5000', repository: 'a/b', tag: 'latest' });
  assert.deepEqual(parseImageReference('localhost/web', opts), { registry: 'localhost', repository: 'web', tag: 'latest' });
  assert.deepEqual(parseImageReference('[::1]:5000/web:2', opts), { registry: '[::1]:5000', repository: 'web', tag: '2' });
  // Without a host-like first component, a path is all repository.
  assert.deepEqual(parseImageReference('library/busybox', opts), { registry: '127.0.0.1:5000', repository: 'library/busybox', tag: 'latest' });
});

test('a digest pins the image; a tag beside it is kept but the digest is what is asked for', () => {
  const byDigest = parseImageReference(`web@${D}`, opts);
  assert.deepEqual(byDigest, { registry: '127.0.0.1:5000', repository: 'web', digest: D });
  assert.equal(manifestReference(byDigest), D);
  const both = parseImageReference(`127.0.0.1:5000/web:1@${D}`, opts);
  assert.equal(both.tag, '1');
  assert.equal(manifestReference(both), D);
  assert.equal(formatReference(both), `127.0.0.1:5000/web:1@${D}`);
  assert.equal(digestReference(both, D), `127.0.0.1:5000/web@${D}`);
});

test('parse errors say what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['Busybox', /must be lowercase/],
    ['web:', /tag "" is invalid/],
    ['web:-x', /tag "-x" is invalid/],
    ['web@sha256:123', /not a digest/],
    ['http://127.0.0.1:5000/web', /scheme/],
    ['a//b', /empty path component/],
    ['bad host:5000/web', /whitespace/],
    ['127.0.0.1:99999/web', /port 99999 is out of range/],
    ['web..x', /"web..x" is invalid/],
  ];
  for (const [input, why] of cases) {
    assert.throws(
      () => parseImageReference(input, opts),
      (e: unknown) => e instanceof ApiError && e.code === 'BadRequest' && why.test(e.message) && e.message.includes(`"${input}"`),
      `input ${JSON.stringify(input)}`,
    );
  }
});

test('the default registry comes from TUG_REGISTRY, checked, else 127.0.0.1:5000', () => {
  assert.equal(defaultRegistry({}), DEFAULT_REGISTRY);
  assert.equal(defaultRegistry({ TUG_REGISTRY: '10.1.0.1:5000' }), '10.1.0.1:5000');
  assert.throws(() => defaultRegistry({ TUG_REGISTRY: 'http://x:5000' }), /TUG_REGISTRY="http:\/\/x:5000" is not a registry address/);
  assert.equal(registryAddressProblem('registry.local:443'), undefined);
  assert.match(registryAddressProblem('a/b') ?? '', /without a scheme or path/);
});
