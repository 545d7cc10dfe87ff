// The service proxy of one node: watches Services and Endpoints and keeps the
// node namespace's NAT rules equal to what they say. Level-triggered: every
// sync renders the complete rule set from the caches and applies it in one
// iptables-restore, only when it differs from what was last applied, at most
// once per minSyncIntervalMs; a periodic forced resync repairs rules someone
// else removed. Restarting the proxy simply rewrites the same chains.
import type { InformerFactory, ListerWatcher } from '../../lib/informer/index.js';
import { createLogger, type Logger } from '../../lib/logging.js';
import { jitteredBackoffDelay } from '../../lib/workqueue/backoff.js';
import { CommandNetfilter, type NetfilterHost } from './iptables.js';
import { buildServiceModel, staleUdpFlows, type ServicePortEntry } from './model.js';
import {
  JUMP_RULES,
  TABLES,
  buildRuleset,
  chainsInSave,
  renderCleanupInput,
  renderRestoreInput,
  type RulesetOptions,
  type Table,
} from './ruleset.js';
import { openServiceSource, type ServiceSource } from './service-source.js';

export interface ServiceProxyOptions {
  /** the apiserver client; or informers */
  client?: ListerWatcher;
  /** the agent's shared InformerFactory (Service and Endpoints informers are taken from it) */
  informers?: InformerFactory;
  nodeName: string;
  /** the node's addresses (for logs; node ports answer on every local address, see nodePortAddresses) */
  nodeIPs?: string[];
  log?: Logger;
  /**
   * Network namespace to program (a path, e.g. /run/netns/node-1): every
   * command runs under `nsenter --net=PATH`. Absent: the namespace this
   * process runs in, which is the node agent's normal case.
   */
  netns?: string;
  /** see RulesetOptions.clusterCidr */
  clusterCidr?: string;
  /** see RulesetOptions.nodePortAddresses */
  nodePortAddresses?: string[];
  /** least time between two syncs, ms (default 200) */
  minSyncIntervalMs?: number;
  /** forced full resync (rules rewritten and jump rules checked), ms (default 30 s) */
  resyncIntervalMs?: number;
  /** set ip_forward and bridge-nf-call-iptables (default true) */
  setSysctls?: boolean;
  /** the kernel interface; tests may pass a fake */
  netfilter?: NetfilterHost;
}

export interface RunningServiceProxy {
  /**
   * Stops watching and syncing. With cleanup: true, also removes every rule
   * and chain the proxy made (jump rules first, then all TUG-* chains).
   */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
  /** Syncs from the current caches now (applying only if the rules changed); rejects if applying fails. */
  syncNow(): Promise<void>;
}

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Starts the proxy: waits for the Services/Endpoints caches, applies the
 * rules once (throwing if that fails, e.g. iptables missing), then follows
 * every change.
 */
export async function startServiceProxy(opts: ServiceProxyOptions): Promise<RunningServiceProxy> {
  const log = (opts.log ?? createLogger('service-proxy')).child({ node: opts.nodeName });
  const host = opts.netfilter ?? new CommandNetfilter(opts.netns ? { netns: opts.netns } : {});
  const proxy = new ServiceProxy(host, log, opts);
  await proxy.start();
  return { stop: (o) => proxy.stop(o), syncNow: () => proxy.syncNow() };
}

/** Removes every rule and chain of the proxy from a namespace (e.g. at `tug cluster down`, or after a crash). */
export async function removeServiceProxyRules(host: NetfilterHost): Promise<void> {
  for (const j of JUMP_RULES) await host.removeJump(j);
  const existing: Record<Table, string[]> = { nat: [], filter: [] };
  for (const t of TABLES) existing[t] = chainsInSave(await host.save(t));
  await host.restore(renderCleanupInput(existing));
}

class ServiceProxy {
  private source: ServiceSource | undefined;
  private readonly rulesetOptions: RulesetOptions;
  private readonly minInterval: number;
  private appliedKey: string | undefined;
  private appliedModel: ServicePortEntry[] = [];
  /** syncs run one after another on this chain */
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private pending = false;
  private forceNext = true;
  private lastStart = 0;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly host: NetfilterHost,
    private readonly log: Logger,
    private readonly opts: ServiceProxyOptions,
  ) {
    this.rulesetOptions = {
      ...(opts.clusterCidr ? { clusterCidr: opts.clusterCidr } : {}),
      ...(opts.nodePortAddresses?.length ? { nodePortAddresses: opts.nodePortAddresses } : {}),
    };
    this.minInterval = opts.minSyncIntervalMs ?? 200;
  }

  async start(): Promise<void> {
    this.source = await openServiceSource('service proxy', this.opts, () => this.kick());
    try {
      if (this.opts.setSysctls ?? true) await this.setSysctls();
      await this.syncNow();
    } catch (err) {
      this.stopped = true;
      await this.source.stop();
      throw err;
    }
    const every = this.opts.resyncIntervalMs ?? 30_000;
    this.resyncTimer = setInterval(() => {
      this.forceNext = true;
      this.kick();
    }, every);
    this.resyncTimer.unref();
    this.log.info({ nodeIPs: this.opts.nodeIPs ?? [], netns: this.opts.netns }, 'service proxy started');
  }

  private async setSysctls(): Promise<void> {
    // Routing between pods and to other nodes needs forwarding; bridged replies
    // (a pod answering a pod on the same bridge) must pass iptables to be un-DNATed.
    await this.host.setSysctl('net.ipv4.ip_forward', '1');
    try {
      await this.host.setSysctl('net.bridge.bridge-nf-call-iptables', '1');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot enable bridge-nf-call-iptables: pods may not reach services whose endpoints are on their own bridge');
    }
  }

  /** Something changed: sync soon, but not more often than minInterval. */
  private kick(): void {
    this.pending = true;
    if (this.stopped || this.timer) return;
    const wait = Math.max(0, this.lastStart + this.minInterval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue().catch(() => undefined);
    }, wait);
  }

  syncNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.enqueue();
  }

  private enqueue(): Promise<void> {
    const run = this.chain.then(() => this.syncOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped || !this.source) return;
    this.pending = false;
    this.lastStart = Date.now();
    const force = this.forceNext;
    try {
      await this.apply(force);
      this.failures = 0;
      this.forceNext = false;
    } catch (err) {
      this.failures++;
      // Rules may be half-known now: rewrite everything next time, whatever the caches say.
      this.forceNext = true;
      this.appliedKey = undefined;
      const delay = jitteredBackoffDelay(this.failures - 1, RETRY_BASE_MS, RETRY_MAX_MS);
      this.log.error({ err: (err as Error).message, retryInMs: Math.round(delay) }, 'applying service rules failed');
      if (!this.stopped) {
        const t = setTimeout(() => this.kick(), delay);
        t.unref();
      }
      throw err;
    }
    if (this.pending && !this.stopped) this.kick();
  }

  private async apply(force: boolean): Promise<void> {
    const src = this.source!;
    const model = buildServiceModel(src.services.list(), (k) => src.endpoints.get(k));
    const ruleset = buildRuleset(model, this.rulesetOptions);
    const key = JSON.stringify(ruleset);
    if (!force && key === this.appliedKey) return;
    const existing: Record<Table, string[]> = { nat: [], filter: [] };
    for (const t of TABLES) existing[t] = chainsInSave(await this.host.save(t));
    await this.host.restore(renderRestoreInput(ruleset, existing));
    // The chains exist now, so the jumps into them can be added.
    if (force) for (const j of JUMP_RULES) await this.host.ensureJump(j);
    this.appliedKey = key;
    const stale = staleUdpFlows(this.appliedModel, model);
    this.appliedModel = model;
    for (const f of stale) await this.host.clearFlows(f);
    const withEndpoints = model.filter((e) => e.endpoints.length > 0).length;
    this.log.info(
      { servicePorts: model.length, withEndpoints, rejecting: model.length - withEndpoints, rules: ruleset.nat.rules.length + ruleset.filter.rules.length, forced: force },
      'applied service rules',
    );
  }

  async stop(opts: { cleanup?: boolean } = {}): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      if (this.resyncTimer) clearInterval(this.resyncTimer);
      this.timer = this.resyncTimer = undefined;
      await this.source?.stop();
    }
    await this.chain;
    if (opts.cleanup) {
      await removeServiceProxyRules(this.host);
      this.log.info('service proxy rules removed');
    }
  }
}
