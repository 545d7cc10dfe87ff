// A tiny busybox root filesystem for container tests, so they need no image
// registry: Debian's busybox-static binary plus one symlink per applet, and an
// overlay helper that gives each container its own writable layer over it.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's busybox-static (scripts/install-deps.sh installs it). */
export const DEFAULT_BUSYBOX = '/bin/busybox';

/** Applets the tests rely on; checked so a busybox built without one fails loudly here, not inside a container. */
export const REQUIRED_APPLETS = [
  'sh', 'httpd', 'wget', 'nc', 'sleep', 'cat', 'echo', 'ps', 'hostname', 'ip', 'timeout', 'head',
  'tr', 'ls', 'mkdir', 'id', 'env', 'pwd', 'kill', 'true', 'false', 'grep', 'dd', 'touch', 'test',
];

export interface BusyboxRootfsOptions {
  /** Where to build it; default a fresh directory under os.tmpdir(). Must not exist or be empty. */
  dir?: string;
  /** The static busybox binary to copy; default /bin/busybox. */
  busybox?: string;
  /**
   * Dynamically linked host programs to copy in with the libraries `ldd`
   * lists, at the same paths. Default: util-linux `ipcmk` and `ipcs`, which
   * Debian's busybox lacks and the System V IPC tests need.
   */
  hostBinaries?: string[];
}

export const DEFAULT_HOST_BINARIES = ['/usr/bin/ipcmk', '/usr/bin/ipcs'];

export interface BusyboxRootfs {
  /** The rootfs directory (what an OCI bundle's root.path points at). */
  readonly path: string;
  /** Removes the directory (only call once nothing is mounted from it). */
  remove(): Promise<void>;
}

/** Builds a minimal rootfs: /bin/busybox, a symlink per applet in /bin, the usual empty mount points, passwd/group. */
export async function buildBusyboxRootfs(options: BusyboxRootfsOptions = {}): Promise<BusyboxRootfs> {
  const busybox = options.busybox ?? DEFAULT_BUSYBOX;
  const path = options.dir ?? (await mkdtemp(join(tmpdir(), 'tug-rootfs-')));
  try {
    const { stdout } = await run(busybox, ['--list']);
    const applets = appletNames(stdout);
    const missing = REQUIRED_APPLETS.filter((a) => !applets.includes(a));
    if (missing.length) {
      throw new Error(`${busybox} lacks applets ${missing.join(', ')}; install Debian's busybox-static (scripts/install-deps.sh)`);
    }
    for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'etc', 'root', 'var/www', 'run']) {
      await mkdir(join(path, d), { recursive: true });
    }
    await mkdir(join(path, 'tmp'), { recursive: true });
    await chmod(join(path, 'tmp'), 0o1777);
    await copyFile(busybox, join(path, 'bin/busybox'));
    await chmod(join(path, 'bin/busybox'), 0o755);
    for (const applet of applets) {
      if (applet === 'busybox') continue;
      await symlink('busybox', join(path, 'bin', applet));
    }
    await writeFile(join(path, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await writeFile(join(path, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    for (const bin of options.hostBinaries ?? DEFAULT_HOST_BINARIES) await copyWithLibraries(bin, path);
    // Files a runtime bind-mounts over must exist as files in the image.
    for (const f of ['etc/hosts', 'etc/resolv.conf', 'etc/hostname']) await writeFile(join(path, f), '');
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    throw err;
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Shared objects in `ldd` output (absolute paths; the vdso has none). */
export function lddLibraries(lddOutput: string): string[] {
  const libs: string[] = [];
  for (const line of lddOutput.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m && !libs.includes(m[1]!)) libs.push(m[1]!);
  }
  return libs;
}

async function copyWithLibraries(bin: string, root: string): Promise<void> {
  const { stdout } = await run('ldd', [bin]).catch((err: Error) => {
    throw new Error(`cannot list the libraries of ${bin} (${err.message}); is it installed (util-linux)?`);
  });
  for (const file of [bin, ...lddLibraries(stdout)]) {
    const dest = join(root, file);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(file, dest);
    await chmod(dest, 0o755);
  }
}

/** `busybox --list` output → applet names (one per line). */
export function appletNames(listOutput: string): string[] {
  return listOutput
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[\w.[\]-]+$/.test(l));
}

export interface Overlay {
  /** The merged directory to use as a container's rootfs. */
  readonly target: string;
  readonly upper: string;
  readonly work: string;
  /** Unmounts the overlay and removes target, upper and work. Safe to call twice. */
  remove(): Promise<void>;
}

/** overlayfs mount options; lower layers topmost first, as overlayfs wants them. */
export function overlayOptions(lower: string[], upper: string, work: string): string {
  for (const p of [...lower, upper, work]) {
    // overlayfs splits lowerdir on ':' and options on ','; such paths cannot be expressed.
    if (/[,:]/.test(p)) throw new Error(`overlay path ${p} contains ',' or ':', which overlayfs options cannot carry; use another directory`);
  }
  return `lowerdir=${lower.join(':')},upperdir=${upper},workdir=${work}`;
}

/**
 * Mounts an overlay of `lower` (read-only, topmost first) with a fresh upper and
 * work directory under `dir` (created), merged at `dir/merged`.
 */
export async function mountOverlay(lower: string | string[], dir: string): Promise<Overlay> {
  const lowers = Array.isArray(lower) ? lower : [lower];
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const target = join(dir, 'merged');
  for (const d of [upper, work, target]) await mkdir(d, { recursive: true });
  await run('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(lowers, upper, work), target]);
  let removed = false;
  return {
    target,
    upper,
    work,
    async remove() {
      if (removed) return;
      await unmountIfMounted(target);
      await rm(dir, { recursive: true, force: true });
      removed = true;
    },
  };
}

/** Unmounts `path` if /proc/self/mountinfo lists it (lazily, so a busy mount cannot wedge cleanup). */
export async function unmountIfMounted(path: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const mounted = mountinfo.split('\n').some((line) => line.split(' ')[4] === path);
  if (mounted) await run('umount', ['-l', path]);
}
