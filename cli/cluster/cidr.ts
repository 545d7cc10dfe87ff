// IPv4 addresses and prefixes as numbers, enough to pick a free node subnet
// and to lay out addresses inside it.
import { ApiError } from '../../lib/errors.js';

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
  const [addr, len] = s.split('/');
  const bits = len === undefined ? 32 : Number(len);
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
