#!/usr/bin/env node
// tug-agent: the node agent. Only the hollow mode (a test tool) exists so
// far; the real agent (runc, CNI, cgroups) is still to be written.
import { Command } from 'commander';
import { HOLLOW_HELP, runHollow } from './hollow/run.js';

const program = new Command('tug-agent')
  .description('the tugboat node agent (for now only --hollow, a test tool, is available)')
  .option('--hollow', 'run a hollow node: a TEST TOOL that reports pods Running without running them')
  .option('--node-name <name>', 'name of the Node to register')
  .option('--cpus <n>', 'cpu capacity, e.g. 4 or 1500m (hollow)')
  .option('--memory <size>', 'memory capacity, e.g. 16Gi (hollow)')
  .option('--max-pods <n>', 'pods the node accepts (hollow; default 110)')
  .option('--pod-cidr <cidr>', 'a /24 for fake pod IPs (hollow; default derived from the node name in 100.64.0.0/10)')
  .option('--lease-renew-interval <seconds>', 'how often the Lease is renewed (hollow; default 10)')
  .option('-s, --server <host:port>', 'apiserver address (else $TUG_SERVER, else 127.0.0.1:6443)')
  .addHelpText('after', HOLLOW_HELP)
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  hollow?: boolean;
  nodeName?: string;
  cpus?: string;
  memory?: string;
  maxPods?: string;
  podCidr?: string;
  leaseRenewInterval?: string;
  server?: string;
}>();

if (!opts.hollow) {
  process.stderr.write(
    'tug-agent: the real node agent is not built yet. Only the hollow mode exists, a test tool that\n' +
      'fakes a node without running containers: tug-agent --hollow --node-name NAME --cpus N --memory SIZE\n',
  );
  process.exit(2);
}
const code = await runHollow({ ...opts, server: opts.server || process.env.TUG_SERVER || '127.0.0.1:6443' });
process.exit(code);
