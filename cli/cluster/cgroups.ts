// Each node's cgroup: /tugboat-<cluster>/node-N with the node's cpu and memory
// limits, and the leaf .../agent the agent runs in (pods go below node-N).
// The group is made in every hierarchy (v1), or in the unified tree (v2) with
// the controllers delegated down to it, so the agent's pods can be limited
// by the node wherever they are created.
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../lib/errors.js';
import { CFS_PERIOD_US, type ClusterPlan, type NodePlan } from './topology.js';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 hierarchy mount points by controller (or `name=systemd`); co-mounted controllers share one */
  v1: Record<string, string>;
  /** the cgroup2 mount (whole tree in v2, the controller-less one in hybrid) */
  unified?: string;
}

/** The layout from /proc/self/mountinfo text. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = (pre.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const [fstype, , options = ''] = post.split(' ');
    if (fstype === 'cgroup2') unified ??= mountPoint;
    if (fstype !== 'cgroup') continue;
    for (const opt of options.split(',')) {
      if (opt.startsWith('name=') || (/^[a-z_]+$/.test(opt) && !['rw', 'ro', 'clone_children', 'noprefix'].includes(opt))) v1[opt] ??= mountPoint;
    }
  }
  const hasControllers = Object.keys(v1).some((k) => !k.startsWith('name='));
  if (!hasControllers) {
    if (!unified) throw new ApiError('Unavailable', 'no cgroup filesystem is mounted: mount cgroup2 at /sys/fs/cgroup (or the v1 hierarchies)');
    return { mode: 'v2', v1: {}, unified };
  }
  return unified ? { mode: 'hybrid', v1, unified } : { mode: 'v1', v1 };
}

export async function readCgroupLayout(): Promise<CgroupLayout> {
  return parseCgroupLayout(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Every mount holding a copy of each group: all v1 hierarchies plus the cgroup2 mount. */
export function hierarchyRoots(layout: CgroupLayout): string[] {
  const roots = new Set<string>(Object.values(layout.v1));
  if (layout.unified) roots.add(layout.unified);
  return [...roots].sort();
}

/** One step of making a node's groups; steps run in order. */
export type CgroupStep =
  | { mkdir: string }
  /** v1 cpuset groups start with no cpus or memory nodes and refuse tasks: copy them down from the parent */
  | { fillCpuset: string }
  | { write: string; value: string };

export interface NodeCgroupSetup {
  steps: CgroupStep[];
  /** the cgroup.procs files the agent's pid goes into */
  procs: string[];
}

/** v2 controllers delegated down to node groups (when the kernel offers them). */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

/**
 * The node's groups and limits. v1: cpu.cfs_quota_us = cpus × period and
 * memory.limit_in_bytes, in every hierarchy; v2: cpu.max and memory.max, with
 * `+cpu +memory ...` written into each ancestor's subtree_control before its
 * children are made (`available` = the root's cgroup.controllers).
 */
export function nodeCgroupSetup(layout: CgroupLayout, cgroupRoot: string, node: NodePlan, available: string[] = V2_CONTROLLERS): NodeCgroupSetup {
  const quota = String(Math.round((node.cpuMillis * CFS_PERIOD_US) / 1000));
  const paths = [cgroupRoot, node.cgroupPath, node.agentCgroupPath];
  const steps: CgroupStep[] = [];
  if (layout.mode === 'v2') {
    const root = layout.unified!;
    const enable = V2_CONTROLLERS.filter((c) => available.includes(c)).map((c) => `+${c}`).join(' ');
    // Only the agent leaf holds processes: a v2 group with processes cannot delegate.
    let parent = root;
    for (const p of paths) {
      if (enable) steps.push({ write: join(parent, 'cgroup.subtree_control'), value: enable });
      parent = join(root, p);
      steps.push({ mkdir: parent });
    }
    steps.push({ write: join(root, node.cgroupPath, 'cpu.max'), value: `${quota} ${CFS_PERIOD_US}` });
    steps.push({ write: join(root, node.cgroupPath, 'memory.max'), value: String(node.memoryBytes) });
    return { steps, procs: [join(root, node.agentCgroupPath, 'cgroup.procs')] };
  }
  const cpu = layout.v1.cpu;
  const memory = layout.v1.memory;
  if (!cpu || !memory) {
    throw new ApiError('Unavailable', 'the cpu and memory cgroup controllers must be mounted to give nodes their sizes (see /proc/self/mountinfo)');
  }
  const roots = hierarchyRoots(layout);
  for (const r of roots) for (const p of paths) steps.push({ mkdir: join(r, p) });
  const cpuset = layout.v1.cpuset;
  if (cpuset) for (const p of paths) steps.push({ fillCpuset: join(cpuset, p) });
  steps.push({ write: join(cpu, node.cgroupPath, 'cpu.cfs_period_us'), value: String(CFS_PERIOD_US) });
  steps.push({ write: join(cpu, node.cgroupPath, 'cpu.cfs_quota_us'), value: quota });
  steps.push({ write: join(memory, node.cgroupPath, 'memory.limit_in_bytes'), value: String(node.memoryBytes) });
  return { steps, procs: roots.map((r) => join(r, node.agentCgroupPath, 'cgroup.procs')) };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function write(file: string, value: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (err) {
    throw new ApiError('Internal', `cannot write "${value}" to ${file}: ${(err as Error).message}`);
  }
}

/** Creates every node's groups with their limits; returns the cgroup.procs files per node name. */
export async function setupCgroups(plan: ClusterPlan, layout: CgroupLayout): Promise<Record<string, string[]>> {
  const available = layout.mode === 'v2' ? ((await readOptional(join(layout.unified!, 'cgroup.controllers'))) ?? '').trim().split(/\s+/) : [];
  const procs: Record<string, string[]> = {};
  for (const node of plan.nodes) {
    const s = nodeCgroupSetup(layout, plan.cgroupRoot, node, available);
    for (const step of s.steps) {
      if ('mkdir' in step) await mkdir(step.mkdir, { recursive: true });
      else if ('write' in step) await write(step.write, step.value);
      else {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if ((await readOptional(join(step.fillCpuset, f)))?.trim()) continue;
          const inherited = (await readOptional(join(step.fillCpuset, '..', f)))?.trim();
          if (inherited) await write(join(step.fillCpuset, f), inherited);
        }
      }
    }
    procs[node.name] = s.procs;
  }
  return procs;
}

/** Sub-directories of `dir`, deepest first, then `dir`: the order rmdir needs. */
export async function subtreePostOrder(dir: string): Promise<string[]> {
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

/** PIDs anywhere under `path` in any hierarchy. */
export async function cgroupSubtreePids(layout: CgroupLayout, path: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const root of hierarchyRoots(layout)) {
    for (const dir of await subtreePostOrder(join(root, path))) {
      for (const l of ((await readOptional(join(dir, 'cgroup.procs'))) ?? '').split('\n')) if (l.trim()) pids.add(Number(l));
    }
  }
  return [...pids];
}

/**
 * Kills every process under `path` and removes the groups in every hierarchy.
 * Frozen groups are thawed first: a frozen process cannot die. Idempotent.
 */
export async function removeCgroupTree(layout: CgroupLayout, path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const freezer = layout.v1.freezer;
  if (freezer) {
    for (const dir of await subtreePostOrder(join(freezer, path))) await writeFile(join(dir, 'freezer.state'), 'THAWED').catch(() => {});
  }
  for (;;) {
    for (const pid of await cgroupSubtreePids(layout, path)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const left: string[] = [];
    let lastError = '';
    for (const root of hierarchyRoots(layout)) {
      for (const dir of await subtreePostOrder(join(root, path))) {
        try {
          await rmdir(dir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          left.push(dir);
          lastError = (err as Error).message;
        }
      }
    }
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`cannot remove cgroups ${left.join(', ')} (${lastError}); see which processes their cgroup.procs still list`);
    }
    await sleep(100);
  }
}

/** The node's limits as the kernel reports them: what `tug cluster status` and the tests check. */
export async function readNodeLimits(layout: CgroupLayout, node: Pick<NodePlan, 'cgroupPath'>): Promise<{ cpuMillis?: number; memoryBytes?: number }> {
  if (layout.mode === 'v2') {
    const [q, p] = ((await readOptional(join(layout.unified!, node.cgroupPath, 'cpu.max'))) ?? '').trim().split(/\s+/);
    const mem = ((await readOptional(join(layout.unified!, node.cgroupPath, 'memory.max'))) ?? '').trim();
    return {
      cpuMillis: q && q !== 'max' && p ? Math.round((Number(q) * 1000) / Number(p)) : undefined,
      memoryBytes: mem && mem !== 'max' ? Number(mem) : undefined,
    };
  }
  const q = Number(((await readOptional(join(layout.v1.cpu!, node.cgroupPath, 'cpu.cfs_quota_us'))) ?? '').trim());
  const p = Number(((await readOptional(join(layout.v1.cpu!, node.cgroupPath, 'cpu.cfs_period_us'))) ?? '').trim());
  const mem = Number(((await readOptional(join(layout.v1.memory!, node.cgroupPath, 'memory.limit_in_bytes'))) ?? '').trim());
  return {
    cpuMillis: q > 0 && p > 0 ? Math.round((q * 1000) / p) : undefined,
    memoryBytes: mem > 0 && mem < 2 ** 62 ? mem : undefined,
  };
}
