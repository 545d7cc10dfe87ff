// The layout of a local cluster, decided here as pure functions so that every
// name, address and route is unit-tested and `down` can recompute them.
//
// Topology (one Linux machine, cluster NAME, hash H = first 6 hex digits of sha256(NAME)):
//
//   host namespace                               node namespaces (`ip netns`)
//   ┌─────────────────────────────────┐
//   │ bridge tug-H   10.250.X.1/24    │──veth tugH-1 ── eth0 10.250.X.11  tug-NAME-node-1
//   │   etcd        10.250.X.1:2379   │                   pods e.g. 10.244.0.0/24 (agent's cni0 10.244.0.1)
//   │   registry    10.250.X.1:5000   │──veth tugH-2 ── eth0 10.250.X.12  tug-NAME-node-2
//   │   apiserver   10.250.X.1:6443   │                   pods e.g. 10.244.1.0/24
//   │   controller-manager, scheduler │   ...
//   └─────────────────────────────────┘
//
// - X comes from the hash and moves on to the next free /24 when the host
//   already routes anything overlapping 10.250.X.0/24 (another cluster's
//   bridge, a VPN, ...); it is recorded in the state dir, so it stays put.
// - Control-plane components listen on the bridge address: reachable from
//   the host (it is one of the host's own addresses) and from every node, and
//   two clusters never compete for a port. Nothing listens on the host's
//   other interfaces.
// - Each node namespace has a default route via the bridge address and
//   ip_forward on. Pod CIDRs (a /24 of 10.244.0.0/16 each) are assigned by
//   the controller-manager's node IPAM controller when a node registers, in
//   the order nodes register; each agent then routes every other node's pod
//   CIDR via that node's address inside its own namespace (host-gw), so pods
//   reach pods on other nodes by IP. The pod CIDRs never appear in the host's
//   routing table (two clusters may both use 10.244.1.0/24). Hollow agents (a
//   test tool that cannot wait for a CIDR) are handed 10.244.N.0/24 instead.
// - The host gets nothing but the bridge, its address (and the subnet route
//   the kernel derives from it) and the host ends of the veths; no iptables
//   rule, no sysctl. Service NAT lives in the node namespaces (agent's proxy).
// - cgroups: /tugboat-NAME/node-N in every hierarchy, with cpu and memory
//   limits from --cpus-per-node / --memory-per-node; the agent runs in the leaf
//   /tugboat-NAME/node-N/agent and its pods below /tugboat-NAME/node-N, so
//   the node's limits bound the agent and all its pods together.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ApiError } from '../../lib/errors.js';
import { cpuToMillis, formatBytes, formatCpuMillis, isQuantity, memoryToBytes } from '../../lib/quantity.js';
import { formatIpv4, overlaps, parseCidr, type Cidr } from './cidr.js';

export const DEFAULT_CLUSTER_NAME = 'tug';
export const DEFAULT_NODES = 3;
export const DEFAULT_CPUS_PER_NODE = '1';
export const DEFAULT_MEMORY_PER_NODE = '2Gi';
export const DEFAULT_API_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const REGISTRY_PORT = 5000;
export const AGENT_PORT = 10250;
export const STATE_ROOT = '/var/lib/tugboat';
/** Node subnets are /24s inside this /16. */
export const NODE_SUPERNET = '10.250.0.0/16';
/** Service virtual IPs (the agents' proxy serves them inside each node namespace). */
export const SERVICE_CIDR = '10.96.0.0/16';
/** The pods of the whole cluster: the controller-manager cuts it into one /24 per node. */
export const CLUSTER_CIDR = '10.244.0.0/16';
/** Node addresses are .(NODE_ADDRESS_OFFSET + N) in the node subnet. */
export const NODE_ADDRESS_OFFSET = 10;
/** A hollow node N gets 10.244.N.0/24, so N is at most 255; node addresses end at .254. */
export const MAX_NODES = 100;
export const MIN_MEMORY_PER_NODE_BYTES = 256 * 2 ** 20;
/** CFS period written with the quota: quota = cpus × period. */
export const CFS_PERIOD_US = 100_000;

const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

export type AgentMode = 'real' | 'hollow';

export interface ClusterRequest {
  name: string;
  nodes: number;
  /** a cpu quantity per node, e.g. "1", "1.5", "500m" */
  cpusPerNode: string;
  /** a memory quantity per node, e.g. "2Gi" */
  memoryPerNode: string;
  /** default /var/lib/tugboat/<name> */
  stateDir?: string;
  /** the apiserver's port on the bridge address; default 6443 */
  apiPort?: number;
  /** `hollow` runs hollow agents, a TEST TOOL whose pods never really run; default real */
  agentMode?: AgentMode;
  /**
   * Client URL(s) of an etcd the cluster uses instead of starting its own
   * (comma-separated, e.g. http://127.0.0.1:23790). `down` leaves it alone.
   */
  etcdEndpoint?: string;
  /** the controller-manager's --node-monitor-grace-period, e.g. "20s" (its default when absent) */
  nodeMonitorGracePeriod?: string;
  /** the controller-manager's --pod-eviction-timeout, e.g. "10s" (its default when absent) */
  podEvictionTimeout?: string;
}

export interface NodePlan {
  /** 1-based */
  index: number;
  /** the Node object's name: node-N */
  name: string;
  /** `ip netns` name: tug-<cluster>-node-N */
  netns: string;
  /** host end of the node's veth (on the bridge); the node end is eth0 */
  hostVeth: string;
  /** the node's address on the bridge subnet */
  address: string;
  /**
   * The pod CIDR handed to a hollow agent (a test tool that cannot wait for
   * one). Real agents get theirs from the control plane: see the Node.
   */
  hollowPodCIDR: string;
  /** hierarchy-relative cgroup of the node (limits live here): /tugboat-<cluster>/node-N */
  cgroupPath: string;
  /** leaf the agent process runs in: /tugboat-<cluster>/node-N/agent */
  agentCgroupPath: string;
  /** the agent's own state (runc root, pod netns, volumes, images) */
  stateDir: string;
  cpuMillis: number;
  memoryBytes: number;
}

export interface ClusterPlan {
  version: 1;
  name: string;
  /** first 6 hex digits of sha256(name): keeps link names short and unique */
  hash: string;
  stateDir: string;
  logsDir: string;
  bridge: string;
  /** 10.250.X.0/24 */
  nodeSubnet: string;
  /** the bridge's address, 10.250.X.1: where the control plane listens */
  hostAddress: string;
  prefixLength: number;
  /** /tugboat-<name> */
  cgroupRoot: string;
  serviceCIDR: string;
  /**
   * `external`: an etcd given with --etcd-endpoint, not started nor removed by
   * the cluster (clientUrl is then that endpoint; peerUrl and dataDir are empty).
   */
  etcd: { clientUrl: string; peerUrl: string; dataDir: string; external?: boolean };
  /** flags passed on to the controller-manager (absent from plans written before they existed) */
  controllerManager?: { nodeMonitorGracePeriod?: string; podEvictionTimeout?: string };
  registry: { address: string; dir: string; configPath: string };
  apiserver: { address: string };
  agentMode: AgentMode;
  nodes: NodePlan[];
}

export function checkClusterName(name: string): string {
  if (!CLUSTER_NAME.test(name)) {
    throw new ApiError(
      'BadRequest',
      `cluster name "${name}" is not valid: use 1-32 lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. "tug", "dev-2")`,
    );
  }
  return name;
}

export function clusterHash(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 6);
}

/** Linux link names are at most 15 characters: tug-<6 hex> is 10. */
export function bridgeName(name: string): string {
  return `tug-${clusterHash(name)}`;
}

/** tug<6 hex>-<N>: at most 13 characters for N ≤ 999. */
export function hostVethName(name: string, index: number): string {
  return `tug${clusterHash(name)}-${index}`;
}

export function nodeName(index: number): string {
  return `node-${index}`;
}

export function netnsName(cluster: string, index: number): string {
  return `tug-${cluster}-${nodeName(index)}`;
}

/**
 * Whether a network namespace name belongs to this cluster. The node index
 * must follow directly, so cluster "a" never claims "tug-a-node-node-1",
 * a node of cluster "a-node".
 */
export function isClusterNetns(cluster: string, netns: string): boolean {
  const prefix = `tug-${cluster}-node-`;
  return netns.startsWith(prefix) && /^\d+$/.test(netns.slice(prefix.length));
}

/** Whether a link name is one of this cluster's: its bridge or a host-side veth. */
export function isClusterLink(cluster: string, link: string): boolean {
  const prefix = `tug${clusterHash(cluster)}-`;
  return link === bridgeName(cluster) || (link.startsWith(prefix) && /^\d+$/.test(link.slice(prefix.length)));
}

export function cgroupRoot(cluster: string): string {
  return `/tugboat-${cluster}`;
}

export function defaultStateDir(cluster: string): string {
  return join(STATE_ROOT, cluster);
}

/**
 * The node subnet: 10.250.X.0/24, X from the hash, or the next X whose /24
 * overlaps none of `inUse` (the host's routes and addresses; default routes
 * should be left out by the caller, they overlap everything).
 */
export function chooseNodeSubnet(hash: string, inUse: Cidr[]): Cidr {
  const supernet = parseCidr(NODE_SUPERNET);
  const first = parseInt(hash.slice(0, 2), 16);
  for (let k = 0; k < 256; k++) {
    const x = (first + k) % 256;
    const candidate: Cidr = { base: supernet.base + x * 256, bits: 24 };
    if (!inUse.some((c) => c.bits > 0 && overlaps(c, candidate))) return candidate;
  }
  throw new ApiError(
    'Unavailable',
    `no free /24 left in ${NODE_SUPERNET}: every one overlaps a route on this host; remove unused clusters (tug cluster down) or routes`,
  );
}

export interface ParsedRequest {
  name: string;
  nodes: number;
  cpuMillis: number;
  memoryBytes: number;
  stateDir: string;
  apiPort: number;
  agentMode: AgentMode;
  /** normalised etcd client URLs, comma-separated; absent: the cluster starts its own etcd */
  etcdEndpoint?: string;
  nodeMonitorGracePeriod?: string;
  podEvictionTimeout?: string;
}

/** Durations the controller-manager understands: 500ms, 20s, 5m, 1m30s. */
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** Normalises --etcd-endpoint (http(s)://host:port, comma-separated) or says what is wrong with it. */
export function parseEtcdEndpoint(value: string): { urls?: string; problem?: string } {
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  const urls: string[] = [];
  for (const part of parts) {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      return { problem: `--etcd-endpoint must be etcd client URLs like http://127.0.0.1:2379 (comma-separated), got "${part}"` };
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.port || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
      return { problem: `--etcd-endpoint must be etcd client URLs like http://127.0.0.1:2379 (scheme, host and port only), got "${part}"` };
    }
    urls.push(`${u.protocol}//${u.host}`);
  }
  if (urls.length === 0) return { problem: '--etcd-endpoint is empty: give an etcd client URL like http://127.0.0.1:2379' };
  return { urls: urls.join(',') };
}

/** Checks every flag and says all that is wrong at once. */
export function parseRequest(r: ClusterRequest): ParsedRequest {
  const problems: string[] = [];
  try {
    checkClusterName(r.name);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (!Number.isInteger(r.nodes) || r.nodes < 1 || r.nodes > MAX_NODES) {
    problems.push(`--nodes must be a whole number from 1 to ${MAX_NODES}, got ${String(r.nodes)}`);
  }
  let cpuMillis = 0;
  if (!isQuantity(r.cpusPerNode) || (cpuMillis = cpuToMillis(r.cpusPerNode)) < 10) {
    problems.push(`--cpus-per-node must be a cpu quantity of at least 10m (e.g. 1, 1.5, 500m), got "${r.cpusPerNode}"`);
  }
  let memoryBytes = 0;
  if (!isQuantity(r.memoryPerNode) || (memoryBytes = memoryToBytes(r.memoryPerNode)) < MIN_MEMORY_PER_NODE_BYTES) {
    problems.push(
      `--memory-per-node must be a memory quantity of at least ${formatBytes(MIN_MEMORY_PER_NODE_BYTES)} (the agent itself needs some), e.g. 2Gi, got "${r.memoryPerNode}"`,
    );
  }
  const apiPort = r.apiPort ?? DEFAULT_API_PORT;
  if (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535 || [ETCD_CLIENT_PORT, ETCD_PEER_PORT, REGISTRY_PORT].includes(apiPort)) {
    problems.push(`--api-port must be a port from 1 to 65535 other than ${ETCD_CLIENT_PORT}, ${ETCD_PEER_PORT} and ${REGISTRY_PORT}, got ${String(r.apiPort)}`);
  }
  const agentMode = r.agentMode ?? 'real';
  if (agentMode !== 'real' && agentMode !== 'hollow') problems.push(`--agent-mode must be real or hollow, got "${String(agentMode)}"`);
  let etcdEndpoint: string | undefined;
  if (r.etcdEndpoint !== undefined) {
    const e = parseEtcdEndpoint(r.etcdEndpoint);
    if (e.problem) problems.push(e.problem);
    etcdEndpoint = e.urls;
  }
  for (const [flag, v] of [['--node-monitor-grace-period', r.nodeMonitorGracePeriod], ['--pod-eviction-timeout', r.podEvictionTimeout]] as const) {
    if (v !== undefined && !DURATION.test(v)) problems.push(`${flag} must be a duration like 500ms, 20s, 5m or 1m30s, got "${v}"`);
  }
  const stateDir = r.stateDir ?? (problems.length ? '' : defaultStateDir(r.name));
  if (r.stateDir !== undefined && (!r.stateDir.startsWith('/') || r.stateDir.replace(/\/+$/, '') === '')) {
    problems.push(`--state-dir must be an absolute path other than /, got "${r.stateDir}"`);
  }
  if (problems.length) throw new ApiError('BadRequest', problems.join('; '));
  return {
    name: r.name,
    nodes: r.nodes,
    cpuMillis,
    memoryBytes,
    stateDir: stateDir.replace(/\/+$/, ''),
    apiPort,
    agentMode,
    ...(etcdEndpoint ? { etcdEndpoint } : {}),
    ...(r.nodeMonitorGracePeriod ? { nodeMonitorGracePeriod: r.nodeMonitorGracePeriod } : {}),
    ...(r.podEvictionTimeout ? { podEvictionTimeout: r.podEvictionTimeout } : {}),
  };
}

/** The whole cluster from the request and the node subnet chosen by chooseNodeSubnet. */
export function planCluster(r: ParsedRequest, subnet: Cidr): ClusterPlan {
  const hash = clusterHash(r.name);
  const hostAddress = formatIpv4(subnet.base + 1);
  const address = (i: number) => formatIpv4(subnet.base + NODE_ADDRESS_OFFSET + i);
  const root = cgroupRoot(r.name);
  const nodes: NodePlan[] = [];
  for (let i = 1; i <= r.nodes; i++) {
    const name = nodeName(i);
    nodes.push({
      index: i,
      name,
      netns: netnsName(r.name, i),
      hostVeth: hostVethName(r.name, i),
      address: address(i),
      hollowPodCIDR: `10.244.${i}.0/24`,
      cgroupPath: `${root}/${name}`,
      agentCgroupPath: `${root}/${name}/agent`,
      stateDir: join(r.stateDir, 'nodes', name),
      cpuMillis: r.cpuMillis,
      memoryBytes: r.memoryBytes,
    });
  }
  return {
    version: 1,
    name: r.name,
    hash,
    stateDir: r.stateDir,
    logsDir: join(r.stateDir, 'logs'),
    bridge: bridgeName(r.name),
    nodeSubnet: `${formatIpv4(subnet.base)}/${subnet.bits}`,
    hostAddress,
    prefixLength: subnet.bits,
    cgroupRoot: root,
    serviceCIDR: SERVICE_CIDR,
    etcd: r.etcdEndpoint
      ? { clientUrl: r.etcdEndpoint, peerUrl: '', dataDir: '', external: true }
      : {
          clientUrl: `http://${hostAddress}:${ETCD_CLIENT_PORT}`,
          peerUrl: `http://${hostAddress}:${ETCD_PEER_PORT}`,
          dataDir: join(r.stateDir, 'etcd'),
        },
    ...(r.nodeMonitorGracePeriod || r.podEvictionTimeout
      ? {
          controllerManager: {
            ...(r.nodeMonitorGracePeriod ? { nodeMonitorGracePeriod: r.nodeMonitorGracePeriod } : {}),
            ...(r.podEvictionTimeout ? { podEvictionTimeout: r.podEvictionTimeout } : {}),
          },
        }
      : {}),
    registry: {
      address: `${hostAddress}:${REGISTRY_PORT}`,
      dir: join(r.stateDir, 'registry'),
      configPath: join(r.stateDir, 'registry', 'config.yml'),
    },
    apiserver: { address: `${hostAddress}:${r.apiPort}` },
    agentMode: r.agentMode,
    nodes,
  };
}

/** "1 cpu, 2Gi" for messages. */
export function describeNodeSize(n: Pick<NodePlan, 'cpuMillis' | 'memoryBytes'>): string {
  const cpus = formatCpuMillis(n.cpuMillis);
  return `${cpus} cpu${cpus === '1' ? '' : 's'}, ${formatBytes(n.memoryBytes)} memory`;
}
