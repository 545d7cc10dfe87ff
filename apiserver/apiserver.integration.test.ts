// The apiserver against a real etcd: storage format, optimistic concurrency,
// watch ordering and compaction, the shared watch cache, namespaces.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import * as grpc from '@grpc/grpc-js';
import { apiService } from '../lib/api/service.js';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { ApiClient, type WatchEvent } from '../lib/client/api-client.js';
import { ApiError } from '../lib/errors.js';
import { decode, encode } from '../lib/api/schema.js';
import type { AnyObject, KindName } from '../lib/api/kinds.js';
import type * as T from '../lib/api/generated/types.js';
import { startApiServer, type RunningApiServer } from './index.js';
import { createLogger } from '../lib/logging.js';

let etcd: EtcdServer;
let server: RunningApiServer;
let client: ApiClient;
let raw: Etcd3;
const WINDOW = 100;

before(async () => {
  etcd = await startEtcd();
  // A small watch window, so that a test can push a revision out of it.
  server = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn'), watchWindow: WINDOW });
  client = new ApiClient(server.address);
  raw = new Etcd3({ hosts: [etcd.endpoint] });
});
after(async () => {
  client?.close();
  raw?.close();
  await server?.stop();
  await etcd?.stop();
});

async function expectCode(p: Promise<unknown>, code: string): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

const podSpec = { containers: [{ name: 'web', image: 'busybox', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] };
const samples: Record<KindName, AnyObject> = {
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crud-ns' } },
  Node: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: { capacity: { cpu: '2', memory: '4Gi', pods: '110' } } },
  Pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', labels: { app: 'web' } }, spec: podSpec },
  ReplicaSet: {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'rs1' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'rs1' } }, template: { metadata: { labels: { app: 'rs1' } }, spec: podSpec } },
  },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd1' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'd1' } }, template: { metadata: { labels: { app: 'd1' } }, spec: podSpec } },
  },
  Service: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's1' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  Endpoints: { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 's1' }, subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 8080 }] }] },
  Event: {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'p1.1' },
    involvedObject: { kind: 'Pod', name: 'p1', namespace: 'default' },
    reason: 'Tested',
    message: 'hello',
    type: 'Normal',
  },
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l1' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 40 } },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: '1' } },
  Secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec1' }, stringData: { password: 'hunter2' } },
};

describe('CRUD', () => {
  test('default namespaces exist after start', async () => {
    const { items } = await client.list('Namespace');
    const names = items.map((n) => n.metadata?.name);
    for (const n of ['default', 'kube-system']) assert.ok(names.includes(n), `missing namespace ${n}: ${names.join(',')}`);
    assert.equal(items.find((n) => n.metadata?.name === 'default')?.status?.phase, 'Active');
  });

  for (const [kind, sample] of Object.entries(samples) as [KindName, AnyObject][]) {
    test(`${kind}: create, get, list, update, delete; stored as protobuf at its key`, async () => {
      const created = await client.create(sample);
      const md = created.metadata!;
      assert.ok(md.uid, 'uid is set');
      assert.ok(md.creationTimestamp, 'creationTimestamp is set');
      assert.match(md.resourceVersion!, /^\d+$/);
      assert.equal(created.kind, kind);

      const ns = md.namespace;
      const resource = { Namespace: 'namespaces', Node: 'nodes', Pod: 'pods', ReplicaSet: 'replicasets', Deployment: 'deployments', Service: 'services', Endpoints: 'endpoints', Event: 'events', Lease: 'leases', ConfigMap: 'configmaps', Secret: 'secrets' }[kind];
      const key = ns ? `/registry/${resource}/${ns}/${md.name}` : `/registry/${resource}/${md.name}`;
      const stored = await raw.get(key).exec();
      assert.equal(stored.kvs.length, 1, `no key ${key}`);
      assert.equal(String(stored.kvs[0]!.mod_revision), md.resourceVersion, 'resourceVersion is the mod revision');
      const decoded = decode<AnyObject>(kind, stored.kvs[0]!.value);
      assert.equal(decoded.metadata?.name, md.name);

      const got = await client.get(kind, ns, md.name!);
      assert.deepEqual(got, created);
      const listed = await client.list(kind, { namespace: ns });
      assert.ok(listed.items.some((o) => o.metadata?.uid === md.uid));

      const updated = await client.update({ ...got, metadata: { ...got.metadata, labels: { ...got.metadata?.labels, touched: 'yes' } } });
      assert.equal(updated.metadata?.labels?.touched, 'yes');
      assert.ok(Number(updated.metadata!.resourceVersion) > Number(md.resourceVersion));

      if (kind !== 'Namespace') {
        const del = await client.delete(kind, ns, md.name!);
        assert.equal(del.deleted, true);
        await expectCode(client.get(kind, ns, md.name!), 'NotFound');
      }
    });
  }

  test('secret stringData is merged into base64 data', async () => {
    const c = await client.create({ ...samples.Secret, metadata: { name: 'sec2' } } as T.Secret);
    assert.equal(Buffer.from(c.data!.password!, 'base64').toString(), 'hunter2');
    assert.equal(c.stringData, undefined);
  });

  test('generation moves on spec changes only', async () => {
    const d = await client.create({ ...samples.Deployment, metadata: { name: 'gen' } } as T.Deployment);
    assert.equal(d.metadata?.generation, 1);
    const labelled = await client.update({ ...d, metadata: { ...d.metadata, labels: { x: 'y' } } });
    assert.equal(labelled.metadata?.generation, 1);
    const scaled = await client.update({ ...labelled, spec: { ...labelled.spec, replicas: 5 } });
    assert.equal(scaled.metadata?.generation, 2);
    // status written by Update is ignored, and UpdateStatus leaves spec alone
    const ignored = await client.update({ ...scaled, status: { replicas: 99 } });
    assert.equal(ignored.status?.replicas, undefined);
    const st = await client.updateStatus({ ...scaled, spec: { ...scaled.spec, replicas: 1 }, status: { replicas: 4 } });
    assert.equal(st.status?.replicas, 4);
    assert.equal(st.spec?.replicas, 5);
  });

  test('a stale resourceVersion is a Conflict, never an overwrite', async () => {
    const cm = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stale' }, data: { v: '1' } } as T.ConfigMap);
    await client.update({ ...cm, data: { v: '2' } });
    await expectCode(client.update({ ...cm, data: { v: '3' } }), 'Conflict');
    assert.equal((await client.get('ConfigMap', 'default', 'stale')).data?.v, '2');
  });

  test('create of an existing name is AlreadyExists; get of a missing one NotFound', async () => {
    const twice = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twice' } } as T.ConfigMap;
    await client.create(twice);
    await expectCode(client.create(twice), 'AlreadyExists');
    const e = await expectCode(client.get('Deployment', 'default', 'nope'), 'NotFound');
    assert.match(e.message, /deployments\.apps "nope" not found/);
  });

  test('an invalid object is rejected with every problem listed and nothing stored', async () => {
    const bad = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'Bad_Name' },
      spec: { replicas: -1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c' }] } } },
    } as T.Deployment;
    const e = await expectCode(client.create(bad), 'Invalid');
    const fields = e.causes.map((c) => c.field);
    assert.ok(fields.includes('metadata.name'), fields.join(','));
    assert.ok(fields.includes('spec.replicas'), fields.join(','));
    assert.ok(fields.some((f) => f.startsWith('spec.template.metadata.labels') || f === 'spec.selector'), fields.join(','));
    assert.ok(fields.some((f) => f.includes('image')), fields.join(','));
    const stored = await raw.getAll().prefix('/registry/deployments/default/Bad_Name').keys();
    assert.equal(stored.length, 0);
  });

  test('objects in a missing namespace are refused', async () => {
    await expectCode(client.create({ ...samples.ConfigMap, metadata: { name: 'x', namespace: 'nowhere' } } as T.ConfigMap), 'NotFound');
  });

  test('a namespace is usable the moment it is created, and refuses creates the moment it is terminating', async () => {
    // Creates check their namespace against the apiserver's own watch of namespaces, which may
    // not have seen the latest change yet; each case below runs right after that change.
    for (let i = 0; i < 10; i++) {
      const name = `fresh-${i}`;
      await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as T.Namespace);
      await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first', namespace: name } } as T.ConfigMap);
    }
    for (let i = 0; i < 10; i++) {
      const name = `fresh-${i}`;
      // a finalizer of our own keeps it Terminating after it is emptied
      const ns = await client.get('Namespace', undefined, name);
      await client.update({ ...ns, metadata: { ...ns.metadata, finalizers: ['example.com/hold'] } });
      await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warm', namespace: name } } as T.ConfigMap);
      await client.delete('Namespace', undefined, name);
      const e = await expectCode(client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: name } } as T.ConfigMap), 'Forbidden');
      assert.match(e.message, /being terminated/);
    }
    // Marked behind the apiserver's back, straight in etcd: the index cannot have seen it before the create.
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sneaky' } } as T.Namespace);
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warm', namespace: 'sneaky' } } as T.ConfigMap);
    const stored = decode<T.Namespace>('Namespace', (await raw.get('/registry/namespaces/sneaky').buffer())!);
    const marked = { ...stored, metadata: { ...stored.metadata, deletionTimestamp: new Date().toISOString(), finalizers: ['example.com/hold'] } };
    await raw.put('/registry/namespaces/sneaky').value(Buffer.from(encode('Namespace', marked)));
    await expectCode(client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'sneaky' } } as T.ConfigMap), 'Forbidden');
    await client.delete('ConfigMap', 'sneaky', 'warm');
    for (const name of [...Array.from({ length: 10 }, (_, i) => `fresh-${i}`), 'sneaky']) {
      const ns = await client.get('Namespace', undefined, name);
      await client.update({ ...ns, metadata: { ...ns.metadata, finalizers: [] } }).catch(() => undefined);
    }
  });

  test('delete preconditions on uid and resourceVersion', async () => {
    const cm = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pre' } } as T.ConfigMap);
    await expectCode(client.delete('ConfigMap', 'default', 'pre', { preconditions: { uid: 'other' } }), 'Conflict');
    await expectCode(client.delete('ConfigMap', 'default', 'pre', { preconditions: { resourceVersion: '1' } }), 'Conflict');
    const ok = await client.delete('ConfigMap', 'default', 'pre', { preconditions: { uid: cm.metadata!.uid!, resourceVersion: cm.metadata!.resourceVersion! } });
    assert.equal(ok.deleted, true);
  });

  test('finalizers hold an object until they are removed', async () => {
    const cm = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fin', finalizers: ['example.com/hold'] } } as T.ConfigMap);
    const res = await client.delete('ConfigMap', 'default', 'fin');
    assert.equal(res.deleted, false);
    const marked = await client.get('ConfigMap', 'default', 'fin');
    assert.ok(marked.metadata?.deletionTimestamp);
    await client.update({ ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    await expectCode(client.get('ConfigMap', 'default', cm.metadata!.name!), 'NotFound');
  });

  test('bind sets the node once; a second bind is a Conflict', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bindme' }, spec: podSpec } as T.Pod);
    const bound = await client.bind('default', 'bindme', 'node-a');
    assert.equal(bound.spec?.nodeName, 'node-a');
    assert.equal(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    await expectCode(client.bind('default', 'bindme', 'node-b'), 'Conflict');
    // a bound pod is stopped gracefully: marked, not removed, until its node's agent finishes
    const del = await client.delete('Pod', 'default', 'bindme');
    assert.equal(del.deleted, false);
    assert.ok(del.object.metadata?.deletionTimestamp);
    const gone = await client.delete('Pod', 'default', 'bindme', { gracePeriodSeconds: 0 });
    assert.equal(gone.deleted, true);
  });

  test('label and field selectors filter lists', async () => {
    for (const [name, tier, node] of [['sel-a', 'front', 'n1'], ['sel-b', 'back', 'n2'], ['sel-c', 'front', 'n2']] as const) {
      await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { suite: 'sel', tier } }, spec: { ...podSpec, nodeName: node } } as T.Pod);
    }
    const names = (items: AnyObject[]) => items.map((o) => o.metadata?.name).sort();
    assert.deepEqual(names((await client.list('Pod', { labelSelector: 'suite=sel,tier=front' })).items), ['sel-a', 'sel-c']);
    assert.deepEqual(names((await client.list('Pod', { labelSelector: 'suite=sel,tier!=front' })).items), ['sel-b']);
    assert.deepEqual(names((await client.list('Pod', { labelSelector: 'suite in (sel),tier notin (back)' })).items), ['sel-a', 'sel-c']);
    assert.deepEqual(names((await client.list('Pod', { labelSelector: 'suite,!missing' })).items), ['sel-a', 'sel-b', 'sel-c']);
    assert.deepEqual(names((await client.list('Pod', { fieldSelector: 'spec.nodeName=n2' })).items), ['sel-b', 'sel-c']);
    assert.deepEqual(names((await client.list('Pod', { fieldSelector: 'metadata.name=sel-a', namespace: 'default' })).items), ['sel-a']);
    assert.deepEqual(names((await client.list('Pod', { labelSelector: 'suite=sel', fieldSelector: 'status.phase=Pending' })).items), ['sel-a', 'sel-b', 'sel-c']);
    await expectCode(client.list('Pod', { fieldSelector: 'spec.bogus=1' }), 'BadRequest');
  });

  test('deleting a namespace deletes what is in it', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } as T.Namespace);
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'doomed' } } as T.ConfigMap);
    await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'doomed' }, spec: podSpec } as T.Pod);
    const res = await client.delete('Namespace', undefined, 'doomed');
    assert.equal(res.deleted, false);
    assert.equal((await client.get('Namespace', undefined, 'doomed')).status?.phase, 'Terminating');
    await expectCode(client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'doomed' } } as T.ConfigMap), 'Forbidden');
    for (let i = 0; i < 100; i++) {
      try {
        await client.get('Namespace', undefined, 'doomed');
      } catch (e) {
        if (e instanceof ApiError && e.code === 'NotFound') break;
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await expectCode(client.get('Namespace', undefined, 'doomed'), 'NotFound');
    assert.equal((await raw.getAll().prefix('/registry/configmaps/doomed/').keys()).length, 0);
    assert.equal((await raw.getAll().prefix('/registry/pods/doomed/').keys()).length, 0);
    await expectCode(client.delete('Namespace', undefined, 'default'), 'Forbidden');
  });
});

describe('concurrency and watch', () => {
  test('20 concurrent read-modify-write loops lose no update', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter' }, data: { n: '0' } } as T.ConfigMap);
    const perWorker = 10;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < perWorker; ) {
          const cur = await client.get('ConfigMap', 'default', 'counter');
          try {
            await client.update({ ...cur, data: { n: String(Number(cur.data!.n) + 1) } });
            i++;
          } catch (e) {
            if (e instanceof ApiError && e.code === 'Conflict') conflicts++;
            else throw e;
          }
        }
      }),
    );
    assert.equal((await client.get('ConfigMap', 'default', 'counter')).data?.n, String(20 * perWorker));
    assert.ok(conflicts > 0, 'the loops really raced');
  });

  async function collect<O>(w: AsyncIterable<WatchEvent<O>>, n: number): Promise<WatchEvent<O>[]> {
    const got: WatchEvent<O>[] = [];
    for await (const ev of w) {
      got.push(ev);
      if (got.length >= n) break;
    }
    return got;
  }

  test('a watch from resourceVersion R delivers every later change exactly once, in order', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } } as T.Namespace);
    const start = await client.list('ConfigMap', { namespace: 'watched' });
    // changes before the watch starts (replayed from the window) and after it
    const early = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w0', namespace: 'watched' } } as T.ConfigMap);
    await client.update({ ...early, data: { a: '1' } });
    const w = client.watch('ConfigMap', { namespace: 'watched', resourceVersion: start.resourceVersion });
    const events = collect(w, 12);
    for (let i = 1; i <= 4; i++) {
      const c = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w${i}`, namespace: 'watched' } } as T.ConfigMap);
      await client.update({ ...c, data: { a: String(i) } });
    }
    await client.delete('ConfigMap', 'watched', 'w1');
    await client.delete('ConfigMap', 'watched', 'w2');
    const got = await events;
    w.stop();
    const seen = got.map((e) => `${e.type} ${e.object.metadata?.name}`);
    assert.deepEqual(seen, [
      'ADDED w0', 'MODIFIED w0',
      'ADDED w1', 'MODIFIED w1', 'ADDED w2', 'MODIFIED w2', 'ADDED w3', 'MODIFIED w3', 'ADDED w4', 'MODIFIED w4',
      'DELETED w1', 'DELETED w2',
    ]);
    const revs = got.map((e) => Number(e.resourceVersion));
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions increase: ${revs.join(',')}`);
    assert.ok(revs[0]! > Number(start.resourceVersion));
  });

  test('a watch with a selector, replayed from the window, sees objects enter and leave it', async () => {
    const start = await client.list('ConfigMap', { namespace: 'default' });
    const cm = (tier: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mover', labels: { tier } } }) as T.ConfigMap;
    let cur = await client.create(cm('a'));
    cur = await client.update({ ...cur, metadata: { ...cur.metadata, labels: { tier: 'b' } } });
    cur = await client.update({ ...cur, data: { x: '1' } }); // outside the selector: nothing
    cur = await client.update({ ...cur, metadata: { ...cur.metadata, labels: { tier: 'a' } } });
    cur = await client.update({ ...cur, data: { x: '2' } });
    await client.delete('ConfigMap', 'default', 'mover');
    // every change above is in the window now; the replay decides each from the stored bytes
    const w = client.watch('ConfigMap', { namespace: 'default', labelSelector: 'tier=a', resourceVersion: start.resourceVersion });
    const got = await collect(w, 5);
    w.stop();
    assert.deepEqual(
      got.map((e) => [e.type, e.object.metadata?.labels?.tier, e.object.data?.x]),
      [['ADDED', 'a', undefined], ['DELETED', 'a', undefined], ['ADDED', 'a', '1'], ['MODIFIED', 'a', '2'], ['DELETED', 'a', '2']],
    );
    const revs = got.map((e) => Number(e.resourceVersion));
    assert.deepEqual(revs, got.map((e) => Number(e.object.metadata?.resourceVersion)));
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!);
  });

  test('writes start from the watch cache\'s copy, but never act on a stale one', async () => {
    // A watcher makes the apiserver follow pods; changes written straight to etcd reach that
    // copy only a moment later, so each write below starts from a stale guess.
    const w = client.watch('Pod', { namespace: 'default', resourceVersion: (await client.list('Pod', { namespace: 'default' })).resourceVersion });
    const stored = async (name: string) => decode<T.Pod>('Pod', (await raw.get(`/registry/pods/default/${name}`).buffer())!);
    const behindItsBack = async (p: T.Pod) => raw.put(`/registry/pods/default/${p.metadata!.name}`).value(Buffer.from(encode('Pod', { ...p, metadata: { ...p.metadata, resourceVersion: undefined } })));
    const settle = () => new Promise((r) => setTimeout(r, 300));
    try {
      for (let i = 0; i < 5; i++) {
        const name = `guess-${i}`;
        const made = await client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: podSpec } as T.Pod);
        await settle(); // the cache has the pod now
        // status set behind the apiserver's back: an update from the cache's copy would drop it
        await behindItsBack({ ...(await stored(name)), status: { phase: 'Running' } });
        const relabelled = await client.update({ ...made, metadata: { ...made.metadata, resourceVersion: undefined, labels: { v: String(i) } } });
        assert.equal(relabelled.status?.phase, 'Running');
        assert.equal((await client.get('Pod', 'default', name)).status?.phase, 'Running');
        // an update naming the revision the cache may still hold is a conflict
        await expectCode(client.update({ ...relabelled, metadata: { ...relabelled.metadata, resourceVersion: made.metadata!.resourceVersion } }), 'Conflict');
        // bound behind its back: a bind from the cache's copy would bind it twice
        await behindItsBack({ ...(await stored(name)), spec: { ...podSpec, nodeName: 'elsewhere' } });
        const e = await expectCode(client.bind('default', name, 'node-x'), 'Conflict');
        assert.match(e.message, /already assigned to node "elsewhere"/);
        // replaced behind its back: a delete with the old uid is refused, with the new one done
        await behindItsBack({ ...(await stored(name)), metadata: { ...(await stored(name)).metadata, uid: `new-${i}` } });
        await expectCode(client.delete('Pod', 'default', name, { preconditions: { uid: made.metadata!.uid! } }), 'Conflict');
        await client.delete('Pod', 'default', name, { preconditions: { uid: `new-${i}` }, gracePeriodSeconds: 0 });
        assert.equal((await raw.get(`/registry/pods/default/${name}`).buffer()), null);
      }
    } finally {
      w.stop();
    }
  });

  test('a watch resumes from a revision older than the watch cache window (history from etcd)', async () => {
    // a fresh apiserver's cache starts now; resuming from before its start must still work
    const before = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hist' }, data: { v: '0' } } as T.ConfigMap);
    const second = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
    const c2 = new ApiClient(second.address);
    try {
      await client.update({ ...before, data: { v: '1' } });
      const w = c2.watch('ConfigMap', { namespace: 'default', resourceVersion: String(Number(before.metadata!.resourceVersion) - 1) });
      const got = await collect(w, 2);
      w.stop();
      assert.deepEqual(got.map((e) => [e.type, e.object.metadata?.name, e.object.data?.v]), [['ADDED', 'hist', '0'], ['MODIFIED', 'hist', '1']]);
    } finally {
      c2.close();
      await second.stop();
    }
  });

  test('a watch from a compacted revision reports TooOld', async () => {
    const a = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'compact-me' } } as T.ConfigMap);
    const old = Number(a.metadata!.resourceVersion);
    let cur = await client.update({ ...a, data: { x: '1' } });
    // The watch cache serves recent revisions itself; push this one out of its window.
    for (let i = 0; i < WINDOW + 10; i++) cur = await client.update({ ...cur, data: { x: String(i) } });
    await etcd.compact(Number((await client.list('ConfigMap')).resourceVersion));
    const w = client.watch('ConfigMap', { resourceVersion: String(old) });
    await assert.rejects(
      (async () => {
        for await (const _ of w) {
          /* no event may come before the error */
        }
      })(),
      (e: unknown) => e instanceof ApiError && e.code === 'TooOld' && /too old/.test(e.message),
    );
  });

  test('a busy watch delivers a burst of changes exactly once, in order', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'burst' } } as T.Namespace);
    const { resourceVersion } = await client.list('ConfigMap', { namespace: 'burst' });
    const all = client.watch('ConfigMap', { namespace: 'burst', resourceVersion });
    // a second watcher with a selector sees only its share of the same changes
    const odd = client.watch('ConfigMap', { namespace: 'burst', labelSelector: 'parity=odd', resourceVersion });
    const n = 400;
    const gotAll = collect(all, 2 * n);
    const gotOdd = collect(odd, n);
    await Promise.all(
      Array.from({ length: 8 }, async (_, wk) => {
        for (let i = wk; i < n; i += 8) {
          const c = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `b${i}`, namespace: 'burst', labels: { parity: i % 2 ? 'odd' : 'even' } } } as T.ConfigMap);
          await client.update({ ...c, data: { i: String(i) } });
        }
      }),
    );
    const evs = await gotAll;
    const oddEvs = await gotOdd;
    all.stop();
    odd.stop();
    const revs = evs.map((e) => Number(e.resourceVersion));
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions increase at ${i}`);
    for (let i = 0; i < n; i++) {
      const mine = evs.filter((e) => e.object.metadata?.name === `b${i}`).map((e) => e.type);
      assert.deepEqual(mine, ['ADDED', 'MODIFIED'], `b${i}`);
    }
    const key = (e: WatchEvent<T.ConfigMap>) => `${e.type} ${e.object.metadata?.name} ${e.resourceVersion}`;
    assert.deepEqual(oddEvs.map(key), evs.filter((e) => Number(e.object.metadata?.name?.slice(1)) % 2 === 1).map(key));
  });

  test('a watcher that stops reading is dropped with a reason once its backlog passes the limit; it resumes from its last event', async () => {
    // A separate apiserver with a small per-watch buffer, so a few hundred changes overflow it.
    const small = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'error'), watchBufferBytes: 256 * 1024 });
    const c2 = new ApiClient(small.address);
    const Ctor = grpc.makeGenericClientConstructor(apiService, 'Api');
    const rawApi = new Ctor(small.address, grpc.credentials.createInsecure());
    try {
      await c2.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'slow' } } as T.Namespace);
      const { resourceVersion } = await c2.list('ConfigMap', { namespace: 'slow' });
      // The raw stream stops reading after its first message, until the end: HTTP/2 flow control
      // then stalls the server's writes. (A grpc-js stream never read at all would instead
      // buffer everything in the client; ApiClient.watch always reads, and pauses when far behind.)
      const stream = (rawApi as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<T.WatchResponse>>).Watch!.call(rawApi, {
        resource: 'configmaps',
        namespace: 'slow',
        resourceVersion,
      });
      const got: T.WatchEvent[] = [];
      let reading = false;
      stream.on('data', (res: T.WatchResponse) => {
        got.push(...(res.events ?? []));
        if (!reading) stream.pause();
      });
      const payload = 'x'.repeat(2048);
      const n = 400; // ~800 KiB of events: past the window HTTP/2 allows unread, and past the 256 KiB buffer
      for (let i = 0; i < n; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) => c2.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `s${i + j}`, namespace: 'slow' }, data: { payload } } as T.ConfigMap)),
        );
      }
      const failure = await new Promise<grpc.ServiceError>((resolve, reject) => {
        stream.on('error', resolve);
        stream.on('end', () => reject(new Error('the stream ended without an error')));
        reading = true;
        stream.resume();
      });
      const e = ApiError.fromGrpc(failure);
      assert.equal(e.code, 'Unavailable');
      assert.match(e.message, /behind.*dropped it; watch again from the last resourceVersion/);
      assert.ok(got.length > 0 && got.length < n, `the watcher got ${got.length} of ${n} events before the drop`);
      const revs = got.map((ev) => Number(ev.resourceVersion));
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!);
      // Resuming from the last event received delivers exactly the rest.
      const w = c2.watch('ConfigMap', { namespace: 'slow', resourceVersion: String(revs.at(-1)) });
      const rest = await collect(w, n - got.length);
      w.stop();
      const names = [...got.map((ev) => ev.object?.configMap?.metadata?.name), ...rest.map((ev) => ev.object.metadata?.name)];
      assert.equal(new Set(names).size, n);
      assert.equal(names.length, n);
    } finally {
      rawApi.close();
      c2.close();
      await small.stop();
    }
  });

  test('100 concurrent watchers of one resource share a single etcd watch', async () => {
    const base = await etcd.metric('etcd_debugging_mvcc_watcher_total');
    assert.notEqual(base, undefined, 'etcd reports its watcher count');
    const { resourceVersion } = await client.list('Lease', { namespace: 'default' });
    const watches = Array.from({ length: 100 }, () => client.watch('Lease', { namespace: 'default', resourceVersion }));
    const firsts = watches.map((w) => collect(w, 1));
    await client.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'fanout' }, spec: { holderIdentity: 'x' } } as T.Lease);
    const got = await Promise.all(firsts);
    assert.ok(got.every((evs) => evs[0]?.type === 'ADDED' && evs[0].object.metadata?.name === 'fanout'));
    const during = await etcd.metric('etcd_debugging_mvcc_watcher_total');
    for (const w of watches) w.stop();
    // The lease cache's etcd watch may predate this test (an earlier test watched leases); at most one is new.
    assert.ok(during! - base! <= 1, `etcd watchers went from ${base} to ${during} for 100 clients`);
    assert.ok((await server.etcdWatchCount()) >= 1);
  });
});

describe('services', () => {
  const service = (name: string, spec: T.ServiceSpec = {}) =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } }) as T.Service;

  test('20 services created at once get 20 distinct cluster IPs from 10.96.0.0/16', async () => {
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => client.create(service(`ip-${i}`))));
    const ips = made.map((s) => s.spec?.clusterIP);
    assert.equal(new Set(ips).size, 20, ips.join(','));
    for (const ip of ips) assert.match(ip!, /^10\.96\.\d+\.\d+$/);
    const reserved = await raw.getAll().prefix('/registry/ranges/serviceips/').keys();
    for (const ip of ips) assert.ok(reserved.includes(`/registry/ranges/serviceips/${ip}`));
  });

  test('an explicit cluster IP is honoured, a taken one refused with the reason, headless gets none', async () => {
    const s = await client.create(service('fixed', { clusterIP: '10.96.200.7' }));
    assert.equal(s.spec?.clusterIP, '10.96.200.7');
    const e = await expectCode(client.create(service('dup', { clusterIP: '10.96.200.7' })), 'Invalid');
    assert.match(e.message, /spec\.clusterIP.*already allocated/);
    await expectCode(client.create(service('outside', { clusterIP: '192.168.0.1' })), 'Invalid');
    const h = await client.create(service('headless', { clusterIP: 'None' }));
    assert.equal(h.spec?.clusterIP, 'None');
    // re-applying without the assigned IP keeps it; changing it is refused
    const again = await client.update({ ...s, spec: { ...s.spec, clusterIP: undefined, clusterIPs: undefined } });
    assert.equal(again.spec?.clusterIP, '10.96.200.7');
    await expectCode(client.update({ ...again, spec: { ...again.spec, clusterIP: '10.96.200.8', clusterIPs: ['10.96.200.8'] } }), 'Invalid');
  });

  test('node ports are allocated in 30000-32767, explicit ones checked', async () => {
    const np = await client.create(service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443, nodePort: 31443 }] }));
    const [a, b] = np.spec!.ports!;
    assert.ok(a!.nodePort! >= 30000 && a!.nodePort! <= 32767);
    assert.equal(b!.nodePort, 31443);
    const e = await expectCode(client.create(service('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 31443 }] })), 'Invalid');
    assert.match(e.message, /nodePort.*already allocated/);
  });

  test('a deleted service frees its IP and ports, also across an apiserver restart', async () => {
    const s = await client.create(service('freed', { type: 'NodePort', clusterIP: '10.96.201.1', ports: [{ port: 80, nodePort: 32001 }] }));
    await client.delete('Service', 'default', 'freed');
    const ip = s.spec!.clusterIP!;
    assert.equal((await raw.get(`/registry/ranges/serviceips/${ip}`).exec()).kvs.length, 0);
    const second = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
    const c2 = new ApiClient(second.address);
    try {
      const reused = await c2.create(service('reuse', { type: 'NodePort', clusterIP: ip, ports: [{ port: 80, nodePort: 32001 }] }));
      assert.equal(reused.spec?.clusterIP, ip);
    } finally {
      c2.close();
      await second.stop();
    }
  });
});
