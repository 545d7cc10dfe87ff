// The processes of a local cluster and their command lines (pure). The
// supervisor starts them stage by stage, each stage once the previous one
// answers its readiness check, and restarts any that exits.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes, formatCpuMillis } from '../../lib/quantity.js';
import { AGENT_PORT, CLUSTER_CIDR, type ClusterPlan, type NodePlan } from './topology.js';

/** The repository root (this file is dist/cli/cluster/components.js). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const ETCD_BINARY = '/usr/bin/etcd';
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** Has the kernel kill a component when the supervisor dies, even by SIGKILL, so none is left unowned. */
export const SETPRIV = '/usr/bin/setpriv';

export type ReadyCheck = { http: string } | { tcp: string };

export interface ComponentSpec {
  /** etcd, registry, apiserver, controller-manager, scheduler, agent-node-N */
  name: string;
  /** started after every component of a lower stage is ready */
  stage: number;
  argv: string[];
  ready?: ReadyCheck;
  /** the node it serves (agents) */
  node?: string;
  /** set on top of the supervisor's environment */
  env?: Record<string, string>;
}

export interface ComponentEnv {
  node: string;
  repoRoot: string;
  /** cgroup.procs files per node name: where each agent's pid goes before it execs */
  agentProcs: Record<string, string[]>;
}

export function defaultComponentEnv(agentProcs: Record<string, string[]>): ComponentEnv {
  return { node: process.execPath, repoRoot: REPO_ROOT, agentProcs };
}

function withDeathSignal(argv: string[]): string[] {
  return [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv];
}

export function etcdArgv(plan: ClusterPlan): string[] {
  const name = `tug-${plan.name}`;
  return [
    ETCD_BINARY,
    '--name', name,
    '--data-dir', plan.etcd.dataDir,
    '--listen-client-urls', plan.etcd.clientUrl,
    '--advertise-client-urls', plan.etcd.clientUrl,
    '--listen-peer-urls', plan.etcd.peerUrl,
    '--initial-advertise-peer-urls', plan.etcd.peerUrl,
    '--initial-cluster', `${name}=${plan.etcd.peerUrl}`,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', name,
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', 'warn',
  ];
}

/** docker-registry's config: plain HTTP on the bridge address, storage in the state dir. */
export function registryConfig(plan: ClusterPlan): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(join(plan.registry.dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${plan.registry.address}`,
    '',
  ].join('\n');
}

/**
 * The agent's own flags. One function, so the command line is adjusted in
 * one place as the agent grows. A real agent gets no pod CIDR: the control
 * plane assigns one when its Node registers, and the agent then serves DNS on
 * its gateway and routes to the other nodes' pods. `--hollow` agents are a
 * test tool: they register a node and report pods Running without running
 * anything, and need a pod CIDR to make up pod IPs from at once.
 */
export function agentArgs(plan: ClusterPlan, n: NodePlan): string[] {
  const size = ['--cpus', formatCpuMillis(n.cpuMillis), '--memory', formatBytes(n.memoryBytes)];
  if (plan.agentMode === 'hollow') {
    return ['--hollow', '--node-name', n.name, '--server', plan.apiserver.address, '--pod-cidr', n.hollowPodCIDR, ...size];
  }
  return [
    '--node-name', n.name,
    '--server', plan.apiserver.address,
    '--state-dir', n.stateDir,
    '--address', n.address,
    '--agent-port', String(AGENT_PORT),
    '--cgroup-parent', n.cgroupPath,
    '--default-registry', plan.registry.address,
    '--cluster-cidr', CLUSTER_CIDR,
    ...size,
  ];
}

/**
 * How the agent's Node.js runs. Its live heap is small (about 13 MB after a
 * GC, 30 pods or none), yet V8's default young generation (semi-spaces of up
 * to 16 MB), glibc's malloc arena per thread, and the 64 KB buffers every
 * child process's output is read into (kept in glibc's heap, fragmenting it)
 * made up a quarter of its RSS. With 1 MB semi-spaces, two arenas and those
 * buffers mapped and unmapped on their own, a fresh agent is about 70 MB
 * instead of 85, and about 83–105 MB with 0 pods and 91–114 MB with 30 after
 * bursts of 30 pod starts instead of 101 and 122–124 (bench/pod-start.ts),
 * for more frequent, shorter scavenges.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'];
export const AGENT_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' };

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The agent runs as its node: inside the node's network namespace (nsenter
 * --net only: it keeps the host's mount namespace, so the mounts it makes
 * under the state dir stay visible to `tug cluster down`) and inside the
 * node's cgroup (a shell writes its own pid into cgroup.procs, then execs,
 * so the agent starts there and every process it forks inherits it).
 */
export function agentArgv(plan: ClusterPlan, n: NodePlan, env: ComponentEnv): string[] {
  const procs = env.agentProcs[n.name] ?? [];
  const script = `for f in ${procs.map(shellQuote).join(' ')}; do echo $$ > "$f" || exit 1; done; exec "$@"`;
  return [
    '/bin/sh', '-c', script, `tug-agent-${n.name}`,
    '/usr/bin/nsenter', `--net=/run/netns/${n.netns}`, '--',
    env.node, ...AGENT_NODE_FLAGS, join(env.repoRoot, 'dist/agent/main.js'), ...agentArgs(plan, n),
  ];
}

/**
 * The cluster's registry speaks plain HTTP on the bridge address; lib/oci
 * only assumes that of loopback registries unless told with this variable.
 */
export function registryEnv(plan: ClusterPlan, env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const listed = (env.TUG_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { TUG_INSECURE_REGISTRIES: [...new Set([...listed, plan.registry.address])].join(',') };
}

/** The controller-manager's flags from the plan (node lifecycle timings given to `up`); it assigns the nodes' pod CIDRs. */
export function controllerManagerArgs(plan: ClusterPlan): string[] {
  const cm = plan.controllerManager ?? {};
  return [
    '--cluster-cidr', CLUSTER_CIDR,
    ...(cm.nodeMonitorGracePeriod ? ['--node-monitor-grace-period', cm.nodeMonitorGracePeriod] : []),
    ...(cm.podEvictionTimeout ? ['--pod-eviction-timeout', cm.podEvictionTimeout] : []),
  ];
}

export function componentSpecs(plan: ClusterPlan, env: ComponentEnv): ComponentSpec[] {
  const dist = (p: string) => join(env.repoRoot, 'dist', p);
  const api = plan.apiserver.address;
  const specs: ComponentSpec[] = [
    // An external etcd (--etcd-endpoint) is someone else's to run: neither started nor supervised here.
    ...(plan.etcd.external ? [] : [{ name: 'etcd', stage: 0, argv: etcdArgv(plan), ready: { http: `${plan.etcd.clientUrl}/health` } }]),
    { name: 'registry', stage: 0, argv: [REGISTRY_BINARY, 'serve', plan.registry.configPath], ready: { http: `http://${plan.registry.address}/v2/` } },
    {
      name: 'apiserver',
      stage: 1,
      argv: [env.node, dist('apiserver/main.js'), '--etcd-servers', plan.etcd.clientUrl, '--listen', api],
      ready: { tcp: api },
    },
    { name: 'controller-manager', stage: 2, argv: [env.node, dist('controllers/main.js'), '--server', api, ...controllerManagerArgs(plan)] },
    { name: 'scheduler', stage: 2, argv: [env.node, dist('scheduler/main.js'), '--server', api] },
    ...plan.nodes.map((n) => ({
      name: `agent-${n.name}`,
      stage: 2,
      node: n.name,
      argv: agentArgv(plan, n, env),
      env: { ...registryEnv(plan), ...AGENT_ENV },
    })),
  ];
  return specs.map((s) => ({ ...s, argv: withDeathSignal(s.argv) }));
}
