import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  revisionOf,
  maxRevision,
  nextRevision,
  newReplicaSetAnnotations,
  replicasAnnotationsNeedUpdate,
  withReplicasAnnotations,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
} from './revision.js';
import { deployment, replicaSet } from './testing.js';

test('revisions: read from the annotation, the next is one past the highest old one', () => {
  const olds = [replicaSet('a', { revision: 1 }), replicaSet('b', { revision: 4 }), replicaSet('c')];
  assert.equal(revisionOf(olds[1]), 4);
  assert.equal(revisionOf(olds[2]), 0);
  assert.equal(maxRevision(olds), 4);
  assert.equal(nextRevision(olds), 5);
  assert.equal(nextRevision([]), 1);
  const bad = replicaSet('x');
  bad.metadata!.annotations![REVISION_ANNOTATION] = 'seven';
  assert.equal(revisionOf(bad), 0);
});

test('a new ReplicaSet gets the Deployment\'s annotations, minus its bookkeeping, and the revision', () => {
  const d = deployment();
  d.metadata!.annotations = {
    'kubernetes.io/change-cause': 'image to v2',
    [REVISION_ANNOTATION]: '9',
    'kubectl.kubernetes.io/last-applied-configuration': '{}',
  };
  const a = newReplicaSetAnnotations(d, undefined, 3);
  assert.deepEqual(a, { 'kubernetes.io/change-cause': 'image to v2', [REVISION_ANNOTATION]: '3' });
});

test('an old template brought back takes the new revision and remembers its old one', () => {
  const d = deployment();
  const rs = replicaSet('r', { revision: 1 });
  const a = newReplicaSetAnnotations(d, rs, 3);
  assert.equal(a[REVISION_ANNOTATION], '3');
  assert.equal(a[REVISION_HISTORY_ANNOTATION], '1');
  const again = newReplicaSetAnnotations(d, { ...rs, metadata: { ...rs.metadata, annotations: a } }, 5);
  assert.equal(again[REVISION_ANNOTATION], '5');
  assert.equal(again[REVISION_HISTORY_ANNOTATION], '1,3');
  // the current revision is never lowered
  assert.equal(newReplicaSetAnnotations(d, replicaSet('r', { revision: 6 }), 2)[REVISION_ANNOTATION], '6');
});

test('replica annotations record the size a set was scaled for', () => {
  const rs = replicaSet('r', { desired: 3, max: 4 });
  assert.ok(!replicasAnnotationsNeedUpdate(rs, 3, 4));
  assert.ok(replicasAnnotationsNeedUpdate(rs, 5, 6));
  assert.deepEqual(withReplicasAnnotations({ x: 'y' }, 5, 6), { x: 'y', [DESIRED_REPLICAS_ANNOTATION]: '5', [MAX_REPLICAS_ANNOTATION]: '6' });
});
