// What a cluster looks like from the host, read independently of the code
// under test: runc's own view of each node's containers, conmon monitors,
// pod cgroups, and whatever a removed cluster could have left (namespaces,
// links, routes, mounts, cgroups, processes, host firewall rules).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCgroupLayout } from '../../cli/cluster/cgroups.js';
import type { ClusterPlan, NodePlan } from '../../cli/cluster/topology.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program; never rejects (the exit code says how it went). */
export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: stdout ?? '', stderr: stderr ?? '' });
    });
  });
}

/** Like run, but a non-zero exit throws with the command and its stderr. */
export async function mustRun(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export interface RuntimeContainer {
  id: string;
  pid: number;
  status: string;
  /** the pod uid the agent put first in every id (`<uid>-<name>-<attempt>`, `<uid>-pause`) */
  podUid: string | undefined;
}

const UID_PREFIX = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-/;

/** The pod uid at the start of a runtime container id, if it has one. */
export function podUidOf(containerId: string): string | undefined {
  return UID_PREFIX.exec(containerId)?.[1];
}

/** `runc list -f json` output (`null` when there is none) → containers. */
export function parseRuncList(json: string): RuntimeContainer[] {
  const list = (JSON.parse(json.trim() || 'null') ?? []) as { id: string; pid: number; status: string }[];
  return list.map((c) => ({ id: c.id, pid: c.pid, status: c.status, podUid: podUidOf(c.id) }));
}

/** The runc root of a node: the agent keeps its containers in <node state dir>/runc. */
export function runcRoot(node: NodePlan): string {
  return join(node.stateDir, 'runc');
}

/** The node's containers as runc itself lists them. */
export async function runtimeContainers(node: NodePlan): Promise<RuntimeContainer[]> {
  if (!existsSync(runcRoot(node))) return [];
  return parseRuncList(await mustRun('runc', ['--root', runcRoot(node), 'list', '-f', 'json']));
}

function cmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function pids(): string[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d));
}

/** conmon monitors of containers under `stateDir`: container id → conmon pids. */
export function conmonMonitors(stateDir: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const pid of pids()) {
    const args = cmdline(pid);
    if (!args[0]?.endsWith('conmon') || !args.some((a) => a.startsWith(stateDir + '/'))) continue;
    const i = args.indexOf('-c');
    const id = i >= 0 ? args[i + 1] : undefined;
    if (id) out.set(id, [...(out.get(id) ?? []), Number(pid)]);
  }
  return out;
}

/** Pod uids that still have a cgroup under the node's (in the memory hierarchy, or the v2 tree). */
export async function podCgroups(plan: ClusterPlan, node: NodePlan): Promise<string[]> {
  const layout = await readCgroupLayout();
  const root = layout.v1.memory ?? layout.unified;
  if (!root) return [];
  const dir = join(root, node.cgroupPath);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('pod'))
    .map((e) => e.name.slice('pod'.length));
}

/** Host firewall rules (iptables and nftables), one string per rule, counters left out. */
export async function hostRules(): Promise<Set<string>> {
  const ipt = (await run('iptables-save', [])).stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, ''));
  const nft = (await run('nft', ['list', 'ruleset'])).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  return new Set([...ipt.map((l) => `iptables ${l}`), ...nft.map((l) => `nft ${l}`)]);
}

/** Strings by which anything of the cluster is recognised on the host. */
export function clusterMarks(plan: ClusterPlan): string[] {
  return [plan.stateDir + '/', `tug-${plan.name}-node-`, plan.bridge, `tug${plan.hash}-`, plan.nodeSubnet, plan.hostAddress + ':'];
}

export interface Leftovers {
  netns: string[];
  links: string[];
  routes: string[];
  mounts: string[];
  cgroups: string[];
  processes: string[];
  /** host firewall rules added since `before` that name the cluster, its pod or its service network */
  rules: string[];
  files: string[];
}

/**
 * Everything of `plan`'s cluster still on the host. `rulesBefore` is the
 * host ruleset from before the cluster existed; other activity on the host
 * (containers, other clusters) may add rules meanwhile, so only added rules
 * that name this cluster or the pod/service ranges count.
 */
export async function leftovers(plan: ClusterPlan, rulesBefore: Set<string>, ignorePids: number[] = []): Promise<Leftovers> {
  const marks = clusterMarks(plan);
  const has = (line: string) => marks.some((m) => line.includes(m));
  const netns = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`tug-${plan.name}-`));
  const links = (await run('ip', ['-o', 'link'])).stdout.split('\n').filter(has);
  const routes = (await run('ip', ['route', 'show', 'table', 'all'])).stdout.split('\n').filter(has);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(plan.stateDir + '/') || l.includes(` ${plan.stateDir} `) || l.includes(`/run/netns/tug-${plan.name}-`));
  const layout = await readCgroupLayout();
  const cgroups = [...new Set([...Object.values(layout.v1), layout.unified ?? ''])]
    .filter(Boolean)
    .map((r) => join(r, plan.cgroupRoot))
    .filter(existsSync);
  const skip = new Set([process.pid, ...ignorePids]);
  const processes: string[] = [];
  for (const pid of pids()) {
    if (skip.has(Number(pid))) continue;
    const cmd = cmdline(pid).join(' ');
    if (cmd && (has(cmd) || cmd.includes(`--state-dir ${plan.stateDir}`))) processes.push(`${pid} ${cmd}`);
  }
  const ranges = ['10.244.', '10.96.'];
  const rules = [...(await hostRules())].filter((r) => !rulesBefore.has(r) && (has(r) || ranges.some((x) => r.includes(x))));
  const files = [plan.stateDir, `/run/tugboat/clusters/${plan.name}.json`].filter(existsSync);
  return { netns, links, routes, mounts, cgroups, processes, rules, files };
}
