import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo, type AnyObject, type KindName } from '../../lib/api/kinds.js';
import type * as T from '../../lib/api/generated/types.js';
import { applyDefaults, defaultPullPolicy, preserveAssignedFields } from './defaults.js';

function defaulted<K extends KindName>(kind: K, obj: object, old?: object): any {
  const o = structuredClone(obj) as AnyObject;
  applyDefaults(o, kindInfo(kind), old as AnyObject | undefined);
  return o;
}

const podSpec = (): T.PodSpec => ({ containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] });

test('apiVersion and kind come from the kind; namespaced kinds get "default"', () => {
  const d = defaulted('Deployment', { metadata: { name: 'web' } });
  assert.equal(d.apiVersion, 'apps/v1');
  assert.equal(d.kind, 'Deployment');
  assert.equal(d.metadata.namespace, 'default');
  const n = defaulted('Node', { apiVersion: 'x', metadata: { name: 'n1' } });
  assert.equal(n.apiVersion, 'v1');
  assert.equal(n.metadata.namespace, undefined);
  assert.equal(defaulted('Lease', { metadata: { name: 'l' } }).apiVersion, 'coordination.k8s.io/v1');
  assert.equal(defaulted('Pod', { metadata: { name: 'p', namespace: 'prod' } }).metadata.namespace, 'prod');
});

test('Deployment: replicas, strategy, history and deadline', () => {
  const d = defaulted('Deployment', { metadata: { name: 'web' }, spec: { template: { spec: podSpec() } } });
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
});

test('Deployment: given values are kept, zero replicas included', () => {
  const d = defaulted('Deployment', {
    metadata: { name: 'web' },
    spec: { replicas: 0, revisionHistoryLimit: 0, strategy: { rollingUpdate: { maxSurge: 0 } }, template: { spec: podSpec() } },
  });
  assert.equal(d.spec.replicas, 0);
  assert.equal(d.spec.revisionHistoryLimit, 0);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '25%' } });
});

test('Deployment: Recreate gets no rollingUpdate', () => {
  const d = defaulted('Deployment', { metadata: { name: 'web' }, spec: { strategy: { type: 'Recreate' } } });
  assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
});

test('Deployment and ReplicaSet templates get pod spec defaults', () => {
  const d = defaulted('Deployment', { metadata: { name: 'web' }, spec: { template: { spec: podSpec() } } });
  assert.equal(d.spec.template.spec.restartPolicy, 'Always');
  assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  const rs = defaulted('ReplicaSet', { metadata: { name: 'web' }, spec: { template: { spec: podSpec() } } });
  assert.equal(rs.spec.replicas, 1);
  assert.equal(rs.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(rs.spec.template.spec.containers[0].ports[0].protocol, 'TCP');
});

test('Pod spec defaults', () => {
  const p = defaulted('Pod', { metadata: { name: 'p' }, spec: podSpec() });
  assert.equal(p.spec.restartPolicy, 'Always');
  assert.equal(p.spec.terminationGracePeriodSeconds, 30);
  assert.equal(p.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(p.spec.schedulerName, 'default-scheduler');
  assert.equal(p.spec.enableServiceLinks, true);
  const c = p.spec.containers[0];
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
});

test('Pod spec: given values are kept', () => {
  const spec = { ...podSpec(), restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', schedulerName: 'mine' };
  spec.containers![0]!.imagePullPolicy = 'Never';
  spec.containers![0]!.ports![0]!.protocol = 'UDP';
  const p = defaulted('Pod', { metadata: { name: 'p' }, spec });
  assert.equal(p.spec.restartPolicy, 'Never');
  assert.equal(p.spec.terminationGracePeriodSeconds, 0);
  assert.equal(p.spec.dnsPolicy, 'Default');
  assert.equal(p.spec.schedulerName, 'mine');
  assert.equal(p.spec.containers[0].imagePullPolicy, 'Never');
  assert.equal(p.spec.containers[0].ports[0].protocol, 'UDP');
});

test('image pull policy: Always for latest or no tag, else IfNotPresent', () => {
  assert.equal(defaultPullPolicy('nginx'), 'Always');
  assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/team/app'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/team/app:latest'), 'Always');
  assert.equal(defaultPullPolicy('nginx:1.25'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('localhost:5000/app:v2'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('nginx@sha256:abcd'), 'IfNotPresent');
  const p = defaulted('Pod', { metadata: { name: 'p' }, spec: { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image: 'app:latest' }] } });
  assert.equal(p.spec.initContainers[0].imagePullPolicy, 'Always');
  assert.equal(p.spec.containers[0].imagePullPolicy, 'Always');
});

test('probes get Kubernetes defaults', () => {
  const spec = podSpec();
  spec.containers![0]!.livenessProbe = { httpGet: { path: '/', port: 80 } };
  const c = defaulted('Pod', { metadata: { name: 'p' }, spec }).spec.containers[0];
  assert.deepEqual(c.livenessProbe, { httpGet: { path: '/', port: 80, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
});

test('a pod container with limits and no requests requests its limits; templates are left alone', () => {
  const spec = podSpec();
  spec.containers![0]!.resources = { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } };
  const p = defaulted('Pod', { metadata: { name: 'p' }, spec });
  assert.deepEqual(p.spec.containers[0].resources.requests, { cpu: '100m', memory: '128Mi' });
  const d = defaulted('Deployment', { metadata: { name: 'd' }, spec: { template: { spec } } });
  assert.deepEqual(d.spec.template.spec.containers[0].resources.requests, { cpu: '100m' });
});

test('Service defaults: type, session affinity, protocol and targetPort', () => {
  const s = defaulted('Service', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 443, targetPort: 'https', protocol: 'TCP' }, { port: 53, protocol: 'UDP', targetPort: 5353 }] } });
  assert.equal(s.spec.type, 'ClusterIP');
  assert.equal(s.spec.sessionAffinity, 'None');
  assert.deepEqual(s.spec.ports, [
    { port: 80, protocol: 'TCP', targetPort: 80 },
    { port: 443, targetPort: 'https', protocol: 'TCP' },
    { port: 53, protocol: 'UDP', targetPort: 5353 },
  ]);
  assert.equal(s.spec.externalTrafficPolicy, undefined);
  const np = defaulted('Service', { metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
  assert.equal(np.spec.type, 'NodePort');
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
});

test('Secret: type Opaque, stringData merged into data as base64 and cleared', () => {
  const s = defaulted('Secret', { metadata: { name: 's' }, data: { a: 'eA==', b: 'eQ==' }, stringData: { b: 'héllo', c: 'pw' } });
  assert.equal(s.type, 'Opaque');
  assert.deepEqual(s.data, { a: 'eA==', b: Buffer.from('héllo').toString('base64'), c: 'cHc=' });
  assert.equal('stringData' in s, false);
  assert.equal(defaulted('Secret', { metadata: { name: 's' }, type: 'kubernetes.io/tls' }).type, 'kubernetes.io/tls');
});

test('Namespace: status.phase Active', () => {
  assert.equal(defaulted('Namespace', { metadata: { name: 'prod' } }).status.phase, 'Active');
  assert.equal(defaulted('Namespace', { metadata: { name: 'prod' }, status: { phase: 'Terminating' } }).status.phase, 'Terminating');
});

test('Endpoints ports default to TCP', () => {
  const e = defaulted('Endpoints', { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] });
  assert.equal(e.subsets[0].ports[0].protocol, 'TCP');
});

test('on update, assigned fields are carried over from the stored object', () => {
  const oldPod = { metadata: { name: 'p' }, spec: { ...podSpec(), nodeName: 'node-1' } };
  assert.equal(defaulted('Pod', { metadata: { name: 'p' }, spec: podSpec() }, oldPod).spec.nodeName, 'node-1');
  assert.equal(defaulted('Pod', { metadata: { name: 'p' }, spec: podSpec() }).spec.nodeName, undefined);

  const oldSvc = { metadata: { name: 's' }, spec: { type: 'NodePort', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, nodePort: 30080 }] } };
  const svc = defaulted('Service', { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } }, oldSvc);
  assert.equal(svc.spec.clusterIP, '10.96.0.10');
  assert.deepEqual(svc.spec.clusterIPs, ['10.96.0.10']);
  assert.equal(svc.spec.ports[0].nodePort, 30080);
  assert.equal(svc.spec.ports[1].nodePort, undefined);
  // a service turning into ExternalName gives its cluster IP back
  const ext = { metadata: { name: 's' }, spec: { type: 'ExternalName' } } as AnyObject;
  preserveAssignedFields(ext, oldSvc as AnyObject, kindInfo('Service'));
  assert.equal((ext as T.Service).spec!.clusterIP, undefined);

  const node = defaulted('Node', { metadata: { name: 'n' }, spec: {} }, { metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24' } });
  assert.equal(node.spec.podCIDR, '10.244.1.0/24');
});

test('on update, values the user gives win over the stored ones', () => {
  const oldPod = { metadata: { name: 'p' }, spec: { ...podSpec(), nodeName: 'node-1' } };
  assert.equal(defaulted('Pod', { metadata: { name: 'p' }, spec: { ...podSpec(), nodeName: 'node-2' } }, oldPod).spec.nodeName, 'node-2');
  const oldSvc = { metadata: { name: 's' }, spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }] } };
  const svc = defaulted('Service', { metadata: { name: 's' }, spec: { clusterIP: '10.96.0.20', ports: [{ port: 80 }] } }, oldSvc);
  assert.equal(svc.spec.clusterIP, '10.96.0.20');
  assert.equal(svc.spec.clusterIPs, undefined);
  const node = defaulted('Node', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.2.0/24' } }, { metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } });
  assert.equal(node.spec.podCIDR, '10.244.2.0/24');
  assert.deepEqual(node.spec.podCIDRs, ['10.244.1.0/24']);
});

test('volume modes, fieldRef apiVersion and internal traffic policy get Kubernetes defaults', () => {
  const spec = podSpec();
  spec.volumes = [{ name: 'c', configMap: { name: 'cm' } }, { name: 's', secret: { secretName: 'sec', defaultMode: 0o400 } }, { name: 'e', emptyDir: {} }];
  spec.containers![0]!.env = [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'X', value: 'y' }];
  const p = defaulted('Pod', { metadata: { name: 'p' }, spec });
  assert.equal(p.spec.volumes[0].configMap.defaultMode, 0o644);
  assert.equal(p.spec.volumes[1].secret.defaultMode, 0o400);
  assert.deepEqual(p.spec.volumes[2], { name: 'e', emptyDir: {} });
  assert.equal(p.spec.containers[0].env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(p.spec.containers[0].env[1], { name: 'X', value: 'y' });
  assert.equal(defaulted('Service', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } }).spec.internalTrafficPolicy, 'Cluster');
});
