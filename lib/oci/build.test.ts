// Building images from directories and tarballs, checked by reading the blobs back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { DEFAULT_PATH_ENV, buildImage, imageConfig, imageEnv } from './build.js';
import { sha256Digest } from './digest.js';
import { packDirectory, splitDevice } from './layer-tar.js';
import { MediaType } from './manifest.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tug-build-test-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Listed {
  name: string;
  type: string;
  mode: number;
  linkname: string | null;
  data: string;
}

async function listTar(path: string, gzip: boolean): Promise<Listed[]> {
  const ex = extract();
  const out: Listed[] = [];
  const raw = await readFile(path);
  const piping = pipeline(Readable.from([gzip ? gunzipSync(raw) : raw]), ex as unknown as NodeJS.WritableStream);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ name: entry.header.name, type: entry.header.type, mode: entry.header.mode, linkname: entry.header.linkname, data: Buffer.concat(chunks).toString() });
  }
  await piping;
  return out;
}

async function sampleRootfs(name: string): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(join(dir, 'etc'), { recursive: true });
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'etc/hello'), 'hello\n');
  await writeFile(join(dir, 'bin/tool'), '#!/bin/sh\n');
  await chmod(join(dir, 'bin/tool'), 0o4755);
  await link(join(dir, 'bin/tool'), join(dir, 'bin/tool2'));
  await symlink('tool', join(dir, 'bin/alias'));
  return dir;
}

test('imageEnv checks KEY=value and adds a PATH when none is given', () => {
  assert.deepEqual(imageEnv(['A=1']), [DEFAULT_PATH_ENV, 'A=1']);
  assert.deepEqual(imageEnv(['PATH=/bin', 'A=']), ['PATH=/bin', 'A=']);
  assert.throws(() => imageEnv(['A', '=x', 'B=1']), /KEY=value: "A", "=x"/);
});

test('imageConfig carries entrypoint, cmd, env, workdir and user in Docker field names', () => {
  const created = new Date('2024-01-02T03:04:05Z');
  const cfg = imageConfig(
    { entrypoint: ['/bin/httpd'], cmd: ['-f'], env: ['A=1'], workingDir: '/srv', user: '1000:1000', created, platform: { os: 'linux', architecture: 'amd64' } },
    [sha256Digest('x')],
  );
  assert.deepEqual(cfg.config, { Env: [DEFAULT_PATH_ENV, 'A=1'], Entrypoint: ['/bin/httpd'], Cmd: ['-f'], WorkingDir: '/srv', User: '1000:1000' });
  assert.deepEqual([cfg.os, cfg.architecture, cfg.created], ['linux', 'amd64', created.toISOString()]);
  assert.deepEqual(cfg.rootfs, { type: 'layers', diff_ids: [sha256Digest('x')] });
  assert.throws(() => imageConfig({ workingDir: 'srv' }, []), /must be an absolute path/);
});

test('a directory becomes one gzip layer whose digests match its bytes, with links and modes kept', async () => {
  const dir = await sampleRootfs('rootfs');
  const image = await buildImage({ rootfs: dir, cmd: ['sh'] });
  try {
    assert.equal(image.layers.length, 1);
    const layer = image.layers[0]!;
    const blob = await readFile(layer.path);
    assert.equal(layer.descriptor.digest, sha256Digest(blob));
    assert.equal(layer.descriptor.size, blob.length);
    assert.equal(layer.descriptor.mediaType, MediaType.ociLayerGzip);
    assert.equal(layer.diffId, sha256Digest(gunzipSync(blob)));
    assert.deepEqual(image.config.rootfs.diff_ids, [layer.diffId]);
    assert.equal(image.configDigest, sha256Digest(image.configBytes));
    assert.equal(image.manifestDigest, sha256Digest(image.manifestBytes));
    assert.deepEqual(image.manifest.config, { mediaType: MediaType.ociConfig, digest: image.configDigest, size: image.configBytes.length });

    const entries = await listTar(layer.path, true);
    // Sorted, relative, and without an entry for the (temp) root directory.
    assert.deepEqual(entries.map((e) => e.name), ['bin/', 'bin/alias', 'bin/tool', 'bin/tool2', 'etc/', 'etc/hello']);
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    assert.equal(by['bin/tool']!.mode, 0o4755);
    assert.deepEqual([by['bin/alias']!.type, by['bin/alias']!.linkname], ['symlink', 'tool']);
    assert.deepEqual([by['bin/tool2']!.type, by['bin/tool2']!.linkname], ['link', 'bin/tool']);
    assert.equal(by['etc/hello']!.data, 'hello\n');
  } finally {
    await image.dispose();
  }
});

test('tarballs are taken as layers: gzip as is, plain tar compressed', async () => {
  const dir = await sampleRootfs('rootfs-for-tar');
  const plain = join(tmp, 'rootfs.tar');
  execFileSync('tar', ['-C', dir, '-cf', plain, '.']);
  const gz = join(tmp, 'rootfs.tar.gz');
  execFileSync('sh', ['-c', `gzip -c ${plain} > ${gz}`]);

  const fromGz = await buildImage({ rootfs: gz });
  const fromPlain = await buildImage({ rootfs: plain });
  try {
    // The gzip tarball is uploaded unchanged; both have the same uncompressed content.
    assert.equal(fromGz.layers[0]!.path, gz);
    assert.equal(fromGz.layers[0]!.descriptor.digest, sha256Digest(await readFile(gz)));
    assert.equal(fromGz.layers[0]!.diffId, sha256Digest(await readFile(plain)));
    assert.equal(fromPlain.layers[0]!.diffId, sha256Digest(await readFile(plain)));
    assert.ok((await listTar(fromPlain.layers[0]!.path, true)).some((e) => e.name === './etc/hello'));
  } finally {
    await fromGz.dispose();
    await fromPlain.dispose();
  }
  // dispose() removes only its own temp files, never the user's tarball.
  await readFile(gz);
});

test('what is not a rootfs is refused with the reason', async () => {
  const notTar = join(tmp, 'notes.txt');
  await writeFile(notTar, 'just text');
  await assert.rejects(buildImage({ rootfs: notTar }), /notes.txt cannot be used: it is not a tar archive/);
  await assert.rejects(buildImage({ rootfs: join(tmp, 'missing') }), /does not exist/);
  await assert.rejects(buildImage({}), /needs a root filesystem/);
});

test('several layers keep their order, and owners can be forced to root', async () => {
  const a = join(tmp, 'layer-a');
  const b = join(tmp, 'layer-b');
  await mkdir(a);
  await mkdir(b);
  await writeFile(join(a, 'a'), 'a');
  await writeFile(join(b, 'b'), 'b');
  const image = await buildImage({ layers: [a, b], owner: { uid: 0, gid: 0 } });
  try {
    assert.equal(image.manifest.layers.length, 2);
    assert.deepEqual((await listTar(image.layers[0]!.path, true)).map((e) => e.name), ['a']);
    assert.deepEqual((await listTar(image.layers[1]!.path, true)).map((e) => e.name), ['b']);
  } finally {
    await image.dispose();
  }
});

test('packDirectory fails the stream when the directory cannot be read', async () => {
  const stream = packDirectory(join(tmp, 'no-such-dir'));
  await assert.rejects(async () => {
    for await (const _ of stream) {
      // drain
    }
  }, /ENOENT/);
});

test('splitDevice decodes Linux dev_t numbers', () => {
  assert.deepEqual(splitDevice(0), { major: 0, minor: 0 });
  assert.deepEqual(splitDevice((1 << 8) | 3), { major: 1, minor: 3 }); // /dev/null
  assert.deepEqual(splitDevice((136 << 8) | 0x12 | (0x100 << 12)), { major: 136, minor: 0x112 });
});
