// scripts/images/build-busybox.mjs end to end: build, push to a real
// registry, pull into a store, and run the image's shell from its layer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../../lib/testing/registry.js';
import { ImageStore } from './store.js';

const run = promisify(execFile);
// dist/agent/images → repository root.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCRIPT = join(ROOT, 'scripts/images/build-busybox.mjs');

let registry: TestRegistry;
let tmp: string;
before(async () => {
  registry = await startRegistry();
  tmp = await mkdtemp(join(tmpdir(), 'tug-busybox-image-test-'));
});
after(async () => {
  await registry?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the busybox script pushes an image whose rootfs has sh, httpd and friends and runs', async () => {
  const { stdout } = await run(process.execPath, [SCRIPT, registry.address]);
  assert.match(stdout, new RegExp(`^pushed ${registry.address}/busybox:latest@sha256:[0-9a-f]{64}\\n$`));

  const store = await ImageStore.open({ root: join(tmp, 'store'), defaultRegistry: registry.address });
  const image = await store.ensure('busybox', 'IfNotPresent');
  assert.equal(image.layers.length, 1);
  assert.deepEqual(image.config.config?.Cmd, ['sh']);
  const rootfs = image.layers[0]!;
  const busybox = await lstat(join(rootfs, 'bin/busybox'));
  assert.ok(busybox.isFile());
  assert.equal(busybox.mode & 0o111, 0o111);
  assert.equal(busybox.uid, 0);
  for (const applet of ['bin/sh', 'usr/sbin/httpd', 'usr/bin/wget', 'usr/bin/nc', 'bin/sleep', 'bin/ps', 'sbin/ip', 'bin/hostname']) {
    assert.equal(await readlink(join(rootfs, applet)), '/bin/busybox', applet);
  }
  assert.equal((await lstat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
  assert.equal((await lstat(join(rootfs, 'etc/passwd'))).isFile(), true);

  // The layer is a working root filesystem: its shell runs and finds httpd on the image's PATH.
  const path = image.config.config?.Env?.find((e) => e.startsWith('PATH='))!.slice(5);
  const { stdout: out } = await run('chroot', [rootfs, '/bin/sh', '-c', `PATH=${path}; which httpd; echo ok`]);
  assert.equal(out, '/usr/sbin/httpd\nok\n');
});

test('the busybox script explains its usage', async () => {
  await assert.rejects(run(process.execPath, [SCRIPT]), (e: unknown) => {
    const err = e as { code?: number; stderr?: string };
    assert.equal(err.code, 2);
    assert.match(err.stderr ?? '', /usage: node scripts\/images\/build-busybox.mjs REGISTRY/);
    return true;
  });
});
