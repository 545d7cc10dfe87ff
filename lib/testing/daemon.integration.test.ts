import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonStartError, isRunning, retryOnPortTaken, startDaemon } from './daemon.js';

const spec = (script: string, waitReady: (hasExited: () => boolean) => Promise<void>) => ({
  what: 'the test daemon',
  binary: '/bin/sh',
  args: ['-c', script],
  env: process.env,
  dir: mkdtempSync(join(tmpdir(), 'tug-daemon-test-')),
  address: 'nowhere',
  waitReady,
});

async function untilExited(hasExited: () => boolean): Promise<void> {
  while (!hasExited()) await sleep(10);
  throw new Error('gave up');
}

test('a daemon that exits before it is ready fails with its log, and its dir is removed', async () => {
  const s = spec('echo "no config here" >&2; exit 3', untilExited);
  const err = await startDaemon(s).then(
    () => assert.fail('it started'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DaemonStartError);
  assert.match(err.message, /could not start the test daemon \(\/bin\/sh on nowhere\): it exited \(code 3\)/);
  assert.match(err.message, /no config here/);
  assert.equal(err.portTaken, false);
  assert.equal(existsSync(s.dir), false);
});

test('a ready daemon runs until stop(), which ends it and removes its dir', async () => {
  const s = spec('echo up; exec sleep 60', async () => undefined);
  const d = await startDaemon(s);
  assert.ok(isRunning(d.pid));
  await d.stop();
  await d.stop();
  assert.equal(isRunning(d.pid), false);
  assert.equal(existsSync(s.dir), false);
});

test('only a lost port is retried', async () => {
  let calls = 0;
  await assert.rejects(
    retryOnPortTaken(async () => {
      calls++;
      throw new DaemonStartError('bind: address already in use', true);
    }),
    /address already in use/,
  );
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    retryOnPortTaken(async () => {
      calls++;
      throw new Error('bad flag');
    }),
    /bad flag/,
  );
  assert.equal(calls, 1);
});
