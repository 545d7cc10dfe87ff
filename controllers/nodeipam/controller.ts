// The node IPAM controller: gives every Node without a pod CIDR a free block
// of the cluster CIDR (spec.podCIDR and spec.podCIDRs), the way Kubernetes'
// range allocator does with --allocate-node-cidrs. Agents wait for it before
// they run pods. Bookkeeping is in allocator.ts.
//
// - The used set comes from the Nodes: every Node seen (add, update) has its
//   CIDR recorded before any worker allocates (workers start after the cache
//   has synced), so a restarted controller never hands out a block twice.
// - CIDRs already on a Node (an agent's --pod-cidr, a hollow node's) are
//   kept; ones outside the cluster CIDR are left alone and hold nothing.
// - Writes are updates carrying the Node's resourceVersion: a Conflict is
//   retried through the queue, with the same block, once the cache is newer.
// - A full range is a Warning event (CIDRNotAvailable) on the Node; the Node
//   is looked at again every 30 s and as soon as another Node is deleted.
import type { Node } from '../../lib/api/generated/types.js';
import type { EventRecorder } from '../../lib/events.js';
import { isNotFound } from '../../lib/errors.js';
import { waitForCacheSync, type Informer } from '../../lib/informer/index.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import type { ControllerContext } from '../context.js';
import { CidrRangeExhaustedError, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, NodeCidrAllocator, type Observation } from './allocator.js';

export const COMPONENT = 'node-ipam-controller';
/** A Node waiting on a full range is looked at again this often (and at once when another Node is deleted). */
const EXHAUSTED_RETRY_MS = 30_000;

export interface NodeIpamOptions {
  /** --allocate-node-cidrs: give Nodes pod CIDRs at all (default true) */
  allocateNodeCidrs?: boolean;
  /** --cluster-cidr (default 10.244.0.0/16) */
  clusterCidr?: string;
  /** --node-cidr-mask-size (default 24) */
  nodeCidrMaskSize?: number;
  workers?: number;
}

/** The pod CIDR a Node carries (the first of spec.podCIDRs when only that list is set). */
export function nodePodCidr(n: Node): string | undefined {
  return n.spec?.podCIDR || n.spec?.podCIDRs?.[0] || undefined;
}

export class NodeIpamController {
  readonly queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 30_000 });
  readonly allocator: NodeCidrAllocator;
  private readonly nodes: Informer<Node>;
  private readonly recorder: EventRecorder;
  private readonly workers: number;
  /** node → the CIDR last reported as left alone, so that is logged once, not at every heartbeat */
  private readonly leftAlone = new Map<string, string>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeIpamOptions = {},
  ) {
    this.allocator = new NodeCidrAllocator(opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR, opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE);
    this.workers = opts.workers ?? 1;
    this.recorder = ctx.recorder(COMPONENT);
    this.nodes = ctx.informers.informer('Node');
    this.nodes.onAdd((n) => this.observe(n));
    this.nodes.onUpdate((old, n) => {
      // Deleted and created again under the same name, between two events we saw.
      if (old.metadata?.uid !== n.metadata?.uid) this.forget(n.metadata?.name ?? '');
      this.observe(n);
    });
    this.nodes.onDelete((n) => this.forget(n.metadata?.name ?? ''));
  }

  async run(): Promise<void> {
    const signal = this.ctx.stopSignal;
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      if (!(await waitForCacheSync([this.nodes], signal))) return;
      const nodes = this.nodes.list();
      this.ctx.log.info(
        { clusterCidr: this.allocator.clusterCidr, nodeCidrMaskSize: this.allocator.maskSize, nodes: nodes.length, blocksInUse: this.allocator.used, blocks: this.allocator.blocks },
        'node CIDR allocation running',
      );
      await runWorkers(this.queue, (name) => this.sync(name), { workers: this.workers, log: this.ctx.log });
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private observe(n: Node): void {
    const name = n.metadata?.name ?? '';
    const cidr = nodePodCidr(n);
    const seen: Observation = this.allocator.observe(name, cidr);
    if (seen === 'out-of-range' || seen === 'unparsable') {
      if (this.leftAlone.get(name) !== cidr) {
        this.leftAlone.set(name, cidr!);
        this.ctx.log.info({ node: name, podCIDR: cidr, clusterCidr: this.allocator.clusterCidr }, seen === 'out-of-range' ? 'node pod CIDR is outside the cluster CIDR; leaving it alone' : 'node pod CIDR is not an IPv4 prefix; leaving it alone');
      }
    } else if (seen === 'in-range') {
      const sharing = this.allocator.sharing(name);
      if (sharing.length) this.ctx.log.warn({ node: name, podCIDR: cidr, alsoHeldBy: sharing }, 'nodes were given overlapping pod CIDRs; pods on them will not reach each other reliably');
    }
    if (!cidr && !n.metadata?.deletionTimestamp) this.queue.add(name);
  }

  private forget(name: string): void {
    this.leftAlone.delete(name);
    if (!this.allocator.holding(name)) return;
    this.allocator.release(name);
    // A block came free: Nodes waiting on a full range can have it now.
    for (const n of this.nodes.list()) if (!nodePodCidr(n)) this.queue.add(n.metadata?.name ?? '');
  }

  async sync(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node || node.metadata?.deletionTimestamp || nodePodCidr(node)) return;
    let cidr: string;
    try {
      cidr = this.allocator.allocate(name);
    } catch (err) {
      if (!(err instanceof CidrRangeExhaustedError)) throw err;
      // Not a failure of this sync to back off from: nothing changes until a Node goes (forget() requeues then).
      this.ctx.log.warn({ node: name, err: err.message }, 'no pod CIDR left for node');
      void this.recorder.event(node, 'Warning', 'CIDRNotAvailable', `Node ${name} has no pod CIDR: ${err.message}`);
      this.queue.addAfter(name, EXHAUSTED_RETRY_MS);
      return;
    }
    try {
      await this.ctx.client.update<Node>({ ...node, kind: 'Node', spec: { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] } });
    } catch (err) {
      if (isNotFound(err)) {
        this.allocator.release(name);
        return;
      }
      // Conflict (the cache is behind): the block stays held for this Node, and the retry writes it on the newer object.
      throw err;
    }
    this.ctx.log.info({ node: name, podCIDR: cidr }, 'assigned pod CIDR to node');
  }
}
