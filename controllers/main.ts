#!/usr/bin/env node
// tug-controller-manager: node dist/controllers/main.js --server HOST:PORT
//   [--node-monitor-grace-period 40s] [--pod-eviction-timeout 5m]
//   [--allocate-node-cidrs[=false]] [--cluster-cidr 10.244.0.0/16] [--node-cidr-mask-size 24]
//   [--controllers deployment,replicaset,garbagecollector,nodelifecycle,nodeipam]
//   [--leader-elect[=false]] [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s]
//   [--leader-elect-retry-period 2s] [--leader-elect-resource-name tug-controller-manager]
// First: keeps V8's heap close to what the process uses (see the module).
import '../lib/compact-heap.js';
import { Command } from 'commander';
import { ApiClient } from '../lib/client/api-client.js';
import { createLogger } from '../lib/logging.js';
import { parseBooleanFlag, parseDuration } from '../lib/flags.js';
import {
  addLeaderElectionFlags,
  CONTROLLER_MANAGER_LEASE_NAME,
  leaderElectionFromFlags,
  runElected,
  type LeaderElectionConfig,
  type LeaderElectionFlags,
} from '../lib/leaderelection/index.js';
import { CONTROLLER_NAMES, resolveControllers, startControllerManager } from './manager.js';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, nodeCidrProblems } from './nodeipam/index.js';

const program = new Command('tug-controller-manager')
  .description('runs the tugboat controllers (each an informer + workqueue + sync loop)')
  .option('-s, --server <host:port>', 'apiserver address (else $TUG_SERVER, else 127.0.0.1:6443)')
  .option('--controllers <names>', `comma-separated controllers to run (known: ${CONTROLLER_NAMES.join(', ')})`, CONTROLLER_NAMES.join(','))
  .option('--node-monitor-grace-period <duration>', 'a node whose Lease is not renewed for this long goes NotReady', '40s')
  .option('--node-monitor-period <duration>', 'how often every node is checked', '5s')
  .option('--pod-eviction-timeout <duration>', 'how long pods stay on a NotReady node before they are deleted', '5m')
  .option('--allocate-node-cidrs [bool]', 'give every Node without one a pod CIDR from --cluster-cidr (false: agents bring their own)', true)
  .option('--cluster-cidr <cidr>', 'the pod network of the whole cluster, cut into one block per Node', DEFAULT_CLUSTER_CIDR)
  .option('--node-cidr-mask-size <bits>', 'prefix length of each Node\'s pod CIDR', String(DEFAULT_NODE_CIDR_MASK_SIZE))
  .showHelpAfterError();
addLeaderElectionFlags(program, CONTROLLER_MANAGER_LEASE_NAME);
program.parse();
const opts = program.opts<LeaderElectionFlags & {
  server?: string;
  controllers: string;
  nodeMonitorGracePeriod: string;
  nodeMonitorPeriod: string;
  podEvictionTimeout: string;
  allocateNodeCidrs: boolean | string;
  clusterCidr: string;
  nodeCidrMaskSize: string;
}>();

let controllers: string[];
let gracePeriodMs: number;
let monitorPeriodMs: number;
let podEvictionTimeoutMs: number;
let allocateNodeCidrs: boolean;
let election: LeaderElectionConfig | undefined;
const nodeCidrMaskSize = /^\d+$/.test(opts.nodeCidrMaskSize) ? Number(opts.nodeCidrMaskSize) : NaN;
try {
  controllers = resolveControllers(opts.controllers.split(','));
  gracePeriodMs = parseDuration(opts.nodeMonitorGracePeriod);
  monitorPeriodMs = parseDuration(opts.nodeMonitorPeriod);
  podEvictionTimeoutMs = parseDuration(opts.podEvictionTimeout);
  if (monitorPeriodMs <= 0) throw new Error('--node-monitor-period must be more than 0');
  allocateNodeCidrs = parseBooleanFlag('--allocate-node-cidrs', opts.allocateNodeCidrs);
  const problems = allocateNodeCidrs ? nodeCidrProblems(opts.clusterCidr, nodeCidrMaskSize) : [];
  if (problems.length) throw new Error(problems.join('; '));
  election = leaderElectionFromFlags(opts);
} catch (err) {
  process.stderr.write(`tug-controller-manager: ${(err as Error).message}\n`);
  process.exit(2);
}

const log = createLogger('controller-manager');
const server = opts.server || process.env.TUG_SERVER || '127.0.0.1:6443';
const client = new ApiClient(server);
// The lease has its own client, with calls bounded by the renew deadline.
const leaseClient = election ? new ApiClient(server, { timeoutMs: election.renewDeadlineMs }) : undefined;
const component = runElected({
  election: election && leaseClient ? { client: leaseClient, config: election } : undefined,
  log,
  start: async () =>
    startControllerManager({
      client,
      controllers,
      nodeLifecycle: { gracePeriodMs, podEvictionTimeoutMs, monitorPeriodMs },
      nodeIpam: { allocateNodeCidrs, clusterCidr: opts.clusterCidr, nodeCidrMaskSize },
      log,
    }),
  exit: (code) => process.exit(code),
});

const shutdown = (signal: string) => {
  log.info({ signal }, 'shutting down');
  void component.shutdown().finally(() => {
    client.close();
    leaseClient?.close();
    process.exit(0);
  });
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
