#!/usr/bin/env node
// tug-controller-manager: node dist/controllers/main.js --server HOST:PORT
//   [--node-monitor-grace-period 40s] [--pod-eviction-timeout 5m]
//   [--controllers deployment,replicaset,garbagecollector,nodelifecycle]
// First: keeps V8's heap close to what the process uses (see the module).
import '../lib/compact-heap.js';
import { Command } from 'commander';
import { ApiClient } from '../lib/client/api-client.js';
import { createLogger } from '../lib/logging.js';
import { CONTROLLER_NAMES, parseDuration, resolveControllers, startControllerManager } from './manager.js';

const program = new Command('tug-controller-manager')
  .description('runs the tugboat controllers (each an informer + workqueue + sync loop)')
  .option('-s, --server <host:port>', 'apiserver address (else $TUG_SERVER, else 127.0.0.1:6443)')
  .option('--controllers <names>', `comma-separated controllers to run (known: ${CONTROLLER_NAMES.join(', ')})`, CONTROLLER_NAMES.join(','))
  .option('--node-monitor-grace-period <duration>', 'a node whose Lease is not renewed for this long goes NotReady', '40s')
  .option('--node-monitor-period <duration>', 'how often every node is checked', '5s')
  .option('--pod-eviction-timeout <duration>', 'how long pods stay on a NotReady node before they are deleted', '5m')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ server?: string; controllers: string; nodeMonitorGracePeriod: string; nodeMonitorPeriod: string; podEvictionTimeout: string }>();

let controllers: string[];
let gracePeriodMs: number;
let monitorPeriodMs: number;
let podEvictionTimeoutMs: number;
try {
  controllers = resolveControllers(opts.controllers.split(','));
  gracePeriodMs = parseDuration(opts.nodeMonitorGracePeriod);
  monitorPeriodMs = parseDuration(opts.nodeMonitorPeriod);
  podEvictionTimeoutMs = parseDuration(opts.podEvictionTimeout);
  if (monitorPeriodMs <= 0) throw new Error('--node-monitor-period must be more than 0');
} catch (err) {
  process.stderr.write(`tug-controller-manager: ${(err as Error).message}\n`);
  process.exit(2);
}

const log = createLogger('controller-manager');
const client = new ApiClient(opts.server || process.env.TUG_SERVER || '127.0.0.1:6443');
const manager = startControllerManager({
  client,
  controllers,
  nodeLifecycle: { gracePeriodMs, podEvictionTimeoutMs, monitorPeriodMs },
  log,
});

const shutdown = (signal: string) => {
  log.info({ signal }, 'shutting down');
  void manager.stop().finally(() => {
    client.close();
    process.exit(0);
  });
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
