// Registers the Node and keeps it alive: a status heartbeat (Ready and
// friends, capacity, addresses) and a Lease in kube-node-lease, each every
// ~10 s. A Node that already exists (an agent restart) is taken over; its
// pod CIDR, if it has one, wins over the configured one. Without one, the
// control plane assigns it after registration: a watch of the Node itself
// notices that at once, not at the next heartbeat.
import type { Lease, Node } from '../../lib/api/generated/types.js';
import type { ApiClient } from '../../lib/client/api-client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../lib/errors.js';
import { Informer } from '../../lib/informer/index.js';
import type { Logger } from '../../lib/logging.js';
import { microTime, nodeLabels, nodeLease, nodeObject, nodeStatus, NODE_LEASE_NAMESPACE, type NodeDescription, type NodeHealth } from './node-object.js';

export interface NodeRegistrarOptions {
  client: ApiClient;
  description: NodeDescription;
  /** What the Ready condition says; asked at every heartbeat. */
  health: () => NodeHealth;
  log: Logger;
  /** Default 10 s. */
  leaseRenewIntervalMs?: number;
  /** Default 40. */
  leaseDurationSeconds?: number;
  /** Default 10 s. */
  statusIntervalMs?: number;
  /** Called when the Node's pod CIDR becomes known or changes. */
  onPodCIDR?: (cidr: string) => void;
}

const WRITE_ATTEMPTS = 5;

export class NodeRegistrar {
  private nodeUid: string | undefined;
  private lease: Lease | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private heartbeating: Promise<void> | undefined;
  private stopped = false;
  private cidr: string | undefined;
  private ownNode: Informer<Node> | undefined;

  constructor(private readonly o: NodeRegistrarOptions) {
    this.cidr = o.description.podCIDR;
  }

  get podCIDR(): string | undefined {
    return this.cidr;
  }

  private get name(): string {
    return this.o.description.nodeName;
  }

  /** Registers (or takes over) the Node, posts its status and creates the Lease. */
  async start(): Promise<void> {
    await this.ensureLeaseNamespace();
    await this.register();
    this.watchOwnNode();
    await this.renewLease();
    this.leaseTimer = setInterval(() => {
      // A slow apiserver must not pile renewals up.
      if (this.renewing || this.stopped) return;
      this.renewing = this.renewLease()
        .catch((err: unknown) => this.o.log.warn({ err }, 'lease renewal failed; will try again'))
        .finally(() => (this.renewing = undefined));
    }, this.o.leaseRenewIntervalMs ?? 10_000);
    this.statusTimer = setInterval(() => {
      if (this.heartbeating || this.stopped) return;
      this.heartbeating = this.heartbeat().finally(() => (this.heartbeating = undefined));
    }, this.o.statusIntervalMs ?? 10_000);
  }

  /** Stops renewing. The Node stays registered (it turns NotReady once the lease expires). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.ownNode?.stop();
    await this.renewing;
    await this.heartbeating;
  }

  private watchOwnNode(): void {
    if (this.ownNode || this.stopped) return;
    const inf = new Informer<Node>(this.o.client, 'Node', { fieldSelector: `metadata.name=${this.name}` }, { log: this.o.log });
    // Another object under this name (the Node deleted and made again) is the heartbeat's to deal with.
    const seen = (n: Node) => {
      if (n.metadata?.uid === this.nodeUid) this.notePodCIDR(n);
    };
    inf.onAdd(seen);
    inf.onUpdate((_old, n) => seen(n));
    this.ownNode = inf;
    inf.start().catch((err: unknown) => this.o.log.warn({ err }, 'cannot watch the own Node; its pod CIDR is noticed at heartbeats only'));
  }

  /** Posts the status now (e.g. after readiness changed) instead of at the next heartbeat. */
  async postStatusNow(): Promise<void> {
    await this.heartbeating;
    if (!this.stopped) await this.heartbeat();
  }

  private async ensureLeaseNamespace(): Promise<void> {
    try {
      await this.o.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  private async register(): Promise<void> {
    const d = this.o.description;
    let node: Node;
    try {
      node = await this.o.client.create(nodeObject({ ...d, podCIDR: this.cidr }));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await this.o.client.get('Node', undefined, this.name);
      const had = node.spec?.podCIDR;
      if (had && this.cidr && had !== this.cidr) {
        this.o.log.warn({ configured: this.cidr, node: had }, 'the Node already has another pod CIDR; using the Node\'s');
      }
      const cidr = had || this.cidr;
      node = await this.writeNode(node, 'spec', (cur) => ({
        ...cur,
        kind: 'Node',
        metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, ...nodeLabels(d) } },
        spec: { ...cur.spec, ...(cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {}) },
      }));
    }
    this.nodeUid = node.metadata?.uid;
    this.notePodCIDR(node);
    await this.postStatus(node);
    this.o.log.info({ node: this.name, podCIDR: this.cidr, address: d.address }, 'node registered');
  }

  /** The Node's pod CIDR (or the configured one until it has one), announced once per change. */
  private notePodCIDR(node: Node): void {
    const cidr = node.spec?.podCIDR || this.cidr;
    if (!cidr || cidr === this.announced) return;
    this.cidr = cidr;
    this.announced = cidr;
    this.o.onPodCIDR?.(cidr);
  }

  private announced: string | undefined;

  private async postStatus(node: Node): Promise<void> {
    await this.writeNode(node, 'status', (cur) => ({
      ...cur,
      kind: 'Node',
      status: nodeStatus({ ...this.o.description, podCIDR: this.cidr }, this.o.health(), new Date().toISOString(), cur.status?.conditions),
    }));
  }

  private async heartbeat(): Promise<void> {
    try {
      const node = await this.o.client.get('Node', undefined, this.name);
      if (node.metadata?.uid !== this.nodeUid) {
        this.o.log.warn('the Node was replaced; registering again');
        await this.register();
        return;
      }
      this.notePodCIDR(node);
      await this.postStatus(node);
    } catch (err) {
      if (this.stopped) return;
      if (isNotFound(err)) {
        this.o.log.warn('the Node was deleted; registering again');
        await this.register().catch((e: unknown) => this.o.log.warn({ err: e }, 'could not register again'));
        return;
      }
      this.o.log.warn({ err }, 'node status heartbeat failed; will try again');
    }
  }

  private async renewLease(): Promise<void> {
    const now = Date.now();
    const fresh = nodeLease(this.name, this.nodeUid, now, this.o.leaseDurationSeconds ?? 40);
    if (this.lease) {
      try {
        this.lease = await this.o.client.update({
          ...this.lease,
          spec: { ...this.lease.spec, ...fresh.spec, renewTime: microTime(now) },
          metadata: { ...this.lease.metadata, ownerReferences: fresh.metadata?.ownerReferences },
        });
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    try {
      this.lease = await this.o.client.create(fresh);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const cur = await this.o.client.get('Lease', NODE_LEASE_NAMESPACE, this.name);
      this.lease = await this.o.client.update({
        ...cur,
        kind: 'Lease',
        spec: { ...cur.spec, ...fresh.spec },
        metadata: { ...cur.metadata, ownerReferences: fresh.metadata?.ownerReferences },
      });
    }
  }

  private async writeNode(node: Node, part: 'spec' | 'status', change: (cur: Node) => Node): Promise<Node> {
    let cur = node;
    for (let attempt = 0; ; attempt++) {
      try {
        return part === 'status' ? await this.o.client.updateStatus(change(cur)) : await this.o.client.update(change(cur));
      } catch (err) {
        if (!isConflict(err) || attempt >= WRITE_ATTEMPTS) throw err;
      }
      cur = await this.o.client.get('Node', undefined, this.name);
    }
  }
}
