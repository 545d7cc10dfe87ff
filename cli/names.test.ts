import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo } from '../lib/api/kinds.js';
import { notFoundMessage, parseObjectArgs, qualifiedName, resourceRef } from './names.js';

test('kubectl names: group suffix for apps kinds, none for core kinds', () => {
  assert.equal(qualifiedName(kindInfo('Deployment'), 'web'), 'deployment.apps/web');
  assert.equal(qualifiedName(kindInfo('ReplicaSet'), 'x'), 'replicaset.apps/x');
  assert.equal(qualifiedName(kindInfo('Pod'), 'x'), 'pod/x');
  assert.equal(qualifiedName(kindInfo('ConfigMap'), 'x'), 'configmap/x');
  assert.equal(resourceRef(kindInfo('Deployment'), 'web'), 'deployments.apps "web"');
  assert.equal(notFoundMessage(kindInfo('Deployment'), 'x'), 'Error from server (NotFound): deployments.apps "x" not found');
});

test('object arguments: KIND NAME..., comma-separated kinds, KIND/NAME, short names', () => {
  const a = parseObjectArgs(['deploy', 'web', 'api']);
  assert.deepEqual(a.kinds.map((k) => k.kind), ['Deployment']);
  assert.deepEqual(a.names.map((n) => n.name), ['web', 'api']);

  const b = parseObjectArgs(['deploy,svc,po']);
  assert.deepEqual(b.kinds.map((k) => k.kind), ['Deployment', 'Service', 'Pod']);
  assert.equal(b.names.length, 0);

  const c = parseObjectArgs(['deployment/web', 'svc/web']);
  assert.deepEqual(c.names.map((n) => `${n.info.kind}:${n.name}`), ['Deployment:web', 'Service:web']);

  for (const [alias, kind] of [['po', 'Pod'], ['rs', 'ReplicaSet'], ['ep', 'Endpoints'], ['ns', 'Namespace'], ['no', 'Node'], ['cm', 'ConfigMap'], ['ev', 'Event']]) {
    assert.equal(parseObjectArgs([alias!]).kinds[0]!.kind, kind);
  }
  assert.deepEqual(parseObjectArgs(['all']).kinds.map((k) => k.kind), ['Pod', 'Service', 'Deployment', 'ReplicaSet']);
});

test('object arguments: unknown kinds and mixed forms are errors that say what is accepted', () => {
  assert.throws(() => parseObjectArgs(['frobs']), /doesn't have a resource type "frobs".*deployments\/deploy/);
  assert.throws(() => parseObjectArgs(['deploy/web', 'api']), /KIND\/NAME/);
  assert.throws(() => parseObjectArgs(['deploy,svc', 'web']), /more than one kind/);
  assert.throws(() => parseObjectArgs([]), /specify the type/);
});
