import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkShape, normalizeShape } from './shape.js';
import { decode, encode } from './schema.js';

// The Deployment from the Kubernetes documentation, plus resources.
const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'nginx-deployment', labels: { app: 'nginx' }, creationTimestamp: null },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'nginx' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:1.14.2',
            ports: [{ containerPort: 80 }],
            resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } },
            livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 10 },
          },
        ],
      },
    },
  },
  status: {},
});

const fields = (causes: { field: string }[]) => causes.map((c) => c.field);

test('a documentation Deployment has no problems', () => {
  assert.deepEqual(checkShape('Deployment', deployment()), []);
});

test('unknown fields are reported with their path', () => {
  const d = deployment() as any;
  d.spec.template.spec.containers[0].foo = 1;
  d.spec.bogus = true;
  const causes = checkShape('Deployment', d);
  assert.deepEqual(causes, [
    { field: 'spec.template.spec.containers[0].foo', message: 'unknown field "foo"' },
    { field: 'spec.bogus', message: 'unknown field "bogus"' },
  ]);
});

test('unknown fields close to a known one get a suggestion', () => {
  const d = deployment() as any;
  d.spec.template.spec.containers[0].ports[0] = { ContainerPort: 80 };
  d.spec.template.spec.contaners = [];
  const causes = checkShape('Deployment', d);
  assert.deepEqual(causes.map((c) => c.message), [
    'unknown field "ContainerPort"; did you mean "containerPort"?',
    'unknown field "contaners"; did you mean "containers"?',
  ]);
});

test('wrong scalar types', () => {
  const d = deployment() as any;
  d.spec.replicas = 'three';
  d.spec.paused = 'yes';
  d.spec.template.spec.containers[0].ports[0].containerPort = 'abc';
  d.spec.template.spec.containers[0].image = 5;
  d.spec.minReadySeconds = 1.5;
  assert.deepEqual(checkShape('Deployment', d), [
    { field: 'spec.replicas', message: 'expected integer, got string "three"' },
    { field: 'spec.template.spec.containers[0].image', message: 'expected string, got number 5' },
    { field: 'spec.template.spec.containers[0].ports[0].containerPort', message: 'expected integer, got string "abc"' },
    { field: 'spec.paused', message: 'expected boolean (true or false), got string "yes"' },
    { field: 'spec.minReadySeconds', message: 'expected integer, got number 1.5' },
  ]);
});

test('int32 range', () => {
  const d = deployment() as any;
  d.spec.replicas = 2 ** 31;
  d.spec.template.spec.containers[0].ports[0].containerPort = -(2 ** 31) - 1;
  const causes = checkShape('Deployment', d);
  assert.deepEqual(fields(causes), ['spec.replicas', 'spec.template.spec.containers[0].ports[0].containerPort']);
  assert.match(causes[0]!.message, /out of range: must be between -2147483648 and 2147483647/);
});

test('int64 fields accept large integers', () => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [], terminationGracePeriodSeconds: 2 ** 40 } };
  assert.deepEqual(checkShape('Pod', pod), []);
  pod.spec.terminationGracePeriodSeconds = '30' as unknown as number;
  assert.deepEqual(checkShape('Pod', pod), [{ field: 'spec.terminationGracePeriodSeconds', message: 'expected integer, got string "30"' }]);
  pod.spec.terminationGracePeriodSeconds = 2 ** 64;
  assert.match(checkShape('Pod', pod)[0]!.message, /out of the 64-bit range/);
});

test('arrays versus objects', () => {
  const d = deployment() as any;
  d.spec.template.spec.containers = { name: 'nginx' };
  d.spec.selector = [];
  d.metadata.labels = ['app=nginx'];
  const causes = checkShape('Deployment', d);
  assert.deepEqual(causes, [
    { field: 'metadata.labels', message: 'expected object (a map of strings), got array' },
    { field: 'spec.selector', message: 'expected object, got array' },
    { field: 'spec.template.spec.containers', message: 'expected array, got object' },
  ]);
});

test('map values are checked', () => {
  const d = deployment() as any;
  d.metadata.labels = { app: 'nginx', version: 2, empty: null };
  d.spec.template.spec.containers[0].resources.limits = { cpu: 'lots', memory: true };
  assert.deepEqual(checkShape('Deployment', d), [
    { field: 'metadata.labels[version]', message: 'expected string, got number 2' },
    { field: 'metadata.labels[empty]', message: 'expected string, got null' },
    { field: 'spec.template.spec.containers[0].resources.limits[cpu]', message: 'invalid quantity "lots": expected a number with an optional suffix: decimal n, u, m, k, M, G, T, P, E (e.g. "250m", "1.5", "1G"), binary Ki, Mi, Gi, Ti, Pi, Ei (e.g. "128Mi"), or an exponent (e.g. "1e3")' },
    { field: 'spec.template.spec.containers[0].resources.limits[memory]', message: 'expected a quantity (string or number), got boolean true' },
  ]);
});

test('IntOrString accepts integers and strings only', () => {
  const d = deployment() as any;
  d.spec.strategy.rollingUpdate = { maxSurge: 1.5, maxUnavailable: true };
  d.spec.template.spec.containers[0].livenessProbe.httpGet.port = 8080;
  assert.deepEqual(checkShape('Deployment', d), [
    { field: 'spec.strategy.rollingUpdate.maxSurge', message: 'expected integer or string, got number 1.5' },
    { field: 'spec.strategy.rollingUpdate.maxUnavailable', message: 'expected integer or string, got boolean true' },
  ]);
});

test('null elements in lists are refused, null fields are absent', () => {
  const d = deployment() as any;
  d.spec.template.spec.containers.push(null);
  d.spec.template.spec.volumes = null;
  assert.deepEqual(checkShape('Deployment', d), [
    { field: 'spec.template.spec.containers[1]', message: 'expected a value, got null' },
  ]);
});

test('top level must be an object', () => {
  assert.deepEqual(checkShape('Pod', 'hello'), [{ field: '', message: 'expected a Pod object, got string "hello"' }]);
  assert.deepEqual(checkShape('Pod', [1]), [{ field: '', message: 'expected a Pod object, got array' }]);
});

test('normalizeShape writes numeric quantities as strings and drops nulls', () => {
  const n = normalizeShape<any>('Deployment', deployment());
  assert.equal(n.spec.template.spec.containers[0].resources.limits.cpu, '1');
  assert.equal(n.spec.template.spec.containers[0].resources.requests.cpu, '250m');
  assert.equal('creationTimestamp' in n.metadata, false);
  assert.equal(n.spec.strategy.rollingUpdate.maxSurge, 1);
  // the normalized form is what the codec gives back
  const roundTrip = decode<any>('Deployment', encode('Deployment', n));
  assert.deepEqual(roundTrip.spec.template.spec.containers[0].resources, n.spec.template.spec.containers[0].resources);
  assert.deepEqual(roundTrip.spec.strategy, n.spec.strategy);
});
