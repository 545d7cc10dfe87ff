// Images the examples use, put into the cluster's registry once it answers,
// so `image: busybox` works on a fresh cluster with nothing pulled from outside.
import { join } from 'node:path';
import { REPO_ROOT } from './components.js';
import { run, describeCommand } from './exec.js';

/** name:tag → the script that builds it from local files and pushes it. */
export const PRELOADED_IMAGES: Record<string, string> = {
  'busybox:latest': 'scripts/images/build-busybox.mjs',
};

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export async function registryHas(registry: string, image: string): Promise<boolean> {
  const [repo, tag = 'latest'] = image.split(':');
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_TYPES },
    signal: AbortSignal.timeout(10_000),
  });
  return res.ok;
}

/** Builds and pushes every preloaded image the registry lacks; returns the ones pushed. */
export async function preloadImages(registry: string): Promise<string[]> {
  const pushed: string[] = [];
  for (const [image, script] of Object.entries(PRELOADED_IMAGES)) {
    if (await registryHas(registry, image)) continue;
    const args = [join(REPO_ROOT, script), registry, image];
    const r = await run(process.execPath, args, 300_000, { ...process.env, TUG_INSECURE_REGISTRIES: registry });
    if (r.code !== 0) throw new Error(`\`${describeCommand(process.execPath, args)}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    pushed.push(image);
  }
  return pushed;
}
