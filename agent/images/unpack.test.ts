// Layer unpacking on the real filesystem: owners, modes, links, and OCI
// whiteouts turned into overlayfs ones. Needs root (chown, mknod, trusted.* xattrs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { sha256Digest } from '../../lib/oci/digest.js';
import { LayerFormatError, cleanEntryPath, unpackLayer, whiteoutOf } from './unpack.js';

type Entry = Partial<Header> & { name: string; data?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const { data, ...header } of entries) {
    await new Promise<void>((resolve, reject) => p.entry({ mtime: new Date('2020-01-01T00:00:00Z'), ...header }, data ?? '', (e) => (e ? reject(e) : resolve())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function xattr(path: string, name: string): string | undefined {
  try {
    return execFileSync('getfattr', ['--only-values', '-n', name, path], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return undefined;
  }
}

test('cleanEntryPath keeps paths inside the layer', () => {
  assert.equal(cleanEntryPath('./etc/passwd'), 'etc/passwd');
  assert.equal(cleanEntryPath('/usr/bin/'), 'usr/bin');
  assert.equal(cleanEntryPath('./'), '');
  assert.equal(cleanEntryPath('a/../b'), 'b');
  assert.throws(() => cleanEntryPath('../etc/passwd'), LayerFormatError);
  assert.throws(() => cleanEntryPath('a/../../x'), /points outside the layer/);
});

test('whiteoutOf reads OCI whiteout names', () => {
  assert.deepEqual(whiteoutOf('etc/.wh.passwd'), { kind: 'remove', target: 'etc/passwd' });
  assert.deepEqual(whiteoutOf('.wh.tmp'), { kind: 'remove', target: 'tmp' });
  assert.deepEqual(whiteoutOf('var/cache/.wh..wh..opq'), { kind: 'opaque', dir: 'var/cache' });
  assert.deepEqual(whiteoutOf('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  assert.deepEqual(whiteoutOf('x/.wh..wh.plnk'), { kind: 'aufs-meta' });
  assert.equal(whiteoutOf('etc/wh.passwd'), undefined);
  assert.throws(() => whiteoutOf('etc/.wh.'), /whiteout of nothing/);
});

describe('unpackLayer', { skip: process.getuid?.() !== 0 && 'needs root for chown, mknod and trusted.* xattrs' }, () => {
  let tmp: string;
  let n = 0;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'tug-unpack-test-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  async function unpack(entries: Entry[], gzip = true): Promise<{ dir: string; tar: Buffer; result: Awaited<ReturnType<typeof unpackLayer>> }> {
    const tar = await tarOf(entries);
    const blob = join(tmp, `blob-${++n}`);
    await writeFile(blob, gzip ? gzipSync(tar) : tar);
    const dir = join(tmp, `layer-${n}`);
    await mkdir(dir, { mode: 0o700 });
    const result = await unpackLayer(blob, dir);
    return { dir, tar, result };
  }

  test('files, directories, links and devices land with their owner, mode and time', async () => {
    const { dir, tar, result } = await unpack([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/su', type: 'file', mode: 0o4755, uid: 0, gid: 0, data: 'su' },
      { name: 'home/app/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
      { name: 'home/app/notes', type: 'file', mode: 0o2640, uid: 1000, gid: 50, data: 'n' },
      { name: 'ro/', type: 'directory', mode: 0o555 },
      { name: 'ro/inside', type: 'file', mode: 0o444, data: 'i' },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', uid: 5, gid: 5 },
      { name: 'bin/su2', type: 'link', linkname: 'bin/su' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ]);
    assert.equal(result.diffId, sha256Digest(tar));
    assert.equal(result.entries, 10);
    const st = async (p: string) => lstat(join(dir, p));
    assert.equal((await st('bin/su')).mode & 0o7777, 0o4755);
    assert.equal(await readFile(join(dir, 'bin/su'), 'utf8'), 'su');
    const notes = await st('home/app/notes');
    assert.deepEqual([notes.uid, notes.gid, notes.mode & 0o7777], [1000, 50, 0o2640]);
    const home = await st('home/app');
    assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1000, 0o750]);
    // Implicit parents are root's 0755, and so is the layer root without an entry of its own.
    assert.equal((await st('home')).mode & 0o7777, 0o755);
    assert.equal((await lstat(dir)).mode & 0o7777, 0o755);
    assert.equal((await st('ro')).mode & 0o7777, 0o555);
    assert.equal(await readFile(join(dir, 'ro/inside'), 'utf8'), 'i');
    assert.equal(await readlink(join(dir, 'bin/sh')), '/bin/busybox');
    assert.equal((await st('bin/sh')).uid, 5);
    assert.equal((await st('bin/su2')).ino, (await st('bin/su')).ino);
    const devNull = await st('dev/null');
    assert.ok(devNull.isCharacterDevice());
    assert.equal(devNull.rdev, (1 << 8) | 3);
    assert.ok((await st('run/fifo')).isFIFO());
    assert.equal((await st('bin/su')).mtime.toISOString(), '2020-01-01T00:00:00.000Z');
    assert.equal((await st('ro')).mtime.toISOString(), '2020-01-01T00:00:00.000Z');
  });

  test('whiteouts become overlay whiteouts: 0/0 character devices and the opaque xattr', async () => {
    const { dir, result } = await unpack(
      [
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/.wh.gone', type: 'file', size: 0 },
        { name: 'var/cache/', type: 'directory', mode: 0o755 },
        { name: 'var/cache/.wh..wh..opq', type: 'file', size: 0 },
        { name: 'var/cache/fresh', type: 'file', data: 'f' },
        // A whiteout beside the same layer's own file hides only lower layers: the file stays.
        { name: 'etc/kept', type: 'file', data: 'k' },
        { name: 'etc/.wh.kept', type: 'file', size: 0 },
        { name: 'x/.wh..wh.plnk', type: 'file', size: 0 },
      ],
      false,
    );
    const gone = await lstat(join(dir, 'etc/gone'));
    assert.ok(gone.isCharacterDevice());
    assert.equal(gone.rdev, 0);
    assert.equal(xattr(join(dir, 'var/cache'), 'trusted.overlay.opaque'), 'y');
    assert.equal(xattr(join(dir, 'etc'), 'trusted.overlay.opaque'), undefined);
    assert.equal(await readFile(join(dir, 'etc/kept'), 'utf8'), 'k');
    assert.deepEqual((await readdir(join(dir, 'etc'))).sort(), ['gone', 'kept']);
    assert.deepEqual(await readdir(join(dir, 'var/cache')), ['fresh']);
    assert.deepEqual([result.whiteouts, result.opaqueDirs], [1, 1]);
  });

  test('a later entry replaces an earlier one of another kind', async () => {
    const { dir } = await unpack([
      { name: 'a/', type: 'directory' },
      { name: 'a/child', type: 'file', data: 'c' },
      { name: 'a', type: 'file', data: 'now a file' },
      { name: 'b', type: 'file', data: 'old' },
      { name: 'b', type: 'symlink', linkname: 'a' },
    ]);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'now a file');
    assert.equal(await readlink(join(dir, 'b')), 'a');
  });

  test('nothing is written outside the layer: .., symlinked parents and links through them are refused', async () => {
    const outside = join(tmp, 'outside');
    await mkdir(outside);
    await assert.rejects(unpack([{ name: '../escape', type: 'file', data: 'x' }]), /points outside the layer/);
    await assert.rejects(
      unpack([
        { name: 'evil', type: 'symlink', linkname: outside },
        { name: 'evil/file', type: 'file', data: 'x' },
      ]),
      /writes beneath "evil", which is a symlink/,
    );
    await assert.rejects(
      unpack([
        { name: 'evil', type: 'symlink', linkname: '/etc' },
        { name: 'stolen', type: 'link', linkname: 'evil/hostname' },
      ]),
      /hard-links through "evil", which is not a directory/,
    );
    await assert.rejects(unpack([{ name: 'x', type: 'link', linkname: 'missing' }]), /does not hold/);
    assert.deepEqual(await readdir(outside), []);
  });

  test('a corrupt blob fails the unpack', async () => {
    const blob = join(tmp, 'corrupt.gz');
    const good = gzipSync(await tarOf([{ name: 'f', type: 'file', data: 'x'.repeat(10_000) }]));
    await writeFile(blob, good.subarray(0, good.length - 20));
    const dir = join(tmp, 'corrupt-layer');
    await mkdir(dir);
    await assert.rejects(unpackLayer(blob, dir));
  });
});
