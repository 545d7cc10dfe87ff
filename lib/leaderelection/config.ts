// Leader election settings, with Kubernetes' defaults and its rules for how
// they relate to each other.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const LEADER_ELECTION_NAMESPACE = 'kube-system';
export const SCHEDULER_LEASE_NAME = 'tug-scheduler';
export const CONTROLLER_MANAGER_LEASE_NAME = 'tug-controller-manager';

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;

export interface LeaderElectionConfig {
  /** The Lease: namespace/name. */
  namespace: string;
  name: string;
  /** Unique per process: a restarted process is a new candidate. */
  identity: string;
  /** How long a standby waits after the last change it saw before it takes the lease. */
  leaseDurationMs: number;
  /** How long a leader keeps leading while it cannot renew. */
  renewDeadlineMs: number;
  /** How often candidates try to acquire and the leader renews. */
  retryPeriodMs: number;
  /** Give the lease up when run() is cancelled, so a standby takes over at once (default true). */
  releaseOnCancel?: boolean;
}

/** hostname_pid_random: unique per process, and says which process it is. */
export function defaultIdentity(): string {
  return `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function leaderElectionConfig(name: string, over: Partial<LeaderElectionConfig> = {}): LeaderElectionConfig {
  return {
    namespace: LEADER_ELECTION_NAMESPACE,
    name,
    identity: defaultIdentity(),
    leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
    renewDeadlineMs: DEFAULT_RENEW_DEADLINE_MS,
    retryPeriodMs: DEFAULT_RETRY_PERIOD_MS,
    ...over,
  };
}

/** Every problem with a config, each saying what to change; [] when it is fine. */
export function leaderElectionConfigProblems(c: LeaderElectionConfig): string[] {
  const p: string[] = [];
  if (!c.namespace) p.push('the lease namespace is empty');
  if (!c.name) p.push('the lease name is empty');
  if (!c.identity) p.push('the identity is empty');
  if (!(c.retryPeriodMs > 0)) p.push(`the retry period must be more than 0, got ${c.retryPeriodMs} ms`);
  if (!(c.leaseDurationMs >= 1000)) p.push(`the lease duration must be at least 1s, got ${c.leaseDurationMs} ms`);
  // The leader must stop before a standby may take over: the gap absorbs
  // clocks that run at different rates and the time it takes to stop.
  if (!(c.renewDeadlineMs < c.leaseDurationMs)) {
    p.push(`the renew deadline (${c.renewDeadlineMs} ms) must be shorter than the lease duration (${c.leaseDurationMs} ms)`);
  }
  // A leader must get more than one try to renew before its deadline.
  if (!(c.renewDeadlineMs > c.retryPeriodMs * 1.2)) {
    p.push(`the renew deadline (${c.renewDeadlineMs} ms) must be more than 1.2 times the retry period (${c.retryPeriodMs} ms)`);
  }
  return p;
}
