// EndpointsController against in-memory caches and a recording client: which
// events queue which Services, and what sync writes for each situation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod, Service } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import type { ControllerContext } from '../context.js';
import { EndpointsController } from './controller.js';

type Obj = Pod | Service | Endpoints;
const keyOf = (o: Obj) => `${o.metadata?.namespace}/${o.metadata?.name}`;

class FakeInformer<O extends Obj> {
  readonly cache = new Map<string, O>();
  private readonly indexers = new Map<string, (o: O) => string[]>();
  private readonly adds: ((o: O) => void)[] = [];
  private readonly updates: ((a: O, b: O) => void)[] = [];
  private readonly deletes: ((o: O) => void)[] = [];
  addIndexer(name: string, fn: (o: O) => string[]) {
    this.indexers.set(name, fn);
  }
  byIndex(name: string, value: string): O[] {
    const fn = this.indexers.get(name)!;
    return [...this.cache.values()].filter((o) => fn(o).includes(value));
  }
  byNamespace(ns: string): O[] {
    return [...this.cache.values()].filter((o) => o.metadata?.namespace === ns);
  }
  get(key: string) {
    return this.cache.get(key);
  }
  list() {
    return [...this.cache.values()];
  }
  async whenSynced() {
    return true;
  }
  onAdd(f: (o: O) => void) {
    this.adds.push(f);
  }
  onUpdate(f: (a: O, b: O) => void) {
    this.updates.push(f);
  }
  onDelete(f: (o: O) => void) {
    this.deletes.push(f);
  }
  deliver(o: O) {
    const old = this.cache.get(keyOf(o));
    this.cache.set(keyOf(o), o);
    if (old) this.updates.forEach((f) => f(old, o));
    else this.adds.forEach((f) => f(o));
  }
  deliverDelete(o: O) {
    this.cache.delete(keyOf(o));
    this.deletes.forEach((f) => f(o));
  }
}

interface Call {
  op: string;
  args: unknown[];
}

function setup(opts: { fail?: ApiError } = {}) {
  const services = new FakeInformer<Service>();
  const pods = new FakeInformer<Pod>();
  const endpoints = new FakeInformer<Endpoints>();
  const calls: Call[] = [];
  const write = (op: string) => async (...args: unknown[]) => {
    calls.push({ op, args });
    if (opts.fail) throw opts.fail;
    return args[0];
  };
  const client = {
    create: write('create'),
    update: write('update'),
    delete: write('delete'),
    updateStatus: write('updateStatus'),
  };
  const byKind: Record<string, unknown> = { Service: services, Pod: pods, Endpoints: endpoints };
  const ctx = {
    client,
    informers: { informer: (kind: string) => byKind[kind] },
    recorder: () => ({ event: async () => undefined }),
    log: createLogger('test', 'silent'),
    stopSignal: new AbortController().signal,
  } as unknown as ControllerContext;
  const controller = new EndpointsController(ctx);
  /** Keys queued so far, in order, leaving the queue empty. */
  const drain = async (): Promise<string[]> => {
    const keys: string[] = [];
    while (controller.queue.len() > 0) {
      const k = (await controller.queue.get())!;
      controller.queue.done(k);
      keys.push(k);
    }
    return keys;
  };
  return { services, pods, endpoints, calls, controller, drain };
}

let rv = 0;
function svc(name: string, selector?: Record<string, string>, ns = 'ns'): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: ns, uid: `uid-${name}`, resourceVersion: String(++rv) },
    spec: { selector, clusterIP: '10.96.0.1', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  };
}

function pod(name: string, labels: Record<string, string>, o: { ip?: string; ready?: boolean; ns?: string } = {}): Pod {
  return {
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'ns', uid: `uid-${name}`, labels, resourceVersion: String(++rv) },
    spec: { nodeName: 'node-a', containers: [{ name: 'c' }] },
    status: { podIP: o.ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

test('pod events queue exactly the Services that select the pod', async () => {
  const t = setup();
  t.services.deliver(svc('web', { app: 'web' }));
  t.services.deliver(svc('db', { app: 'db' }));
  t.services.deliver(svc('web', { app: 'web' }, 'other'));
  t.services.deliver(svc('manual'));
  await t.drain();

  const p = pod('p', { app: 'web' }, { ip: '10.244.0.2' });
  t.pods.deliver(p);
  assert.deepEqual(await t.drain(), ['ns/web']);

  // A status change that touches no address fact queues nothing.
  t.pods.deliver({ ...p, metadata: { ...p.metadata, resourceVersion: String(++rv) }, status: { ...p.status, startTime: 'later' } });
  assert.deepEqual(await t.drain(), []);

  // Turning unready does.
  t.pods.deliver(pod('p', { app: 'web' }, { ip: '10.244.0.2', ready: false }));
  assert.deepEqual(await t.drain(), ['ns/web']);

  // Relabelled: the Service it leaves and the one it joins.
  t.pods.deliver(pod('p', { app: 'db' }, { ip: '10.244.0.2', ready: false }));
  assert.deepEqual((await t.drain()).sort(), ['ns/db', 'ns/web']);

  t.pods.deliverDelete(pod('p', { app: 'db' }));
  assert.deepEqual(await t.drain(), ['ns/db']);

  t.pods.deliver(pod('q', { app: 'none' }, { ip: '10.244.0.3' }));
  assert.deepEqual(await t.drain(), []);
});

test('sync creates the Endpoints of a Service with a selector, then leaves them alone while equal', async () => {
  const t = setup();
  t.services.deliver(svc('web', { app: 'web' }));
  t.pods.deliver(pod('a', { app: 'web' }, { ip: '10.244.0.2' }));
  t.pods.deliver(pod('b', { app: 'web' }, { ip: '10.244.0.3', ready: false }));
  await t.controller.sync('ns/web');
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0]!.op, 'create');
  const ep = t.calls[0]!.args[0] as Endpoints;
  assert.deepEqual(
    ep.subsets?.map((s) => [s.addresses?.map((a) => a.ip), s.notReadyAddresses?.map((a) => a.ip), s.ports?.map((p) => p.port)]),
    [[['10.244.0.2'], ['10.244.0.3'], [8080]]],
  );

  t.endpoints.deliver({ ...ep, metadata: { ...ep.metadata, resourceVersion: '7' } });
  await t.controller.sync('ns/web');
  assert.equal(t.calls.length, 1, 'nothing written when nothing changed');

  t.pods.deliverDelete(pod('a', { app: 'web' }));
  await t.controller.sync('ns/web');
  assert.equal(t.calls.length, 2);
  assert.equal(t.calls[1]!.op, 'update');
  const upd = t.calls[1]!.args[0] as Endpoints;
  assert.equal(upd.metadata?.resourceVersion, '7');
  assert.equal(upd.subsets?.[0]?.addresses, undefined);
  assert.deepEqual(upd.subsets?.[0]?.notReadyAddresses?.map((a) => a.ip), ['10.244.0.3']);
});

test('a Service without a selector keeps its user-managed Endpoints untouched', async () => {
  const t = setup();
  t.services.deliver(svc('manual'));
  t.endpoints.deliver({ kind: 'Endpoints', metadata: { name: 'manual', namespace: 'ns' }, subsets: [{ addresses: [{ ip: '192.168.1.5' }], ports: [{ port: 5432 }] }] });
  t.pods.deliver(pod('a', { app: 'web' }, { ip: '10.244.0.2' }));
  await t.controller.sync('ns/manual');
  assert.deepEqual(t.calls, []);
  // Nor does an edit of those Endpoints queue anything.
  await t.drain();
  t.endpoints.deliver({ kind: 'Endpoints', metadata: { name: 'manual', namespace: 'ns' }, subsets: [] });
  assert.deepEqual(await t.drain(), []);
});

test('a deleted Service has its Endpoints deleted (already gone is fine)', async () => {
  const t = setup();
  const s = svc('web', { app: 'web' });
  t.services.deliver(s);
  await t.drain();
  t.services.deliverDelete(s);
  assert.deepEqual(await t.drain(), ['ns/web']);
  await t.controller.sync('ns/web');
  assert.deepEqual(t.calls, [{ op: 'delete', args: ['Endpoints', 'ns', 'web'] }]);

  const gone = setup({ fail: new ApiError('NotFound', 'endpoints "web" not found') });
  await gone.controller.sync('ns/web');
  assert.equal(gone.calls.length, 1);
});

test('a managed Endpoints deleted or edited by someone else is queued for repair', async () => {
  const t = setup();
  t.services.deliver(svc('web', { app: 'web' }));
  await t.drain();
  const ep: Endpoints = { kind: 'Endpoints', metadata: { name: 'web', namespace: 'ns' } };
  t.endpoints.deliver(ep);
  t.endpoints.deliver({ ...ep, subsets: [{ addresses: [{ ip: '1.2.3.4' }] }] });
  assert.deepEqual(await t.drain(), ['ns/web']);
  t.endpoints.deliverDelete(ep);
  assert.deepEqual(await t.drain(), ['ns/web']);
});

test('a write refused as stale makes sync fail, so the key is retried', async () => {
  const t = setup({ fail: new ApiError('Conflict', 'the object has been modified') });
  t.services.deliver(svc('web', { app: 'web' }));
  t.endpoints.deliver({ kind: 'Endpoints', metadata: { name: 'web', namespace: 'ns', resourceVersion: '3' } });
  t.pods.deliver(pod('a', { app: 'web' }, { ip: '10.244.0.2' }));
  await assert.rejects(t.controller.sync('ns/web'), /modified/);
  assert.equal(t.calls[0]!.op, 'update');
});
