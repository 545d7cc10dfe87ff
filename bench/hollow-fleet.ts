#!/usr/bin/env node
// A bench helper process: many hollow nodes (a test tool that reports pods
// Running without running anything) sharing one apiserver client.
//   node dist/bench/hollow-fleet.js --server HOST:PORT --first 0 --count 500
// Prints one JSON line {"ready":N,"ms":T} on stdout once every node is
// registered and watching; stops them all on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startHollowNode, type HollowNode } from '../agent/hollow/index.js';
import { ApiClient } from '../lib/client/api-client.js';
import { createLogger } from '../lib/logging.js';
import { MAX_PODS_PER_NODE, nodeName, nodeSize } from './workload.js';

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    first: { type: 'string', default: '0' },
    count: { type: 'string' },
    // registrations in flight at once: bounded so the apiserver is not flooded
    concurrency: { type: 'string', default: '20' },
  },
});
if (!values.server || !values.count) {
  process.stderr.write('usage: hollow-fleet --server HOST:PORT --first N --count N [--concurrency N]\n');
  process.exit(2);
}
const first = Number(values.first);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const log = createLogger('hollow-fleet');
const client = new ApiClient(values.server, { timeoutMs: 60_000 });
const nodes: HollowNode[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.allSettled(nodes.map((n) => n.stop()));
  client.close();
  process.exit(code);
}
process.once('SIGTERM', () => void stopAll(0));
process.once('SIGINT', () => void stopAll(0));

const t0 = performance.now();
let next = 0;
try {
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (!stopping) {
        const i = next++;
        if (i >= count) return;
        const idx = first + i;
        const size = nodeSize(idx);
        nodes.push(await startHollowNode({ client, nodeName: nodeName(idx), cpus: size.cpus, memory: size.memory, maxPods: MAX_PODS_PER_NODE, log }));
      }
    }),
  );
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
  await stopAll(1);
}
process.stdout.write(`${JSON.stringify({ ready: nodes.length, ms: Math.round(performance.now() - t0) })}\n`);
