import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { parseFieldSelector, supportedFields } from './fields.js';
import type { AnyObject, KindName } from './api/kinds.js';

const pod = (name: string, ns: string, nodeName?: string, phase?: string): AnyObject => ({
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
  status: { phase },
});

test('metadata.name and metadata.namespace for every kind', () => {
  const s = parseFieldSelector('metadata.name=web,metadata.namespace==prod', 'Pod');
  assert.equal(s.matches(pod('web', 'prod')), true);
  assert.equal(s.matches(pod('web', 'dev')), false);
  assert.equal(s.matches(pod('db', 'prod')), false);
  const cm = parseFieldSelector('metadata.name=settings', 'ConfigMap');
  assert.equal(cm.matches({ metadata: { name: 'settings' } } as AnyObject), true);
  const ns = parseFieldSelector('metadata.name!=default', 'Namespace');
  assert.equal(ns.matches({ metadata: { name: 'default' } } as AnyObject), false);
  assert.equal(ns.matches({ metadata: { name: 'kube-system' } } as AnyObject), true);
});

test('pod spec.nodeName and status.phase', () => {
  const bound = parseFieldSelector('spec.nodeName=node-1', 'Pod');
  assert.equal(bound.matches(pod('a', 'd', 'node-1')), true);
  assert.equal(bound.matches(pod('a', 'd', 'node-2')), false);
  assert.equal(bound.exactValue('spec.nodeName'), 'node-1');
  // an absent field reads as "": this is how the scheduler finds unbound pods
  const unbound = parseFieldSelector('spec.nodeName=', 'Pod');
  assert.equal(unbound.matches(pod('a', 'd')), true);
  assert.equal(unbound.matches(pod('a', 'd', 'node-1')), false);
  const notDone = parseFieldSelector('status.phase!=Succeeded,status.phase!=Failed', 'Pod');
  assert.equal(notDone.matches(pod('a', 'd', 'n', 'Running')), true);
  assert.equal(notDone.matches(pod('a', 'd', 'n', 'Failed')), false);
  assert.equal(notDone.exactValue('status.phase'), undefined);
});

test('node spec.unschedulable reads as true/false', () => {
  const s = parseFieldSelector('spec.unschedulable=false', 'Node');
  assert.equal(s.matches({ metadata: { name: 'n' }, spec: {} } as AnyObject), true);
  assert.equal(s.matches({ metadata: { name: 'n' }, spec: { unschedulable: true } } as AnyObject), false);
  assert.equal(parseFieldSelector('spec.unschedulable=true', 'Node').matches({ spec: { unschedulable: true } } as AnyObject), true);
});

test('empty selector matches everything', () => {
  const s = parseFieldSelector('', 'Pod');
  assert.equal(s.isEmpty(), true);
  assert.equal(s.matches(pod('a', 'b')), true);
  assert.equal(parseFieldSelector('a'.slice(1), 'Node').isEmpty(), true);
});

test('unsupported field is refused naming it and listing the supported ones', () => {
  assert.throws(
    () => parseFieldSelector('spec.nodeName=x', 'Service'),
    (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 'BadRequest');
      assert.match(e.message, /"spec\.nodeName" is not supported for Service; supported fields: metadata\.name, metadata\.namespace/);
      return true;
    },
  );
  assert.throws(() => parseFieldSelector('spec.unschedulable=true', 'Pod'), /spec\.nodeName/);
  assert.ok(supportedFields('Node').includes('spec.unschedulable'));
});

test('malformed terms are refused', () => {
  for (const bad of ['metadata.name', 'metadata.name=a,', '=x', 'metadata.name<3', 'metadata.name=a=b', 'metadata.name=a\\']) {
    assert.throws(
      () => parseFieldSelector(bad, 'Pod'),
      (e: unknown) => e instanceof ApiError && e.code === 'BadRequest' && e.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
});

test('escaped values and toString round trip', () => {
  const s = parseFieldSelector('metadata.name=a\\,b , status.phase != Running', 'Pod');
  assert.deepEqual(s.requirements, [
    { field: 'metadata.name', operator: '=', value: 'a,b' },
    { field: 'status.phase', operator: '!=', value: 'Running' },
  ]);
  assert.equal(s.toString(), 'metadata.name=a\\,b,status.phase!=Running');
  assert.deepEqual(parseFieldSelector(s.toString(), 'Pod').requirements, s.requirements);
});

test('every supported field of every kind selects by its value', () => {
  const samples: [KindName, AnyObject, Record<string, string>][] = [
    [
      'Pod',
      {
        metadata: { name: 'p', namespace: 'ns' },
        spec: { nodeName: 'n1', restartPolicy: 'Never', schedulerName: 's', serviceAccountName: 'sa', hostNetwork: true },
        status: { phase: 'Running', podIP: '10.0.0.1', nominatedNodeName: 'n2' },
      } as AnyObject,
      {
        'spec.nodeName': 'n1',
        'spec.restartPolicy': 'Never',
        'spec.schedulerName': 's',
        'spec.serviceAccountName': 'sa',
        'spec.hostNetwork': 'true',
        'status.phase': 'Running',
        'status.podIP': '10.0.0.1',
        'status.nominatedNodeName': 'n2',
      },
    ],
    ['Namespace', { metadata: { name: 'ns' }, status: { phase: 'Terminating' } } as AnyObject, { 'status.phase': 'Terminating' }],
    ['ReplicaSet', { metadata: { name: 'rs' }, status: { replicas: 3 } } as AnyObject, { 'status.replicas': '3' }],
    ['Secret', { metadata: { name: 's' }, type: 'Opaque' } as AnyObject, { type: 'Opaque' }],
    [
      'Event',
      {
        metadata: { name: 'e' },
        involvedObject: { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'u', apiVersion: 'v1', resourceVersion: '7', fieldPath: 'spec' },
        reason: 'Started',
        reportingComponent: 'agent',
        source: { component: 'kubelet' },
        type: 'Warning',
      } as AnyObject,
      {
        'involvedObject.kind': 'Pod',
        'involvedObject.namespace': 'ns',
        'involvedObject.name': 'p',
        'involvedObject.uid': 'u',
        'involvedObject.apiVersion': 'v1',
        'involvedObject.resourceVersion': '7',
        'involvedObject.fieldPath': 'spec',
        reason: 'Started',
        reportingComponent: 'agent',
        source: 'kubelet',
        type: 'Warning',
      },
    ],
  ];
  for (const [kind, obj, values] of samples) {
    assert.deepEqual(supportedFields(kind).slice(2).sort(), Object.keys(values).sort(), kind);
    for (const [field, value] of Object.entries(values)) {
      assert.equal(parseFieldSelector(`${field}=${value}`, kind).matches(obj), true, `${kind} ${field}=${value}`);
      assert.equal(parseFieldSelector(`${field}=other`, kind).matches(obj), false, `${kind} ${field}=other`);
    }
  }
});
