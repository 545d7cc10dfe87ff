import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as T from '../../lib/api/generated/types.js';
import { describeDeployment, describeNode, describePod, eventsFor, podResources, splitReplicaSets } from './describe.js';

const now = new Date('2024-01-01T01:00:00Z');

const pod: T.Pod = {
  metadata: {
    name: 'web-1',
    namespace: 'default',
    uid: 'p1',
    labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true }],
    creationTimestamp: '2024-01-01T00:50:00Z',
  },
  spec: {
    nodeName: 'node1',
    containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } } }],
  },
  status: {
    phase: 'Running',
    podIP: '10.244.1.5',
    hostIP: '10.0.0.1',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'nginx', ready: true, restartCount: 1, state: { running: { startedAt: '2024-01-01T00:51:00Z' } } }],
  },
};

const event = (name: string, uid: string, reason: string, last: string, count = 1): T.Event => ({
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid },
  reason,
  message: `${reason} happened`,
  type: 'Normal',
  source: { component: 'agent', host: 'node1' },
  count,
  firstTimestamp: '2024-01-01T00:50:00Z',
  lastTimestamp: last,
});

test('events about an object: matched by uid, oldest first', () => {
  const evs = [event('b', 'p1', 'Started', '2024-01-01T00:59:00Z'), event('a', 'p1', 'Pulled', '2024-01-01T00:58:00Z'), event('c', 'other', 'Killing', '2024-01-01T00:58:30Z')];
  assert.deepEqual(eventsFor(pod, 'Pod', evs).map((e) => e.reason), ['Pulled', 'Started']);
});

test('pod description: identity, node, owner, container state and resources, conditions, events', () => {
  const text = describePod(pod, [event('a', 'p1', 'Started', '2024-01-01T00:59:00Z', 3)], now);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^Name:\s+web-1$/);
  assert.match(lines[1]!, /^Namespace:\s+default$/);
  assert.equal(lines[0]!.indexOf('web-1'), lines[1]!.indexOf('default'), 'values line up');
  assert.match(text, /^Node:\s+node1\/10\.0\.0\.1$/m);
  assert.match(text, /^Labels:\s+app=web$/m);
  assert.match(text, /^Annotations:\s+<none>$/m, 'the last-applied record is hidden');
  assert.match(text, /^Controlled By:\s+ReplicaSet\/web-abc$/m);
  assert.match(text, /^ {4}State:\s+Running$/m);
  assert.match(text, /^ {4}Restart Count:\s+1$/m);
  assert.match(text, /^ {6}cpu:\s+250m$/m);
  assert.match(text, /^ {2}Ready\s+True$/m);
  assert.match(text, /^QoS Class:\s+Burstable$/m);
  assert.match(text, /^Events:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n/m);
  assert.match(text, /Normal\s+Started\s+60s \(x3 over 10m\)\s+agent, node1\s+Started happened/);
});

test('no events: Events: <none>', () => {
  assert.match(describePod(pod, [], now), /^Events:\s+<none>$/m);
});

test('node description sums the requests and limits of its pods against allocatable', () => {
  const node: T.Node = {
    metadata: { name: 'node1', labels: { 'node-role.kubernetes.io/worker': '' } },
    spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    status: { capacity: { cpu: '2', memory: '1Gi', pods: '10' }, allocatable: { cpu: '2', memory: '1Gi', pods: '10' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
  const done: T.Pod = { ...pod, metadata: { ...pod.metadata, name: 'done' }, status: { phase: 'Succeeded' } };
  const text = describeNode(node, [pod, pod, done], [], now);
  assert.match(text, /^Roles:\s+worker$/m);
  assert.match(text, /^Taints:\s+dedicated=db:NoSchedule$/m);
  assert.match(text, /^Non-terminated Pods:\s+\(2 in total\)$/m);
  assert.match(text, /^ {2}cpu\s+500m \(25%\)\s+1 \(50%\)$/m);
  assert.match(text, /^ {2}memory\s+128Mi \(12%\)\s+256Mi \(25%\)$/m);
  assert.match(text, /^ {2}pods\s+2 \(20%\)$/m);
  assert.deepEqual(podResources(pod), { cpuReq: 250, cpuLim: 500, memReq: 64 * 2 ** 20, memLim: 128 * 2 ** 20 });
});

test('deployment description: replicas line, strategy, conditions, new and old ReplicaSets', () => {
  const dep: T.Deployment = {
    metadata: { name: 'web', namespace: 'default', uid: 'd1', annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.16.1' }] } } },
    status: { replicas: 4, updatedReplicas: 2, availableReplicas: 3, unavailableReplicas: 1, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] },
  };
  const rs = (name: string, rev: string, replicas: number): T.ReplicaSet => ({
    metadata: { name, annotations: { 'deployment.kubernetes.io/revision': rev } },
    spec: { replicas },
    status: { replicas },
  });
  const owned = [rs('web-old', '1', 2), rs('web-new', '2', 2), rs('web-older', '0', 0)];
  assert.equal(splitReplicaSets(dep, owned).newRS?.metadata?.name, 'web-new');
  const text = describeDeployment(dep, owned, [], now);
  assert.match(text, /^Replicas:\s+3 desired \| 2 updated \| 4 total \| 3 available \| 1 unavailable$/m);
  assert.match(text, /^RollingUpdateStrategy:\s+0 max unavailable, 1 max surge$/m);
  assert.match(text, /^ {2}Progressing\s+True\s+ReplicaSetUpdated$/m);
  assert.match(text, /^OldReplicaSets:\s+web-old \(2\/2 replicas created\)$/m);
  assert.match(text, /^NewReplicaSet:\s+web-new \(2\/2 replicas created\)$/m);
  assert.match(text, /^ {6}Image:\s+nginx:1\.16\.1$/m);
});
