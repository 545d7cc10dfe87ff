// The Endpoints controller against a real etcd and apiserver. No agents run:
// the test writes pod status (IP, Ready condition) itself, as an agent would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { createLogger } from '../../lib/logging.js';
import type { Endpoints, EndpointSubset, Pod, Service } from '../../lib/api/generated/types.js';
import { InformerFactory } from '../../lib/informer/index.js';
import { EventRecorder } from '../../lib/events.js';
import { isNotFound } from '../../lib/errors.js';
import type { ControllerContext } from '../context.js';
import { HEADLESS_SERVICE_LABEL, startEndpointsController } from './index.js';

const NS = 'default';
let etcd: EtcdServer | undefined;
let api: RunningApiServer | undefined;
let client: ApiClient;
let informers: InformerFactory | undefined;
const stop = new AbortController();
let running: Promise<void> | undefined;

before(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(api.address);
  // Left behind by a Service deleted while no controller ran.
  await client.create<Endpoints>({ kind: 'Endpoints', apiVersion: 'v1', metadata: { name: 'orphan', namespace: NS }, subsets: [] });

  informers = new InformerFactory(client);
  const ctx: ControllerContext = {
    client,
    informers,
    recorder: (component) => new EventRecorder(client, component),
    log: createLogger('endpoints', 'warn'),
    stopSignal: stop.signal,
  };
  running = startEndpointsController(ctx);
  informers.start();
});

after(async () => {
  stop.abort();
  await running?.catch(() => undefined);
  await informers?.stop();
  client?.close();
  await api?.stop();
  await etcd?.stop();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? ` (last: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function service(name: string, selector: Record<string, string> | undefined, extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...extra },
  };
}

async function createPod(name: string, labels: Record<string, string>, ip: string, ready: boolean): Promise<Pod> {
  await client.create<Pod>({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  return setReady(name, ready, ip);
}

/** What an agent reports for a running pod. */
async function setReady(name: string, ready: boolean, ip?: string): Promise<Pod> {
  const pod = await client.get('Pod', NS, name);
  const now = new Date().toISOString();
  const status = ready ? 'True' : 'False';
  return client.updateStatus<Pod>({
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      podIP: ip ?? pod.status?.podIP,
      podIPs: [{ ip: ip ?? pod.status?.podIP }],
      conditions: [
        { type: 'ContainersReady', status, lastTransitionTime: now },
        { type: 'Ready', status, lastTransitionTime: now },
      ],
    },
  });
}

async function endpoints(name: string): Promise<Endpoints | undefined> {
  try {
    return await client.get('Endpoints', NS, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** [ready IPs, not-ready IPs, "name:port/protocol" ports] of each subset. */
function summary(ep: Endpoints | undefined): [string[], string[], string[]][] | undefined {
  if (!ep) return undefined;
  return (ep.subsets ?? []).map((s: EndpointSubset) => [
    (s.addresses ?? []).map((a) => a.ip ?? ''),
    (s.notReadyAddresses ?? []).map((a) => a.ip ?? ''),
    (s.ports ?? []).map((p) => `${p.name ?? ''}:${p.port}/${p.protocol}`),
  ]);
}

async function waitForSummary(name: string, want: [string[], string[], string[]][]): Promise<Endpoints> {
  let last: unknown;
  return waitFor(`endpoints ${name} = ${JSON.stringify(want)} (last seen ${JSON.stringify(last)})`, async () => {
    const ep = await endpoints(name);
    last = summary(ep);
    try {
      assert.deepEqual(last, want);
      return ep;
    } catch {
      return undefined;
    }
  });
}

test('an Endpoints whose Service is gone is deleted when the controller starts', async () => {
  await waitFor('orphan Endpoints deleted', async () => (await endpoints('orphan')) === undefined);
});

test('endpoints follow pods as they come, change readiness and go; the Service takes them with it', async () => {
  // A Service without a selector, with Endpoints its user wrote: never touched.
  await client.create(service('manual', undefined));
  const manual = await client.create<Endpoints>({
    kind: 'Endpoints',
    apiVersion: 'v1',
    metadata: { name: 'manual', namespace: NS },
    subsets: [{ addresses: [{ ip: '192.168.10.5' }], ports: [{ name: 'http', port: 5432 }] }],
  });

  await client.create(service('web', { app: 'web' }));
  await createPod('web-1', { app: 'web' }, '10.244.1.2', true);
  await createPod('web-2', { app: 'web' }, '10.244.1.3', true);
  await createPod('web-3', { app: 'web' }, '10.244.1.4', false);
  await createPod('db-1', { app: 'db' }, '10.244.1.9', true);

  const first = await waitForSummary('web', [[['10.244.1.2', '10.244.1.3'], ['10.244.1.4'], ['http:8080/TCP']]]);
  const a = first.subsets![0]!.addresses![0]!;
  const pod1 = await client.get('Pod', NS, 'web-1');
  assert.deepEqual(a.targetRef && { kind: a.targetRef.kind, name: a.targetRef.name, namespace: a.targetRef.namespace, uid: a.targetRef.uid }, {
    kind: 'Pod',
    name: 'web-1',
    namespace: NS,
    uid: pod1.metadata?.uid,
  });
  assert.deepEqual(first.metadata?.labels, { app: 'web' });
  assert.equal(first.metadata?.ownerReferences?.length ?? 0, 0);

  // A pod turning unready moves to notReadyAddresses.
  await setReady('web-1', false);
  await waitForSummary('web', [[['10.244.1.3'], ['10.244.1.2', '10.244.1.4'], ['http:8080/TCP']]]);

  // ... and back.
  await setReady('web-3', true);
  await waitForSummary('web', [[['10.244.1.3', '10.244.1.4'], ['10.244.1.2'], ['http:8080/TCP']]]);

  // A deleted pod leaves.
  await client.delete('Pod', NS, 'web-2');
  await waitForSummary('web', [[['10.244.1.4'], ['10.244.1.2'], ['http:8080/TCP']]]);

  // A relabelled pod leaves too.
  const p3 = await client.get('Pod', NS, 'web-3');
  await client.update<Pod>({ ...p3, metadata: { ...p3.metadata, labels: { app: 'web-canary' } } });
  await waitForSummary('web', [[[], ['10.244.1.2'], ['http:8080/TCP']]]);

  // Scaled to nothing: the Endpoints stay, empty.
  await client.delete('Pod', NS, 'web-1');
  await client.delete('Pod', NS, 'web-3');
  const empty = await waitForSummary('web', []);
  assert.equal(empty.metadata?.name, 'web');

  // The selectorless Service's Endpoints are as their user wrote them.
  const manualNow = await endpoints('manual');
  assert.equal(manualNow?.metadata?.resourceVersion, manual.metadata?.resourceVersion);

  // Deleting the Service deletes its Endpoints.
  await client.delete('Service', NS, 'web');
  await waitFor('Endpoints web deleted', async () => (await endpoints('web')) === undefined);
  assert.ok(await endpoints('manual'), 'the manual Endpoints are still there');
});

test('a managed Endpoints deleted by hand comes back; a headless Service is labelled so', async () => {
  await client.create(service('peers', { app: 'peers' }, { clusterIP: 'None' }));
  await createPod('peers-0', { app: 'peers' }, '10.244.2.2', true);
  const ep = await waitForSummary('peers', [[['10.244.2.2'], [], ['http:8080/TCP']]]);
  assert.deepEqual(ep.metadata?.labels, { app: 'peers', [HEADLESS_SERVICE_LABEL]: '' });
  await client.delete('Endpoints', NS, 'peers');
  const back = await waitFor('Endpoints peers recreated', async () => {
    const e = await endpoints('peers');
    return e && e.metadata?.uid !== ep.metadata?.uid ? e : undefined;
  });
  assert.deepEqual(summary(back), [[['10.244.2.2'], [], ['http:8080/TCP']]]);
});
