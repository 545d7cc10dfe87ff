import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from '../../lib/api/generated/types.js';
import {
  calculateStatus,
  rolloutStatus,
  pauseCondition,
  deploymentComplete,
  setCondition,
  condition,
  getCondition,
  statusChanged,
  msUntilDeadlineCheck,
  AVAILABLE,
  PROGRESSING,
  Reason,
} from './status.js';
import { deployment, replicaSet, T0 } from './testing.js';

test('counts are summed over the ReplicaSets; updated is the new one\'s', () => {
  const d = deployment({ replicas: 4, unavailable: 1, generation: 3 });
  const old = replicaSet('old', { spec: 2, pods: 3, available: 2, ready: 3 });
  const nu = replicaSet('new', { spec: 3, pods: 2, available: 1, ready: 1 });
  const s = calculateStatus(d, [old, nu], nu, T0);
  assert.equal(s.observedGeneration, 3);
  assert.equal(s.replicas, 5);
  assert.equal(s.updatedReplicas, 2);
  assert.equal(s.readyReplicas, 4);
  assert.equal(s.availableReplicas, 3);
  assert.equal(s.unavailableReplicas, 2);
  assert.equal(getCondition(s, AVAILABLE)?.status, 'True');
  assert.equal(getCondition(s, AVAILABLE)?.reason, Reason.MinimumReplicasAvailable);
  const short = calculateStatus(d, [replicaSet('new', { spec: 4, available: 2 })], undefined, T0);
  assert.equal(getCondition(short, AVAILABLE)?.status, 'False');
  assert.equal(getCondition(short, AVAILABLE)?.reason, Reason.MinimumReplicasUnavailable);
});

test('conditions: same status and reason leave the condition untouched; same status keeps the transition time', () => {
  const a = condition(AVAILABLE, 'True', 'X', 'm', T0);
  assert.deepEqual(setCondition([a], condition(AVAILABLE, 'True', 'X', 'other', T0 + 5000)), [a]);
  const b = setCondition([a], condition(AVAILABLE, 'True', 'Y', 'm', T0 + 5000))[0]!;
  assert.equal(b.reason, 'Y');
  assert.equal(b.lastTransitionTime, a.lastTransitionTime);
  const c = setCondition([a], condition(AVAILABLE, 'False', 'Y', 'm', T0 + 5000))[0]!;
  assert.equal(c.lastTransitionTime, new Date(T0 + 5000).toISOString());
});

function withStatus(d: Deployment, s: Deployment['status']): Deployment {
  return { ...d, status: s };
}

test('progressing: more updated pods refresh the condition; completion says the new set progressed', () => {
  const d = deployment({ replicas: 2 });
  const old = replicaSet('old', { spec: 1 });
  const nu = replicaSet('new', { spec: 1, available: 0 });
  const s1 = rolloutStatus(d, [old, nu], nu, T0);
  const p1 = getCondition(s1, PROGRESSING)!;
  assert.equal(p1.reason, Reason.ReplicaSetUpdated);
  assert.equal(p1.message, 'ReplicaSet "new" is progressing.');

  const d2 = withStatus(d, s1);
  const nu2 = replicaSet('new', { spec: 2, available: 2 });
  const s2 = rolloutStatus(d2, [replicaSet('old', { spec: 0 }), nu2], nu2, T0 + 10_000);
  assert.ok(deploymentComplete(d2, s2));
  const p2 = getCondition(s2, PROGRESSING)!;
  assert.equal(p2.reason, Reason.NewReplicaSetAvailable);
  assert.equal(p2.status, 'True');
  assert.equal(p2.message, 'ReplicaSet "new" has successfully progressed.');
  assert.equal(msUntilDeadlineCheck(d2, s2, T0 + 10_000), undefined);
});

test('no progress past the deadline is reported as ProgressDeadlineExceeded', () => {
  const d = deployment({ replicas: 2, progressDeadlineSeconds: 30 });
  const nu = replicaSet('new', { spec: 2, pods: 1, available: 0 });
  const s1 = rolloutStatus(d, [nu], nu, T0);
  assert.equal(getCondition(s1, PROGRESSING)?.reason, Reason.ReplicaSetUpdated);
  const d1 = withStatus(d, s1);
  assert.equal(msUntilDeadlineCheck(d1, s1, T0 + 10_000), 21_000);
  const same = rolloutStatus(d1, [nu], nu, T0 + 20_000);
  assert.ok(!statusChanged(s1, same), 'no progress, no deadline yet: nothing to write');
  const late = rolloutStatus(d1, [nu], nu, T0 + 31_000);
  const p = getCondition(late, PROGRESSING)!;
  assert.equal(p.status, 'False');
  assert.equal(p.reason, Reason.ProgressDeadlineExceeded);
  assert.equal(p.message, 'ReplicaSet "new" has timed out progressing.');
});

test('pause and resume set Progressing Unknown, but never hide a timeout', () => {
  const paused = deployment({ paused: true });
  assert.equal(pauseCondition(paused, T0)?.reason, Reason.DeploymentPaused);
  const shown = withStatus(paused, { conditions: [condition(PROGRESSING, 'Unknown', Reason.DeploymentPaused, 'Deployment is paused', T0)] });
  assert.equal(pauseCondition(shown, T0), undefined);
  const resumed = withStatus(deployment(), shown.status);
  assert.equal(pauseCondition(resumed, T0)?.reason, Reason.DeploymentResumed);
  const timedOut = withStatus(paused, { conditions: [condition(PROGRESSING, 'False', Reason.ProgressDeadlineExceeded, 'x', T0)] });
  assert.equal(pauseCondition(timedOut, T0), undefined);
});

test('a ReplicaSet\'s ReplicaFailure is surfaced on the Deployment and cleared with it', () => {
  const d = deployment({ replicas: 1 });
  const nu = replicaSet('new', { spec: 1, pods: 0, available: 0 });
  nu.status!.conditions = [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'forbidden' }];
  const s = rolloutStatus(d, [nu], nu, T0);
  assert.equal(getCondition(s, 'ReplicaFailure')?.reason, 'FailedCreate');
  const healthy = replicaSet('new', { spec: 1 });
  const fixed = rolloutStatus(withStatus(d, s), [healthy], healthy, T0);
  assert.equal(getCondition(fixed, 'ReplicaFailure'), undefined);
});

test('status comparison ignores zeros the wire drops', () => {
  assert.ok(!statusChanged({ replicas: 2 }, { replicas: 2, unavailableReplicas: 0, conditions: [] }));
  assert.ok(statusChanged({ replicas: 2 }, { replicas: 3 }));
});
