// The acting side of leader election: reads the Lease, asks decide() what to
// do, and writes through the apiserver, every write a compare-and-swap on the
// resourceVersion it read (Conflict / AlreadyExists: someone else won). A
// watchdog on the local monotonic clock ends leadership at the renew
// deadline even while a request hangs.
import { performance } from 'node:perf_hooks';
import type { Lease } from '../api/generated/types.js';
import type { ApiClient } from '../client/api-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../errors.js';
import type { Logger } from '../logging.js';
import { leaderElectionConfigProblems, type LeaderElectionConfig } from './config.js';
import { decide, observe, recordOf, releasedRecord, type Decision, type ElectorView, type LeaderRecord, type Observation } from './decide.js';

/** The part of the API client the elector uses. */
export type LeaseClient = Pick<ApiClient, 'get' | 'create' | 'update'>;

export interface LeaderCallbacks {
  /** This process now leads; `signal` aborts when it stops leading. Not awaited. */
  onStartedLeading?(signal: AbortSignal): void;
  /** This process led and no longer does (lost, or run() cancelled and the lease released). */
  onStoppedLeading?(): void;
  /** Another (or this) identity was seen holding the lease. */
  onNewLeader?(identity: string): void;
}

/** Why run() returned: `lost` leadership, or `cancelled` by its signal. */
export type ElectionOutcome = 'lost' | 'cancelled';

export type ElectorPhase = 'idle' | 'acquiring' | 'leading' | 'stopped';

const monotonicMs = (): number => performance.now();
/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const wallTime = (): string => new Date().toISOString().replace(/Z$/, '000Z');

/** Resolves after ms, or at once when signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class LeaderElector {
  private phase: ElectorPhase = 'idle';
  private observed: Observation | undefined;
  private lastRenewMs: number | undefined;
  private reportedLeader = '';
  private lastFailure = '';

  constructor(
    private readonly client: LeaseClient,
    readonly config: LeaderElectionConfig,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
  ) {
    const problems = leaderElectionConfigProblems(config);
    if (problems.length) throw new Error(`leader election: ${problems.join('; ')}`);
    this.log = log.child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
  }

  isLeader(): boolean {
    return this.phase === 'leading';
  }

  /** The holder last seen in the Lease ('' when none). */
  leader(): string {
    return this.observed?.exists ? this.observed.record.holderIdentity : '';
  }

  /**
   * Campaigns until this process leads, leads until it loses the lease or
   * `signal` aborts, then returns. Once only per elector: a process that lost
   * should exit (or build a new elector) rather than carry on.
   */
  async run(signal: AbortSignal = new AbortController().signal): Promise<ElectionOutcome> {
    if (this.phase !== 'idle') throw new Error('LeaderElector.run() was already called; make a new elector');
    this.phase = 'acquiring';
    this.log.info('attempting to acquire the leader lease');
    await this.acquire(signal);
    if (this.lastRenewMs === undefined) {
      this.phase = 'stopped';
      return 'cancelled';
    }
    this.phase = 'leading';
    const leadership = new AbortController();
    // Cancelled while the winning write was in flight: it never acted, it only gives the lease back.
    const led = !signal.aborted;
    let outcome: ElectionOutcome = 'cancelled';
    if (led) {
      this.log.info('became leader');
      try {
        this.callbacks.onStartedLeading?.(leadership.signal);
      } catch (err) {
        this.log.error({ err }, 'onStartedLeading failed');
      }
      const ended = await this.renew(signal);
      outcome = ended.outcome;
      if (ended.outcome === 'lost') this.log.error({ reason: ended.reason }, 'lost leadership');
    }
    this.phase = 'stopped';
    this.lastRenewMs = undefined;
    leadership.abort();
    if (outcome === 'cancelled') {
      if (this.config.releaseOnCancel !== false) await this.release();
      if (led) this.log.info('stopped leading');
    }
    if (led) {
      try {
        this.callbacks.onStoppedLeading?.();
      } catch (err) {
        this.log.error({ err }, 'onStoppedLeading failed');
      }
    }
    return outcome;
  }

  /** A method, not an inline comparison: the phase changes across awaits. */
  private hasStopped(): boolean {
    return this.phase === 'stopped';
  }

  private view(): ElectorView {
    return {
      identity: this.config.identity,
      leaseDurationMs: this.config.leaseDurationMs,
      renewDeadlineMs: this.config.renewDeadlineMs,
      observed: this.observed ?? { exists: false },
      lastRenewMs: this.lastRenewMs,
    };
  }

  /** Tries until acquired (lastRenewMs set) or cancelled; an attempt in flight is finished, so a lease won meanwhile is known and released. */
  private async acquire(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const d = await this.tryAcquireOrRenew();
        if (this.lastRenewMs !== undefined) return;
        if (d.action === 'wait') this.log.debug({ holder: d.holder, expiresInMs: Math.round(d.expiresInMs) }, 'the lease is held by another');
      } catch (err) {
        this.noteFailure(err, 'could not read or write the leader lease; retrying');
      }
      // Jitter keeps standbys that started together from asking together.
      await sleep(this.config.retryPeriodMs * (1 + 0.2 * Math.random()), signal);
    }
  }

  /** Renews every retry period until lost (decision or watchdog) or cancelled. */
  private renew(signal: AbortSignal): Promise<{ outcome: ElectionOutcome; reason?: string }> {
    return new Promise((resolve) => {
      let settled = false;
      let watchdog: NodeJS.Timeout | undefined;
      const loop = new AbortController();
      const settle = (outcome: ElectionOutcome, reason?: string) => {
        if (settled) return;
        settled = true;
        // From here on, a write still in flight no longer counts as a renewal.
        this.phase = 'stopped';
        clearTimeout(watchdog);
        signal.removeEventListener('abort', onAbort);
        loop.abort();
        resolve({ outcome, reason });
      };
      const onAbort = () => settle('cancelled');
      const arm = () => {
        clearTimeout(watchdog);
        const left = (this.lastRenewMs ?? 0) + this.config.renewDeadlineMs - monotonicMs();
        watchdog = setTimeout(check, Math.max(1, Math.ceil(left)));
      };
      const check = () => {
        const d = decide(this.view(), monotonicMs(), wallTime());
        if (d.action === 'lost') settle('lost', d.reason);
        else arm();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) return settle('cancelled');
      arm();
      void (async () => {
        while (!settled) {
          await sleep(this.config.retryPeriodMs, loop.signal);
          if (settled) return;
          try {
            const d = await this.tryAcquireOrRenew();
            if (settled) return;
            if (d.action === 'lost') settle('lost', d.reason);
            else arm();
          } catch (err) {
            if (!settled) this.noteFailure(err, 'could not renew the leader lease; retrying until the renew deadline');
          }
        }
      })();
    });
  }

  /** One round: read, decide, maybe write. Throws what the apiserver answered, except the answers that mean another candidate won. */
  private async tryAcquireOrRenew(): Promise<Decision> {
    const { namespace, name } = this.config;
    let current: Lease | undefined;
    try {
      current = await this.client.get('Lease', namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.lastFailure = '';
    this.observed = observe(this.observed, current ? recordOf(current.spec) : undefined, monotonicMs());
    this.reportLeader();
    const d = decide(this.view(), monotonicMs(), wallTime());
    if (d.action !== 'acquire' && d.action !== 'renew') return d;
    if (this.hasStopped()) return d;

    const sentMs = monotonicMs();
    let written: Lease;
    try {
      // The update carries the resourceVersion just read: a compare-and-swap.
      written = d.action === 'acquire' && d.create
        ? await this.client.create(this.leaseObject(d.record))
        : await this.client.update({ ...current!, spec: d.record });
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        this.log.debug({ code: (err as { code?: string }).code }, 'another candidate wrote the lease first');
        return d;
      }
      throw err;
    }
    this.observed = observe(this.observed, recordOf(written.spec), monotonicMs());
    // A write that lands after leadership ended (watchdog, cancel) does not revive it.
    if (!this.hasStopped()) this.lastRenewMs = sentMs;
    this.reportLeader();
    return d;
  }

  private leaseObject(record: LeaderRecord): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.config.name, namespace: this.config.namespace },
      spec: record,
    };
  }

  /** Hands the lease over to whoever asks next; a failure only means standbys wait out the lease duration. */
  private async release(): Promise<void> {
    const { namespace, name, identity } = this.config;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const current = await this.client.get('Lease', namespace, name);
        const released = releasedRecord(recordOf(current.spec), identity, wallTime());
        if (!released) return;
        await this.client.update({ ...current, spec: released });
        this.observed = observe(this.observed, released, monotonicMs());
        this.log.info('released the leader lease');
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err)) continue;
        this.log.warn({ err: String(err) }, 'could not release the leader lease; a standby takes over once the lease duration has passed');
        return;
      }
    }
  }

  private reportLeader(): void {
    const holder = this.leader();
    if (!holder || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (holder !== this.config.identity) this.log.info({ leader: holder }, 'new leader observed');
    try {
      this.callbacks.onNewLeader?.(holder);
    } catch (err) {
      this.log.error({ err }, 'onNewLeader failed');
    }
  }

  /** Logs a failure once until it changes or the apiserver answers again, so an apiserver outage is not a line every retry period. */
  private noteFailure(err: unknown, what: string): void {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg === this.lastFailure) return;
    this.lastFailure = msg;
    this.log.warn({ err: msg }, what);
  }
}
