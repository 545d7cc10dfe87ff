#!/usr/bin/env node
// A node agent in a process of its own, for tests that kill it with SIGKILL
// (a real crash) and start another on the same state dir. Options come as
// JSON in the first argument (NodeAgentOptions without client/log, with
// `server`). Prints `ready` once the agent has started; SIGTERM stops it
// cleanly (containers keep running either way).
import { startNodeAgent, type NodeAgentOptions } from '../agent.js';
import { createLogger } from '../../lib/logging.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as NodeAgentOptions;
const log = createLogger('agent-process', process.env.TUG_TEST_LOG_LEVEL ?? 'warn');
try {
  const agent = await startNodeAgent({ ...opts, log });
  process.stdout.write('ready\n');
  const stop = () => {
    void agent.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  process.stderr.write(`agent-process: ${(err as Error).message}\n`);
  process.exit(1);
}
