#!/usr/bin/env node
// tug-scheduler: node dist/scheduler/main.js --server HOST:PORT
//   [--scheduler-name default-scheduler] [--score least-allocated|most-allocated]
//   [--leader-elect[=false]] [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s]
//   [--leader-elect-retry-period 2s] [--leader-elect-resource-name tug-scheduler]
// First: keeps V8's heap close to what the process uses (see the module).
import '../lib/compact-heap.js';
import { Command, Option } from 'commander';
import { ApiClient } from '../lib/client/api-client.js';
import { addLeaderElectionFlags, leaderElectionFromFlags, runElected, SCHEDULER_LEASE_NAME, type LeaderElectionConfig, type LeaderElectionFlags } from '../lib/leaderelection/index.js';
import { createLogger } from '../lib/logging.js';
import { DEFAULT_SCHEDULER_NAME } from './plugins/index.js';
import type { ScoringStrategy } from './plugins/resource-allocation.js';
import { startScheduler } from './run.js';

const program = new Command('tug-scheduler')
  .description('the tugboat scheduler: binds pending pods to nodes that have room for their requests')
  .option('--server <host:port>', 'apiserver address', '127.0.0.1:6443')
  .option('--scheduler-name <name>', 'schedule pods whose spec.schedulerName is this', DEFAULT_SCHEDULER_NAME)
  .addOption(new Option('--score <strategy>', 'how to rank nodes that fit').choices(['least-allocated', 'most-allocated']).default('least-allocated'))
  .option('--percentage-of-nodes-to-score <n>', 'share of feasible nodes to score in big clusters (0 = adaptive)', '0')
  .showHelpAfterError();
addLeaderElectionFlags(program, SCHEDULER_LEASE_NAME);
program.parse();
const opts = program.opts<{ server: string; schedulerName: string; score: ScoringStrategy; percentageOfNodesToScore: string } & LeaderElectionFlags>();

const log = createLogger('scheduler');
const pct = Number(opts.percentageOfNodesToScore);
if (!Number.isFinite(pct) || pct < 0 || pct > 100) {
  process.stderr.write(`tug-scheduler: --percentage-of-nodes-to-score must be a number from 0 to 100, got ${opts.percentageOfNodesToScore}\n`);
  process.exit(2);
}
let election: LeaderElectionConfig | undefined;
try {
  election = leaderElectionFromFlags(opts);
} catch (err) {
  process.stderr.write(`tug-scheduler: ${(err as Error).message}\n`);
  process.exit(2);
}

// The lease has its own client, with calls bounded by the renew deadline.
const leaseClient = election ? new ApiClient(opts.server, { timeoutMs: election.renewDeadlineMs }) : undefined;
const component = runElected({
  election: election && leaseClient ? { client: leaseClient, config: election } : undefined,
  log,
  start: () =>
    startScheduler({
      server: opts.server,
      schedulerName: opts.schedulerName,
      scoring: opts.score,
      percentageOfNodesToScore: pct,
      log,
    }).catch((e: unknown) => {
      process.stderr.write(`tug-scheduler: ${String((e as Error).message ?? e)}\n`);
      throw e;
    }),
  exit: (code) => process.exit(code),
});

const shutdown = (signal: string) => {
  log.info({ signal }, 'shutting down');
  void component.shutdown().finally(() => {
    leaseClient?.close();
    process.exit(0);
  });
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
