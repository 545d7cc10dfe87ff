// `tug cluster up|down|status`: a local multi-node cluster on this machine.
// The work is in cli/cluster/; this file only maps flags onto it.
import { Command, Option } from 'commander';
import { stdio } from '../context.js';
import { clusterDown } from '../cluster/down.js';
import { indexedClusters } from '../cluster/state.js';
import { readClusterStatus, formatStatus } from '../cluster/status.js';
import { runSupervisor } from '../cluster/supervisor.js';
import { resolveStateDir } from '../cluster/teardown.js';
import {
  DEFAULT_API_PORT,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_CPUS_PER_NODE,
  DEFAULT_MEMORY_PER_NODE,
  DEFAULT_NODES,
  defaultStateDir,
  type AgentMode,
} from '../cluster/topology.js';
import { clusterUp } from '../cluster/up.js';

const io = { out: stdio.out, err: stdio.err };

/** Runs an action and ends the process with its code (main.ts only knows its own commands' codes). */
function exitWith(fn: (...args: any[]) => Promise<number>) {
  return async (...args: unknown[]) => {
    let code: number;
    try {
      code = await fn(...args);
    } catch (e) {
      io.err(`error: ${(e as Error).message}`);
      code = 1;
    }
    process.exit(code);
  };
}

function parseDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`--timeout must be a duration like 90s, 5m or 1h, got "${s}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

export function clusterCommand(): Command {
  const cluster = new Command('cluster').description('run a local multi-node cluster on this machine (needs root)');

  cluster
    .command('up')
    .description('start a cluster: etcd, a registry, the control plane and N nodes (each its own network namespace and cgroup)')
    .option('--name <name>', 'cluster name', DEFAULT_CLUSTER_NAME)
    .option('--nodes <n>', 'number of nodes', String(DEFAULT_NODES))
    .option('--cpus-per-node <cpus>', 'cpu limit of each node, e.g. 1, 1.5, 500m', DEFAULT_CPUS_PER_NODE)
    .option('--memory-per-node <size>', 'memory limit of each node, e.g. 2Gi', DEFAULT_MEMORY_PER_NODE)
    .option('--state-dir <dir>', 'where data and logs go (default /var/lib/tugboat/<name>)')
    .option('--api-port <port>', "the apiserver's port on the cluster's bridge address", String(DEFAULT_API_PORT))
    .option('--timeout <duration>', 'give up when the cluster is not ready after this long', '5m')
    .option('--etcd-endpoint <urls>', 'use this etcd (client URLs, comma-separated) instead of starting one; down leaves it alone')
    .option('--node-monitor-grace-period <duration>', "controller-manager: a node whose agent is silent this long turns NotReady (its default 40s)")
    .option('--pod-eviction-timeout <duration>', "controller-manager: pods of a NotReady node are deleted after this long (its default 5m)")
    .addOption(
      new Option('--agent-mode <mode>', 'real agents, or hollow ones (a TEST TOOL: pods are reported Running, nothing runs)')
        .choices(['real', 'hollow'])
        .default('real'),
    )
    .action(
      exitWith(async (o: Record<string, string>) =>
        clusterUp(
          {
            name: o.name!,
            nodes: Number(o.nodes),
            cpusPerNode: o.cpusPerNode!,
            memoryPerNode: o.memoryPerNode!,
            stateDir: o.stateDir,
            apiPort: Number(o.apiPort),
            agentMode: o.agentMode as AgentMode,
            etcdEndpoint: o.etcdEndpoint,
            nodeMonitorGracePeriod: o.nodeMonitorGracePeriod,
            podEvictionTimeout: o.podEvictionTimeout,
            timeoutMs: parseDurationMs(o.timeout!),
          },
          io,
        ),
      ),
    );

  cluster
    .command('down')
    .description('stop a cluster and remove every process, namespace, link, mount, cgroup and file it made')
    .option('--name <name>', 'cluster name', DEFAULT_CLUSTER_NAME)
    .option('--state-dir <dir>', 'its state dir, if up was given one and this machine rebooted since')
    .action(exitWith(async (o: { name: string; stateDir?: string }) => clusterDown({ name: o.name, stateDir: o.stateDir }, io)));

  cluster
    .command('status')
    .description('list the components of a cluster (default: every cluster started here) with up/down and restarts')
    .option('--name <name>', 'cluster name')
    .option('--state-dir <dir>', 'its state dir')
    .action(
      exitWith(async (o: { name?: string; stateDir?: string }) => {
        const names = o.name ? [o.name] : await indexedClusters();
        if (names.length === 0) names.push(DEFAULT_CLUSTER_NAME);
        let code = 0;
        for (const [i, name] of names.entries()) {
          const st = readClusterStatus(name, resolveStateDir(name, o.stateDir, defaultStateDir(name)));
          if (i > 0) io.out('');
          for (const l of formatStatus(st)) io.out(l);
          if (!st.supervisor.up || st.components.some((c) => !c.up)) code = 1;
        }
        return code;
      }),
    );

  cluster
    .command('supervise', { hidden: true })
    .description('run the supervisor of a cluster (started by up; runs until SIGTERM)')
    .requiredOption('--state-dir <dir>', 'the cluster state dir')
    .action(exitWith(async (o: { stateDir: string }) => runSupervisor(o.stateDir)));

  return cluster;
}
