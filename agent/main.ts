#!/usr/bin/env node
// tug-agent: the node agent. By default the real one (pods as runc
// containers, CNI networking, Service proxy, cluster DNS, logs/exec);
// --hollow is a TEST TOOL that only pretends to run pods.
import { Command } from 'commander';
import { HOLLOW_HELP, runHollow } from './hollow/run.js';
import { createLogger } from '../lib/logging.js';
import { startNode } from './node-services.js';

const program = new Command('tug-agent')
  .description('the tugboat node agent: runs the pods bound to this node')
  .option('--node-name <name>', 'name of the Node to register')
  .option('-s, --server <host:port>', 'apiserver address (else $TUG_SERVER, else 127.0.0.1:6443)')
  .option('--state-dir <dir>', 'where this node keeps containers, images, sandboxes, CNI data (default /var/lib/tugboat/agent/<node>)')
  .option('--pod-cidr <cidr>', 'this node\'s pod network, e.g. 10.244.1.0/24 (default: the one the control plane assigns to the Node; a CIDR already on the Node wins)')
  .option('--cluster-cidr <cidr>', 'the whole cluster\'s pod network, for the Service proxy', '10.244.0.0/16')
  .option('--address <ip>', 'the node\'s InternalIP (default: first non-loopback address here)')
  .option('--agent-port <port>', 'port of the logs/exec service the apiserver calls', '10250')
  .option('--cgroup-parent <path>', 'cgroup under which pods run (default /tugboat/<node>)')
  .option('--default-registry <host:port>', 'registry for image names without one (else $TUG_REGISTRY, else 127.0.0.1:5000)')
  .option('--insecure-registry <host:port...>', 'registries spoken to over plain HTTP (loopback ones always are)')
  .option('--cluster-dns <ip...>', 'nameservers for pods (default: this node\'s own DNS on the pod gateway address)')
  .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
  .option('--no-proxy', 'do not program Service rules')
  .option('--no-dns', 'do not serve cluster DNS')
  .option('--no-pod-routes', 'do not route other nodes\' pod CIDRs via their addresses (host-gw) in this network namespace')
  .option('--cpus <n>', 'cpu capacity, e.g. 4 or 1500m (default: the machine, or this process\'s cgroup limit)')
  .option('--memory <size>', 'memory capacity, e.g. 16Gi (default: the machine, or this process\'s cgroup limit)')
  .option('--reserved-cpu <q>', 'cpu kept from pods: allocatable = capacity - reserved')
  .option('--reserved-memory <q>', 'memory kept from pods')
  .option('--max-pods <n>', 'pods the node accepts', '110')
  .option('--start-concurrency <n>', 'pods making sandboxes and starting containers at once (default 4 per cpu)')
  .option('--hollow', 'run a hollow node: a TEST TOOL that reports pods Running without running them')
  .option('--lease-renew-interval <seconds>', 'how often the Lease is renewed (hollow)')
  .addHelpText('after', HOLLOW_HELP)
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  nodeName?: string;
  server?: string;
  stateDir?: string;
  podCidr?: string;
  clusterCidr: string;
  address?: string;
  agentPort: string;
  cgroupParent?: string;
  defaultRegistry?: string;
  insecureRegistry?: string[];
  clusterDns?: string[];
  clusterDomain: string;
  proxy: boolean;
  dns: boolean;
  podRoutes: boolean;
  cpus?: string;
  memory?: string;
  reservedCpu?: string;
  reservedMemory?: string;
  maxPods: string;
  startConcurrency?: string;
  hollow?: boolean;
  leaseRenewInterval?: string;
}>();
const server = opts.server || process.env.TUG_SERVER || '127.0.0.1:6443';

if (opts.hollow) {
  const code = await runHollow({ ...opts, maxPods: opts.maxPods, server });
  process.exit(code);
}
if (!opts.nodeName) {
  process.stderr.write('tug-agent: --node-name is required\n');
  process.exit(2);
}
const log = createLogger('agent');
try {
  const node = await startNode({
    server,
    nodeName: opts.nodeName,
    stateDir: opts.stateDir ?? `/var/lib/tugboat/agent/${opts.nodeName}`,
    agentPort: Number(opts.agentPort),
    maxPods: Number(opts.maxPods),
    ...(opts.startConcurrency ? { startConcurrency: Number(opts.startConcurrency) } : {}),
    clusterCidr: opts.clusterCidr,
    clusterDomain: opts.clusterDomain,
    proxy: opts.proxy,
    dns: opts.dns,
    podRoutes: opts.podRoutes,
    ...(opts.podCidr ? { podCIDR: opts.podCidr } : {}),
    ...(opts.address ? { address: opts.address } : {}),
    ...(opts.cgroupParent ? { cgroupParent: opts.cgroupParent } : {}),
    ...(opts.defaultRegistry ? { defaultRegistry: opts.defaultRegistry } : {}),
    ...(opts.insecureRegistry ? { insecureRegistries: opts.insecureRegistry } : {}),
    ...(opts.clusterDns ? { dnsServers: opts.clusterDns } : {}),
    ...(opts.cpus ? { cpus: opts.cpus } : {}),
    ...(opts.memory ? { memory: opts.memory } : {}),
    ...(opts.reservedCpu ? { reservedCpu: opts.reservedCpu } : {}),
    ...(opts.reservedMemory ? { reservedMemory: opts.reservedMemory } : {}),
    log,
  });
  const shutdown = (signal: string) => {
    // Containers keep running: a restarted agent adopts them.
    log.info({ signal }, 'agent stopping; pods keep running');
    void node.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (e) {
  log.fatal({ err: String(e) }, 'agent failed to start');
  process.stderr.write(`tug-agent: ${String((e as Error).message ?? e)}\n`);
  process.exit(1);
}
