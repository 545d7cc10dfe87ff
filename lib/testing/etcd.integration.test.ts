// Runs the real etcd (Debian's etcd-server, /usr/bin/etcd).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { isRunning, startEtcd, type EtcdServer } from './etcd.js';

const started: EtcdServer[] = [];
after(async () => {
  await Promise.all(started.map((e) => e.stop()));
});

async function start(): Promise<EtcdServer> {
  const etcd = await startEtcd();
  started.push(etcd);
  return etcd;
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`gave up waiting: ${what}`);
}

test('startEtcd runs an etcd that stores and returns a value through the etcd3 client', async () => {
  const etcd = await start();
  assert.match(etcd.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(etcd.clientPort, etcd.peerPort);
  assert.ok(existsSync(etcd.dataDir), 'data dir exists while etcd runs');
  assert.ok(isRunning(etcd.pid));
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    await client.put('/registry/test/a').value('hello');
    assert.equal(await client.get('/registry/test/a').string(), 'hello');
    assert.equal(await client.get('/registry/test/missing').string(), null);
  } finally {
    client.close();
  }
});

test('stop() ends the etcd process and removes its data dir, and can be called twice', async () => {
  const etcd = await start();
  await etcd.stop();
  assert.equal(isRunning(etcd.pid), false, `etcd pid ${etcd.pid} still running after stop()`);
  assert.equal(existsSync(etcd.dataDir), false, `${etcd.dataDir} left behind`);
  await etcd.stop();
});

test('two etcds run side by side on their own ports with their own data', async () => {
  const [a, b] = await Promise.all([start(), start()]);
  assert.notEqual(a.endpoint, b.endpoint);
  assert.notEqual(a.dataDir, b.dataDir);
  const ca = new Etcd3({ hosts: a.endpoint });
  const cb = new Etcd3({ hosts: b.endpoint });
  try {
    await ca.put('k').value('in a');
    assert.equal(await cb.get('k').string(), null);
  } finally {
    ca.close();
    cb.close();
  }
});

test('compact(rev) makes reads at older revisions fail as compacted', async () => {
  const etcd = await start();
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const first = await client.put('k').value('1').exec();
    await client.put('k').value('2');
    const third = await client.put('k').value('3').exec();
    const oldRev = first.header.revision;
    // Before compaction the old revision is readable.
    const before = await client.kv.range({ key: Buffer.from('k'), revision: oldRev });
    assert.equal(before.kvs[0]?.value.toString(), '1');
    await etcd.compact(Number(third.header.revision));
    await assert.rejects(client.kv.range({ key: Buffer.from('k'), revision: oldRev }), /compacted/);
    assert.equal(await client.get('k').string(), '3');
  } finally {
    client.close();
  }
});

test('metric() reads etcd gauges such as the number of watchers', async () => {
  const etcd = await start();
  const name = 'etcd_debugging_mvcc_watcher_total';
  assert.equal(await etcd.metric(name), 0);
  assert.equal(await etcd.metric('no_such_metric_anywhere'), undefined);
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const watcher = await client.watch().key('w').create();
    await eventually(`${name} >= 1`, async () => ((await etcd.metric(name)) ?? 0) >= 1);
    await watcher.cancel();
    await eventually(`${name} back to 0`, async () => (await etcd.metric(name)) === 0);
  } finally {
    client.close();
  }
});

test('startEtcd explains how to install etcd when the binary is missing', async () => {
  await assert.rejects(startEtcd({ binary: '/nonexistent/etcd' }), /install-deps\.sh/);
});

// A child node process that starts an etcd, prints its pid and data dir, then ends as `how` says.
interface EtcdInChild {
  pid: number;
  dataDir: string;
  child: ReturnType<typeof spawn>;
  /** Resolves when the child node process has ended, its exit handlers done. */
  exited: Promise<void>;
}

async function etcdInChild(how: 'exit' | 'wait'): Promise<EtcdInChild> {
  const helper = fileURLToPath(new URL('./etcd.js', import.meta.url));
  const script = `
    import { startEtcd } from ${JSON.stringify(helper)};
    const e = await startEtcd();
    console.log(JSON.stringify({ pid: e.pid, dataDir: e.dataDir }));
    ${how === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const { pid, dataDir } = JSON.parse(line) as { pid: number; dataDir: string };
    return { pid, dataDir, child, exited };
  }
  throw new Error('child printed nothing: it could not start etcd');
}

test('etcd and its data dir go away when the test process exits without stop()', async () => {
  const { pid, dataDir, exited } = await etcdInChild('exit');
  await exited;
  await eventually(`etcd ${pid} gone`, () => !isRunning(pid));
  assert.equal(existsSync(dataDir), false, `${dataDir} left behind`);
});

test('etcd goes away when the test process is terminated', async () => {
  const { pid, dataDir, child, exited } = await etcdInChild('wait');
  child.kill('SIGTERM');
  await exited;
  await eventually(`etcd ${pid} gone`, () => !isRunning(pid));
  assert.equal(existsSync(dataDir), false, `${dataDir} left behind`);
});

test('etcd goes away even when the test process is killed with SIGKILL', async () => {
  const { pid, dataDir, child } = await etcdInChild('wait');
  try {
    child.kill('SIGKILL');
    // No JavaScript runs on SIGKILL: the kernel's parent-death signal (setpriv) ends etcd.
    await eventually(`etcd ${pid} gone`, () => !isRunning(pid));
  } finally {
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
