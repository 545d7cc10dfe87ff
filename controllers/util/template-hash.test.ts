import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodTemplateSpec } from '../../lib/api/generated/types.js';
import { computeTemplateHash, templatesEqualIgnoringHash, randomSuffix, POD_TEMPLATE_HASH_LABEL } from './template-hash.js';

const tmpl = (): PodTemplateSpec => ({
  metadata: { labels: { app: 'web', tier: 'front' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }], restartPolicy: 'Always' },
});

test('the hash is a fixed value for a fixed template (stable across releases and processes)', () => {
  const h = computeTemplateHash(tmpl());
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(computeTemplateHash(JSON.parse(JSON.stringify(tmpl()))), h);
  // Pinned: a change here renames the ReplicaSets of every existing Deployment
  // (each would be rolled out again after an upgrade).
  assert.equal(h, 'm7mxkj4');
});

test('key order, absent and empty values do not change the hash', () => {
  const a = tmpl();
  const b: PodTemplateSpec = {
    spec: { restartPolicy: 'Always', volumes: [], nodeSelector: {}, containers: [{ ports: [{ containerPort: 80 }], image: 'nginx:1', name: 'c', args: undefined }] },
    metadata: { annotations: {}, labels: { tier: 'front', app: 'web' } },
  };
  assert.equal(computeTemplateHash(a), computeTemplateHash(b));
  assert.ok(templatesEqualIgnoringHash(a, b));
});

test('the pod-template-hash label is ignored', () => {
  const a = tmpl();
  const b = tmpl();
  b.metadata!.labels![POD_TEMPLATE_HASH_LABEL] = 'xyz';
  assert.equal(computeTemplateHash(a), computeTemplateHash(b));
  assert.ok(templatesEqualIgnoringHash(a, b));
});

test('any change to the template changes the hash and equality', () => {
  const base = computeTemplateHash(tmpl());
  const img = tmpl();
  img.spec!.containers![0]!.image = 'nginx:2';
  const lbl = tmpl();
  lbl.metadata!.labels!.tier = 'back';
  const port = tmpl();
  port.spec!.containers![0]!.ports![0]!.containerPort = 81;
  for (const t of [img, lbl, port]) {
    assert.notEqual(computeTemplateHash(t), base);
    assert.ok(!templatesEqualIgnoringHash(t, tmpl()));
  }
});

test('collisionCount moves the hash, and each count gives its own hash', () => {
  const hashes = new Set([undefined, 1, 2, 3].map((c) => computeTemplateHash(tmpl(), c)));
  assert.equal(hashes.size, 4);
  assert.equal(computeTemplateHash(tmpl(), 0), computeTemplateHash(tmpl()));
});

test('random suffixes use the safe alphabet and the asked length', () => {
  for (let i = 0; i < 50; i++) assert.match(randomSuffix(), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});
