// The node image store against a real registry: pull once, policies, layer
// sharing, whiteouts through a real overlayfs mount, and the errors pods show.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildImage, type BuildImageOptions } from '../../lib/oci/build.js';
import { sha256Digest } from '../../lib/oci/digest.js';
import { pushImage, type PushedImage } from '../../lib/oci/push.js';
import { RegistryClient } from '../../lib/oci/registry-client.js';
import { startRegistry, type TestRegistry } from '../../lib/testing/registry.js';
import { ImagePullError } from './errors.js';
import { ImageStore } from './store.js';

const run = promisify(execFile);

describe('ImageStore against docker-registry', () => {
  let registry: TestRegistry;
  let tmp: string;
  let stores = 0;

  before(async () => {
    registry = await startRegistry();
    tmp = await mkdtemp(join(tmpdir(), 'tug-image-store-test-'));
  });
  after(async () => {
    await registry?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A directory with `files` (path → content) under tmp. */
  async function rootfs(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmp, 'rootfs-'));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  async function push(name: string, options: BuildImageOptions): Promise<PushedImage> {
    const image = await buildImage(options);
    try {
      return await pushImage(name, image, { defaultRegistry: registry.address });
    } finally {
      await image.dispose();
    }
  }

  async function openStore(root?: string): Promise<ImageStore> {
    return ImageStore.open({ root: root ?? join(tmp, `store-${++stores}`), defaultRegistry: registry.address });
  }

  test('an image pulled once is served from the store after, also by a reopened store', async () => {
    const pushed = await push('app:1', {
      rootfs: await rootfs({ 'etc/hello': 'hello\n', 'srv/index.html': '<p>hi</p>' }),
      entrypoint: ['/bin/httpd'],
      cmd: ['-f'],
      env: ['MODE=test'],
      workingDir: '/srv',
    });
    const root = join(tmp, 'store-app');
    const store = await openStore(root);
    const first = await store.ensure('app:1', 'IfNotPresent');
    assert.equal(first.pulled, true);
    assert.equal(first.name, `${registry.address}/app:1`);
    assert.equal(first.repoDigest, `${registry.address}/app@${pushed.digest}`);
    assert.equal(first.manifestDigest, pushed.digest);
    assert.equal(first.layers.length, 1);
    assert.equal(await readFile(join(first.layers[0]!, 'etc/hello'), 'utf8'), 'hello\n');
    assert.equal(await readFile(join(first.layers[0]!, 'srv/index.html'), 'utf8'), '<p>hi</p>');
    assert.deepEqual(first.config.config?.Entrypoint, ['/bin/httpd']);
    assert.deepEqual(first.config.config?.Cmd, ['-f']);
    assert.equal(first.config.config?.WorkingDir, '/srv');
    assert.ok(first.config.config?.Env?.includes('MODE=test'));
    // The image ID is the config's digest, as stored.
    const configBytes = await readFile(join(root, 'blobs/sha256', first.imageID.slice(7)));
    assert.equal(sha256Digest(configBytes), first.imageID);
    const afterPull = store.metrics();
    assert.deepEqual([afterPull.imagePulls, afterPull.layerDownloads, afterPull.layerUnpacks], [1, 1, 1]);

    const again = await store.ensure('app:1', 'IfNotPresent');
    const never = await store.ensure(`${registry.address}/app:1`, 'Never');
    assert.equal(again.pulled, false);
    assert.equal(never.pulled, false);
    assert.deepEqual(again.layers, first.layers);
    assert.equal(again.imageID, first.imageID);
    assert.equal((await store.get('app:1'))?.imageID, first.imageID);
    assert.equal(await store.get('app:2'), undefined);
    assert.deepEqual(store.metrics(), afterPull, 'IfNotPresent, Never and get() must not contact the registry again');

    // An agent restart reopens the store: the image is still there, nothing is fetched.
    const reopened = await openStore(root);
    const afterRestart = await reopened.ensure('app:1', 'IfNotPresent');
    assert.equal(afterRestart.pulled, false);
    assert.deepEqual(afterRestart.layers, first.layers);
    assert.equal(reopened.metrics().registryRequests, 0);
  });

  test('Always re-checks the manifest, and a changed image downloads only its new layers', async () => {
    const base = await rootfs({ 'usr/lib/libbase.so': 'base' });
    const v1 = await push('layered:1', { layers: [base, await rootfs({ 'app/version': '1' })], created: new Date(0) });
    const store = await openStore();
    const pulled = await store.ensure('layered:1', 'Always');
    assert.equal(pulled.pulled, true);
    assert.deepEqual(store.metrics().layerDownloads, 2);

    const checked = await store.ensure('layered:1', 'Always');
    assert.equal(checked.pulled, false);
    let m = store.metrics();
    assert.deepEqual([m.manifestChecks, m.imagePulls, m.layerDownloads, m.layerUnpacks], [1, 1, 2, 2]);

    // The tag moves to an image sharing the base layer.
    const v2 = await push('layered:1', { layers: [base, await rootfs({ 'app/version': '2' })], created: new Date(0) });
    assert.notEqual(v2.digest, v1.digest);
    const updated = await store.ensure('layered:1', 'Always');
    assert.equal(updated.pulled, true);
    assert.equal(updated.manifestDigest, v2.digest);
    assert.equal(updated.layers[0], pulled.layers[0], 'the shared base layer is reused');
    assert.equal(await readFile(join(updated.layers[1]!, 'app/version'), 'utf8'), '2');
    m = store.metrics();
    assert.deepEqual([m.manifestChecks, m.imagePulls, m.layerDownloads, m.layerUnpacks], [2, 2, 3, 3]);
  });

  test('concurrent ensures of one image, and of images sharing a layer, download and unpack each layer once', async () => {
    const shared = await rootfs({ 'lib/shared': 's' });
    await push('pair-a:1', { layers: [shared, await rootfs({ a: 'a' })], created: new Date(0) });
    await push('pair-b:1', { layers: [shared, await rootfs({ b: 'b' })], created: new Date(0) });
    const store = await openStore();
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => store.ensure('pair-a:1', 'IfNotPresent')),
      ...Array.from({ length: 4 }, () => store.ensure('pair-b:1', 'IfNotPresent')),
    ]);
    const m = store.metrics();
    assert.deepEqual([m.imagePulls, m.manifestFetches, m.layerDownloads, m.layerUnpacks], [2, 2, 3, 3]);
    assert.equal(new Set(results.map((r) => r.layers[0])).size, 1);
    assert.equal(new Set(results.slice(0, 4).map((r) => r.layers[1])).size, 1);
  });

  test('whiteouts and opaque directories delete and replace lower-layer content under overlayfs', async () => {
    const lower = await rootfs({
      'etc/keep': 'keep',
      'etc/remove-me': 'old',
      'var/data/old-1': 'o',
      'var/data/sub/old-2': 'o',
    });
    const upper = await rootfs({
      'etc/.wh.remove-me': '',
      'var/data/.wh..wh..opq': '',
      'var/data/new': 'n',
    });
    await push('whiteouts:1', { layers: [lower, upper] });
    const store = await openStore();
    const image = await store.ensure('whiteouts:1', 'IfNotPresent');
    assert.equal(image.layers.length, 2);

    const mnt = await mkdtemp(join(tmp, 'overlay-'));
    // overlayfs lists lowerdirs topmost first; the store gives them bottom first.
    const lowerdir = [...image.layers].reverse().join(':');
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerdir}`, mnt]);
    try {
      assert.deepEqual((await readdir(join(mnt, 'etc'))).sort(), ['keep']);
      assert.equal(existsSync(join(mnt, 'etc/remove-me')), false);
      assert.deepEqual(await readdir(join(mnt, 'var/data')), ['new']);
      assert.equal(await readFile(join(mnt, 'var/data/new'), 'utf8'), 'n');
      assert.equal(await readFile(join(mnt, 'etc/keep'), 'utf8'), 'keep');
    } finally {
      await run('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
  });

  test('a missing image, a dead registry and Never without the image fail as the kubelet reports them', async () => {
    const store = await openStore();
    await assert.rejects(store.ensure('no-such-image:3', 'IfNotPresent'), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.deepEqual([e.reason, e.code, e.registry], ['ErrImagePull', 'NotFound', registry.address]);
      assert.match(e.message, /^Failed to pull image "no-such-image:3": /);
      assert.match(e.message, new RegExp(`${registry.address}/no-such-image:3 not found in registry ${registry.address}`));
      return true;
    });

    const dead = await startRegistry();
    await dead.stop();
    await assert.rejects(store.ensure(`${dead.address}/app:1`, 'Always'), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.deepEqual([e.reason, e.code], ['ErrImagePull', 'Unavailable']);
      assert.match(e.message, new RegExp(`registry ${dead.address} is unreachable`));
      return true;
    });

    await assert.rejects(store.ensure('app:1', 'Never'), (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'ErrImageNeverPull');
      assert.match(e.message, /Container image "app:1" .* is not present with pull policy of Never/);
      return true;
    });
    await assert.rejects(store.ensure('Not/Valid', 'IfNotPresent'), (e: unknown) => e instanceof ImagePullError && e.reason === 'InvalidImageName');
    assert.equal(store.metrics().imagePulls, 0);
  });

  test('a layer that does not match its diff_id is refused and leaves no layer and no litter', async () => {
    const image = await buildImage({ rootfs: await rootfs({ f: 'x' }) });
    try {
      const client = new RegistryClient(registry.address);
      // Same layer, but a config claiming other content.
      const config = Buffer.from(JSON.stringify({ ...image.config, rootfs: { type: 'layers', diff_ids: [sha256Digest('other')] } }));
      const manifest = Buffer.from(
        JSON.stringify({ ...image.manifest, config: { ...image.manifest.config, digest: sha256Digest(config), size: config.length } }),
      );
      await pushImage(`${registry.address}/liar:1`, image);
      await client.pushBlob('liar', { digest: sha256Digest(config), size: config.length, data: config });
      await client.putManifest('liar', '1', manifest, image.manifestMediaType);
    } finally {
      await image.dispose();
    }
    const root = join(tmp, 'store-liar');
    const store = await openStore(root);
    await assert.rejects(store.ensure('liar:1', 'IfNotPresent'), (e: unknown) => {
      assert.ok(e instanceof ImagePullError && e.reason === 'ErrImagePull');
      assert.match(e.message, /unpacks to content sha256:[0-9a-f]{64}, but the image config says/);
      return true;
    });
    assert.deepEqual(await readdir(join(root, 'layers')), []);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await readdir(join(root, 'images')), []);
  });

  test('opening a store clears what an interrupted pull left in tmp/', async () => {
    const root = join(tmp, 'store-crashed');
    await mkdir(join(root, 'tmp/layer-half/etc'), { recursive: true });
    await writeFile(join(root, 'tmp/blob-half'), 'partial');
    await openStore(root);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });
});
