// Uploading a built image: layers and config first (skipping those the
// repository has), the manifest last, so a tag never points at missing blobs.
import { createReadStream } from 'node:fs';
import { ApiError } from '../errors.js';
import type { BuiltImage } from './build.js';
import type { Digest } from './digest.js';
import { formatReference, parseImageReference, type ImageReference } from './reference.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

export interface PushImageOptions extends RegistryClientOptions {
  /** Registry for a name without a host; default defaultRegistry(). */
  defaultRegistry?: string;
}

export interface PushedImage {
  reference: ImageReference;
  /** Fully qualified `registry/repository:tag`. */
  name: string;
  digest: Digest;
  /** Blobs whose bytes were sent (the others were in the repository already). */
  uploadedBlobs: number;
}

/**
 * Pushes `image` as `reference` (e.g. `web:1`, `127.0.0.1:5000/web:1`). A
 * RegistryClient passed in must be for the reference's registry.
 */
export async function pushImage(
  reference: string | ImageReference,
  image: BuiltImage,
  options: PushImageOptions & { client?: RegistryClient } = {},
): Promise<PushedImage> {
  const ref =
    typeof reference === 'string'
      ? parseImageReference(reference, { ...(options.defaultRegistry && { defaultRegistry: options.defaultRegistry }) })
      : reference;
  if (ref.digest && ref.digest !== image.manifestDigest) {
    throw new ApiError('BadRequest', `cannot push to ${formatReference(ref)}: the image's manifest digest is ${image.manifestDigest}`);
  }
  const client = options.client ?? new RegistryClient(ref.registry, options);
  if (client.address !== ref.registry) {
    throw new ApiError('BadRequest', `registry client for ${client.address} cannot push ${formatReference(ref)}`);
  }
  let uploadedBlobs = 0;
  for (const layer of image.layers) {
    const sent = await client.pushBlob(ref.repository, {
      digest: layer.descriptor.digest,
      size: layer.descriptor.size,
      data: () => createReadStream(layer.path),
    });
    if (sent) uploadedBlobs++;
  }
  if (await client.pushBlob(ref.repository, { digest: image.configDigest, size: image.configBytes.length, data: image.configBytes })) {
    uploadedBlobs++;
  }
  const digest = await client.putManifest(ref.repository, ref.tag ?? image.manifestDigest, image.manifestBytes, image.manifestMediaType);
  return { reference: ref, name: formatReference({ ...ref, digest: undefined }), digest, uploadedBlobs };
}
