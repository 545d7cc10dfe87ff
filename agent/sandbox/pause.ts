// The pause container: the first process of a pod, which owns the pod's IPC and
// UTS namespaces (hostname = pod name) and sits in the CNI-wired network
// namespace, so the pod's containers can join all three and outlive each
// other's restarts. It is a runc container like the others, from a read-only
// rootfs holding only a static busybox.
import { chmod, copyFile, mkdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciSpec } from '../runtime/oci.js';
import { buildSpec } from '../runtime/spec.js';

export const DEFAULT_BUSYBOX = '/bin/busybox';

/**
 * Sleeps until SIGTERM or SIGINT, then exits 0. `wait` is interruptible by a
 * trapped signal, where a plain `sleep` in the foreground is not; as PID 1 of
 * its namespace it also reaps any orphans that end up under it.
 */
export const PAUSE_SCRIPT = 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done';

/** Builds (once) the pause rootfs under `dir`: /bin/busybox with sh and sleep links. Returns its path. */
export async function ensurePauseRootfs(dir: string, busybox = DEFAULT_BUSYBOX): Promise<string> {
  const marker = join(dir, 'bin', 'sleep');
  try {
    if ((await readlink(marker)) === 'busybox') return dir;
  } catch {
    // not built yet
  }
  // Build beside and rename, so a crash midway never leaves a half-made rootfs in use.
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp']) await mkdir(join(tmp, d), { recursive: true });
  await copyFile(busybox, join(tmp, 'bin', 'busybox'));
  await chmod(join(tmp, 'bin', 'busybox'), 0o755);
  await symlink('busybox', join(tmp, 'bin', 'sh'));
  await symlink('busybox', join(tmp, 'bin', 'sleep'));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  await stat(marker);
  return dir;
}

export interface PauseSpecOptions {
  rootfs: string;
  hostname: string;
  netnsPath: string;
  cgroupsPath: string;
  annotations: Record<string, string>;
  /**
   * Kubernetes gives pause -998 so it is the last OOM victim; lowering a score
   * needs CAP_SYS_RESOURCE, which some hosts (like the development VMs) withhold.
   */
  oomScoreAdj?: number;
}

/** The pause container's spec: new PID, IPC, UTS and mount namespaces, the pod's netns, no capabilities. */
export function pauseSpec(o: PauseSpecOptions, arch: string = process.arch): OciSpec {
  return buildSpec(
    {
      rootfs: o.rootfs,
      readOnlyRootfs: true,
      args: ['/bin/sh', '-c', PAUSE_SCRIPT],
      hostname: o.hostname,
      namespaces: { network: { join: o.netnsPath }, ipc: 'new', uts: 'new', pid: 'new' },
      cgroupsPath: o.cgroupsPath,
      capabilities: { drop: ['ALL'] },
      ...(o.oomScoreAdj !== undefined ? { oomScoreAdj: o.oomScoreAdj } : {}),
      annotations: o.annotations,
    },
    arch,
  );
}
