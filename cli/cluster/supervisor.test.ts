import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComponentSpec } from './components.js';
import { readSupervisorState, isAlive } from './state.js';
import {
  BACKOFF_INITIAL_MS,
  BACKOFF_MAX_MS,
  BACKOFF_RESET_AFTER_MS,
  componentEnvironment,
  describeExit,
  nextRestartDelay,
  stagesOf,
  Supervisor,
} from './supervisor.js';

test('back-off doubles up to the maximum and starts over after a long run', () => {
  let d: number | undefined;
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) seen.push((d = nextRestartDelay(d, 10)));
  assert.deepEqual(seen, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(nextRestartDelay(BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS), BACKOFF_INITIAL_MS);
});

test('stages in start order; exits described', () => {
  const s = (name: string, stage: number): ComponentSpec => ({ name, stage, argv: ['true'] });
  assert.deepEqual(stagesOf([s('c', 2), s('a', 0), s('b', 1), s('d', 2)]).map((g) => g.map((x) => x.name)), [['a'], ['b'], ['c', 'd']]);
  assert.equal(describeExit(1, null), 'code 1');
  assert.equal(describeExit(null, 'SIGKILL'), 'signal SIGKILL');
});

test('component environment drops variables etcd, the registry or tug would take as settings', () => {
  assert.deepEqual(componentEnvironment({ PATH: '/bin', ETCD_NAME: 'x', REGISTRY_HTTP_ADDR: 'y', TUG_SERVER: 'z' }), { PATH: '/bin' });
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('a component that exits is restarted and each restart is logged; stop ends every component', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tug-supervisor-test-'));
  const sup = new Supervisor({
    stateDir: dir,
    logsDir: join(dir, 'logs'),
    specs: [
      { name: 'steady', stage: 0, argv: ['sleep', '600'] },
      { name: 'flaky', stage: 1, argv: ['sh', '-c', 'echo hello; exit 3'] },
    ],
  });
  try {
    await sup.start();
    await waitFor('two restarts', () => (sup.state().components.find((c) => c.name === 'flaky')?.restarts ?? 0) >= 2);
    await sup.flush();
    const flaky = readSupervisorState(dir)!.components.find((c) => c.name === 'flaky')!;
    assert.ok(flaky.restarts >= 1);
    assert.equal(flaky.lastExit, 'code 3');
    const steady = sup.state().components.find((c) => c.name === 'steady')!;
    assert.equal(steady.restarts, 0);
    assert.ok(isAlive(steady.pid));
    const log = await readFile(join(dir, 'logs', 'supervisor.log'), 'utf8');
    assert.match(log, /flaky exited \(code 3\) after [\d.]+s; restart 1 in 1s/);
    assert.match(log, /flaky exited \(code 3\) after [\d.]+s; restart 2 in 2s/);
    assert.match(await readFile(join(dir, 'logs', 'flaky.log'), 'utf8'), /hello/);
    const steadyPid = steady.pid!;
    await sup.stop();
    assert.ok(!isAlive(steadyPid), 'the steady component is stopped');
    const after = readSupervisorState(dir)!;
    assert.equal(after.phase, 'stopped');
    assert.ok(after.components.every((c) => c.state === 'stopped'), JSON.stringify(after.components));
    // no restart is scheduled after stop
    const restarts = after.components.find((c) => c.name === 'flaky')!.restarts;
    await sleep(BACKOFF_INITIAL_MS * 2);
    assert.equal(sup.state().components.find((c) => c.name === 'flaky')!.restarts, restarts);
  } finally {
    await sup.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
