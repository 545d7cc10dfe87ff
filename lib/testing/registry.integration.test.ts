// The test registry helper against the real docker-registry binary.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { registryConfig, startRegistry } from './registry.js';

test('registryConfig binds loopback and stores under the given dir', () => {
  const cfg = registryConfig({ port: 5123, storageDir: '/tmp/x y' });
  assert.match(cfg, /addr: 127\.0\.0\.1:5123/);
  assert.match(cfg, /rootdirectory: "\/tmp\/x y"/);
});

test('startRegistry serves the v2 API on a free loopback port; stop ends it and removes its dir', async () => {
  const a = await startRegistry();
  const b = await startRegistry();
  try {
    assert.notEqual(a.address, b.address);
    assert.match(a.address, /^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${a.address}/v2/`);
    assert.equal(res.status, 200);
    assert.ok(existsSync(a.dir));
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.equal(existsSync(a.dir), false);
  assert.throws(() => process.kill(a.pid, 0), /ESRCH/);
  await assert.rejects(fetch(`http://${a.address}/v2/`));
  await a.stop(); // a second stop is harmless
});
