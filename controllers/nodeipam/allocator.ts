// Pod CIDRs for Nodes: the cluster CIDR cut into equal blocks, each held by
// at most one Node. Pure bookkeeping, no I/O: the controller tells it what
// every Node carries (observe), asks it for a free block (allocate) and says
// when a Node is gone (release). The used set is never persisted anywhere
// else: it is rebuilt from the Nodes themselves, so a restarted controller
// starts from exactly what is assigned.
import { ApiError } from '../../lib/errors.js';
import { formatCidr, overlaps, parseCidr, tryParseCidr, type Cidr } from '../../lib/ipv4.js';

export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
/** A /31 or /32 leaves no address for a pod besides the gateway. */
export const MAX_NODE_CIDR_MASK_SIZE = 30;
/** At most 2^16 blocks, as Kubernetes allows. */
export const MAX_MASK_SIZE_DIFFERENCE = 16;

/** The cluster CIDR has no free block left for a Node. */
export class CidrRangeExhaustedError extends ApiError {
  constructor(
    readonly clusterCidr: string,
    readonly maskSize: number,
    readonly blocks: number,
  ) {
    super(
      'Unavailable',
      `no pod CIDR left: all ${blocks} /${maskSize} blocks of the cluster CIDR ${clusterCidr} are held by Nodes; ` +
        'delete Nodes that are gone, or restart the controller-manager with a larger --cluster-cidr (or a larger --node-cidr-mask-size)',
    );
  }
}

/**
 * Checks --cluster-cidr and --node-cidr-mask-size together; returns every
 * problem, each saying what is allowed (empty: fine).
 */
export function nodeCidrProblems(clusterCidr: string, maskSize: number): string[] {
  const problems: string[] = [];
  const range = tryParseCidr(clusterCidr);
  if (!range || !clusterCidr.includes('/')) {
    problems.push(`--cluster-cidr "${clusterCidr}" is not an IPv4 prefix; give one like ${DEFAULT_CLUSTER_CIDR}`);
  } else if (formatCidr(range) !== clusterCidr) {
    problems.push(`--cluster-cidr "${clusterCidr}" has host bits set; did you mean ${formatCidr(range)}?`);
  }
  if (!Number.isInteger(maskSize) || maskSize < 1 || maskSize > MAX_NODE_CIDR_MASK_SIZE) {
    problems.push(`--node-cidr-mask-size must be a whole number from 1 to ${MAX_NODE_CIDR_MASK_SIZE}, got ${String(maskSize)}`);
  } else if (range) {
    if (maskSize < range.bits) {
      problems.push(`--node-cidr-mask-size ${maskSize} is shorter than the cluster CIDR's /${range.bits}; a node block must fit inside ${clusterCidr}`);
    } else if (maskSize - range.bits > MAX_MASK_SIZE_DIFFERENCE) {
      problems.push(
        `--node-cidr-mask-size ${maskSize} cuts ${clusterCidr} into 2^${maskSize - range.bits} blocks; at most 2^${MAX_MASK_SIZE_DIFFERENCE} are allowed (use a mask size of at most ${range.bits + MAX_MASK_SIZE_DIFFERENCE})`,
      );
    }
  }
  return problems;
}

/** What observe() made of a Node's CIDR. */
export type Observation =
  /** the Node has no CIDR (a block allocated for it and not yet written stays held) */
  | 'none'
  /** inside the cluster CIDR: its blocks are held by the Node */
  | 'in-range'
  /** wholly outside the cluster CIDR: left alone, holds nothing */
  | 'out-of-range'
  /** not an IPv4 prefix (e.g. IPv6): left alone, holds nothing */
  | 'unparsable';

interface Holding {
  cidr: string;
  blocks: number[];
  /** allocated here and not yet seen on the Node */
  pending: boolean;
}

export class NodeCidrAllocator {
  readonly clusterCidr: string;
  readonly maskSize: number;
  /** number of blocks in the cluster CIDR */
  readonly blocks: number;
  private readonly range: Cidr;
  private readonly blockSize: number;
  /** block index → names of the Nodes whose CIDR covers it (several only if Nodes were given overlapping CIDRs) */
  private readonly holders = new Map<number, Set<string>>();
  private readonly held = new Map<string, Holding>();
  /** where the search for a free block starts: just after the last allocation, so a released block is not handed out again at once */
  private cursor = 0;

  constructor(clusterCidr: string, maskSize: number) {
    const problems = nodeCidrProblems(clusterCidr, maskSize);
    if (problems.length) throw new ApiError('BadRequest', problems.join('; '));
    this.range = parseCidr(clusterCidr);
    this.clusterCidr = clusterCidr;
    this.maskSize = maskSize;
    this.blocks = 2 ** (maskSize - this.range.bits);
    this.blockSize = 2 ** (32 - maskSize);
  }

  /**
   * Records the CIDR `node` carries now, replacing what it held before
   * (except that a Node still without one keeps a block allocated for it and
   * not yet written). Idempotent.
   */
  observe(node: string, cidr: string | undefined): Observation {
    const had = this.held.get(node);
    if (!cidr) {
      if (had && !had.pending) this.release(node);
      return 'none';
    }
    if (had?.cidr === cidr) {
      had.pending = false;
      return 'in-range';
    }
    this.release(node);
    const parsed = tryParseCidr(cidr);
    if (!parsed) return 'unparsable';
    const blocks = this.blocksOf(parsed);
    if (!blocks.length) return 'out-of-range';
    this.hold(node, { cidr, blocks, pending: false });
    return 'in-range';
  }

  /**
   * A free block for `node`, held by it from now on. A Node that already
   * holds one (its own, or one allocated earlier and not yet written) gets
   * that one again. Throws CidrRangeExhaustedError when none is free.
   */
  allocate(node: string): string {
    const had = this.held.get(node);
    if (had) return had.cidr;
    for (let i = 0; i < this.blocks; i++) {
      const index = (this.cursor + i) % this.blocks;
      if (this.holders.has(index)) continue;
      const cidr = formatCidr({ base: this.range.base + index * this.blockSize, bits: this.maskSize });
      this.hold(node, { cidr, blocks: [index], pending: true });
      this.cursor = (index + 1) % this.blocks;
      return cidr;
    }
    throw new CidrRangeExhaustedError(this.clusterCidr, this.maskSize, this.blocks);
  }

  /** Frees whatever `node` holds (a deleted Node). Idempotent. */
  release(node: string): void {
    const had = this.held.get(node);
    if (!had) return;
    this.held.delete(node);
    for (const b of had.blocks) {
      const names = this.holders.get(b);
      names?.delete(node);
      if (names && names.size === 0) this.holders.delete(b);
    }
  }

  /** The CIDR `node` holds here, if any. */
  holding(node: string): string | undefined {
    return this.held.get(node)?.cidr;
  }

  /** Other Nodes holding any block of `node`'s CIDR (Nodes given overlapping CIDRs by hand). */
  sharing(node: string): string[] {
    const had = this.held.get(node);
    if (!had) return [];
    const others = new Set<string>();
    for (const b of had.blocks) for (const n of this.holders.get(b) ?? []) if (n !== node) others.add(n);
    return [...others].sort();
  }

  /** Blocks in use. */
  get used(): number {
    return this.holders.size;
  }

  private hold(node: string, h: Holding): void {
    this.held.set(node, h);
    for (const b of h.blocks) {
      let names = this.holders.get(b);
      if (!names) this.holders.set(b, (names = new Set()));
      names.add(node);
    }
  }

  /** Indices of the blocks `c` covers, in part or whole; none when it lies outside the cluster CIDR. */
  private blocksOf(c: Cidr): number[] {
    if (!overlaps(c, this.range)) return [];
    const start = Math.max(c.base, this.range.base) - this.range.base;
    const end = Math.min(c.base + 2 ** (32 - c.bits), this.range.base + 2 ** (32 - this.range.bits)) - this.range.base;
    const out: number[] = [];
    for (let b = Math.floor(start / this.blockSize); b * this.blockSize < end; b++) out.push(b);
    return out;
  }
}
