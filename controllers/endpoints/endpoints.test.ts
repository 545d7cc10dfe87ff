import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod, Service, ServicePort } from '../../lib/api/generated/types.js';
import {
  HEADLESS_SERVICE_LABEL,
  computeEndpointSubsets,
  planEndpoints,
  podChangeAffectsEndpoints,
  repackSubsets,
  resolveTargetPort,
  selectorIndexKeys,
  servicesSelectingPod,
  shouldPodBeInEndpoints,
  subsetsEquivalent,
} from './endpoints.js';

interface PodOpts {
  ip?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  ns?: string;
  node?: string;
  terminating?: boolean;
  phase?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'ns',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      deletionTimestamp: o.terminating ? '2024-01-01T00:00:00Z' : undefined,
    },
    spec: {
      nodeName: o.node ?? 'node-a',
      hostname: o.hostname,
      subdomain: o.subdomain,
      containers: [{ name: 'c', image: 'nginx', ports: o.ports ?? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
    },
    status: {
      phase: o.phase ?? 'Running',
      podIP: o.ip,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function service(ports: ServicePort[] = [{ port: 80, targetPort: 8080, protocol: 'TCP' }], extra: Partial<NonNullable<Service['spec']>> = {}, labels?: Record<string, string>): Service {
  return {
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports, ...extra },
  };
}

const ref = (name: string, ns = 'ns') => ({ kind: 'Pod', namespace: ns, name, uid: `uid-${name}` });
const addr = (ip: string, name: string, node = 'node-a') => ({ ip, nodeName: node, targetRef: ref(name) });

test('ready pods go to addresses, not-ready ones to notReadyAddresses', () => {
  const subsets = computeEndpointSubsets(service(), [
    pod('a', { ip: '10.244.0.2' }),
    pod('b', { ip: '10.244.0.3', ready: false }),
    pod('c', { ip: '10.244.1.2', node: 'node-b' }),
  ]);
  assert.deepEqual(subsets, [
    {
      addresses: [addr('10.244.0.2', 'a'), addr('10.244.1.2', 'c', 'node-b')],
      notReadyAddresses: [addr('10.244.0.3', 'b')],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
  ]);
});

test('pods without an IP, finished, terminating, unselected or in another namespace are left out', () => {
  const subsets = computeEndpointSubsets(service(), [
    pod('no-ip'),
    pod('done', { ip: '10.244.0.4', phase: 'Succeeded' }),
    pod('failed', { ip: '10.244.0.5', phase: 'Failed', ready: false }),
    pod('going', { ip: '10.244.0.6', terminating: true }),
    pod('other-app', { ip: '10.244.0.7', labels: { app: 'db' } }),
    pod('other-ns', { ip: '10.244.0.8', ns: 'elsewhere' }),
    pod('kept', { ip: '10.244.0.9', labels: { app: 'web', tier: 'front' } }),
  ]);
  assert.deepEqual(subsets, [{ addresses: [addr('10.244.0.9', 'kept')], ports: [{ port: 8080, protocol: 'TCP' }] }]);
  assert.equal(shouldPodBeInEndpoints(pod('t', { ip: '10.244.0.6', terminating: true }), true), true);
  assert.equal(shouldPodBeInEndpoints(pod('t', { ip: '10.244.0.6', terminating: true })), false);
});

test('publishNotReadyAddresses lists not-ready (and terminating) pods as ready', () => {
  const svc = service(undefined, { publishNotReadyAddresses: true });
  const subsets = computeEndpointSubsets(svc, [
    pod('a', { ip: '10.244.0.2', ready: false }),
    pod('b', { ip: '10.244.0.3' }),
    pod('c', { ip: '10.244.0.4', terminating: true }),
    pod('d', { ip: '10.244.0.5', phase: 'Failed' }),
  ]);
  assert.deepEqual(subsets, [
    { addresses: [addr('10.244.0.2', 'a'), addr('10.244.0.3', 'b'), addr('10.244.0.4', 'c')], ports: [{ port: 8080, protocol: 'TCP' }] },
  ]);
});

test('targetPort by number, by container port name (protocol must match), and absent', () => {
  const p = pod('a', {
    ip: '10.244.0.2',
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'dns', containerPort: 5353, protocol: 'UDP' },
      { name: 'metrics', containerPort: 9090 },
    ],
  });
  assert.equal(resolveTargetPort(p, { port: 80, targetPort: 8081 }), 8081);
  assert.equal(resolveTargetPort(p, { port: 80, targetPort: 'http' }), 8080);
  assert.equal(resolveTargetPort(p, { port: 80, targetPort: 'metrics', protocol: 'TCP' }), 9090);
  assert.equal(resolveTargetPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' }), 5353);
  assert.equal(resolveTargetPort(p, { port: 53, targetPort: 'dns' }), undefined, 'dns is UDP, the service port TCP');
  assert.equal(resolveTargetPort(p, { port: 80, targetPort: 'nope' }), undefined);
  assert.equal(resolveTargetPort(p, { port: 80 }), 80);
  assert.equal(resolveTargetPort(p, { port: 80, targetPort: 0 }), 80);
  // Named ports are looked up in every container of the pod.
  const two: Pod = { ...p, spec: { containers: [{ name: 'a' }, { name: 'b', ports: [{ name: 'admin', containerPort: 7000 }] }] } };
  assert.equal(resolveTargetPort(two, { port: 80, targetPort: 'admin' }), 7000);
});

test('named targetPorts resolve per pod, and pods are repacked by the ports they serve', () => {
  const svc = service([
    { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    { name: 'admin', port: 81, targetPort: 'admin', protocol: 'TCP' },
  ]);
  const subsets = computeEndpointSubsets(svc, [
    // Two versions of the app name their http port differently.
    pod('v1-a', { ip: '10.244.0.2', ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9000 }] }),
    pod('v2-a', { ip: '10.244.0.3', ports: [{ name: 'http', containerPort: 8081 }, { name: 'admin', containerPort: 9000 }] }),
    pod('v1-b', { ip: '10.244.0.4', ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9000 }] }),
    // No admin port: left out for that port only.
    pod('lite', { ip: '10.244.0.5', ports: [{ name: 'http', containerPort: 8080 }] }),
  ]);
  assert.deepEqual(subsets, [
    {
      addresses: [addr('10.244.0.2', 'v1-a'), addr('10.244.0.3', 'v2-a'), addr('10.244.0.4', 'v1-b')],
      ports: [{ name: 'admin', port: 9000, protocol: 'TCP' }],
    },
    {
      addresses: [addr('10.244.0.2', 'v1-a'), addr('10.244.0.4', 'v1-b'), addr('10.244.0.5', 'lite')],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
    { addresses: [addr('10.244.0.3', 'v2-a')], ports: [{ name: 'http', port: 8081, protocol: 'TCP' }] },
  ]);
});

test('several ports served by the same pods share one subset; protocol and appProtocol carried over', () => {
  const svc = service([
    { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' },
    { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
    { name: 'https', port: 443, targetPort: 8443 },
  ]);
  const subsets = computeEndpointSubsets(svc, [pod('a', { ip: '10.244.0.2' }), pod('b', { ip: '10.244.0.3', ready: false })]);
  assert.deepEqual(subsets, [
    {
      addresses: [addr('10.244.0.2', 'a')],
      notReadyAddresses: [addr('10.244.0.3', 'b')],
      ports: [
        { name: 'dns', port: 5353, protocol: 'UDP' },
        { name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' },
        { name: 'https', port: 8443, protocol: 'TCP' },
      ],
    },
  ]);
});

test('output does not depend on the order pods are given in; IPs sort numerically', () => {
  const svc = service([
    { name: 'http', port: 80, targetPort: 'http' },
    { name: 'admin', port: 81, targetPort: 'admin' },
  ]);
  const pods = [
    pod('a', { ip: '10.244.0.10', ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('b', { ip: '10.244.0.9', ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9000 }] }),
    pod('c', { ip: '10.244.0.100', ready: false }),
    pod('d', { ip: '10.244.1.1', ports: [{ name: 'http', containerPort: 8081 }] }),
    pod('e', { ip: '10.244.0.11', ready: false, ports: [{ name: 'admin', containerPort: 9000 }] }),
  ];
  const expected = JSON.stringify(computeEndpointSubsets(svc, pods));
  for (const order of [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 4, 0, 3, 2]]) {
    assert.equal(JSON.stringify(computeEndpointSubsets(svc, order.map((i) => pods[i]!))), expected);
  }
  const http8080 = computeEndpointSubsets(svc, pods).find((s) => s.ports?.[0]?.port === 8080)!;
  assert.deepEqual(
    [...(http8080.addresses ?? []), ...(http8080.notReadyAddresses ?? [])].map((a) => a.ip),
    ['10.244.0.9', '10.244.0.10', '10.244.0.100'],
  );
});

test('hostname only when the pod names this service as its subdomain', () => {
  const subsets = computeEndpointSubsets(service(), [
    pod('a', { ip: '10.244.0.2', hostname: 'web-0', subdomain: 'web' }),
    pod('b', { ip: '10.244.0.3', hostname: 'web-1', subdomain: 'other' }),
    pod('c', { ip: '10.244.0.4', hostname: 'web-2' }),
  ]);
  assert.deepEqual(
    subsets[0]!.addresses!.map((a) => [a.ip, a.hostname]),
    [
      ['10.244.0.2', 'web-0'],
      ['10.244.0.3', undefined],
      ['10.244.0.4', undefined],
    ],
  );
});

test('a headless service without ports lists addresses without ports; another without ports lists nothing', () => {
  const pods = [pod('a', { ip: '10.244.0.2' }), pod('b', { ip: '10.244.0.3', ready: false })];
  assert.deepEqual(computeEndpointSubsets(service([], { clusterIP: 'None' }), pods), [
    { addresses: [addr('10.244.0.2', 'a')], notReadyAddresses: [addr('10.244.0.3', 'b')] },
  ]);
  assert.deepEqual(computeEndpointSubsets(service([]), pods), []);
});

test('no matching pods, or none with an IP, gives no subsets', () => {
  assert.deepEqual(computeEndpointSubsets(service(), []), []);
  assert.deepEqual(computeEndpointSubsets(service(), [pod('a'), pod('b', { ready: false })]), []);
});

test('repacking collapses duplicates and counts an address both ready and not ready as not ready', () => {
  const p = { port: 80, protocol: 'TCP' };
  const q = { name: 'x', port: 81 };
  const a = addr('10.0.0.1', 'a');
  const b = addr('10.0.0.2', 'b');
  assert.deepEqual(
    repackSubsets([
      { addresses: [a, b], ports: [p] },
      { addresses: [a], ports: [p] },
      { notReadyAddresses: [b], ports: [p] },
    ]),
    [{ addresses: [a], notReadyAddresses: [b], ports: [{ port: 80, protocol: 'TCP' }] }],
  );
  // Ports with exactly the same addresses merge; the protocol defaults to TCP.
  assert.deepEqual(
    repackSubsets([
      { addresses: [b], ports: [q] },
      { addresses: [b], ports: [p] },
    ]),
    [{ addresses: [b], ports: [{ port: 80, protocol: 'TCP' }, { name: 'x', port: 81, protocol: 'TCP' }] }],
  );
  assert.deepEqual(repackSubsets([]), []);
});

test('subsetsEquivalent ignores grouping, order and defaulted fields', () => {
  const a = addr('10.0.0.1', 'a');
  const b = addr('10.0.0.2', 'b');
  const x = [{ addresses: [a, b], ports: [{ port: 80, protocol: 'TCP' }] }];
  assert.ok(subsetsEquivalent(x, [{ addresses: [b], ports: [{ port: 80 }] }, { addresses: [a], ports: [{ port: 80 }] }]));
  assert.ok(subsetsEquivalent(undefined, []));
  assert.ok(!subsetsEquivalent(x, [{ addresses: [a], notReadyAddresses: [b], ports: [{ port: 80 }] }]));
  assert.ok(!subsetsEquivalent(x, [{ addresses: [a, { ...b, nodeName: 'node-z' }], ports: [{ port: 80 }] }]));
  assert.ok(!subsetsEquivalent(x, [{ addresses: [a, b], ports: [{ port: 80, protocol: 'UDP' }] }]));
});

test('planEndpoints: create, no change, update keeping metadata', () => {
  const svc = service(undefined, {}, { app: 'web', team: 'x' });
  const pods = [pod('a', { ip: '10.244.0.2' })];
  const created = planEndpoints(svc, undefined, pods);
  assert.equal(created.action, 'create');
  const ep = (created as { endpoints: Endpoints }).endpoints;
  assert.equal(ep.metadata?.ownerReferences, undefined, 'ownerless, as in Kubernetes');
  assert.equal(ep.kind, 'Endpoints');
  assert.deepEqual(ep.metadata, { name: 'web', namespace: 'ns', labels: { app: 'web', team: 'x' } });

  // What the server sends back: metadata filled in, subsets regrouped.
  const stored: Endpoints = {
    ...ep,
    metadata: { ...ep.metadata, resourceVersion: '42', uid: 'ep-uid', annotations: { note: 'kept' } },
  };
  assert.deepEqual(planEndpoints(svc, stored, pods), { action: 'none' });

  const more = planEndpoints(svc, stored, [...pods, pod('b', { ip: '10.244.0.3', ready: false })]);
  assert.equal(more.action, 'update');
  const upd = (more as { endpoints: Endpoints }).endpoints;
  assert.equal(upd.metadata?.resourceVersion, '42');
  assert.deepEqual(upd.metadata?.annotations, { note: 'kept' });
  assert.deepEqual(upd.subsets?.[0]?.notReadyAddresses, [addr('10.244.0.3', 'b')]);

  const relabelled = planEndpoints({ ...svc, metadata: { ...svc.metadata, labels: { app: 'web' } } }, stored, pods);
  assert.equal(relabelled.action, 'update');
  assert.deepEqual((relabelled as { endpoints: Endpoints }).endpoints.metadata?.labels, { app: 'web' });

  const headless = planEndpoints(service(undefined, { clusterIP: 'None' }), undefined, pods);
  assert.deepEqual((headless as { endpoints: Endpoints }).endpoints.metadata?.labels, { [HEADLESS_SERVICE_LABEL]: '' });

  const scaledToZero = planEndpoints(svc, stored, []);
  assert.equal(scaledToZero.action, 'update');
  assert.deepEqual((scaledToZero as { endpoints: Endpoints }).endpoints.subsets, []);
});

test('which pod updates matter', () => {
  const base = pod('a', { ip: '10.244.0.2' });
  assert.deepEqual(podChangeAffectsEndpoints(base, { ...base, status: { ...base.status, startTime: 'now' } }), { labels: false, address: false });
  assert.deepEqual(podChangeAffectsEndpoints(base, pod('a', { ip: '10.244.0.2', ready: false })), { labels: false, address: true });
  assert.deepEqual(podChangeAffectsEndpoints(base, pod('a', { ip: '10.244.0.3' })), { labels: false, address: true });
  assert.deepEqual(podChangeAffectsEndpoints(base, pod('a', { ip: '10.244.0.2', terminating: true })), { labels: false, address: true });
  assert.deepEqual(podChangeAffectsEndpoints(base, pod('a', { ip: '10.244.0.2', labels: { app: 'db' } })), { labels: true, address: false });
});

test('the selector index finds exactly the services selecting a pod', () => {
  const svcs: Service[] = [
    { metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' } } },
    { metadata: { name: 'web-front', namespace: 'ns' }, spec: { selector: { tier: 'front', app: 'web' } } },
    { metadata: { name: 'db', namespace: 'ns' }, spec: { selector: { app: 'db' } } },
    { metadata: { name: 'web', namespace: 'other' }, spec: { selector: { app: 'web' } } },
    { metadata: { name: 'manual', namespace: 'ns' }, spec: {} },
  ];
  assert.deepEqual(selectorIndexKeys(svcs[1]!), ['ns/app=web'], 'filed under its smallest key only');
  assert.deepEqual(selectorIndexKeys(svcs[4]!), []);
  const index = new Map<string, Service[]>();
  for (const s of svcs) for (const k of selectorIndexKeys(s)) index.set(k, [...(index.get(k) ?? []), s]);
  const lookup = (v: string) => index.get(v) ?? [];
  const names = (p: Pod) => servicesSelectingPod(lookup, p).map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`).sort();
  assert.deepEqual(names(pod('p', { labels: { app: 'web' } })), ['ns/web']);
  assert.deepEqual(names(pod('p', { labels: { app: 'web', tier: 'front' } })), ['ns/web', 'ns/web-front']);
  assert.deepEqual(names(pod('p', { labels: { app: 'db', tier: 'front' } })), ['ns/db']);
  assert.deepEqual(names(pod('p', { labels: { app: 'web' }, ns: 'other' })), ['other/web']);
  assert.deepEqual(names(pod('p', { labels: {} })), []);
});
