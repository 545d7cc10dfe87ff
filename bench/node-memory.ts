// Memory of one real node's helpers, read from /proc: the agent process, the
// conmon monitors it started (one per container, pause included) and the
// processes of the pods' pause containers. Parsing is pure and unit-tested;
// `nodeProcesses` does the reading.
import { readdirSync, readFileSync } from 'node:fs';

export type NodeProcessRole = 'conmon' | 'pause' | 'container';

export interface NodeProcess {
  pid: number;
  role: NodeProcessRole;
  /** resident set, bytes (counts shared pages in full) */
  rss: number;
  /** proportional set, bytes (shared pages divided among the processes that map them) */
  pss: number;
}

/** `/proc/<pid>/cgroup` → controller → path. v1 lines name their controllers; the v2 line (`0::/x`) is keyed ''. */
export function parseCgroupFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

/** The memory cgroup of a process: the v1 memory controller's path, else the v2 one. */
export function memoryCgroup(cgroups: Map<string, string>): string | undefined {
  return cgroups.get('memory') ?? cgroups.get('');
}

/** A field of /proc/<pid>/smaps_rollup or /proc/<pid>/status in bytes (`Pss:  1234 kB`). */
export function kbField(text: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

export interface NodeIdentity {
  /** the node's cgroup, hierarchy-relative: /tugboat-<cluster>/node-N */
  cgroupPath: string;
  /** the agent's state dir: conmon's command line names bundles below it */
  stateDir: string;
}

/**
 * What a process is to a node, or undefined when it is not one of the node's
 * per-pod processes. conmon is told by its name and by bundles under the
 * node's state dir (it stays in the agent's cgroup); pause and container
 * processes by their container cgroup below the node's (`…/<uid>-pause`,
 * `…/<uid>-<name>-<attempt>`).
 */
export function classifyNodeProcess(p: { comm: string; cmdline: string[]; memoryCgroup: string | undefined }, node: NodeIdentity): NodeProcessRole | undefined {
  if (p.comm === 'conmon') return p.cmdline.some((a) => a.startsWith(`${node.stateDir}/`)) ? 'conmon' : undefined;
  const cg = p.memoryCgroup;
  if (!cg || !cg.startsWith(`${node.cgroupPath}/`)) return undefined;
  const leaf = cg.slice(cg.lastIndexOf('/') + 1);
  if (!/\/pod[^/]+\/[^/]+$/.test(cg)) return undefined;
  return leaf.endsWith('-pause') ? 'pause' : 'container';
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Proportional set size of a process in bytes, undefined when it is gone. */
export function pssBytes(pid: number): number | undefined {
  const rollup = read(`/proc/${pid}/smaps_rollup`);
  return rollup === undefined ? undefined : kbField(rollup, 'Pss');
}

/** Every per-pod process of the node now (processes that vanish while being read are skipped). */
export function nodeProcesses(node: NodeIdentity): NodeProcess[] {
  const out: NodeProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const comm = read(`/proc/${pid}/comm`)?.trim();
    const cgroup = read(`/proc/${pid}/cgroup`);
    if (comm === undefined || cgroup === undefined) continue;
    const cmdline = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
    const role = classifyNodeProcess({ comm, cmdline, memoryCgroup: memoryCgroup(parseCgroupFile(cgroup)) }, node);
    if (!role) continue;
    const rollup = read(`/proc/${pid}/smaps_rollup`);
    const rss = rollup === undefined ? undefined : kbField(rollup, 'Rss');
    const pss = rollup === undefined ? undefined : kbField(rollup, 'Pss');
    if (rss === undefined || pss === undefined) continue;
    out.push({ pid, role, rss, pss });
  }
  return out;
}

export interface RoleTotals {
  count: number;
  rss: number;
  pss: number;
}

export function totalsByRole(procs: readonly NodeProcess[]): Record<NodeProcessRole, RoleTotals> {
  const t: Record<NodeProcessRole, RoleTotals> = {
    conmon: { count: 0, rss: 0, pss: 0 },
    pause: { count: 0, rss: 0, pss: 0 },
    container: { count: 0, rss: 0, pss: 0 },
  };
  for (const p of procs) {
    t[p.role].count++;
    t[p.role].rss += p.rss;
    t[p.role].pss += p.pss;
  }
  return t;
}

/**
 * Memory one pod costs outside its own containers: the agent's growth from 0
 * to `pods` pods, plus the proportional set of every conmon and every pause
 * process, divided by the pods. PSS, not RSS, for the helpers: 60 conmons map
 * the same binary and libraries, and RSS would count those pages 60 times.
 */
export function perPodOverhead(o: { agentRss0: number; agentRssN: number; helpers: Record<NodeProcessRole, RoleTotals>; pods: number }): number {
  if (o.pods <= 0) return Number.NaN;
  return (o.agentRssN - o.agentRss0 + o.helpers.conmon.pss + o.helpers.pause.pss) / o.pods;
}
