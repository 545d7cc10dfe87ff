#!/usr/bin/env node
// tug-apiserver: node dist/apiserver/main.js --etcd-servers URL[,URL...] --listen HOST:PORT
import { Command } from 'commander';
import { createLogger } from '../lib/logging.js';
import { startApiServer } from './index.js';

const program = new Command('tug-apiserver')
  .description('the tugboat API server: stores objects in etcd and serves them over gRPC')
  .option('--etcd-servers <urls>', 'comma-separated etcd client URLs', 'http://127.0.0.1:2379')
  .option('--listen <host:port>', 'address to serve gRPC on', '127.0.0.1:6443')
  .option('--watch-window <n>', 'changes kept per resource for resuming watchers', '10000')
  .option('--service-cluster-ip-range <cidr>', 'where Service cluster IPs come from', '10.96.0.0/16')
  .option('--service-node-port-range <lo-hi>', 'where Service node ports come from', '30000-32767')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ etcdServers: string; listen: string; watchWindow: string; serviceClusterIpRange: string; serviceNodePortRange: string }>();
const portRange = /^(\d+)-(\d+)$/.exec(opts.serviceNodePortRange);
if (!portRange || Number(portRange[1]) > Number(portRange[2])) {
  process.stderr.write(`tug-apiserver: --service-node-port-range "${opts.serviceNodePortRange}" must look like 30000-32767\n`);
  process.exit(2);
}

const log = createLogger('apiserver');
try {
  const server = await startApiServer({
    etcdServers: opts.etcdServers.split(',').map((s) => s.trim()).filter(Boolean),
    listen: opts.listen,
    log,
    watchWindow: Number(opts.watchWindow),
    serviceRanges: { clusterIPRange: opts.serviceClusterIpRange, nodePortRange: [Number(portRange[1]), Number(portRange[2])] },
  });
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (e) {
  log.fatal({ err: String(e) }, 'apiserver failed to start');
  process.stderr.write(`tug-apiserver: ${String((e as Error).message ?? e)}\n`);
  process.exit(1);
}
