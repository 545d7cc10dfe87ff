// A container's root filesystem: an overlay of the image's unpacked layers
// (shared, read-only) with the container's own upper and work directories,
// so every container writes to its own layer and the image stays intact.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../lib/errors.js';
import { mountPoints } from '../network/netns.js';
import { commandError, runCommand } from '../runtime/command.js';

export interface ContainerRootfs {
  /** The merged directory: the OCI bundle's root.path. */
  path: string;
  dir: string;
}

/** overlayfs options; `layers` bottom first as images list them, lowerdir wants the top first. */
export function overlayMountOptions(layers: string[], upper: string, work: string): string {
  for (const p of [...layers, upper, work]) {
    // overlayfs splits lowerdir on ':' and its options on ','; such paths cannot be expressed.
    if (/[,:]/.test(p)) throw new ApiError('Invalid', `overlay path ${p} contains "," or ":", which overlayfs options cannot carry; use a state dir without them`);
  }
  return `lowerdir=${[...layers].reverse().join(':')},upperdir=${upper},workdir=${work}`;
}

export async function isMountPoint(path: string): Promise<boolean> {
  // Nothing there, nothing mounted there: spares reading the machine's whole mount table for every new container.
  if (!(await stat(path).then(() => true, () => false))) return false;
  return mountPoints(await readFile('/proc/self/mountinfo', 'utf8')).includes(path);
}

/** Mounts (or finds mounted) the overlay for a container in `dir` (`upper/`, `work/`, `rootfs/`). */
export async function mountRootfs(dir: string, layers: string[]): Promise<ContainerRootfs> {
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const merged = join(dir, 'rootfs');
  if (await isMountPoint(merged)) return { path: merged, dir };
  const lowers = [...layers];
  if (!lowers.length) {
    // An image without layers: overlayfs needs at least one lower dir.
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    lowers.push(empty);
  }
  for (const d of [upper, work, merged]) await mkdir(d, { recursive: true });
  const args = ['-t', 'overlay', 'overlay', '-o', overlayMountOptions(lowers, upper, work), merged];
  const r = await runCommand('mount', args);
  if (r.code !== 0) throw new ApiError('Internal', `cannot mount the container's root filesystem: ${commandError('mount', args, r)}`);
  return { path: merged, dir };
}

/** Unmounts the overlay (lazily, so a straggling process cannot wedge it) and removes the directory. Idempotent. */
export async function removeRootfs(dir: string): Promise<void> {
  const merged = join(dir, 'rootfs');
  if (await isMountPoint(merged)) {
    const r = await runCommand('umount', ['-l', merged]);
    if (r.code !== 0 && (await isMountPoint(merged))) throw new ApiError('Internal', `cannot unmount ${merged}: ${commandError('umount', ['-l', merged], r)}`);
  }
  await rm(dir, { recursive: true, force: true });
}
