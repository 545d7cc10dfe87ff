// A hollow node — a TEST TOOL, not an agent: it registers a Node with the
// capacity it is told, renews its Lease, and reports the pods bound to it as
// Running without starting anything, so the control plane can be tested and
// benchmarked with many nodes in one process. Pods marked for deletion are
// deleted at once, as a real agent does after stopping their containers.
import type { Node, Pod } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound } from '../../lib/errors.js';
import { Informer, objectKey } from '../../lib/informer/index.js';
import { createLogger, type Logger } from '../../lib/logging.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import { claimPodCIDR, releasePodCIDR, PodIPAllocator } from './pod-ips.js';
import {
  NODE_LEASE_NAMESPACE,
  hollowLease,
  hollowNode,
  hollowNodeStatus,
  hollowPodStatus,
  isReady,
  microTime,
  validateHollowSpec,
  type HollowNodeSpec,
} from './status.js';

export interface HollowNodeOptions {
  nodeName: string;
  /** cpu quantity: 4, "4", "1500m" */
  cpus: number | string;
  /** memory quantity: "16Gi" */
  memory: string;
  /** default 110 */
  maxPods?: number;
  /** a client to share between many hollow nodes; else one is made for `server` (and closed on stop) */
  client?: ApiClient;
  /** apiserver host:port, when no client is given */
  server?: string;
  /** default 10 s */
  leaseRenewIntervalMs?: number;
  /** written into the Lease; default 40 */
  leaseDurationSeconds?: number;
  /** a /24 for fake pod IPs; default: derived from the node name within 100.64.0.0/10 */
  podCIDR?: string;
  labels?: Record<string, string>;
  workers?: number;
  log?: Logger;
}

export interface HollowNode {
  readonly nodeName: string;
  readonly podCIDR: string;
  /** Stops renewing and watching. The Node stays registered, so it looks dead to the control plane. */
  stop(): Promise<void>;
}

let sharedLog: Logger | undefined;
const HOST_IP = '127.0.0.1';
const WRITE_ATTEMPTS = 5;

/** Registers the node and its lease, then keeps them alive; resolves once registered and watching. */
export async function startHollowNode(opts: HollowNodeOptions): Promise<HollowNode> {
  const spec: HollowNodeSpec = {
    nodeName: opts.nodeName,
    cpus: opts.cpus,
    memory: opts.memory,
    maxPods: opts.maxPods ?? 110,
    podCIDR: opts.podCIDR ?? '',
    labels: opts.labels,
  };
  validateHollowSpec(spec);
  if (!opts.client && !opts.server) throw new ApiError('BadRequest', 'startHollowNode needs a client or a server address');
  const ownClient = !opts.client;
  const client = opts.client ?? new ApiClient(opts.server!);
  const claimed = !opts.podCIDR;
  if (claimed) spec.podCIDR = claimPodCIDR(spec.nodeName);
  const node = new HollowNodeRunner(client, spec, opts);
  try {
    await node.start();
  } catch (err) {
    await node.stop();
    if (claimed) releasePodCIDR(spec.podCIDR);
    if (ownClient) client.close();
    throw err;
  }
  return {
    nodeName: spec.nodeName,
    get podCIDR() {
      return node.podCIDR;
    },
    async stop() {
      await node.stop();
      if (claimed) releasePodCIDR(spec.podCIDR);
      if (ownClient) client.close();
    },
  };
}

class HollowNodeRunner {
  private readonly log: Logger;
  private readonly pods: Informer<Pod>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 20, maxDelayMs: 10_000 });
  private ips!: PodIPAllocator;
  private nodeUid: string | undefined;
  private lease: ReturnType<typeof hollowLease> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private workers: Promise<void> | undefined;
  private stopped = false;
  private readonly renewIntervalMs: number;
  private readonly leaseDurationSeconds: number;

  constructor(
    private readonly client: ApiClient,
    private readonly spec: HollowNodeSpec,
    private readonly opts: HollowNodeOptions,
  ) {
    this.log = (opts.log ?? (sharedLog ??= createLogger('hollow-node'))).child({ node: spec.nodeName });
    this.renewIntervalMs = opts.leaseRenewIntervalMs ?? 10_000;
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 40;
    this.pods = new Informer<Pod>(client, 'Pod', { fieldSelector: `spec.nodeName=${spec.nodeName}` }, { log: this.log });
  }

  get podCIDR(): string {
    return this.spec.podCIDR;
  }

  async start(): Promise<void> {
    await this.ensureNamespace();
    await this.register();
    this.ips = new PodIPAllocator(this.spec.podCIDR);
    await this.renewLease();
    this.pods.onAdd((p) => {
      this.ips.adopt(p.metadata?.uid ?? '', p.status?.podIP);
      this.queue.add(objectKey(p));
    });
    this.pods.onUpdate((_old, p) => this.queue.add(objectKey(p)));
    this.pods.onDelete((p) => this.ips.release(p.metadata?.uid ?? ''));
    await this.pods.start();
    this.workers = runWorkers(this.queue, (key) => this.syncPod(key), { workers: this.opts.workers ?? 2, log: this.log });
    this.renewTimer = setInterval(() => {
      // A slow apiserver must not pile renewals up.
      if (this.renewing || this.stopped) return;
      this.renewing = this.heartbeat().finally(() => (this.renewing = undefined));
    }, this.renewIntervalMs);
    this.log.info({ cpus: this.spec.cpus, memory: this.spec.memory, maxPods: this.spec.maxPods, podCIDR: this.spec.podCIDR }, 'hollow node registered');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.queue.shutDown();
    await this.pods.stop();
    await this.workers;
    await this.renewing;
  }

  private async ensureNamespace(): Promise<void> {
    try {
      await this.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  /** Creates the Node, or takes over an existing one of that name (a restart), then posts its status. */
  private async register(): Promise<void> {
    const wanted = hollowNode(this.spec);
    let node: Node;
    try {
      node = await this.client.create(wanted);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await this.client.get('Node', undefined, this.spec.nodeName);
      // Keep the range it had, so pods that survived keep their addresses.
      const had = node.spec?.podCIDR;
      if (had && had !== this.spec.podCIDR && /^\d+\.\d+\.\d+\.0\/24$/.test(had)) {
        if (!this.opts.podCIDR) releasePodCIDR(this.spec.podCIDR);
        this.spec.podCIDR = had;
      }
      node = await this.writeNode(node, (cur) => ({
        ...cur,
        kind: 'Node',
        metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, ...wanted.metadata?.labels } },
        spec: { ...cur.spec, podCIDR: this.spec.podCIDR, podCIDRs: [this.spec.podCIDR] },
      }), 'spec');
    }
    this.nodeUid = node.metadata?.uid;
    await this.postReady(node);
  }

  private async postReady(node: Node): Promise<void> {
    await this.writeNode(node, (cur) => ({ ...cur, kind: 'Node', status: hollowNodeStatus(this.spec, new Date().toISOString(), cur.status?.conditions) }), 'status');
  }

  /** Renews the lease and, if the node controller marked the node Unknown meanwhile, says Ready again. */
  private async heartbeat(): Promise<void> {
    try {
      await this.renewLease();
      const node = await this.client.get('Node', undefined, this.spec.nodeName);
      if (node.metadata?.uid !== this.nodeUid) {
        this.log.warn('the Node was deleted or replaced; registering again');
        await this.register();
        await this.renewLease();
      } else if (!isReady(node)) await this.postReady(node);
    } catch (err) {
      if (isNotFound(err) && !this.stopped) {
        this.log.warn('the Node was deleted; registering again');
        await this.register().catch((e: unknown) => this.log.warn({ err: e }, 'could not register again'));
        return;
      }
      this.log.warn({ err }, 'heartbeat failed; will try again');
    }
  }

  private async renewLease(): Promise<void> {
    const now = Date.now();
    const fresh = hollowLease(this.spec.nodeName, this.nodeUid, now, this.leaseDurationSeconds);
    if (this.lease) {
      try {
        this.lease = await this.client.update({ ...this.lease, spec: { ...this.lease.spec, renewTime: microTime(now) }, metadata: { ...this.lease.metadata, ownerReferences: fresh.metadata?.ownerReferences } });
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    try {
      this.lease = await this.client.create(fresh);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const cur = await this.client.get('Lease', NODE_LEASE_NAMESPACE, this.spec.nodeName);
      this.lease = await this.client.update({ ...cur, kind: 'Lease', spec: { ...cur.spec, ...fresh.spec }, metadata: { ...cur.metadata, ownerReferences: fresh.metadata?.ownerReferences } });
    }
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod || this.stopped) return;
    const m = pod.metadata ?? {};
    if (m.deletionTimestamp) {
      // A real agent stops the containers first; there are none here.
      try {
        await this.client.delete('Pod', m.namespace, m.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: m.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    const podIP = this.ips.ipFor(m.uid ?? '');
    if (!podIP) throw new ApiError('Unavailable', `hollow node ${this.spec.nodeName} has no pod IP left in ${this.spec.podCIDR}`);
    const status = hollowPodStatus(pod, { hostIP: HOST_IP, podIP, nowIso: new Date().toISOString() });
    if (!status) return;
    try {
      await this.client.updateStatus({ ...pod, kind: 'Pod', status });
    } catch (err) {
      // Gone: nothing to report. Changed: the informer brings the new version and queues it again.
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private async writeNode(node: Node, change: (cur: Node) => Node, part: 'spec' | 'status'): Promise<Node> {
    let cur = node;
    for (let attempt = 0; ; attempt++) {
      try {
        return part === 'status' ? await this.client.updateStatus(change(cur)) : await this.client.update(change(cur));
      } catch (err) {
        if (!isConflict(err) || attempt >= WRITE_ATTEMPTS) throw err;
      }
      cur = await this.client.get('Node', undefined, this.spec.nodeName);
    }
  }
}
