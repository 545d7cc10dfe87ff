import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo, type AnyObject } from '../lib/api/kinds.js';
import type { Deployment, Secret } from '../lib/api/generated/types.js';
import { LAST_APPLIED, planApply, threeWayMerge, foldStringData } from './merge.js';

const DEP = kindInfo('Deployment');

function desiredDeployment(image = 'nginx:1.14.2', extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }] }] } },
      ...extra,
    },
  };
}

/** What the apiserver would store: identity, defaults inside containers and ports, a status. */
function stored(sent: AnyObject): Deployment {
  const d = structuredClone(sent) as Deployment;
  d.metadata = { ...d.metadata, uid: 'u1', resourceVersion: '7', generation: 1, creationTimestamp: '2024-01-01T00:00:00Z' };
  d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  d.spec!.revisionHistoryLimit = 10;
  for (const c of d.spec!.template!.spec!.containers!) {
    c.imagePullPolicy = 'IfNotPresent';
    c.terminationMessagePath = '/dev/termination-log';
    for (const p of c.ports ?? []) p.protocol = 'TCP';
  }
  d.status = { replicas: 3, readyReplicas: 3 };
  return d;
}

test('no live object: create, recording the applied configuration', () => {
  const plan = planApply(DEP, desiredDeployment(), undefined);
  assert.equal(plan.action, 'create');
  const rec = JSON.parse(plan.object.metadata!.annotations![LAST_APPLIED]!);
  assert.deepEqual(rec, desiredDeployment());
});

test('the same file against what the server stored (with its defaults) is unchanged', () => {
  const live = stored(planApply(DEP, desiredDeployment(), undefined).object);
  assert.equal(planApply(DEP, desiredDeployment(), live).action, 'unchanged');
});

test('a changed field is an update carrying the live resourceVersion and keeping server defaults', () => {
  const live = stored(planApply(DEP, desiredDeployment(), undefined).object);
  const plan = planApply(DEP, desiredDeployment('nginx:1.16.1'), live);
  assert.equal(plan.action, 'update');
  const d = plan.object as Deployment;
  assert.equal(d.metadata?.resourceVersion, '7');
  const c = d.spec!.template!.spec!.containers![0]!;
  assert.equal(c.image, 'nginx:1.16.1');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.ports![0]!.protocol, 'TCP');
  assert.equal(d.spec!.revisionHistoryLimit, 10);
  assert.match(d.metadata!.annotations![LAST_APPLIED]!, /nginx:1\.16\.1/);
});

test('a field removed from the file is removed; fields nobody applied stay', () => {
  const first = desiredDeployment();
  first.metadata!.annotations = { team: 'a', owner: 'b' };
  const live = stored(planApply(DEP, first, undefined).object);
  live.metadata!.annotations!['someone.else/added'] = 'x';
  const second = desiredDeployment();
  second.metadata!.annotations = { team: 'a' };
  delete second.spec!.replicas;
  delete second.metadata!.labels;
  const plan = planApply(DEP, second, live);
  assert.equal(plan.action, 'update');
  const d = plan.object as Deployment;
  assert.equal(d.metadata!.annotations!.owner, undefined);
  assert.equal(d.metadata!.annotations!.team, 'a');
  assert.equal(d.metadata!.annotations!['someone.else/added'], 'x');
  assert.equal(d.metadata!.labels, undefined);
  assert.equal(d.spec!.replicas, undefined, 'replicas goes back to the server default');
});

test('numbers and strings for quantities compare as the server stores them', () => {
  const desired = desiredDeployment();
  desired.spec!.template!.spec!.containers![0]!.resources = { requests: { cpu: 1 as unknown as string } };
  const live = stored(planApply(DEP, desired, undefined).object);
  live.spec!.template!.spec!.containers![0]!.resources = { requests: { cpu: '1' } };
  assert.equal(planApply(DEP, desired, live).action, 'unchanged');
});

test('status in the file is sent on create, never recorded or merged', () => {
  const withStatus = { ...desiredDeployment(), status: { replicas: 9 } } as AnyObject;
  const plan = planApply(DEP, withStatus, undefined);
  assert.deepEqual((plan.object as Deployment).status, { replicas: 9 });
  assert.ok(!plan.object.metadata!.annotations![LAST_APPLIED]!.includes('status'));
  const live = stored(planApply(DEP, desiredDeployment(), undefined).object);
  assert.equal(planApply(DEP, withStatus, live).action, 'unchanged');
});

test('threeWayMerge: lists of named elements merge by name; dropped ones go, foreign ones stay', () => {
  const last = { c: [{ name: 'a', v: 1 }, { name: 'b', v: 1 }] };
  const live = { c: [{ name: 'a', v: 1, d: 'default' }, { name: 'b', v: 1 }, { name: 'z', v: 0 }] };
  const desired = { c: [{ name: 'a', v: 2 }] };
  assert.deepEqual(threeWayMerge(last, live, desired), { c: [{ name: 'a', v: 2, d: 'default' }, { name: 'z', v: 0 }] });
});

test('threeWayMerge: null removes a key; scalar lists are replaced', () => {
  assert.deepEqual(threeWayMerge({}, { a: 1, b: 2, l: [1, 2] }, { a: null, l: [3] }), { b: 2, l: [3] });
});

test('a Secret written with stringData is unchanged when data holds the same values', () => {
  const info = kindInfo('Secret');
  const desired: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } };
  const created = planApply(info, desired, undefined).object as Secret;
  const live: Secret = { ...created, metadata: { ...created.metadata, resourceVersion: '3' }, data: { password: Buffer.from('hunter2').toString('base64') }, type: 'Opaque' };
  delete live.stringData;
  assert.equal(planApply(info, desired, live).action, 'unchanged');
  assert.equal(planApply(info, { ...desired, stringData: { password: 'other' } }, live).action, 'update');
  assert.deepEqual(foldStringData(info, { stringData: { a: 'x' }, data: { b: 'eQ==' } }), { data: { b: 'eQ==', a: 'eA==' } });
});
