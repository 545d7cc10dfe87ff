// A component (scheduler, controller-manager) run under leader election: it
// starts its informers and loops only once this process leads. Losing the
// lease ends the process at once, as kube-scheduler does: nothing of the old
// term can write after that, and the supervisor starts a clean candidate. A
// graceful shutdown stops the component first and then releases the lease,
// so a standby takes over at once and the two never act together.
import type { Logger } from '../logging.js';
import type { LeaderElectionConfig } from './config.js';
import { LeaderElector, type LeaseClient } from './elector.js';

export interface StoppableComponent {
  stop(): Promise<void>;
}

export interface ElectedComponentOptions {
  /** Undefined: no leader election, start at once (a single replica, or tests). */
  election?: { client: LeaseClient; config: LeaderElectionConfig };
  log: Logger;
  /** Starts the component; called once, when this process becomes leader. */
  start(): Promise<StoppableComponent>;
  /** Ends the process; called with 1 when leadership is lost or the component could not start. */
  exit(code: number): void;
}

export interface ElectedComponent {
  /** Stops the component (if it started), then releases the lease. */
  shutdown(): Promise<void>;
}

export function runElected(opts: ElectedComponentOptions): ElectedComponent {
  const { log } = opts;
  let component: Promise<StoppableComponent | undefined> | undefined;
  let shuttingDown: Promise<void> | undefined;

  const startComponent = () => {
    if (shuttingDown) return;
    component = opts.start().catch((err: unknown) => {
      log.fatal({ err: String(err) }, 'could not start');
      void shutdown().finally(() => opts.exit(1));
      return undefined;
    });
  };

  const campaign = new AbortController();
  let elected: Promise<unknown> = Promise.resolve();
  if (opts.election) {
    const elector = new LeaderElector(opts.election.client, opts.election.config, { onStartedLeading: startComponent }, log);
    elected = elector.run(campaign.signal).then((outcome) => {
      if (outcome === 'lost') opts.exit(1);
    });
  } else {
    startComponent();
  }

  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      const running = await component;
      await running?.stop();
      campaign.abort();
      await elected;
    })();
    return shuttingDown;
  };
  return { shutdown };
}
