// IPv4 addresses and prefixes as numbers: enough to pick a free node subnet,
// carve pod CIDRs out of the cluster CIDR, and decide routes between nodes.
import { ApiError } from './errors.js';

export interface Cidr {
  /** network address as an unsigned 32-bit number */
  base: number;
  bits: number;
}

export function parseIpv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new ApiError('BadRequest', `"${s}" is not an IPv4 address (expected four numbers 0-255, e.g. 10.250.3.1)`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** `10.250.3.0/24` (a bare address is a /32); the base is masked to the prefix. */
export function parseCidr(s: string): Cidr {
  const [addr, len, ...rest] = s.split('/');
  const bits = rest.length ? NaN : len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new ApiError('BadRequest', `"${s}" is not an IPv4 prefix (expected ADDRESS/0-32)`);
  }
  const size = 2 ** (32 - bits);
  return { base: Math.floor(parseIpv4(addr!) / size) * size, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.bits}`;
}

/** Whether two prefixes share any address (one contains the other). */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits);
  const bEnd = b.base + 2 ** (32 - b.bits);
  return a.base < bEnd && b.base < aEnd;
}

/** Whether `inner` lies wholly inside `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.bits >= outer.bits && overlaps(outer, inner);
}

/** Whether the address (a number from parseIpv4) lies in the prefix. */
export function containsAddress(c: Cidr, address: number): boolean {
  return address >= c.base && address < c.base + 2 ** (32 - c.bits);
}

/** parseCidr, or undefined for anything that is not an IPv4 prefix. */
export function tryParseCidr(s: string | undefined): Cidr | undefined {
  if (!s) return undefined;
  try {
    return parseCidr(s);
  } catch {
    return undefined;
  }
}
