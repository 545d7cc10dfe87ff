// The host bridge and the node namespaces: the commands are computed from the
// plan (pure, unit-tested), then run one by one with iproute2.
import { overlaps, parseCidr, type Cidr } from './cidr.js';
import { run, mustRun } from './exec.js';
import { isClusterLink, isClusterNetns, type ClusterPlan, type NodePlan } from './topology.js';

export type Argv = string[];

/** Everything that makes the cluster's network, in order. */
export function networkSetupCommands(plan: ClusterPlan): Argv[] {
  const br = plan.bridge;
  const cmds: Argv[] = [
    ['ip', 'link', 'add', br, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${plan.hostAddress}/${plan.prefixLength}`, 'dev', br],
    ['ip', 'link', 'set', br, 'up'],
  ];
  for (const n of plan.nodes) cmds.push(...nodeSetupCommands(plan, n));
  return cmds;
}

export function nodeSetupCommands(plan: ClusterPlan, n: NodePlan): Argv[] {
  const ns = n.netns;
  return [
    ['ip', 'netns', 'add', ns],
    // The node end is created directly inside the namespace, so its name (eth0) never meets the host's.
    ['ip', 'link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
    ['ip', 'link', 'set', n.hostVeth, 'master', plan.bridge],
    ['ip', 'link', 'set', n.hostVeth, 'up'],
    ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', ns, 'addr', 'add', `${n.address}/${plan.prefixLength}`, 'dev', 'eth0'],
    ['ip', '-n', ns, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', ns, 'route', 'add', 'default', 'via', plan.hostAddress],
    // /proc/sys/net is per network namespace: this only concerns the node.
    ['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
    // Routes to the other nodes' pods are the agent's to make, from the pod CIDRs the control plane assigns.
  ];
}

/** Runs the setup commands; the first failure throws (the caller tears down what was made). */
export async function setupNetwork(plan: ClusterPlan): Promise<void> {
  for (const [file, ...args] of networkSetupCommands(plan)) await mustRun(file!, args);
}

/** What the host routes and has addresses in, to keep a new node subnet clear of it. */
export async function hostPrefixesInUse(): Promise<Cidr[]> {
  const out: Cidr[] = [];
  const routes = JSON.parse((await mustRun('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as { dst?: string }[];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    try {
      out.push(parseCidr(r.dst));
    } catch {
      // multicast and other forms that are not plain prefixes do not matter here
    }
  }
  const links = JSON.parse((await mustRun('ip', ['-j', '-4', 'addr', 'show'])) || '[]') as {
    addr_info?: { local?: string; prefixlen?: number }[];
  }[];
  for (const l of links) {
    for (const a of l.addr_info ?? []) if (a.local) out.push(parseCidr(`${a.local}/${a.prefixlen ?? 32}`));
  }
  return out;
}

/**
 * Other links holding addresses in `subnet`: two clusters starting at the
 * same moment could both have found the same /24 free; the later one sees
 * the other's bridge here and gives up instead of sharing it.
 */
export async function subnetClashes(subnet: string, ownLinks: string[]): Promise<string[]> {
  const mine = parseCidr(subnet);
  const links = JSON.parse((await mustRun('ip', ['-j', '-4', 'addr', 'show'])) || '[]') as {
    ifname: string;
    addr_info?: { local?: string; prefixlen?: number }[];
  }[];
  return links
    .filter((l) => !ownLinks.includes(l.ifname))
    .filter((l) => (l.addr_info ?? []).some((a) => a.local && overlaps(parseCidr(`${a.local}/${a.prefixlen ?? 32}`), mine)))
    .map((l) => l.ifname);
}

export async function listNetnsNames(): Promise<string[]> {
  const r = await run('ip', ['-j', 'netns', 'list']);
  if (r.code !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

export async function listLinkNames(): Promise<string[]> {
  const out = await mustRun('ip', ['-j', 'link', 'show']);
  return (JSON.parse(out || '[]') as { ifname: string }[]).map((l) => l.ifname);
}

export async function clusterNetns(cluster: string): Promise<string[]> {
  return (await listNetnsNames()).filter((n) => isClusterNetns(cluster, n));
}

export async function clusterLinks(cluster: string): Promise<string[]> {
  return (await listLinkNames()).filter((l) => isClusterLink(cluster, l));
}

/** PIDs of the processes inside a named network namespace. */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', netns]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

export async function deleteNetns(netns: string): Promise<void> {
  const r = await run('ip', ['netns', 'del', netns]);
  if (r.code !== 0 && (await listNetnsNames()).includes(netns)) {
    throw new Error(`cannot delete network namespace ${netns}: ${r.stderr.trim()}`);
  }
}

export async function deleteLink(name: string): Promise<void> {
  const r = await run('ip', ['link', 'del', name]);
  if (r.code !== 0 && (await listLinkNames()).includes(name)) {
    throw new Error(`cannot delete link ${name}: ${r.stderr.trim()}`);
  }
}
