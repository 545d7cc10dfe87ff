// The e2e etcd container: started through testcontainers on the local engine,
// used through its published port, and removed however its process ends.
// Needs `sudo bash scripts/setup-container-engine.sh` (.ci/run does it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { getContainerRuntimeClient } from 'testcontainers';
import {
  containerEngineEnv,
  etcdContainerCommand,
  ownerAlive,
  removeOrphanedEtcdContainers,
  startEtcdContainer,
  parseStat,
  type EtcdContainer,
} from './etcd-container.js';

const HARNESS = fileURLToPath(new URL('./etcd-container.js', import.meta.url));

/** Whether the engine still has the container, in any state. */
async function containerExists(id: string): Promise<boolean> {
  const client = await getContainerRuntimeClient();
  try {
    await client.container.getById(id).inspect();
    return true;
  } catch (err) {
    if (/no such container|404/i.test(String(err))) return false;
    throw err;
  }
}

/** Runs a node process that starts an etcd container and prints its id; the caller ends it. */
async function childWithContainer(): Promise<{ child: ChildProcess; id: string }> {
  const script = `
    const { startEtcdContainer } = await import(${JSON.stringify(HARNESS)});
    const etcd = await startEtcdContainer();
    console.log(etcd.id);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the child exited (${String(code)}) before printing a container id`);
  });
  const id = await Promise.race([once(lines, 'line').then(([line]) => String(line).trim()), exited]);
  lines.close();
  return { child, id };
}

test('the pure parts: environment, command line, owner labels', () => {
  assert.deepEqual(containerEngineEnv({}), {
    DOCKER_HOST: 'unix:///run/podman/podman.sock',
    TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1',
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  });
  const mine = containerEngineEnv({ DOCKER_HOST: 'unix:///x.sock', TESTCONTAINERS_RYUK_DISABLED: 'false' });
  assert.equal(mine.DOCKER_HOST, 'unix:///x.sock');
  assert.equal(mine.TESTCONTAINERS_RYUK_DISABLED, 'true', 'Ryuk needs a pulled image: always off');

  const cmd = etcdContainerCommand({ advertiseHost: '127.0.0.1', hostPort: 41234, extraArgs: ['--quota-backend-bytes', '1'] });
  const flag = (name: string): string | undefined => cmd[cmd.indexOf(name) + 1];
  assert.equal(cmd[0], '/usr/bin/etcd');
  assert.equal(flag('--listen-client-urls'), 'http://0.0.0.0:2379');
  assert.equal(flag('--advertise-client-urls'), 'http://127.0.0.1:41234');
  assert.deepEqual(cmd.slice(-2), ['--quota-backend-bytes', '1']);

  // A command name with spaces and parentheses must not shift the fields.
  const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 500 0 0 0 10 5 0 0 20 0 11 0 987654 1000000 100';
  assert.deepEqual(parseStat(stat), { state: 'S', startTime: '987654' });

  const identities: Record<number, string> = { 10: '10:555' };
  const identityOf = (pid: number): string | undefined => identities[pid];
  assert.equal(ownerAlive('10:555', identityOf), true);
  assert.equal(ownerAlive('10:999', identityOf), false, 'same pid, another process: the owner is gone');
  assert.equal(ownerAlive('11:555', identityOf), false);
  assert.equal(ownerAlive(undefined, identityOf), false);
  assert.equal(ownerAlive('garbage', identityOf), false);
});

test('etcd in a container: writes and reads through the published port, and stop removes it', async (t) => {
  let etcd: EtcdContainer | undefined;
  let client: Etcd3 | undefined;
  t.after(async () => {
    client?.close();
    await etcd?.stop();
  });

  etcd = await startEtcdContainer();
  t.diagnostic(`etcd container ${etcd.id.slice(0, 12)} answered /health ${etcd.startupMs} ms after start was asked`);
  assert.match(etcd.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(etcd.endpoint, `http://127.0.0.1:${etcd.hostPort}`);
  assert.equal(await containerExists(etcd.id), true);

  client = new Etcd3({ hosts: etcd.endpoint });
  await client.put('/registry/e2e/probe').value('through the mapped port');
  assert.equal(await client.get('/registry/e2e/probe').string(), 'through the mapped port');

  // Advertised where clients can dial it, not at the container's own address.
  const members = await client.cluster.memberList({});
  assert.equal(members.members.length, 1);
  assert.deepEqual(members.members[0]!.clientURLs, [etcd.endpoint]);

  client.close();
  client = undefined;
  await etcd.stop();
  assert.equal(await containerExists(etcd.id), false, 'stop() removes the container');
  await etcd.stop(); // twice is fine
});

test('a test process ended by SIGTERM removes its container on the way out', async (t) => {
  const { child, id } = await childWithContainer();
  t.after(async () => {
    child.kill('SIGKILL');
    await removeOrphanedEtcdContainers();
  });
  assert.equal(await containerExists(id), true);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  assert.equal(signal ?? code, 'SIGTERM', 'the default action of SIGTERM is given back after cleanup');
  assert.equal(await containerExists(id), false);
});

test('a container left by a killed process is removed by the next start anywhere', async (t) => {
  const { child, id } = await childWithContainer();
  let etcd: EtcdContainer | undefined;
  t.after(async () => {
    child.kill('SIGKILL');
    await etcd?.stop();
    await removeOrphanedEtcdContainers();
  });
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  assert.equal(await containerExists(id), true, 'SIGKILL gives the child no chance to clean up');

  etcd = await startEtcdContainer();
  assert.equal(await containerExists(id), false, 'the orphan is gone');
  assert.equal(await containerExists(etcd.id), true, 'and the new one runs');
});

after(async () => {
  // Whatever a failed test above left behind (its processes are dead by now).
  await removeOrphanedEtcdContainers();
});
