// cgroups for pods: detect the host's layout (v1, hybrid, v2), make the node's
// parent group and one group per pod under it, write and read limits, count OOM
// kills, and remove whole subtrees. Paths are hierarchy-relative
// (`/tugboat/node-1/pod<uid>`), the form runc's `cgroupsPath` takes, so the
// same path names the group in every v1 hierarchy and in the v2 tree.
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../lib/errors.js';
import { sharesToWeight, type CgroupResources } from './resources.js';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 hierarchies: controller (or `name=systemd`) → mount point. Co-mounted controllers share one. */
  v1: Record<string, string>;
  /** The cgroup2 mount: the whole tree in v2, the mostly empty `unified` one in hybrid. */
  unified?: string;
}

/** Controllers whose limits tugboat sets. */
export const LIMIT_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;
/** v2 controllers enabled down to pod groups. */
const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

/** The cgroup layout from /proc/self/mountinfo text. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    if (!line) continue;
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = unescapeMountPath(pre.split(' ')[4] ?? '');
    const [fstype, , superOptions = ''] = post.split(' ');
    if (fstype === 'cgroup2') {
      unified ??= mountPoint;
    } else if (fstype === 'cgroup') {
      for (const opt of superOptions.split(',')) {
        if (opt === 'rw' || opt === 'ro' || opt.startsWith('release_agent=') || opt === 'clone_children' || opt === 'noprefix') continue;
        if (opt.startsWith('name=') || /^[a-z_]+$/.test(opt)) v1[opt] ??= mountPoint;
      }
    }
  }
  const hasV1 = Object.keys(v1).some((k) => !k.startsWith('name='));
  if (!hasV1 && unified) return { mode: 'v2', v1: {}, unified };
  if (!hasV1) {
    throw new ApiError('Unavailable', 'no cgroup filesystem is mounted; mount cgroup2 at /sys/fs/cgroup (or the v1 hierarchies) and restart');
  }
  return unified ? { mode: 'hybrid', v1, unified } : { mode: 'v1', v1 };
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The host's layout, read from /proc/self/mountinfo. */
export async function readCgroupLayout(): Promise<CgroupLayout> {
  return parseCgroupLayout(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Rejects paths that could escape the hierarchy or are not absolute. */
export function checkCgroupPath(path: string): string {
  if (!path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.') || path === '/') {
    throw new ApiError('Invalid', `cgroup path ${JSON.stringify(path)} must be absolute below the root, without "." or ".." (e.g. /tugboat/node-1)`);
  }
  return path.replace(/\/+$/, '');
}

/** `<parent>/pod<uid>`: the pod's group under the node's parent. */
export function podCgroupPath(parent: string, podUid: string): string {
  return `${checkCgroupPath(parent)}/pod${podUid}`;
}

/** `<parent>/pod<uid>/<container id>`: what the container's runc `cgroupsPath` is. */
export function containerCgroupPath(parent: string, podUid: string, containerId: string): string {
  return `${podCgroupPath(parent, podUid)}/${containerId}`;
}

/** Every hierarchy mount point holding a copy of each group (v1: one per hierarchy; v2: the tree). */
export function hierarchyRoots(layout: CgroupLayout, includeUnified = layout.mode !== 'v1'): string[] {
  const roots = new Set<string>();
  if (layout.mode !== 'v2') for (const m of Object.values(layout.v1)) roots.add(m);
  if (includeUnified && layout.unified) roots.add(layout.unified);
  return [...roots];
}

/** The directory of `path` in the hierarchy holding `controller`. */
export function controllerDir(layout: CgroupLayout, controller: string, path: string): string {
  const root = layout.mode === 'v2' ? layout.unified : layout.v1[controller];
  if (!root) throw new ApiError('Unavailable', `the ${controller} cgroup controller is not mounted; mount it (or use cgroup v2) so limits can be enforced`);
  return join(root, path);
}

/** The files and values that put `r` into a group, in write order. */
export function resourceWrites(mode: CgroupMode, r: CgroupResources): { controller: string; file: string; value: string }[] {
  const w: { controller: string; file: string; value: string }[] = [];
  if (mode === 'v2') {
    if (r.cpuShares !== undefined) w.push({ controller: 'cpu', file: 'cpu.weight', value: String(sharesToWeight(r.cpuShares)) });
    w.push({ controller: 'cpu', file: 'cpu.max', value: `${r.cpuQuotaUs ?? 'max'} ${r.cpuPeriodUs ?? 100_000}` });
    w.push({ controller: 'memory', file: 'memory.max', value: r.memoryLimitBytes ? String(r.memoryLimitBytes) : 'max' });
    w.push({ controller: 'pids', file: 'pids.max', value: r.pidsLimit ? String(r.pidsLimit) : 'max' });
    return w;
  }
  if (r.cpuShares !== undefined) w.push({ controller: 'cpu', file: 'cpu.shares', value: String(r.cpuShares) });
  if (r.cpuPeriodUs !== undefined) w.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(r.cpuPeriodUs) });
  w.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: String(r.cpuQuotaUs ?? -1) });
  w.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(r.memoryLimitBytes ?? -1) });
  w.push({ controller: 'pids', file: 'pids.max', value: r.pidsLimit ? String(r.pidsLimit) : 'max' });
  return w;
}

/** What a group's limit files say; undefined = unlimited / not set. */
export interface CgroupLimits {
  cpuShares?: number;
  cpuWeight?: number;
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

/** v1 reports "no memory limit" as a page-aligned LONG_MAX; anything this large is unlimited. */
const V1_UNLIMITED_MEMORY = 2 ** 62;

/** Parses limit files' contents (keys are file names) into numbers. */
export function parseLimits(mode: CgroupMode, files: Record<string, string | undefined>): CgroupLimits {
  const num = (s: string | undefined) => (s === undefined || s.trim() === '' || s.trim() === 'max' ? undefined : Number(s.trim()));
  const out: CgroupLimits = {};
  if (mode === 'v2') {
    out.cpuWeight = num(files['cpu.weight']);
    const [q, p] = (files['cpu.max'] ?? '').trim().split(/\s+/);
    out.cpuQuotaUs = num(q);
    out.cpuPeriodUs = num(p);
    out.memoryLimitBytes = num(files['memory.max']);
    out.pidsLimit = num(files['pids.max']);
  } else {
    out.cpuShares = num(files['cpu.shares']);
    const quota = num(files['cpu.cfs_quota_us']);
    out.cpuQuotaUs = quota !== undefined && quota > 0 ? quota : undefined;
    out.cpuPeriodUs = num(files['cpu.cfs_period_us']);
    const mem = num(files['memory.limit_in_bytes']);
    out.memoryLimitBytes = mem !== undefined && mem < V1_UNLIMITED_MEMORY ? mem : undefined;
    out.pidsLimit = num(files['pids.max']);
  }
  for (const k of Object.keys(out) as (keyof CgroupLimits)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** The `oom_kill` counter from memory.oom_control (v1) or memory.events (v2); 0 when absent. */
export function parseOomKillCount(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Creates the group in every hierarchy (parents included) and, given
 * resources, writes them. Idempotent: an existing group keeps its processes
 * and gets the new limits.
 */
export async function createCgroup(layout: CgroupLayout, path: string, resources?: CgroupResources): Promise<void> {
  checkCgroupPath(path);
  if (layout.mode === 'v2') {
    await createV2(layout.unified!, path);
  } else {
    for (const root of hierarchyRoots(layout, false)) await mkdir(join(root, path), { recursive: true });
    const cpuset = layout.v1.cpuset;
    if (cpuset) await fillCpuset(cpuset, path);
  }
  if (resources) await setCgroupResources(layout, path, resources);
}

// A new v1 cpuset group starts with no cpus or memory nodes and refuses tasks;
// copy them down from the parent, as runc does for its own groups.
async function fillCpuset(root: string, path: string): Promise<void> {
  let parent = root;
  for (const seg of path.split('/').filter(Boolean)) {
    const dir = join(parent, seg);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const own = (await readOptional(join(dir, f)))?.trim();
      if (own) continue;
      const inherited = (await readOptional(join(parent, f)))?.trim();
      if (inherited) await writeFile(join(dir, f), inherited);
    }
    parent = dir;
  }
}

async function createV2(root: string, path: string): Promise<void> {
  const available = ((await readOptional(join(root, 'cgroup.controllers'))) ?? '').trim().split(/\s+/);
  const wanted = V2_CONTROLLERS.filter((c) => available.includes(c));
  let dir = root;
  for (const seg of path.split('/').filter(Boolean)) {
    // Controllers must be enabled in every ancestor's subtree_control for the leaf to get them.
    const enabled = ((await readOptional(join(dir, 'cgroup.subtree_control'))) ?? '').trim().split(/\s+/);
    const missing = wanted.filter((c) => !enabled.includes(c));
    if (missing.length) {
      try {
        await writeFile(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
      } catch (err) {
        throw new ApiError('Unavailable', `cannot enable cgroup controllers ${missing.join(',')} in ${dir}: ${(err as Error).message}; ` +
          'a v2 group with processes cannot delegate controllers — run the agent in a leaf group below the node parent');
      }
    }
    dir = join(dir, seg);
    await mkdir(dir, { recursive: true });
  }
}

/** Writes limits; a field left undefined resets that limit to unlimited. */
export async function setCgroupResources(layout: CgroupLayout, path: string, r: CgroupResources): Promise<void> {
  checkCgroupPath(path);
  for (const w of resourceWrites(layout.mode, r)) {
    const file = join(controllerDir(layout, w.controller, path), w.file);
    try {
      await writeFile(file, w.value);
    } catch (err) {
      throw new ApiError('Internal', `cannot write ${w.value} to ${file}: ${(err as Error).message}`);
    }
  }
}

/** Reads back the limits of a group; undefined when it does not exist. */
export async function readCgroupLimits(layout: CgroupLayout, path: string): Promise<CgroupLimits | undefined> {
  checkCgroupPath(path);
  const names = layout.mode === 'v2'
    ? [['cpu', 'cpu.weight'], ['cpu', 'cpu.max'], ['memory', 'memory.max'], ['pids', 'pids.max']]
    : [['cpu', 'cpu.shares'], ['cpu', 'cpu.cfs_quota_us'], ['cpu', 'cpu.cfs_period_us'], ['memory', 'memory.limit_in_bytes'], ['pids', 'pids.max']];
  if (!(await exists(controllerDir(layout, 'memory', path)))) return undefined;
  const files: Record<string, string | undefined> = {};
  for (const [controller, file] of names) {
    const root = layout.mode === 'v2' ? layout.unified : layout.v1[controller!];
    if (root) files[file!] = await readOptional(join(root, path, file!));
  }
  return parseLimits(layout.mode, files);
}

/** How many processes the kernel OOM-killed in this group; undefined when the group does not exist. */
export async function readOomKillCount(layout: CgroupLayout, path: string): Promise<number | undefined> {
  const dir = controllerDir(layout, 'memory', checkCgroupPath(path));
  const text = await readOptional(join(dir, layout.mode === 'v2' ? 'memory.events' : 'memory.oom_control'));
  return text === undefined ? undefined : parseOomKillCount(text);
}

/** Whether the group exists (in the memory hierarchy, which every layout has). */
export async function cgroupExists(layout: CgroupLayout, path: string): Promise<boolean> {
  return exists(controllerDir(layout, 'memory', checkCgroupPath(path)));
}

/** Sub-directories of `dir`, deepest first, then `dir` itself: the order rmdir needs. */
async function subtreePostOrder(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) if (e.isDirectory()) out.push(...(await subtreePostOrder(join(dir, e.name))));
  out.push(dir);
  return out;
}

/** PIDs in the group and every group below it, across all hierarchies. */
export async function cgroupPids(layout: CgroupLayout, path: string): Promise<number[]> {
  checkCgroupPath(path);
  const pids = new Set<number>();
  for (const root of hierarchyRoots(layout, true)) {
    for (const dir of await subtreePostOrder(join(root, path))) {
      const text = await readOptional(join(dir, 'cgroup.procs'));
      for (const l of (text ?? '').split('\n')) if (l.trim()) pids.add(Number(l));
    }
  }
  return [...pids];
}

/**
 * Removes the group and everything below it in every hierarchy. Processes
 * still inside are SIGKILLed first, since only empty groups can be removed.
 * Idempotent; throws if something is still there after `timeoutMs`.
 */
export async function removeCgroup(layout: CgroupLayout, path: string, timeoutMs = 10_000): Promise<void> {
  checkCgroupPath(path);
  const deadline = Date.now() + timeoutMs;
  const roots = hierarchyRoots(layout, true);
  for (;;) {
    for (const pid of await cgroupPids(layout, path)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    let left: string[] = [];
    let lastError = '';
    for (const root of roots) {
      for (const dir of await subtreePostOrder(join(root, path))) {
        try {
          await rmdir(dir);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') continue;
          left.push(dir);
          lastError = (err as Error).message;
        }
      }
    }
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new ApiError('Internal', `cannot remove cgroups ${left.join(', ')} (${lastError}); look for processes in their cgroup.procs`);
    }
    await sleep(50);
    left = [];
  }
}
