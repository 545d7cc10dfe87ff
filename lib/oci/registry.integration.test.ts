// The registry client against a real docker-registry: push, pull, indexes,
// verification of what comes back, and the errors people see.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { buildImage, type BuiltImage } from './build.js';
import { digestHex, sha256Digest } from './digest.js';
import { MediaType, type ImageIndex, type ImageManifest } from './manifest.js';
import { pushImage } from './push.js';
import { RegistryClient, RegistryError, defaultPlainHttp } from './registry-client.js';

describe('RegistryClient against docker-registry', () => {
  let registry: TestRegistry;
  let tmp: string;
  let image: BuiltImage;
  let client: RegistryClient;

  before(async () => {
    registry = await startRegistry();
    tmp = await mkdtemp(join(tmpdir(), 'tug-registry-client-test-'));
    const rootfs = join(tmp, 'rootfs');
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await writeFile(join(rootfs, 'etc/motd'), 'hi\n');
    image = await buildImage({ rootfs, cmd: ['sh'] });
    client = new RegistryClient(registry.address);
  });
  after(async () => {
    await image?.dispose();
    await registry?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('push then pull gives back the same manifest, config and layer', async () => {
    await client.ping();
    const pushed = await pushImage(`${registry.address}/app:1`, image);
    assert.equal(pushed.digest, image.manifestDigest);
    assert.equal(pushed.name, `${registry.address}/app:1`);
    assert.equal(pushed.uploadedBlobs, 2);

    const head = await client.headManifest('app', '1');
    assert.deepEqual(head, { digest: image.manifestDigest, mediaType: MediaType.ociManifest, size: image.manifestBytes.length });
    const resolved = await client.resolveImage('app', '1');
    assert.equal(resolved.manifestDigest, image.manifestDigest);
    assert.equal(resolved.index, undefined);
    assert.deepEqual(await client.getBlob('app', image.manifest.config), image.configBytes);
    const layerPath = join(tmp, 'layer.tgz');
    await client.downloadBlob('app', image.manifest.layers[0]!, layerPath);
    assert.deepEqual(await readFile(layerPath), await readFile(image.layers[0]!.path));

    // Pushing again sends no blob bytes: the repository has them.
    assert.equal((await pushImage(`${registry.address}/app:2`, image)).uploadedBlobs, 0);
    assert.equal(await client.headManifest('app', 'nope'), undefined);
  });

  test('an index is followed to the manifest for the wanted platform', async () => {
    await pushImage(`${registry.address}/multi:amd64`, image);
    // A second platform: same layers, a config that says arm64.
    const armConfig = Buffer.from(JSON.stringify({ ...image.config, architecture: 'arm64' }));
    await client.pushBlob('multi', { digest: sha256Digest(armConfig), size: armConfig.length, data: armConfig });
    const armManifest: ImageManifest = { ...image.manifest, config: { ...image.manifest.config, digest: sha256Digest(armConfig), size: armConfig.length } };
    const armBytes = Buffer.from(JSON.stringify(armManifest));
    const armDigest = await client.putManifest('multi', sha256Digest(armBytes), armBytes, MediaType.ociManifest);
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: MediaType.ociManifest, digest: armDigest, size: armBytes.length, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: MediaType.ociManifest, digest: image.manifestDigest, size: image.manifestBytes.length, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    const indexBytes = Buffer.from(JSON.stringify(index));
    const indexDigest = await client.putManifest('multi', 'latest', indexBytes, MediaType.ociIndex);

    const amd = await client.resolveImage('multi', 'latest', { os: 'linux', architecture: 'amd64' });
    assert.equal(amd.digest, indexDigest);
    assert.equal(amd.manifestDigest, image.manifestDigest);
    assert.equal(amd.index?.digest, indexDigest);
    const arm = await client.resolveImage('multi', 'latest', { os: 'linux', architecture: 'arm64' });
    assert.equal(arm.manifestDigest, armDigest);
    await assert.rejects(
      client.resolveImage('multi', 'latest', { os: 'linux', architecture: 'riscv64' }),
      (e: unknown) => e instanceof RegistryError && e.kind === 'NotFound' && /linux\/riscv64 .*offers: linux\/arm64, linux\/amd64/.test(e.message),
    );
  });

  test('a blob whose stored bytes changed is refused, and a failed download leaves no file', async () => {
    await pushImage(`${registry.address}/tamper:1`, image);
    const layer = image.manifest.layers[0]!;
    const hex = digestHex(layer.digest);
    const stored = join(registry.dir, 'storage/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(stored);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(stored, bytes);
    try {
      const dest = join(tmp, 'tampered.tgz');
      await assert.rejects(client.downloadBlob('tamper', layer, dest), (e: unknown) => e instanceof RegistryError && e.kind === 'DigestMismatch');
      assert.equal(existsSync(dest), false);
      await assert.rejects(client.getBlob('tamper', layer), (e: unknown) => e instanceof RegistryError && e.kind === 'DigestMismatch');
    } finally {
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      await writeFile(stored, bytes);
    }
  });

  test('a missing image is NotFound naming it and the registry', async () => {
    await assert.rejects(client.getManifest('does/not-exist', 'v1'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'NotFound');
      assert.match(e.message, new RegExp(`manifest ${registry.address}/does/not-exist:v1 not found in registry ${registry.address}`));
      return true;
    });
  });

  test('an unreachable registry is Unavailable and says which', async () => {
    const dead = await startRegistry();
    await dead.stop();
    const c = new RegistryClient(dead.address);
    await assert.rejects(c.getManifest('x', 'latest'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.deepEqual([e.kind, e.code], ['Unreachable', 'Unavailable']);
      assert.match(e.message, new RegExp(`registry ${dead.address} is unreachable .*ECONNREFUSED`));
      return true;
    });
  });

  test('plain HTTP is the default only for loopback and listed registries', () => {
    assert.equal(defaultPlainHttp('127.0.0.1:5000', {}), true);
    assert.equal(defaultPlainHttp('localhost:5000', {}), true);
    assert.equal(defaultPlainHttp('[::1]:5000', {}), true);
    assert.equal(defaultPlainHttp('10.0.0.1:5000', {}), false);
    assert.equal(defaultPlainHttp('10.0.0.1:5000', { TUG_INSECURE_REGISTRIES: 'a:1, 10.0.0.1:5000' }), true);
    assert.equal(new RegistryClient('registry.example:443').baseUrl, 'https://registry.example:443');
  });
});
