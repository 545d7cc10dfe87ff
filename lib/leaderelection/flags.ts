// The --leader-elect* flags, named and defaulted as kube-scheduler and
// kube-controller-manager name them, shared by both components.
import type { Command } from 'commander';
import { parseBooleanFlag, parseDuration } from '../flags.js';
import {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  LEADER_ELECTION_NAMESPACE,
  leaderElectionConfig,
  leaderElectionConfigProblems,
  type LeaderElectionConfig,
} from './config.js';

export interface LeaderElectionFlags {
  leaderElect: boolean | string;
  leaderElectLeaseDuration: string;
  leaderElectRenewDeadline: string;
  leaderElectRetryPeriod: string;
  leaderElectResourceName: string;
  leaderElectResourceNamespace: string;
}

const seconds = (ms: number) => `${ms / 1000}s`;

export function addLeaderElectionFlags(cmd: Command, resourceName: string): Command {
  return cmd
    .option('--leader-elect [bool]', 'run as one of several replicas: act only while holding the leader Lease', true)
    .option('--leader-elect-lease-duration <duration>', 'how long standbys wait after the leader\'s last renewal before taking over', seconds(DEFAULT_LEASE_DURATION_MS))
    .option('--leader-elect-renew-deadline <duration>', 'how long the leader keeps acting while it cannot renew (then it exits)', seconds(DEFAULT_RENEW_DEADLINE_MS))
    .option('--leader-elect-retry-period <duration>', 'how often candidates try to acquire and the leader renews', seconds(DEFAULT_RETRY_PERIOD_MS))
    .option('--leader-elect-resource-name <name>', 'name of the leader Lease', resourceName)
    .option('--leader-elect-resource-namespace <namespace>', 'namespace of the leader Lease', LEADER_ELECTION_NAMESPACE);
}

/** The config the flags ask for, or undefined with --leader-elect=false; throws a message naming the flag at fault. */
export function leaderElectionFromFlags(f: LeaderElectionFlags, identity?: string): LeaderElectionConfig | undefined {
  if (!parseBooleanFlag('--leader-elect', f.leaderElect)) return undefined;
  const duration = (flag: string, v: string) => {
    try {
      return parseDuration(v);
    } catch (err) {
      throw new Error(`${flag}: ${(err as Error).message}`);
    }
  };
  const config = leaderElectionConfig(f.leaderElectResourceName, {
    namespace: f.leaderElectResourceNamespace,
    leaseDurationMs: duration('--leader-elect-lease-duration', f.leaderElectLeaseDuration),
    renewDeadlineMs: duration('--leader-elect-renew-deadline', f.leaderElectRenewDeadline),
    retryPeriodMs: duration('--leader-elect-retry-period', f.leaderElectRetryPeriod),
    ...(identity ? { identity } : {}),
  });
  const problems = leaderElectionConfigProblems(config);
  if (problems.length) {
    throw new Error(`leader election: ${problems.join('; ')}; set --leader-elect-lease-duration, --leader-elect-renew-deadline and --leader-elect-retry-period accordingly`);
  }
  return config;
}
