import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Pod } from '../../lib/api/generated/types.js';
import { containerMounts, objectData, podVolumes, projectFiles, writeAtomicDir } from './volumes.js';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: {
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'settings', configMap: { name: 'cfg', items: [{ key: 'a', path: 'conf/a.txt', mode: 0o600 }] } },
      { name: 'creds', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
    ],
    containers: [],
  },
};

describe('pod volumes', () => {
  it('places volumes under the pod dir (hostPath where it says)', () => {
    const vols = podVolumes(pod, '/state/pods/u');
    assert.deepEqual(vols.map((v) => [v.name, v.kind, v.path]), [
      ['scratch', 'emptyDir', '/state/pods/u/volumes/empty-dir/scratch'],
      ['settings', 'configMap', '/state/pods/u/volumes/configmap/settings'],
      ['creds', 'secret', '/state/pods/u/volumes/secret/creds'],
      ['host', 'hostPath', '/var/log'],
    ]);
  });

  it('mounts volumes into containers, configMap and secret read-only, honouring subPath', () => {
    const vols = podVolumes(pod, '/pd');
    const mounts = containerMounts(
      { name: 'c', volumeMounts: [{ name: 'scratch', mountPath: '/data' }, { name: 'settings', mountPath: '/etc/app' }, { name: 'scratch', mountPath: '/sub', subPath: 'x/y', readOnly: true }] },
      vols,
    );
    assert.deepEqual(mounts, [
      { containerPath: '/data', hostPath: '/pd/volumes/empty-dir/scratch', readOnly: false },
      { containerPath: '/etc/app', hostPath: '/pd/volumes/configmap/settings', readOnly: true },
      { containerPath: '/sub', hostPath: '/pd/volumes/empty-dir/scratch/x/y', readOnly: true },
    ]);
    assert.throws(() => containerMounts({ name: 'c', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, vols), /names no volume/);
    assert.throws(() => containerMounts({ name: 'c', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../etc' }] }, vols), /without "\.\."/);
  });

  it('projects keys to files with items, modes and the optional flag', () => {
    const data = objectData('ConfigMap', { data: { a: 'A', b: 'B' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } });
    assert.deepEqual(projectFiles(data, undefined, 0o644, 'cm', false).map((f) => [f.path, f.content.toString('hex'), f.mode]), [
      ['a', Buffer.from('A').toString('hex'), 0o644],
      ['b', Buffer.from('B').toString('hex'), 0o644],
      ['bin', '0102', 0o644],
    ]);
    assert.deepEqual(projectFiles(data, [{ key: 'b', path: 'x/b.txt', mode: 0o600 }], 0o644, 'cm', false).map((f) => [f.path, f.mode]), [['x/b.txt', 0o600]]);
    assert.throws(() => projectFiles(data, [{ key: 'zz', path: 'z' }], 0o644, 'ConfigMap default/cm', false), /couldn't find key zz in ConfigMap default\/cm/);
    assert.deepEqual(projectFiles(data, [{ key: 'zz', path: 'z' }], 0o644, 'cm', true), []);
    assert.equal(objectData('Secret', { data: { k: Buffer.from('v').toString('base64') } }).k!.toString(), 'v');
  });

  it('writes a volume atomically through a ..data link and replaces its content on change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tug-vol-test-'));
    try {
      const f = (path: string, s: string, mode = 0o644) => ({ path, content: Buffer.from(s), mode });
      assert.equal(await writeAtomicDir(dir, [f('a', 'one'), f('sub/b', 'two', 0o600)]), true);
      assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'one');
      assert.equal(await readFile(join(dir, 'sub/b'), 'utf8'), 'two');
      assert.equal((await stat(join(dir, 'sub/b'))).mode & 0o777, 0o600);
      assert.ok((await lstat(join(dir, 'a'))).isSymbolicLink());
      const first = await readlink(join(dir, '..data'));
      assert.equal(await writeAtomicDir(dir, [f('a', 'one'), f('sub/b', 'two', 0o600)]), false, 'same content: nothing to do');
      assert.equal(await writeAtomicDir(dir, [f('a', 'uno')]), true);
      assert.notEqual(await readlink(join(dir, '..data')), first);
      assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'uno');
      await assert.rejects(lstat(join(dir, 'sub')), 'a key that went away is removed');
      await assert.rejects(lstat(join(dir, first)), 'the old generation is removed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
