import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo, type AnyObject } from '../../lib/api/kinds.js';
import type * as T from '../../lib/api/generated/types.js';
import { printTable, headerRow, objectRow, TableFormatter } from './table.js';
import { endpointsText, nodeStatusText, podStatusText, podRestartsText, servicePortsText, selectorText } from './columns.js';

const now = new Date('2024-01-01T01:00:00Z');
const created = '2024-01-01T00:55:00Z';

const deploy: T.Deployment = {
  metadata: { name: 'web', namespace: 'default', creationTimestamp: created, labels: { app: 'web' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2' }] } } },
  status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
};

test('deployments: NAME READY UP-TO-DATE AVAILABLE AGE, aligned with three spaces', () => {
  assert.deepEqual(printTable(kindInfo('Deployment'), [deploy as AnyObject], {}, now), [
    'NAME   READY   UP-TO-DATE   AVAILABLE   AGE',
    'web    2/3     3            2           5m',
  ]);
});

test('-A puts NAMESPACE first, wide adds columns, --show-labels adds LABELS, several kinds qualify names', () => {
  const info = kindInfo('Deployment');
  assert.deepEqual(headerRow(info, { allNamespaces: true, wide: true, showLabels: true }), [
    'NAMESPACE', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR', 'LABELS',
  ]);
  assert.deepEqual(objectRow(info, deploy as AnyObject, { allNamespaces: true, wide: true, showLabels: true, withKind: true }, now), [
    'default', 'deployment.apps/web', '2/3', '3', '2', '5m', 'nginx', 'nginx:1.14.2', 'app=web', 'app=web',
  ]);
  // cluster-scoped kinds get no NAMESPACE column even with -A
  assert.deepEqual(headerRow(kindInfo('Node'), { allNamespaces: true }), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
});

test('every kind has its kubectl columns', () => {
  const heads = (k: Parameters<typeof kindInfo>[0], wide = false) => headerRow(kindInfo(k), { wide }).join(' ');
  assert.equal(heads('Pod'), 'NAME READY STATUS RESTARTS AGE');
  assert.equal(heads('Pod', true), 'NAME READY STATUS RESTARTS AGE IP NODE');
  assert.equal(heads('ReplicaSet'), 'NAME DESIRED CURRENT READY AGE');
  assert.equal(heads('Service'), 'NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE');
  assert.equal(heads('Endpoints'), 'NAME ENDPOINTS AGE');
  assert.equal(heads('Node'), 'NAME STATUS ROLES AGE VERSION');
  assert.equal(heads('Node', true), 'NAME STATUS ROLES AGE VERSION INTERNAL-IP CPU MEMORY');
  assert.equal(heads('Namespace'), 'NAME STATUS AGE');
  assert.equal(heads('Event'), 'LAST SEEN TYPE REASON OBJECT MESSAGE');
  assert.equal(heads('ConfigMap'), 'NAME DATA AGE');
  assert.equal(heads('Secret'), 'NAME TYPE DATA AGE');
  assert.equal(heads('Lease'), 'NAME HOLDER AGE');
});

test('pod STATUS: phase, container waiting reasons, exit codes, terminating', () => {
  const base: T.Pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] }, status: { phase: 'Running' } };
  assert.equal(podStatusText(base), 'Running');
  assert.equal(podStatusText({ ...base, status: { phase: 'Running', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), 'CrashLoopBackOff');
  assert.equal(podStatusText({ ...base, status: { phase: 'Running', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } }), 'OOMKilled');
  assert.equal(podStatusText({ ...base, status: { phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 3 } } }] } }), 'ExitCode:3');
  assert.equal(podStatusText({ ...base, status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { waiting: { reason: 'ErrImagePull' } } }] } }), 'Init:ErrImagePull');
  assert.equal(podStatusText({ ...base, metadata: { deletionTimestamp: created } }), 'Terminating');
  assert.equal(podStatusText({ ...base, status: { phase: 'Running', reason: 'NodeLost' }, metadata: { deletionTimestamp: created } }), 'Unknown');
});

test('pod READY and RESTARTS', () => {
  const p: T.Pod = {
    metadata: { name: 'p', creationTimestamp: created },
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status: {
      phase: 'Running',
      podIP: '10.244.1.5',
      containerStatuses: [
        { name: 'a', ready: true, state: { running: {} }, restartCount: 2, lastState: { terminated: { finishedAt: '2024-01-01T00:58:00Z' } } },
        { name: 'b', ready: false, state: { running: {} }, restartCount: 1 },
      ],
    },
  };
  assert.equal(podRestartsText(p, now), '3 (2m ago)');
  assert.deepEqual(objectRow(kindInfo('Pod'), p as AnyObject, { wide: true }, now), ['p', '1/2', 'Running', '3 (2m ago)', '5m', '10.244.1.5', '<none>']);
});

test('service ports and external IPs; endpoints capped at three', () => {
  const svc: T.Service = { spec: { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } };
  assert.equal(servicePortsText(svc), '80:30080/TCP,53/UDP');
  assert.deepEqual(objectRow(kindInfo('Service'), { ...svc, metadata: { name: 's', creationTimestamp: created } } as AnyObject, {}, now), ['s', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,53/UDP', '5m']);
  const ep: T.Endpoints = { subsets: [{ addresses: [1, 2, 3, 4, 5].map((i) => ({ ip: `10.0.0.${i}` })), ports: [{ port: 80 }] }] };
  assert.equal(endpointsText(ep), '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...');
  assert.equal(endpointsText({}), '<none>');
});

test('node STATUS from the Ready condition and unschedulable', () => {
  assert.equal(nodeStatusText({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }), 'Ready');
  assert.equal(nodeStatusText({ status: { conditions: [{ type: 'Ready', status: 'False' }] }, spec: { unschedulable: true } }), 'NotReady,SchedulingDisabled');
  assert.equal(nodeStatusText({}), 'Unknown');
  assert.equal(nodeStatusText({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }), 'NotReady');
});

test('selectors print in kubectl syntax', () => {
  assert.equal(selectorText({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['y', 'x'] }, { key: 'd', operator: 'DoesNotExist' }] }), 'a=1,b=2,c in (x,y),!d');
});

test('rows printed later (watch) line up under the first header', () => {
  const f = new TableFormatter();
  assert.deepEqual(f.format([['NAME', 'AGE'], ['a', '1s']]), ['NAME   AGE', 'a      1s']);
  assert.deepEqual(f.format([['b', '2s']]), ['b      2s']);
});
