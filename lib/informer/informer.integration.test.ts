// Informers against a real etcd and apiserver: they follow changes, and when
// their apiserver goes away while history is compacted they come back,
// relist, and tell handlers exactly what changed meanwhile.
//
// The apiserver the informers use runs as its own process (dist/apiserver/main.js),
// so restarting it is a real restart; a second, in-process apiserver on the
// same etcd takes the writes while the first is down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { ConfigMap } from '../api/generated/types.js';
import { ApiClient } from '../client/api-client.js';
import { createLogger } from '../logging.js';
import { startEtcd, type EtcdServer } from '../testing/etcd.js';
import { freePort } from '../testing/ports.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { Informer } from './informer.js';
import { InformerFactory } from './factory.js';
import { objectKey } from './key.js';

let etcd: EtcdServer | undefined;
/** the apiserver process the informers use; restarted by a test */
let apiA: ChildProcess | undefined;
let addressA: string;
/** a second apiserver (in-process) on the same etcd, for writes while A is down */
let apiB: RunningApiServer | undefined;
let clientA: ApiClient;
let clientB: ApiClient;
const quiet = pino({ level: 'silent' });
const apiLog = createLogger('apiserver', 'warn');

const APISERVER_MAIN = fileURLToPath(new URL('../../apiserver/main.js', import.meta.url));

/** Starts dist/apiserver/main.js on addressA and waits until it answers. */
async function spawnApiServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [APISERVER_MAIN, '--etcd-servers', etcd!.endpoint, '--listen', addressA], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TUG_LOG_LEVEL: 'warn' },
  });
  const probe = new ApiClient(addressA, { timeoutMs: 1000 });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`apiserver exited with ${child.exitCode}`);
      try {
        await probe.version();
        return child;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    probe.close();
  }
}

async function stopApiServer(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

before(async () => {
  etcd = await startEtcd();
  addressA = `127.0.0.1:${await freePort()}`;
  apiA = await spawnApiServer();
  apiB = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: apiLog });
  clientA = new ApiClient(addressA);
  clientB = new ApiClient(apiB.address);
  await clientB.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inf' } });
});

after(async () => {
  clientA?.close();
  clientB?.close();
  await stopApiServer(apiA);
  await apiB?.stop();
  await etcd?.stop();
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'inf' },
  data,
});

test('an informer follows creates, updates and deletes made through the apiserver', async (t) => {
  const inf = new Informer<ConfigMap>(clientA, 'ConfigMap', { namespace: 'inf' }, { log: quiet });
  t.after(() => inf.stop());
  const log: string[] = [];
  inf.onAdd((o) => log.push(`add ${o.metadata?.name}`));
  inf.onUpdate((_o, n) => log.push(`update ${n.metadata?.name} ${n.data?.v}`));
  inf.onDelete((o) => log.push(`delete ${o.metadata?.name}`));
  await clientB.create(cm('pre'));
  await inf.start();
  assert.deepEqual(log, ['add pre']);
  await clientB.create(cm('live'));
  await clientB.update({ ...(await clientB.get('ConfigMap', 'inf', 'live')), data: { v: '2' } });
  await clientB.delete('ConfigMap', 'inf', 'pre');
  await waitFor('three changes', () => log.length === 4);
  assert.deepEqual(log, ['add pre', 'add live', 'update live 2', 'delete pre']);
  assert.equal(inf.get('inf/live')?.data?.v, '2');
  assert.equal(inf.get('inf/pre'), undefined);
  await clientB.delete('ConfigMap', 'inf', 'live');
  await waitFor('cleanup', () => inf.list().length === 0);
});

test('after its apiserver restarts and history is compacted, the informer relists and reports the difference', async (t) => {
  for (const name of ['stays', 'changes', 'goes']) await clientB.create(cm(name, { v: '1' }));
  const messages: string[] = [];
  const captured = pino({ level: 'info' }, { write: (line: string) => messages.push(JSON.parse(line).msg) });
  const factory = new InformerFactory(clientA, { log: captured, retryBaseMs: 50, retryMaxMs: 300 });
  t.after(() => factory.stop());
  const inf = factory.informer('ConfigMap', { namespace: 'inf' });
  const log: string[] = [];
  inf.onAdd((o) => log.push(`add ${o.metadata?.name}`));
  inf.onUpdate((_o, n) => log.push(`update ${n.metadata?.name} ${n.data?.v}`));
  inf.onDelete((o) => log.push(`delete ${o.metadata?.name}`));
  factory.start();
  assert.equal(await factory.waitForSync(), true);
  assert.deepEqual(log.sort(), ['add changes', 'add goes', 'add stays']);
  log.length = 0;

  await stopApiServer(apiA);
  apiA = undefined;

  // While it is away: changes through the other apiserver, then compaction.
  await clientB.create(cm('arrives', { v: '1' }));
  for (let i = 2; i <= 30; i++) await clientB.update({ ...(await clientB.get('ConfigMap', 'inf', 'changes')), data: { v: String(i) } });
  await clientB.delete('ConfigMap', 'inf', 'goes');
  const { resourceVersion } = await clientB.list('ConfigMap', { namespace: 'inf' });
  await etcd!.compact(Number(resourceVersion));

  apiA = await spawnApiServer();

  await waitFor('the informer to catch up', () => inf.get('inf/changes')?.data?.v === '30' && !!inf.get('inf/arrives') && !inf.get('inf/goes'));
  assert.ok(messages.includes('watch too old; relisting'), `expected a relist after compaction; log: ${messages.join(' | ')}`);
  // Handlers heard of every object whose state changed, and the final word on each is its current state.
  assert.ok(log.includes('add arrives'), log.join(', '));
  assert.ok(log.includes('delete goes'), log.join(', '));
  assert.equal(log.filter((l) => l.startsWith('update changes')).at(-1), 'update changes 30');
  assert.ok(!log.some((l) => l.includes('stays')), 'an unchanged object is not reported');
  const server = (await clientB.list('ConfigMap', { namespace: 'inf' })).items.map((o) => `${objectKey(o)}@${o.metadata?.resourceVersion}`).sort();
  assert.deepEqual(inf.list().map((o) => `${objectKey(o)}@${o.metadata?.resourceVersion}`).sort(), server);

  // And it keeps watching the new apiserver.
  await clientB.create(cm('after-restart'));
  await waitFor('event after restart', () => log.includes('add after-restart'));
});
