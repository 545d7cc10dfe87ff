// The Deployment and ReplicaSet controllers against a real etcd and
// apiserver, with hollow nodes running the pods and a small binder in the
// test standing in for the scheduler (whose placement is not under test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { ApiClient, type Watch } from '../../lib/client/api-client.js';
import { createLogger } from '../../lib/logging.js';
import type { Deployment, Pod, ReplicaSet } from '../../lib/api/generated/types.js';
import { InformerFactory } from '../../lib/informer/index.js';
import { EventRecorder } from '../../lib/events.js';
import type { ControllerContext } from '../context.js';
import { startReplicaSetController } from '../replicaset/index.js';
import { startDeploymentController } from './index.js';
import { isPodActive, isPodReady } from '../util/pod.js';
import { controllerRef } from '../util/owner-refs.js';
import { POD_TEMPLATE_HASH_LABEL } from '../util/template-hash.js';
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './revision.js';

/** What these tests use of the hollow agent (agent/hollow, written alongside). */
interface HollowModule {
  startHollowNode(opts: { server: string; nodeName: string; cpus: number; memory: string }): Promise<{ stop(): Promise<void> }>;
}
// Loaded by a computed name so this file builds before agent/hollow exists;
// until it does, the tests are skipped with that reason rather than run
// against a stand-in.
const HOLLOW = '../../agent/hollow/index.js';
const hollow = (await import(HOLLOW).catch((err: { code?: string }) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
  throw err;
})) as HollowModule | undefined;
const skip = hollow?.startHollowNode ? false : 'agent/hollow (startHollowNode) is not there yet';
const it = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

const NS = 'default';
let etcd: EtcdServer;
let api: RunningApiServer;
let client: ApiClient;
const stop = new AbortController();
const running: Promise<unknown>[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

before(async () => {
  if (skip) return;
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(api.address);
  for (const [name, cpus] of [['node-a', 4], ['node-b', 8]] as const) {
    const node = await hollow!.startHollowNode({ server: api.address, nodeName: name, cpus, memory: '16Gi' });
    cleanups.push(() => node.stop());
  }
  cleanups.push(startBinder(['node-a', 'node-b']));

  const log = createLogger('controllers', 'warn');
  const informers = new InformerFactory(client);
  const ctx: ControllerContext = {
    client,
    informers,
    recorder: (component) => new EventRecorder(client, component),
    log,
    stopSignal: stop.signal,
  };
  running.push(startReplicaSetController(ctx), startDeploymentController(ctx));
  await informers.start();
  cleanups.push(() => informers.stop());
});

after(async () => {
  stop.abort();
  await Promise.allSettled(running);
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  client?.close();
  await api?.stop();
  await etcd?.stop();
});

/** Binds every unbound pod, round robin: the scheduler's part, reduced to what these tests need. */
function startBinder(nodes: string[]): () => void {
  let watch: Watch<Pod> | undefined;
  let stopped = false;
  let next = 0;
  const bind = async (p: Pod) => {
    if (p.spec?.nodeName || p.metadata?.deletionTimestamp) return;
    const node = nodes[next++ % nodes.length]!;
    await client.bind(p.metadata!.namespace!, p.metadata!.name!, node, p.metadata!.uid).catch(() => undefined);
  };
  void (async () => {
    while (!stopped) {
      try {
        const list = await client.list('Pod', { fieldSelector: 'spec.nodeName=' });
        for (const p of list.items) await bind(p);
        watch = client.watch('Pod', { fieldSelector: 'spec.nodeName=', resourceVersion: list.resourceVersion });
        for await (const ev of watch) if (ev.type === 'ADDED' || ev.type === 'MODIFIED') await bind(ev.object);
      } catch {
        if (!stopped) await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return () => {
    stopped = true;
    watch?.stop();
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function deployment(name: string, replicas: number, image: string, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
      ...extra,
    },
  };
}

async function podsOf(app: string): Promise<Pod[]> {
  return (await client.list('Pod', { namespace: NS, labelSelector: `app=${app}` })).items;
}
async function replicaSetsOf(app: string): Promise<ReplicaSet[]> {
  return (await client.list('ReplicaSet', { namespace: NS, labelSelector: `app=${app}` })).items;
}

/** The Deployment once its rollout is complete: every replica updated and available, this generation observed. */
async function rolledOut(name: string, replicas: number): Promise<Deployment> {
  return waitFor(`deployment ${name} to roll out ${replicas} replicas`, async () => {
    const d = await client.get('Deployment', NS, name);
    const s = d.status ?? {};
    const pods = (await podsOf(name)).filter(isPodActive);
    const done =
      (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
      (s.updatedReplicas ?? 0) === replicas &&
      (s.replicas ?? 0) === replicas &&
      (s.availableReplicas ?? 0) === replicas &&
      pods.length === replicas &&
      pods.every(isPodReady);
    return done && d;
  });
}

async function update(name: string, change: (d: Deployment) => void): Promise<Deployment> {
  for (;;) {
    const d = await client.get('Deployment', NS, name);
    change(d);
    try {
      return await client.update(d);
    } catch (err) {
      if ((err as { code?: string }).code !== 'Conflict') throw err;
    }
  }
}

it('a Deployment gets a hashed ReplicaSet whose pods are created, run and become available', async () => {
  await client.create(deployment('web', 3, 'nginx:1'));
  const d = await rolledOut('web', 3);
  const rses = await replicaSetsOf('web');
  assert.equal(rses.length, 1);
  const rs = rses[0]!;
  const hash = rs.spec!.template!.metadata!.labels![POD_TEMPLATE_HASH_LABEL]!;
  assert.ok(hash);
  assert.equal(rs.metadata!.name, `web-${hash}`);
  assert.equal(rs.spec!.selector!.matchLabels![POD_TEMPLATE_HASH_LABEL], hash);
  assert.equal(rs.metadata!.annotations![REVISION_ANNOTATION], '1');
  assert.equal(controllerRef(rs)?.uid, d.metadata!.uid);
  assert.equal(d.metadata!.annotations![REVISION_ANNOTATION], '1');
  const pods = (await podsOf('web')).filter(isPodActive);
  for (const p of pods) {
    assert.match(p.metadata!.name!, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    assert.equal(p.metadata!.labels![POD_TEMPLATE_HASH_LABEL], hash);
    assert.equal(controllerRef(p)?.uid, rs.metadata!.uid);
    assert.ok(p.spec!.nodeName);
  }
  const conds = Object.fromEntries((d.status!.conditions ?? []).map((c) => [c.type, c]));
  assert.equal(conds.Available?.status, 'True');
  assert.equal(conds.Available?.reason, 'MinimumReplicasAvailable');
  assert.equal(conds.Progressing?.reason, 'NewReplicaSetAvailable');
  assert.equal(rs.status?.readyReplicas, 3);
  assert.equal(rs.status?.observedGeneration, rs.metadata?.generation);
});

it('scaling up and down changes the pod count and records ScalingReplicaSet events', async () => {
  await update('web', (d) => (d.spec!.replicas = 6));
  await rolledOut('web', 6);
  await update('web', (d) => (d.spec!.replicas = 2));
  await rolledOut('web', 2);
  const rs = (await replicaSetsOf('web'))[0]!;
  assert.equal(rs.spec!.replicas, 2);
  const events = await waitFor('scaling events', async () => {
    const evs = (await client.list('Event', { namespace: NS })).items.filter((e) => e.reason === 'ScalingReplicaSet' && e.involvedObject?.name === 'web');
    return evs.length >= 3 && evs;
  });
  const messages = events.map((e) => e.message);
  assert.ok(messages.includes(`Scaled up replica set ${rs.metadata!.name} to 6`), messages.join('\n'));
  assert.ok(messages.includes(`Scaled down replica set ${rs.metadata!.name} to 2`), messages.join('\n'));
});

/** Watches a Deployment's pods and checks the rollout bounds on every event. */
function watchBounds(app: string, maxTotal: number, minAvailable: number): { stop(): Promise<{ events: number; violations: string[] }> } {
  const pods = new Map<string, Pod>();
  const violations: string[] = [];
  let events = 0;
  let watch: Watch<Pod> | undefined;
  const done = (async () => {
    const list = await client.list('Pod', { namespace: NS, labelSelector: `app=${app}` });
    for (const p of list.items) pods.set(p.metadata!.uid!, p);
    watch = client.watch('Pod', { namespace: NS, labelSelector: `app=${app}`, resourceVersion: list.resourceVersion });
    try {
      for await (const ev of watch) {
        events++;
        if (ev.type === 'DELETED') pods.delete(ev.object.metadata!.uid!);
        else pods.set(ev.object.metadata!.uid!, ev.object);
        const active = [...pods.values()].filter(isPodActive);
        const available = active.filter(isPodReady).length;
        if (active.length > maxTotal) violations.push(`${active.length} pods > ${maxTotal} after ${ev.type} ${ev.object.metadata!.name}`);
        if (available < minAvailable) violations.push(`${available} available < ${minAvailable} after ${ev.type} ${ev.object.metadata!.name}`);
      }
    } catch (err) {
      violations.push(`watch failed: ${String(err)}`);
    }
  })();
  return {
    async stop() {
      watch?.stop();
      await done;
      return { events, violations };
    },
  };
}

it('a rolling update never has more than replicas+maxSurge pods or fewer than replicas-maxUnavailable available', async () => {
  await client.create(
    deployment('roll', 5, 'app:v1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }, revisionHistoryLimit: 1 }),
  );
  await rolledOut('roll', 5);
  const bounds = watchBounds('roll', 6, 4);
  await update('roll', (d) => (d.spec!.template!.spec!.containers![0]!.image = 'app:v2'));
  await rolledOut('roll', 5);
  const { events, violations } = await bounds.stop();
  assert.deepEqual(violations, []);
  assert.ok(events >= 10, `the watch saw the rollout (${events} events)`);

  const rses = await replicaSetsOf('roll');
  assert.equal(rses.length, 2);
  const byRev = Object.fromEntries(rses.map((r) => [r.metadata!.annotations![REVISION_ANNOTATION], r]));
  assert.equal(byRev['2']?.spec?.replicas, 5);
  assert.equal(byRev['2']?.spec?.template?.spec?.containers?.[0]?.image, 'app:v2');
  assert.equal(byRev['1']?.spec?.replicas, 0);
  for (const p of (await podsOf('roll')).filter(isPodActive)) assert.equal(p.spec!.containers![0]!.image, 'app:v2');
});

it('rollback (an old template copied back) reuses the old ReplicaSet under a new revision', async () => {
  const before = await replicaSetsOf('roll');
  const v1 = before.find((r) => r.metadata!.annotations![REVISION_ANNOTATION] === '1')!;
  // What `tug rollout undo` does: the old ReplicaSet's template, without its hash label.
  const bounds = watchBounds('roll', 6, 4);
  await update('roll', (d) => {
    const t = structuredClone(v1.spec!.template!);
    delete t.metadata!.labels![POD_TEMPLATE_HASH_LABEL];
    d.spec!.template = t;
  });
  const d = await rolledOut('roll', 5);
  const { violations } = await bounds.stop();
  assert.deepEqual(violations, []);
  const after = await replicaSetsOf('roll');
  const current = after.find((r) => r.metadata!.uid === v1.metadata!.uid)!;
  assert.ok(current, 'the revision-1 ReplicaSet is the one scaled back up');
  assert.equal(current.spec!.replicas, 5);
  assert.equal(current.metadata!.annotations![REVISION_ANNOTATION], '3');
  assert.equal(current.metadata!.annotations![REVISION_HISTORY_ANNOTATION], '1');
  assert.equal(d.metadata!.annotations![REVISION_ANNOTATION], '3');
  assert.equal(after.length, 2, 'no new ReplicaSet was made for an old template');
  for (const p of (await podsOf('roll')).filter(isPodActive)) assert.equal(p.spec!.containers![0]!.image, 'app:v1');
});

it('revisionHistoryLimit deletes the oldest empty ReplicaSets', async () => {
  await update('roll', (d) => (d.spec!.template!.spec!.containers![0]!.image = 'app:v3'));
  await rolledOut('roll', 5);
  const rses = await waitFor('history trimmed to 1 old ReplicaSet', async () => {
    const r = await replicaSetsOf('roll');
    return r.length === 2 && r;
  });
  const revisions = rses.map((r) => r.metadata!.annotations![REVISION_ANNOTATION]).sort();
  assert.deepEqual(revisions, ['3', '4']);
});

it('deleted pods are replaced, and a deleted ReplicaSet is recreated with its pods', async () => {
  const pods = (await podsOf('web')).filter(isPodActive);
  assert.equal(pods.length, 2);
  await client.delete('Pod', NS, pods[0]!.metadata!.name!, { gracePeriodSeconds: 0 });
  await waitFor('a replacement pod', async () => {
    const now = (await podsOf('web')).filter(isPodActive);
    return now.length === 2 && now.every(isPodReady) && !now.some((p) => p.metadata!.uid === pods[0]!.metadata!.uid);
  });

  const [rs] = await replicaSetsOf('web');
  await client.delete('ReplicaSet', NS, rs!.metadata!.name!);
  const fresh = await waitFor('the ReplicaSet to be recreated', async () => {
    const r = (await replicaSetsOf('web')).find((x) => x.metadata!.name === rs!.metadata!.name && x.metadata!.uid !== rs!.metadata!.uid);
    return r && (r.status?.readyReplicas ?? 0) >= 2 && r;
  });
  assert.equal(fresh.spec!.replicas, 2);
  const owned = (await podsOf('web')).filter((p) => isPodActive(p) && controllerRef(p)?.uid === fresh.metadata!.uid);
  assert.equal(owned.length, 2);
  // The old ReplicaSet's pods are the garbage collector's to delete; it is not
  // running here, so do its part.
  for (const p of await podsOf('web')) {
    if (controllerRef(p)?.uid === rs!.metadata!.uid) await client.delete('Pod', NS, p.metadata!.name!, { gracePeriodSeconds: 0 });
  }
});

it('Recreate: no new pod exists while an old one does', async () => {
  await client.create(deployment('rec', 3, 'app:v1', { strategy: { type: 'Recreate' } }));
  await rolledOut('rec', 3);
  const pods = new Map<string, Pod>();
  const mixes: string[] = [];
  const list = await client.list('Pod', { namespace: NS, labelSelector: 'app=rec' });
  for (const p of list.items) pods.set(p.metadata!.uid!, p);
  const watch = client.watch('Pod', { namespace: NS, labelSelector: 'app=rec', resourceVersion: list.resourceVersion });
  const watching = (async () => {
    for await (const ev of watch) {
      if (ev.type === 'DELETED') pods.delete(ev.object.metadata!.uid!);
      else pods.set(ev.object.metadata!.uid!, ev.object);
      const images = new Set([...pods.values()].map((p) => p.spec!.containers![0]!.image));
      if (images.size > 1) mixes.push(`${ev.type} ${ev.object.metadata!.name}: ${[...images].join(', ')}`);
    }
  })().catch(() => undefined);
  await update('rec', (d) => (d.spec!.template!.spec!.containers![0]!.image = 'app:v2'));
  await rolledOut('rec', 3);
  watch.stop();
  await watching;
  assert.deepEqual(mixes, []);
});

it('a paused Deployment does not roll out a new template until resumed, but still scales', async () => {
  await update('web', (d) => {
    d.spec!.paused = true;
    d.spec!.template!.spec!.containers![0]!.image = 'nginx:2';
  });
  const paused = await waitFor('the paused condition and the generation observed', async () => {
    const d = await client.get('Deployment', NS, 'web');
    const p = d.status?.conditions?.find((c) => c.type === 'Progressing');
    return p?.reason === 'DeploymentPaused' && (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && d;
  });
  assert.equal(paused.status!.updatedReplicas ?? 0, 0);
  assert.equal((await replicaSetsOf('web')).length, 1, 'no ReplicaSet for the new template while paused');

  await update('web', (d) => (d.spec!.replicas = 3));
  await waitFor('scaling while paused', async () => (await podsOf('web')).filter((p) => isPodActive(p) && isPodReady(p)).length === 3);
  assert.equal((await replicaSetsOf('web')).length, 1);

  await update('web', (d) => (d.spec!.paused = false));
  const d = await rolledOut('web', 3);
  assert.equal(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  for (const p of (await podsOf('web')).filter(isPodActive)) assert.equal(p.spec!.containers![0]!.image, 'nginx:2');
});
