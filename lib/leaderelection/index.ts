// Leader election over a Lease, the way client-go does it: one replica of a
// component acts, the others stand by and take over when its lease expires
// or is released.
export {
  LEADER_ELECTION_NAMESPACE,
  SCHEDULER_LEASE_NAME,
  CONTROLLER_MANAGER_LEASE_NAME,
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  defaultIdentity,
  leaderElectionConfig,
  leaderElectionConfigProblems,
  type LeaderElectionConfig,
} from './config.js';
export { decide, observe, recordOf, releasedRecord, leaseSeconds, type Decision, type ElectorView, type LeaderRecord, type Observation } from './decide.js';
export { LeaderElector, type LeaderCallbacks, type LeaseClient, type ElectionOutcome, type ElectorPhase } from './elector.js';
export { runElected, type ElectedComponent, type ElectedComponentOptions, type StoppableComponent } from './component.js';
export { addLeaderElectionFlags, leaderElectionFromFlags, type LeaderElectionFlags } from './flags.js';
