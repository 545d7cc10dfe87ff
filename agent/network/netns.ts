// Persistent network namespaces, the way `ip netns` makes them (an nsfs bind
// mount on a file keeps the namespace alive with no process in it), but in a
// directory of our choosing, so each agent keeps its own and none collide.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../lib/errors.js';
import { commandError, mustRun, runCommand } from '../runtime/command.js';

/** Names usable as file names and recognisable in `ls`. */
const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

export function checkNetnsName(name: string): string {
  if (!NETNS_NAME.test(name)) {
    throw new ApiError('Invalid', `network namespace name ${JSON.stringify(name)} is not valid: use letters, digits, "_", ".", "-"`);
  }
  return name;
}

/** Mount points in /proc/self/mountinfo text (octal escapes decoded). */
export function mountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Mount points of nsfs (namespace) bind mounts. */
export function nsfsMountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .filter((l) => l.includes(' - nsfs '))
    .map((l) => mountPoints(l)[0]!)
    .filter(Boolean);
}

async function isNsMounted(path: string): Promise<boolean> {
  // No file, no mount on it: spares reading the machine's whole mount table for every new pod.
  if (!(await exists(path))) return false;
  return nsfsMountPoints(await readFile('/proc/self/mountinfo', 'utf8')).includes(path);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates the network namespace `dir/name` (only loopback, down) and returns
 * its path, for CNI_NETNS and for runc to join. An existing one is returned as is.
 */
export async function createNetns(dir: string, name: string): Promise<string> {
  const path = join(dir, checkNetnsName(name));
  if (await isNsMounted(path)) return path;
  await mkdir(dir, { recursive: true });
  await writeFile(path, '');
  const r = await runCommand('unshare', [`--net=${path}`, 'true']);
  if (r.code !== 0) {
    await rm(path, { force: true });
    throw new ApiError('Internal', `cannot create network namespace ${path}: ${commandError('unshare', [`--net=${path}`, 'true'], r)}`);
  }
  return path;
}

/** Removes a namespace made by createNetns. Idempotent. The kernel frees it once nothing else holds it. */
export async function deleteNetns(path: string): Promise<void> {
  if (await isNsMounted(path)) {
    const r = await runCommand('umount', [path]);
    // A mount namespace copied while this mount existed can pin it; detach lazily then.
    if (r.code !== 0 && (await isNsMounted(path))) await mustRun('umount', ['-l', path]);
  }
  await rm(path, { force: true });
}

/** Namespace files in `dir` (mounted or not). */
export async function listNetns(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => NETNS_NAME.test(n)).sort();
}

/** argv that runs `argv` inside the network namespace at `netnsPath` (util-linux nsenter). */
export function inNetns(netnsPath: string | undefined, argv: string[]): string[] {
  return netnsPath ? ['nsenter', `--net=${netnsPath}`, '--', ...argv] : argv;
}

/** Runs a command inside a network namespace and returns its stdout; throws with its stderr. */
export async function runInNetns(netnsPath: string, argv: string[], timeoutMs = 30_000): Promise<string> {
  const [file, ...args] = inNetns(netnsPath, argv);
  return mustRun(file!, args, { timeoutMs });
}
