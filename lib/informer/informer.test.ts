import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Pod, ConfigMap } from '../api/generated/types.js';
import { ApiError } from '../errors.js';
import type { ApiClient } from '../client/api-client.js';
import { Informer, waitForCacheSync } from './informer.js';
import { InformerFactory } from './factory.js';
import { FakeListerWatcher } from './fake-lister-watcher.js';
import { objectKey, splitKey } from './key.js';
import { diffForReplace } from './store.js';
import type { ListerWatcher } from './list-watch.js';
import { podsByNodeName, POD_NODE_NAME_INDEX } from './indexers.js';

const quiet = pino({ level: 'silent' });
const settings = { log: quiet, retryBaseMs: 1, retryMaxMs: 5 };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const cm = (name: string, ns = 'default', data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

/** Records handler calls as readable strings. */
function recorder(inf: Informer<ConfigMap>): string[] {
  const log: string[] = [];
  inf.onAdd((o) => log.push(`add ${objectKey(o)}`));
  inf.onUpdate((old, o) => log.push(`update ${objectKey(o)} ${JSON.stringify(old.data)}->${JSON.stringify(o.data)}`));
  inf.onDelete((o) => log.push(`delete ${objectKey(o)}`));
  return log;
}

/** The cache must equal the server: same keys, same resourceVersions. */
function assertCacheMatches(inf: Informer, fake: FakeListerWatcher): void {
  const rvs = (objs: { metadata?: { resourceVersion?: string } }[]) =>
    objs.map((o) => `${objectKey(o as ConfigMap)}@${o.metadata?.resourceVersion}`).sort();
  assert.deepEqual(rvs(inf.list()), rvs(fake.snapshot()));
}

test('ApiClient satisfies ListerWatcher', () => {
  // Compile-time check: the real client can feed an informer.
  const f = (c: ApiClient): ListerWatcher => c;
  assert.equal(typeof f, 'function');
});

test('objectKey and splitKey', () => {
  assert.equal(objectKey(cm('a', 'ns1')), 'ns1/a');
  assert.equal(objectKey({ kind: 'Node', metadata: { name: 'n1' } }), 'n1');
  assert.deepEqual(splitKey('ns1/a'), { namespace: 'ns1', name: 'a' });
  assert.deepEqual(splitKey('n1'), { namespace: undefined, name: 'n1' });
});

test('diffForReplace reports adds, changed resourceVersions, deletions and re-creations', () => {
  const current = new Map([
    ['default/same', { ...cm('same'), metadata: { name: 'same', namespace: 'default', uid: 'u1', resourceVersion: '5' } }],
    ['default/changed', { ...cm('changed'), metadata: { name: 'changed', namespace: 'default', uid: 'u2', resourceVersion: '5' } }],
    ['default/gone', { ...cm('gone'), metadata: { name: 'gone', namespace: 'default', uid: 'u3', resourceVersion: '5' } }],
    ['default/recreated', { ...cm('recreated'), metadata: { name: 'recreated', namespace: 'default', uid: 'u4', resourceVersion: '5' } }],
  ]);
  const fresh = [
    { ...cm('same'), metadata: { name: 'same', namespace: 'default', uid: 'u1', resourceVersion: '5' } },
    { ...cm('changed'), metadata: { name: 'changed', namespace: 'default', uid: 'u2', resourceVersion: '9' } },
    { ...cm('new'), metadata: { name: 'new', namespace: 'default', uid: 'u5', resourceVersion: '8' } },
    { ...cm('recreated'), metadata: { name: 'recreated', namespace: 'default', uid: 'u6', resourceVersion: '7' } },
  ];
  const d = diffForReplace(current, fresh);
  assert.deepEqual(d.added.map((o) => o.metadata?.uid).sort(), ['u5', 'u6']);
  assert.deepEqual(d.updated.map((u) => u.obj.metadata?.uid), ['u2']);
  assert.deepEqual(d.deleted.map((o) => o.metadata?.uid).sort(), ['u3', 'u4']);
});

test('start resolves with the listed objects cached; later changes reach handlers and the cache', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  fake.create(cm('b', 'other'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  const log = recorder(inf);
  assert.equal(inf.hasSynced(), false);
  await inf.start();
  assert.equal(inf.hasSynced(), true);
  assert.deepEqual(log.sort(), ['add default/a', 'add other/b']);
  assert.equal(inf.get('default/a')?.metadata?.name, 'a');
  assert.deepEqual(inf.byNamespace('other').map((o) => o.metadata?.name), ['b']);
  log.length = 0;

  fake.create(cm('c'));
  fake.update(cm('a', 'default', { k: 'v' }));
  fake.delete('other/b');
  await waitFor('three events', () => log.length === 3);
  assert.deepEqual(log, ['add default/c', 'update default/a {}->{"k":"v"}', 'delete other/b']);
  assertCacheMatches(inf, fake);
  assert.deepEqual(inf.byNamespace('other'), []);
  assert.equal(inf.lastResourceVersion(), fake.currentRevision);
});

test('a watch that is too old makes it relist and report exactly what changed meanwhile', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('stays'));
  fake.create(cm('changes'));
  fake.create(cm('goes'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  const log = recorder(inf);
  await inf.start();
  log.length = 0;

  // While disconnected: three changes, then the history is compacted away.
  fake.breakWatches();
  fake.create(cm('arrives'));
  fake.update(cm('changes', 'default', { x: '1' }));
  fake.delete('default/goes');
  fake.compact();

  await waitFor('relist', () => fake.listCalls === 2 && log.length === 3);
  assert.deepEqual(log.sort(), ['add default/arrives', 'delete default/goes', 'update default/changes {}->{"x":"1"}']);
  assertCacheMatches(inf, fake);

  // And it watches on from the relist.
  fake.create(cm('after'));
  await waitFor('event after relist', () => log.includes('add default/after'));
});

test('a lost stream resumes the watch from the last resourceVersion without relisting', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  const log = recorder(inf);
  await inf.start();
  log.length = 0;
  const rvBefore = inf.lastResourceVersion();

  fake.breakWatches();
  fake.update(cm('a', 'default', { n: '1' }));
  fake.create(cm('b'));
  await waitFor('missed events delivered', () => log.length === 2);
  assert.deepEqual(log, ['update default/a {}->{"n":"1"}', 'add default/b']);
  assert.equal(fake.listCalls, 1);
  assert.equal(fake.watchedFrom.at(-1), rvBefore);
  assertCacheMatches(inf, fake);
});

test('an unreachable server at start is retried until the list succeeds', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  fake.failNextLists(new ApiError('Unavailable', 'down'), new ApiError('Unavailable', 'still down'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  await inf.start();
  assert.equal(fake.listCalls, 3);
  assert.equal(inf.list().length, 1);
});

test('a request the server refuses outright rejects start instead of retrying forever', async () => {
  const fake = new FakeListerWatcher();
  fake.failNextLists(new ApiError('BadRequest', 'field selector "spec.foo" is not supported'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', { fieldSelector: 'spec.foo=x' }, settings);
  await assert.rejects(inf.start(), (e: unknown) => e instanceof ApiError && e.code === 'BadRequest');
  assert.equal(inf.state, 'stopped');
  await inf.stop();
});

test('an object re-created under the same name while disconnected is a delete then an add', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  const uids: string[] = [];
  inf.onAdd((o) => uids.push(`add ${o.metadata?.uid}`));
  inf.onDelete((o) => uids.push(`delete ${o.metadata?.uid}`));
  await inf.start();
  const oldUid = inf.get('default/a')!.metadata!.uid!;
  uids.length = 0;
  fake.breakWatches();
  fake.delete('default/a');
  const re = fake.create(cm('a'));
  fake.compact();
  await waitFor('relist', () => uids.length === 2);
  assert.deepEqual(uids, [`delete ${oldUid}`, `add ${re.metadata!.uid}`]);
});

test('a handler registered after sync first hears about every cached object', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  fake.create(cm('b'));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  await inf.start();
  const seen: string[] = [];
  inf.onAdd((o) => seen.push(objectKey(o)));
  await waitFor('replay', () => seen.length === 2);
  fake.create(cm('c'));
  await waitFor('live add', () => seen.length === 3);
  assert.deepEqual(seen.sort(), ['default/a', 'default/b', 'default/c']);
});

test('custom indexes follow changes', async (t) => {
  const fake = new FakeListerWatcher();
  const pod = (name: string, node?: string): Pod => ({ kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: node } });
  fake.create(pod('p1', 'n1'));
  fake.create(pod('p2'));
  const inf = new Informer<Pod>(fake, 'Pod', {}, settings);
  t.after(() => inf.stop());
  inf.addIndexer(POD_NODE_NAME_INDEX, podsByNodeName);
  await inf.start();
  assert.deepEqual(inf.byIndex('nodeName', 'n1').map((p) => p.metadata?.name), ['p1']);
  fake.update(pod('p2', 'n1'));
  fake.update(pod('p1', 'n2'));
  await waitFor('index update', () => inf.byIndex('nodeName', 'n2').length === 1);
  assert.deepEqual(inf.byIndex('nodeName', 'n1').map((p) => p.metadata?.name), ['p2']);
  // An index added late covers what is already cached.
  inf.addIndexer('name', (p) => [p.metadata?.name ?? '']);
  assert.equal(inf.byIndex('name', 'p1').length, 1);
  assert.throws(() => inf.byIndex('nope', 'x'), /no index "nope"/);
});

test('a throwing handler neither stops the informer nor other handlers', async (t) => {
  const fake = new FakeListerWatcher();
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  t.after(() => inf.stop());
  inf.onAdd(() => {
    throw new Error('bug in handler');
  });
  const seen: string[] = [];
  inf.onAdd((o) => seen.push(objectKey(o)));
  await inf.start();
  fake.create(cm('a'));
  fake.create(cm('b'));
  await waitFor('both adds', () => seen.length === 2);
});

test('stop ends the watch and silences handlers', async () => {
  const fake = new FakeListerWatcher();
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  const seen: string[] = [];
  inf.onAdd((o) => seen.push(objectKey(o)));
  await inf.start();
  await waitFor('watch open', () => fake.openWatches === 1);
  await inf.stop();
  assert.equal(fake.openWatches, 0);
  assert.equal(inf.state, 'stopped');
  fake.create(cm('late'));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, []);
});

test('stop during a back-off or a pending list returns promptly', async () => {
  const fake = new FakeListerWatcher();
  // Lists fail forever with a long back-off: stop must not wait for it.
  fake.failNextLists(...Array.from({ length: 100 }, () => new ApiError('Unavailable', 'down')));
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, { log: quiet, retryBaseMs: 60_000, retryMaxMs: 60_000 });
  const started = inf.start();
  await waitFor('first list attempt', () => fake.listCalls === 1);
  await inf.stop();
  await started;
  assert.equal(inf.hasSynced(), false);
});

test('factory shares one informer per kind and options and starts late ones', async (t) => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  const f = new InformerFactory(fake, settings);
  t.after(() => f.stop());
  const a = f.informer('ConfigMap');
  assert.equal(f.informer('ConfigMap', {}), a);
  assert.equal(f.informer('ConfigMap', { namespace: '' }), a);
  const b = f.informer('ConfigMap', { namespace: 'default' });
  assert.notEqual(b, a);
  f.start();
  assert.equal(await f.waitForSync(), true);
  assert.equal(a.hasSynced(), true);
  assert.equal(b.hasSynced(), true);
  const late = f.informer('Pod');
  assert.equal(await f.waitForSync(), true);
  assert.equal(late.hasSynced(), true);
  assert.equal(fake.listCalls, 3);
  await f.stop();
  assert.equal(fake.openWatches, 0);
});

test('waitForCacheSync: true once all have synced, false when aborted first', async (t) => {
  const fake = new FakeListerWatcher();
  const a = new Informer<ConfigMap>(fake, 'ConfigMap', {}, settings);
  const b = new Informer<ConfigMap>(fake, 'ConfigMap', { namespace: 'x' }, settings);
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  const waiting = waitForCacheSync([a, b]);
  // Waiting does not start them; whoever owns them does.
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(fake.listCalls, 0);
  void a.start();
  void b.start();
  assert.equal(await waiting, true);

  const never = new Informer<ConfigMap>(fake, 'ConfigMap', { namespace: 'never-started' }, settings);
  const abort = new AbortController();
  const w = waitForCacheSync([a, never], abort.signal);
  abort.abort();
  assert.equal(await w, false);
  assert.equal(await waitForCacheSync([a], abort.signal), false, 'an aborted signal answers false at once');
  const stopped = waitForCacheSync([never]);
  await never.stop();
  assert.equal(await stopped, false, 'an informer stopped before syncing never reports synced');
});

test('a server that keeps answering TooOld is relisted once at once, then with back-off', async () => {
  const fake = new FakeListerWatcher();
  fake.create(cm('a'));
  const alwaysTooOld: ListerWatcher = {
    list: (kind, opts) => fake.list(kind, opts),
    watch: (kind, opts) => {
      const w = fake.watch(kind, opts);
      (w as unknown as { fail(e: Error): void }).fail(new ApiError('TooOld', 'compacted'));
      return w;
    },
  };
  const inf = new Informer<ConfigMap>(alwaysTooOld, 'ConfigMap', {}, { log: quiet, retryBaseMs: 10_000, retryMaxMs: 10_000 });
  await inf.start();
  await new Promise((r) => setTimeout(r, 100));
  await inf.stop();
  // A tight loop would have listed hundreds of times by now.
  assert.ok(fake.listCalls <= 2, `listed ${fake.listCalls} times`);
});

test('a watch that ends without an error is treated as lost and resumed with back-off', async () => {
  const fake = new FakeListerWatcher();
  let watches = 0;
  const endsQuietly: ListerWatcher = {
    list: (kind, opts) => fake.list(kind, opts),
    watch: (kind, opts) => {
      watches++;
      const w = fake.watch(kind, opts);
      if (watches === 1) queueMicrotask(() => w.stop());
      return w;
    },
  };
  const inf = new Informer<ConfigMap>(endsQuietly, 'ConfigMap', {}, settings);
  const seen: string[] = [];
  inf.onAdd((o) => seen.push(objectKey(o)));
  await inf.start();
  await waitFor('a second watch', () => watches >= 2);
  fake.create(cm('after'));
  await waitFor('event on the new watch', () => seen.includes('default/after'));
  await inf.stop();
});

test('a transform trims every object before it is cached or handed on, listed or watched', async () => {
  const fake = new FakeListerWatcher();
  fake.create(cm('listed', 'default', { keep: '1', drop: 'x' }));
  const trim = (o: ConfigMap): ConfigMap => ({ ...o, data: { keep: o.data?.['keep'] ?? '' } });
  const inf = new Informer<ConfigMap>(fake, 'ConfigMap', {}, { ...settings, transform: trim });
  const seen: string[] = [];
  inf.onAdd((o) => seen.push(`add ${JSON.stringify(o.data)}`));
  inf.onUpdate((old, o) => seen.push(`update ${JSON.stringify(old.data)}->${JSON.stringify(o.data)}`));
  await inf.start();
  fake.create(cm('watched', 'default', { keep: '2', drop: 'y' }));
  fake.update(cm('watched', 'default', { keep: '3', drop: 'z' }));
  await waitFor('the update', () => seen.length === 3);
  assert.deepEqual(seen, ['add {"keep":"1"}', 'add {"keep":"2"}', 'update {"keep":"2"}->{"keep":"3"}']);
  assert.deepEqual(inf.get('default/listed')?.data, { keep: '1' });
  assert.deepEqual(inf.get('default/watched')?.data, { keep: '3' });
  await inf.stop();
});
