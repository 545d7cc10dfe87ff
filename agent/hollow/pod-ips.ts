// Fake pod IPs for hollow nodes: each node gets a /24 out of 100.64.0.0/10
// (shared address space, never routed here, so a fake IP cannot collide with
// anything real) and hands out addresses from it. Nothing is configured on
// any interface.

const BASE = (100 << 24) | (64 << 16); // 100.64.0.0
const SLOTS = 1 << 14; // /24s in a /10

/** In-process claims, so hollow nodes started together never pick the same range. */
const claimed = new Set<number>();

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function slotCidr(slot: number): string {
  const n = (BASE + slot * 256) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.0/24`;
}

/**
 * A /24 for the node, derived from its name (so a restarted hollow node gets
 * the same one) and distinct from the ranges of other hollow nodes in this
 * process. Separate processes can, rarely, collide: pass --pod-cidr there.
 */
export function claimPodCIDR(nodeName: string): string {
  let slot = fnv1a(nodeName) % SLOTS;
  for (let i = 0; i < SLOTS && claimed.has(slot); i++) slot = (slot + 1) % SLOTS;
  claimed.add(slot);
  return slotCidr(slot);
}

/** Gives a range back when its hollow node stops. */
export function releasePodCIDR(cidr: string): void {
  const m = /^(\d+)\.(\d+)\.(\d+)\.0\/24$/.exec(cidr);
  if (!m) return;
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8)) >>> 0;
  claimed.delete((n - BASE) / 256);
}

/** Addresses .2–.254 of a /24, one per pod uid; the same uid keeps its address. */
export class PodIPAllocator {
  private readonly prefix: string;
  private readonly byUid = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(cidr: string) {
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!m) throw new Error(`hollow pod CIDR must be a /24 such as 100.64.7.0/24, got "${cidr}"`);
    this.prefix = m[1]!;
  }

  contains(ip: string | undefined): boolean {
    if (!ip?.startsWith(`${this.prefix}.`)) return false;
    const last = Number(ip.slice(this.prefix.length + 1));
    return Number.isInteger(last) && last >= 2 && last <= 254;
  }

  /** Keeps the address a pod already has (after a restart), if it is ours and free. */
  adopt(uid: string, ip: string | undefined): void {
    if (this.byUid.has(uid) || !this.contains(ip) || this.used.has(ip!)) return;
    this.byUid.set(uid, ip!);
    this.used.add(ip!);
  }

  /** The pod's address, allocating the lowest free one; undefined when the range is full. */
  ipFor(uid: string): string | undefined {
    const have = this.byUid.get(uid);
    if (have) return have;
    for (let last = 2; last <= 254; last++) {
      const ip = `${this.prefix}.${last}`;
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.byUid.set(uid, ip);
      return ip;
    }
    return undefined;
  }

  release(uid: string): void {
    const ip = this.byUid.get(uid);
    if (!ip) return;
    this.byUid.delete(uid);
    this.used.delete(ip);
  }

  get size(): number {
    return this.byUid.size;
  }
}
