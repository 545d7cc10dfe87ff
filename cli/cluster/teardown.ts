// `tug cluster down` and the clean-up after a failed `up`: removes everything
// a cluster made, in an order where each step leaves nothing the next needs:
// processes first (nothing holds a mount, namespace or cgroup any more), then
// mounts (deepest first), namespaces, links, cgroups, and the state dir last,
// once nothing is mounted below it. Every step works from names alone as well
// as from the recorded plan, tolerates parts that are already gone, and a
// failing step does not stop the ones after it.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCgroupLayout, removeCgroupTree } from './cgroups.js';
import { run } from './exec.js';
import { clusterLinks, clusterNetns, deleteLink, deleteNetns, netnsPids } from './network.js';
import {
  clusterFile,
  argsOf,
  isAlive,
  readClusterRecord,
  readIndex,
  readSupervisorState,
  removeIndex,
  supervisorRunning,
} from './state.js';
import { bridgeName, cgroupRoot, type ClusterPlan } from './topology.js';

export const TEARDOWN_STEPS = [
  'supervisor', // SIGTERM: it stops the components in reverse start order
  'processes', // whatever of the cluster still runs (components left by a killed supervisor)
  'containers', // runc containers of every agent (they outlive agents by design)
  'cgroups', // kills anything left inside /tugboat-<name>, then removes the groups
  'namespace processes', // anything still inside a node's network namespace
  'mounts', // overlays, pod netns bind mounts, tmpfs... under the state dir, deepest first
  'namespaces', // node network namespaces (their veths and everything inside go with them)
  'links', // the bridge (and its subnet route) and any host veth left
  'state dir', // only once nothing is mounted below it
  'index', // /run/tugboat/clusters/<name>.json
] as const;
export type TeardownStep = (typeof TEARDOWN_STEPS)[number];

export const SUPERVISOR_STOP_TIMEOUT_MS = 60_000;

/** Entries a state dir may hold that `up` made; anything else means it is not ours to delete. */
export const STATE_DIR_ENTRIES = ['cluster.json', 'supervisor.json', 'logs', 'etcd', 'registry', 'nodes'];

/**
 * Recognises this cluster's processes by their arguments: a flag whose value
 * is the cluster's own (its state dir, node namespaces, control-plane
 * address), so a cluster whose name or state dir merely starts the same way
 * is never touched.
 */
export function clusterProcessMatcher(name: string, stateDir: string | undefined, plan: ClusterPlan | undefined): (args: string[]) => boolean {
  const netns = new RegExp(`^--net=/run/netns/tug-${name.replace(/[^a-z0-9-]/g, '')}-node-\\d+$`);
  const exact = new Map<string, string[]>();
  if (plan) {
    exact.set('--server', [plan.apiserver.address]);
    exact.set('--listen', [plan.apiserver.address]);
    // An external etcd is not the cluster's: never matched, so `down` leaves it alone.
    if (!plan.etcd.external) exact.set('--listen-client-urls', [plan.etcd.clientUrl]);
  }
  const under = stateDir ? stateDir.replace(/\/+$/, '') + '/' : undefined;
  return (args) =>
    args.some((a, i) => {
      if (netns.test(a)) return true;
      if (under && a.startsWith(under)) return true;
      const values = exact.get(a);
      return !!values && values.includes(args[i + 1] ?? '');
    });
}

/** Mount points at or below `dir` from /proc/self/mountinfo text, deepest first (a path stacked twice appears twice). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const base = dir.replace(/\/+$/, '');
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === base || p.startsWith(base + '/'))
    .sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

export interface TeardownOptions {
  name: string;
  /** where the cluster's state is; found from the index or the default when absent */
  stateDir?: string;
  /** keep <state dir>/logs (after a failed up, so the user can read why) */
  keepLogs?: boolean;
  progress?: (line: string) => void;
}

export interface TeardownResult {
  /** what was found and removed, by step */
  removed: Partial<Record<TeardownStep, string[]>>;
  /** steps that failed, with why; empty when everything is gone */
  errors: string[];
}

async function allPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
}

function ancestors(): Set<number> {
  const out = new Set<number>([process.pid, process.ppid]);
  return out;
}

async function killAndWait(pids: number[], signal: NodeJS.Signals, timeoutMs: number): Promise<number[]> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(isAlive);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(isAlive);
  }
  return left;
}

/** runc roots below the agents' state dirs: every directory called `runc`, not crossing mount points. */
async function runcRoots(stateDir: string, mounts: Set<string>): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    if (depth > 4 || mounts.has(dir)) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === 'runc') out.push(p);
      else if (!['etcd', 'registry', 'logs'].includes(e.name)) await walk(p, depth + 1);
    }
  };
  await walk(join(stateDir, 'nodes'), 0);
  return out;
}

async function removeContainers(root: string): Promise<string[]> {
  const listed = await run('runc', ['--root', root, 'list', '-q']);
  if (listed.code !== 0) return [];
  const ids = listed.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    await run('runc', ['--root', root, 'kill', id, 'KILL']);
    const del = await run('runc', ['--root', root, 'delete', '--force', id]);
    if (del.code !== 0) throw new Error(`runc --root ${root} delete --force ${id}: ${del.stderr.trim()}`);
  }
  return ids;
}

async function unmountUnder(dir: string): Promise<string[]> {
  const done: string[] = [];
  for (let pass = 0; pass < 10; pass++) {
    const mounts = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), dir);
    if (mounts.length === 0) return done;
    for (const m of mounts) {
      const r = await run('umount', [m]);
      // Busy, or pinned by a copied mount namespace: detach it lazily, it goes once unused.
      if (r.code !== 0) await run('umount', ['-l', m]);
      done.push(m);
    }
  }
  const left = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), dir);
  if (left.length) throw new Error(`still mounted after unmounting: ${left.join(', ')}`);
  return done;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Removes the state dir when it is ours: it holds cluster.json or only entries `up` makes. */
async function removeStateDir(stateDir: string, keepLogs: boolean): Promise<string[]> {
  if (!(await exists(stateDir))) return [];
  const left = mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), stateDir);
  if (left.length) throw new Error(`not removing ${stateDir}: still mounted below it: ${left.join(', ')}`);
  const entries = await readdir(stateDir);
  const ours = entries.includes('cluster.json') || entries.every((e) => STATE_DIR_ENTRIES.includes(e) || e.endsWith('.tmp'));
  if (!ours) throw new Error(`not removing ${stateDir}: it holds files tugboat did not make (${entries.join(', ')})`);
  if (keepLogs) {
    for (const e of entries) if (e !== 'logs') await rm(join(stateDir, e), { recursive: true, force: true });
    return entries.filter((e) => e !== 'logs').map((e) => join(stateDir, e));
  }
  await rm(stateDir, { recursive: true, force: true });
  return [stateDir];
}

/** The state dir of cluster `name`: the flag, else the index, else the default. */
export function resolveStateDir(name: string, flag: string | undefined, fallback: string): string {
  return (flag ?? readIndex(name) ?? fallback).replace(/\/+$/, '');
}

export async function teardownCluster(o: TeardownOptions): Promise<TeardownResult> {
  const { name } = o;
  const stateDir = o.stateDir;
  const progress = o.progress ?? (() => {});
  const result: TeardownResult = { removed: {}, errors: [] };
  let plan: ClusterPlan | undefined;
  try {
    plan = stateDir ? readClusterRecord(stateDir)?.plan : undefined;
  } catch (e) {
    result.errors.push((e as Error).message);
  }
  if (plan && plan.name !== name) {
    result.errors.push(`${clusterFile(stateDir!)} belongs to cluster "${plan.name}", not "${name}": nothing removed`);
    return result;
  }
  const isOurs = clusterProcessMatcher(name, stateDir, plan);
  const self = ancestors();

  const step = async (s: TeardownStep, fn: () => Promise<string[]>) => {
    try {
      const removed = await fn();
      if (removed.length) {
        result.removed[s] = removed;
        progress(`${s}: ${removed.length <= 4 ? removed.join(', ') : `${removed.slice(0, 3).join(', ')} and ${removed.length - 3} more`}`);
      }
    } catch (e) {
      result.errors.push(`${s}: ${(e as Error).message}`);
      progress(`${s}: FAILED: ${(e as Error).message}`);
    }
  };

  await step('supervisor', async () => {
    if (!stateDir) return [];
    const s = readSupervisorState(stateDir);
    if (!s || !supervisorRunning(stateDir, s)) return [];
    const left = await killAndWait([s.pid], 'SIGTERM', SUPERVISOR_STOP_TIMEOUT_MS);
    if (left.length) await killAndWait(left, 'SIGKILL', 5_000);
    return [`pid ${s.pid}`];
  });

  await step('processes', async () => {
    const recorded = stateDir ? (readSupervisorState(stateDir)?.components ?? []).map((c) => c.pid).filter((p): p is number => !!p) : [];
    const found: number[] = [];
    for (const pid of new Set([...recorded, ...(await allPids())])) {
      if (self.has(pid) || !isAlive(pid)) continue;
      if (isOurs(argsOf(pid))) found.push(pid);
    }
    if (!found.length) return [];
    const left = await killAndWait(found, 'SIGTERM', 5_000);
    if (left.length) await killAndWait(left, 'SIGKILL', 5_000);
    return found.map((p) => `pid ${p}`);
  });

  await step('containers', async () => {
    if (!stateDir) return [];
    const mounts = new Set(mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), stateDir));
    const ids: string[] = [];
    for (const root of await runcRoots(stateDir, mounts)) ids.push(...(await removeContainers(root)));
    return ids;
  });

  await step('cgroups', async () => {
    const layout = await readCgroupLayout();
    const path = cgroupRoot(name);
    const present = await Promise.all(Object.values({ ...layout.v1, u: layout.unified ?? '' }).filter(Boolean).map((r) => exists(join(r, path))));
    if (!present.some(Boolean)) return [];
    await removeCgroupTree(layout, path);
    return [path];
  });

  await step('namespace processes', async () => {
    const found: number[] = [];
    for (const ns of await clusterNetns(name)) for (const pid of await netnsPids(ns)) if (!self.has(pid)) found.push(pid);
    if (!found.length) return [];
    await killAndWait(found, 'SIGKILL', 5_000);
    return found.map((p) => `pid ${p}`);
  });

  await step('mounts', async () => (stateDir ? unmountUnder(stateDir) : []));

  await step('namespaces', async () => {
    const names = await clusterNetns(name);
    for (const ns of names) await deleteNetns(ns);
    return names;
  });

  await step('links', async () => {
    // Host veths go with their namespaces; what is left is the bridge (and veths whose namespace was lost).
    const links = (await clusterLinks(name)).sort((a, b) => Number(a === bridgeName(name)) - Number(b === bridgeName(name)));
    for (const l of links) await deleteLink(l);
    return links;
  });

  await step('state dir', async () => (stateDir ? removeStateDir(stateDir, !!o.keepLogs) : []));

  await step('index', async () => {
    const indexed = readIndex(name);
    if (indexed === undefined || (stateDir && indexed !== stateDir)) return [];
    await removeIndex(name);
    return [name];
  });

  return result;
}
