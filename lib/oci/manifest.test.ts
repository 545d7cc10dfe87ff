import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../errors.js';
import { MediaType, parseImageConfig, parseManifest, selectPlatform, type Descriptor, type ImageIndex, type ImageManifest } from './manifest.js';

const d = (n: number): `sha256:${string}` => `sha256:${n.toString(16).padStart(64, '0')}`;
const desc = (n: number, mediaType: string, platform?: Descriptor['platform']): Descriptor => ({ mediaType, digest: d(n), size: 10, ...(platform && { platform }) });
const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

const manifest: ImageManifest = {
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: desc(1, MediaType.ociConfig),
  layers: [desc(2, MediaType.ociLayerGzip)],
};

test('parseManifest tells manifests from indexes by body or header media type', () => {
  assert.equal(parseManifest(json(manifest), undefined).kind, 'manifest');
  const { mediaType: _, ...bare } = manifest;
  const docker = parseManifest(json(bare), MediaType.dockerManifest);
  assert.deepEqual([docker.kind, docker.mediaType], ['manifest', MediaType.dockerManifest]);
  const list = parseManifest(json({ schemaVersion: 2, manifests: [desc(3, MediaType.dockerManifest, { os: 'linux', architecture: 'amd64' })] }), `${MediaType.dockerManifestList}; charset=utf-8`);
  assert.deepEqual([list.kind, list.mediaType], ['index', MediaType.dockerManifestList]);
});

test('parseManifest rejects schema 1, bad digests and missing fields with reasons', () => {
  assert.throws(() => parseManifest(json({ schemaVersion: 1, fsLayers: [] }), MediaType.dockerSchema1Signed), /schema 1, which is not supported/);
  assert.throws(() => parseManifest(json({ ...manifest, layers: [{ ...desc(2, MediaType.ociLayerGzip), digest: 'md5:x' }] }), undefined), /layers\[0\]\.digest "md5:x"/);
  assert.throws(() => parseManifest(json({ ...manifest, layers: undefined }), undefined), /needs a "layers" list/);
  assert.throws(() => parseManifest(Buffer.from('{'), undefined), /not JSON/);
  assert.throws(() => parseManifest(json({ schemaVersion: 2, mediaType: 'text/plain' }), undefined), /neither an image manifest nor an index/);
});

test('selectPlatform picks the machine platform and skips attestations', () => {
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      desc(10, MediaType.ociManifest, { os: 'unknown', architecture: 'unknown' }),
      desc(11, MediaType.ociManifest, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      desc(12, MediaType.ociManifest, { os: 'linux', architecture: 'amd64' }),
      desc(13, MediaType.ociManifest, { os: 'linux', architecture: 'arm', variant: 'v6' }),
      desc(14, MediaType.ociManifest, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    ],
  };
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, d(12));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64' }).digest, d(11));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, d(14));
  assert.throws(
    () => selectPlatform(index, { os: 'linux', architecture: 's390x' }, 'r/x:1'),
    (e: unknown) => e instanceof ApiError && e.code === 'NotFound' && /r\/x:1 has no variant for platform linux\/s390x .*linux\/amd64/.test(e.message),
  );
});

test('parseImageConfig requires one diff_id per manifest layer', () => {
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [d(5)] } };
  assert.deepEqual(parseImageConfig(json(config), manifest).rootfs.diff_ids, [d(5)]);
  assert.throws(() => parseImageConfig(json({ ...config, rootfs: { type: 'layers', diff_ids: [d(5), d(6)] } }), manifest), /lists 2 layer diff_ids but the manifest has 1 layers/);
  assert.throws(() => parseImageConfig(json({ ...config, rootfs: undefined }), manifest), /no valid rootfs.diff_ids/);
});
