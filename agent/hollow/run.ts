// `tug-agent --hollow ...`: runs one hollow node until SIGTERM/SIGINT.
// A TEST TOOL for exercising the control plane; nothing is started on it.
import { createLogger } from '../../lib/logging.js';
import { startHollowNode } from './hollow-node.js';

export interface HollowFlags {
  nodeName?: string;
  cpus?: string;
  memory?: string;
  maxPods?: string;
  server: string;
  podCidr?: string;
  leaseRenewInterval?: string;
}

export const HOLLOW_HELP = `
--hollow runs a HOLLOW NODE, a test tool: it registers a Node with the given
capacity, renews its Lease and reports the pods bound to it as Running
without starting any container. It exists to test and benchmark the control
plane (scheduler, controllers) with many nodes on one machine; never use it
where pods are expected to actually run.`;

/** Resolves with the process exit code once the node has stopped after a signal. */
export async function runHollow(flags: HollowFlags): Promise<number> {
  const missing = (['nodeName', 'cpus', 'memory'] as const).filter((k) => !flags[k]);
  if (missing.length) {
    const names = { nodeName: '--node-name NAME', cpus: '--cpus N', memory: '--memory SIZE' };
    process.stderr.write(`tug-agent --hollow: missing ${missing.map((m) => names[m]).join(', ')} (see tug-agent --help)\n`);
    return 2;
  }
  const maxPods = flags.maxPods === undefined ? undefined : Number(flags.maxPods);
  const renew = flags.leaseRenewInterval === undefined ? undefined : Number(flags.leaseRenewInterval) * 1000;
  const log = createLogger('hollow-node');
  let node;
  try {
    node = await startHollowNode({
      nodeName: flags.nodeName!,
      cpus: flags.cpus!,
      memory: flags.memory!,
      maxPods,
      server: flags.server,
      podCIDR: flags.podCidr,
      leaseRenewIntervalMs: renew,
      log,
    });
  } catch (err) {
    process.stderr.write(`tug-agent --hollow: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`tug-agent: hollow node ${node.nodeName} is up (test tool: pods are reported Running, nothing runs)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await node.stop();
  return 0;
}
