// Wires a Scheduler to a running apiserver: informers for nodes and pods and
// an Event writer. Used by main.ts and by tests that run it in-process.
import type { Node, Pod } from '../lib/api/generated/types.js';
import { ApiClient } from '../lib/client/api-client.js';
import { Informer, shareStrings } from '../lib/informer/index.js';
import { createLogger, type Logger } from '../lib/logging.js';
import type { CoreOptions } from './core.js';
import { EventRecorder } from '../lib/events.js';
import { RecorderEventSink } from './events.js';
import { Scheduler } from './scheduler.js';
import { trimNode, trimPod } from './trim.js';

export interface StartSchedulerOptions extends CoreOptions {
  /** host:port of the apiserver; or pass a client */
  server?: string;
  client?: ApiClient;
  log?: Logger;
  tickMs?: number;
}

export interface RunningScheduler {
  scheduler: Scheduler;
  /** stops the loop and informers, and closes the client if this made it */
  stop(): Promise<void>;
}

export async function startScheduler(opts: StartSchedulerOptions): Promise<RunningScheduler> {
  if (!opts.client && !opts.server) throw new Error('startScheduler needs server (host:port) or client');
  const client = opts.client ?? new ApiClient(opts.server!);
  const log = opts.log ?? createLogger('scheduler');
  // The recorder remembers recent Events to fold repeats into a count. Most of
  // the scheduler's are one-off Scheduled events, so a few recent ones are
  // enough for the repeats that matter (FailedScheduling of parked pods).
  const recorder = new EventRecorder(client, { component: opts.schedulerName ?? 'default-scheduler', log, cacheSize: 1024 });
  const events = new RecorderEventSink(recorder, { log });
  const scheduler = new Scheduler({
    ...opts,
    client,
    nodes: new Informer<Node>(client, 'Node', {}, { log, transform: (n) => shareStrings(trimNode(n)) }),
    pods: new Informer<Pod>(client, 'Pod', {}, { log, transform: (p) => shareStrings(trimPod(p)) }),
    events,
    log,
  });
  const stop = async () => {
    await scheduler.stop();
    await events.flush();
    if (!opts.client) client.close();
  };
  try {
    await scheduler.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { scheduler, stop };
}
