import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as T from './generated/types.js';
import { KINDS, kindInfo, type AnyObject, type KindName } from './kinds.js';
import { decode, encode } from './schema.js';
import { apiObjectBytes, listResponseBytes, objectBytes, watchEventBytes } from './wire-bytes.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', uid: 'u-1', labels: { app: 'web' }, generation: 3, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'r-1', controller: true }] },
  spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1' } }, ports: [{ containerPort: 80 }] }] },
  status: { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }] },
} as AnyObject;

/** What the apiserver stores: the object without its resourceVersion. */
const stored = (o: AnyObject) => encode(kindInfo(o.kind as KindName).message, { ...o, metadata: { ...o.metadata, resourceVersion: undefined } });

test('an object spliced from its stored bytes decodes as the object at that revision', () => {
  const info = kindInfo('Pod');
  const got = decode<AnyObject>(info.message, objectBytes(info, stored(pod), 1234));
  assert.deepEqual(got, { ...pod, metadata: { ...pod.metadata, resourceVersion: '1234' } });
});

test('apiVersion and kind come from the kind, whatever the stored bytes say; a missing metadata is added', () => {
  const info = kindInfo('ConfigMap');
  const odd = encode(info.message, { apiVersion: 'v0', data: { a: 'b' } });
  assert.deepEqual(decode(info.message, objectBytes(info, odd, 7)), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '7' }, data: { a: 'b' } });
});

test('every kind: stored bytes → ApiObject, WatchEvent and ListResponse decode to the object at its revision', () => {
  for (const info of KINDS) {
    const o = { apiVersion: info.apiVersion, kind: info.kind, metadata: { name: 'x'.repeat(200), labels: { a: 'b' } } } as AnyObject;
    const object = apiObjectBytes(info, objectBytes(info, stored(o), 99));
    const want = { ...o, metadata: { ...o.metadata, resourceVersion: '99' } };
    assert.deepEqual(decode<T.ApiObject>('ApiObject', object), { [info.field]: want }, info.kind);
    assert.deepEqual(decode<T.WatchEvent>('WatchEvent', watchEventBytes('MODIFIED', object, '99')), { type: 'MODIFIED', object: { [info.field]: want }, resourceVersion: '99' });
    assert.deepEqual(decode<T.ListResponse>('ListResponse', listResponseBytes('100', [object, object])), { resourceVersion: '100', items: [{ [info.field]: want }, { [info.field]: want }] });
  }
});

test('large metadata (multi-byte lengths) splices correctly', () => {
  const info = kindInfo('ConfigMap');
  const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', annotations: { note: 'n'.repeat(70_000) } }, data: { d: 'y'.repeat(300_000) } } as AnyObject;
  const got = decode<AnyObject>(info.message, objectBytes(info, stored(big), 123456789));
  assert.deepEqual(got, { ...big, metadata: { ...big.metadata, resourceVersion: '123456789' } });
});

test('an empty list', () => {
  assert.deepEqual(decode<T.ListResponse>('ListResponse', listResponseBytes('5', [])), { resourceVersion: '5' });
});
