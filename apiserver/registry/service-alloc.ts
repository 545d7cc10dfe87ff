// Cluster IPs and node ports for Services. Each one handed out is an etcd
// key (/registry/ranges/...) created in the same transaction as the Service
// and removed in the same transaction as its deletion, so no two Services
// ever share one and an apiserver restart neither leaks nor forgets any.
import type { Etcd3 } from 'etcd3';
import type { Service, ServicePort } from '../../lib/api/generated/types.js';
import { invalid, type FieldCause } from '../../lib/errors.js';
import type { SideKeys } from '../storage/etcd-store.js';

const IP_PREFIX = '/registry/ranges/serviceips/';
const PORT_PREFIX = '/registry/ranges/servicenodeports/';

export interface ServiceRanges {
  /** e.g. 10.96.0.0/16 */
  clusterIPRange: string;
  /** e.g. [30000, 32767] */
  nodePortRange: [number, number];
}
export const DEFAULT_SERVICE_RANGES: ServiceRanges = { clusterIPRange: '10.96.0.0/16', nodePortRange: [30000, 32767] };

export function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  base: number;
  size: number;
  text: string;
}
export function parseCidr(text: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text);
  const bits = m ? Number(m[2]) : NaN;
  if (!m || bits < 8 || bits > 30) throw new Error(`service cluster IP range "${text}" must be an IPv4 CIDR between /8 and /30, e.g. 10.96.0.0/16`);
  const size = 2 ** (32 - bits);
  return { base: (ipToInt(m[1]!) & ~(size - 1)) >>> 0, size, text };
}

function usesClusterIP(svc: Service): boolean {
  return (svc.spec?.type || 'ClusterIP') !== 'ExternalName' && svc.spec?.clusterIP !== 'None';
}
function usesNodePorts(svc: Service): boolean {
  return svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
}

/** Reservation keys a stored Service holds. */
export function reservationKeys(svc: Service): string[] {
  const keys: string[] = [];
  if (usesClusterIP(svc) && svc.spec?.clusterIP) keys.push(IP_PREFIX + svc.spec.clusterIP);
  if (usesNodePorts(svc)) for (const p of svc.spec?.ports ?? []) if (p.nodePort) keys.push(`${PORT_PREFIX}${p.nodePort}/${p.protocol || 'TCP'}`);
  return keys;
}

export interface AllocationPlan {
  svc: Service;
  side: SideKeys;
}

/**
 * Pure: fills in the cluster IP and node ports `next` needs, given what is
 * taken, and lists the keys to reserve and release relative to `old`.
 * Explicit values outside the ranges or already taken are Invalid.
 */
export function planAllocation(
  next: Service,
  old: Service | undefined,
  taken: { ips: Set<string>; ports: Set<string> },
  ranges: ServiceRanges,
  random: () => number = Math.random,
): AllocationPlan {
  const svc: Service = { ...next, spec: { ...next.spec, ports: (next.spec?.ports ?? []).map((p) => ({ ...p })) } };
  const spec = svc.spec!;
  const held = new Set(old ? reservationKeys(old) : []);
  const causes: FieldCause[] = [];
  const owner = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
  const reserve: Record<string, string> = {};

  if (usesClusterIP(svc)) {
    const cidr = parseCidr(ranges.clusterIPRange);
    if (!spec.clusterIP) {
      // network and broadcast addresses are never handed out
      const free = cidr.size - 2 - taken.ips.size;
      if (free <= 0) throw invalid(`Service "${svc.metadata?.name}"`, [{ field: 'spec.clusterIP', message: `no free IP left in ${cidr.text}; delete unused Services` }]);
      let ip: string;
      do ip = intToIp(cidr.base + 1 + Math.floor(random() * (cidr.size - 2)));
      while (taken.ips.has(ip));
      spec.clusterIP = ip;
    } else {
      const n = ipToInt(spec.clusterIP);
      if (n <= cidr.base || n >= cidr.base + cidr.size - 1) {
        causes.push({ field: 'spec.clusterIP', message: `Invalid value: "${spec.clusterIP}": provided IP is not in the valid range. The range of valid IPs is ${cidr.text}` });
      } else if (!held.has(IP_PREFIX + spec.clusterIP) && taken.ips.has(spec.clusterIP)) {
        causes.push({ field: 'spec.clusterIP', message: `Invalid value: "${spec.clusterIP}": provided IP is already allocated` });
      }
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  if (usesNodePorts(svc)) {
    const [lo, hi] = ranges.nodePortRange;
    const mine = new Set<string>();
    spec.ports!.forEach((p: ServicePort, i) => {
      const proto = p.protocol || 'TCP';
      if (!p.nodePort) {
        let port: number;
        let tries = 0;
        do {
          port = lo + Math.floor(random() * (hi - lo + 1));
          if (++tries > 100_000) {
            causes.push({ field: `spec.ports[${i}].nodePort`, message: `no free node port left in ${lo}-${hi}` });
            return;
          }
        } while (taken.ports.has(`${port}/${proto}`) || mine.has(`${port}/${proto}`));
        p.nodePort = port;
      } else if (!held.has(`${PORT_PREFIX}${p.nodePort}/${proto}`) && taken.ports.has(`${p.nodePort}/${proto}`)) {
        causes.push({ field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: provided port is already allocated` });
      }
      mine.add(`${p.nodePort}/${proto}`);
    });
  }
  if (causes.length) throw invalid(`Service "${svc.metadata?.name}"`, causes);

  const wanted = new Set(reservationKeys(svc));
  for (const k of wanted) if (!held.has(k)) reserve[k] = owner;
  const release = [...held].filter((k) => !wanted.has(k));
  return { svc, side: { reserve, release } };
}

/** What is taken now, read from etcd. */
export async function readTaken(etcd: Etcd3): Promise<{ ips: Set<string>; ports: Set<string> }> {
  const [ips, ports] = await Promise.all([etcd.getAll().prefix(IP_PREFIX).keys(), etcd.getAll().prefix(PORT_PREFIX).keys()]);
  return { ips: new Set(ips.map((k) => k.slice(IP_PREFIX.length))), ports: new Set(ports.map((k) => k.slice(PORT_PREFIX.length))) };
}
