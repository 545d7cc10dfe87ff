// Keeps the node's routes to other nodes' pods in line with the Node
// objects: a Node informer, one work key ("routes"), and a sync that reads
// the table, plans (pod-routes.ts) and applies the difference. Level-
// triggered: it runs on every change of a Node's pod CIDR or address, and
// every resync period anyway (a route someone deleted comes back; routes of
// Nodes deleted while the agent was down go), so a restarted agent converges
// from whatever it finds.
import type { Node } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import type { EventRecorder } from '../../lib/events.js';
import { waitForCacheSync, type Informer, type InformerFactory } from '../../lib/informer/index.js';
import type { Logger } from '../../lib/logging.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import { gatewaysToCheck, nodeRouteInfo, planPodRoutes, WAITING_REASONS, type NodeRouteInfo, type PodRoutePlan } from './pod-routes.js';
import { IpRouteTable, type RouteTable } from './route-table.js';

/** One pass: read the table, decide, change only what differs. Throws after trying every change if any failed. */
export async function syncPodRoutes(table: RouteTable, self: string, nodes: NodeRouteInfo[]): Promise<PodRoutePlan> {
  const { ours, all } = await table.list();
  const reach = await table.reachability(gatewaysToCheck(self, nodes));
  const plan = planPodRoutes({ self, nodes, ours, all, reach });
  const failures: string[] = [];
  for (const r of plan.remove) await table.remove(r.dst).catch((e: Error) => failures.push(e.message));
  for (const r of plan.replace) await table.replace(r.dst, r.via).catch((e: Error) => failures.push(`route to node ${r.node}'s pods: ${e.message}`));
  if (failures.length) throw new ApiError('Internal', `could not program every pod route: ${failures.join('; ')}`);
  return plan;
}

export interface PodRouteControllerOptions {
  informers: InformerFactory;
  nodeName: string;
  /** default: `ip route` in the agent's own network namespace, or in `netns` */
  table?: RouteTable;
  netns?: string;
  /** default 30 s */
  resyncIntervalMs?: number;
  log: Logger;
  /** Warnings about nodes that cannot be routed to also go on this node's Node as Events. */
  events?: EventRecorder;
}

const KEY = 'routes';

export class PodRouteController {
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 500, maxDelayMs: 30_000 });
  private readonly nodes: Informer<Node>;
  private readonly table: RouteTable;
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  /** problems reported, by node, so each is said once (again only when it changes) */
  private readonly reported = new Map<string, string>();
  private lastDesired = '';

  constructor(private readonly o: PodRouteControllerOptions) {
    this.table = o.table ?? new IpRouteTable(o.netns ? { netns: o.netns } : {});
    this.nodes = o.informers.informer('Node');
    // Heartbeats update every Node every few seconds; only a new pod CIDR or address matters here.
    const changed = (a: Node, b: Node) => JSON.stringify(nodeRouteInfo(a)) !== JSON.stringify(nodeRouteInfo(b));
    this.nodes.onAdd(() => this.queue.add(KEY));
    this.nodes.onUpdate((a, b) => changed(a, b) && this.queue.add(KEY));
    this.nodes.onDelete(() => this.queue.add(KEY));
  }

  /** Starts syncing in the background (once the Node cache has synced). */
  start(): void {
    this.loop ??= this.run().catch((err: unknown) => this.o.log.error({ err }, 'pod route sync stopped'));
  }

  async stop(): Promise<void> {
    this.stopSignal.abort();
    this.queue.shutDown();
    if (this.ticker) clearInterval(this.ticker);
    await this.loop;
  }

  private async run(): Promise<void> {
    // An empty cache is not "no other nodes": routing on it would remove every route.
    if (!(await waitForCacheSync([this.nodes], this.stopSignal.signal))) return;
    this.queue.add(KEY);
    this.ticker = setInterval(() => this.queue.add(KEY), this.o.resyncIntervalMs ?? 30_000);
    this.ticker.unref();
    await runWorkers(this.queue, () => this.sync(), { log: this.o.log });
  }

  private async sync(): Promise<void> {
    const nodes = this.nodes.list().map(nodeRouteInfo);
    const plan = await syncPodRoutes(this.table, this.o.nodeName, nodes);
    for (const r of plan.remove) this.o.log.info({ dst: r.dst, via: r.gateway }, 'removed pod route of a node that is gone');
    for (const r of plan.replace) this.o.log.info({ dst: r.dst, via: r.via, node: r.node }, 'pod route programmed');
    const desired = plan.desired.map((d) => `${d.dst} via ${d.via}`).join(', ');
    if (desired !== this.lastDesired) {
      this.lastDesired = desired;
      this.o.log.info({ routes: plan.desired.length, desired }, 'pod routes in place');
    }
    this.report(plan);
  }

  private report(plan: PodRoutePlan): void {
    const now = new Map<string, string>();
    for (const s of plan.skipped) {
      if (WAITING_REASONS.has(s.reason)) continue;
      now.set(s.node, s.message);
      if (this.reported.get(s.node) === s.message) continue;
      this.o.log.warn({ node: s.node, reason: s.reason, podCIDR: s.podCIDR, via: s.via }, s.message);
      const self = this.nodes.get(this.o.nodeName);
      if (self && this.o.events) void this.o.events.event({ ...self, kind: 'Node' }, 'Warning', 'PodRouteNotProgrammed', s.message);
    }
    for (const [node] of this.reported) if (!now.has(node)) this.o.log.info({ node }, 'the problem routing to this node\'s pods is gone');
    this.reported.clear();
    for (const [k, v] of now) this.reported.set(k, v);
  }
}
