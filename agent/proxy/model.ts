// What the proxy must program, derived from Services and Endpoints alone: one
// entry per service port that has a virtual address, with the ready endpoints
// it balances across. Pure, so the rules can be tested without a kernel.
import { isIPv4 } from 'node:net';
import type { Endpoints, Service } from '../../lib/api/generated/types.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface Endpoint {
  ip: string;
  port: number;
}

export interface ServicePortEntry {
  /** `namespace/name:portName` (portName is empty for a service's single unnamed port); unique per entry with protocol */
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** set for NodePort and LoadBalancer services */
  nodePort?: number;
  /** ready endpoints, sorted and without duplicates */
  endpoints: Endpoint[];
}

const PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);

/** Whether the proxy programs anything for this service (headless and ExternalName services have no virtual IP). */
export function hasVirtualIP(svc: Service): boolean {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return false;
  const ip = spec.clusterIP ?? '';
  // IPv4 only: the rules are written with iptables, not ip6tables.
  return ip !== 'None' && isIPv4(ip);
}

/**
 * The ready endpoints of one service port: the Endpoints object lists ports
 * by the service port's name (that is how a named targetPort reaches each
 * pod's own container port number), so match on name and protocol.
 */
export function readyEndpointsFor(ep: Endpoints | undefined, portName: string, protocol: Protocol): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const subset of ep?.subsets ?? []) {
    const port = (subset.ports ?? []).find((p) => (p.name ?? '') === portName && ((p.protocol || 'TCP') as string) === protocol);
    if (!port?.port) continue;
    for (const addr of subset.addresses ?? []) {
      if (!addr.ip || !isIPv4(addr.ip)) continue;
      seen.set(`${addr.ip}:${port.port}`, { ip: addr.ip, port: port.port });
    }
  }
  return Array.from(seen.values()).sort(compareEndpoints);
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const ka = ipKey(a.ip);
  const kb = ipKey(b.ip);
  return ka !== kb ? ka - kb : a.port - b.port;
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/**
 * Every service port to program, in a stable order (namespace, name, port
 * name, protocol), so the same cluster state always renders the same rules.
 * endpointsOf looks up the Endpoints object of a service by "namespace/name".
 */
export function buildServiceModel(services: Iterable<Service>, endpointsOf: (key: string) => Endpoints | undefined): ServicePortEntry[] {
  const out: ServicePortEntry[] = [];
  for (const svc of services) {
    if (!hasVirtualIP(svc)) continue;
    const namespace = svc.metadata?.namespace || 'default';
    const name = svc.metadata?.name ?? '';
    if (!name) continue;
    const spec = svc.spec ?? {};
    const usesNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const ep = endpointsOf(`${namespace}/${name}`);
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol || 'TCP') as Protocol;
      if (!PROTOCOLS.has(protocol) || !p.port) continue;
      const portName = p.name ?? '';
      out.push({
        id: `${namespace}/${name}:${portName}`,
        namespace,
        name,
        portName,
        protocol,
        clusterIP: spec.clusterIP!,
        port: p.port,
        ...(usesNodePorts && p.nodePort ? { nodePort: p.nodePort } : {}),
        endpoints: readyEndpointsFor(ep, portName, protocol),
      });
    }
  }
  return out.sort((a, b) => (a.id === b.id ? cmp(a.protocol, b.protocol) : cmp(a.id, b.id)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A conntrack entry that must go because its endpoint no longer serves (UDP has no connection to reset). */
export interface StaleFlow {
  protocol: 'UDP';
  /** the address clients sent to: a cluster IP (with port) or any local address (node port) */
  origDst?: string;
  origPort: number;
  /** the endpoint the flow was translated to; absent: every flow to origDst:origPort */
  dnatTo?: string;
}

/**
 * UDP flows to clear after a change: flows to endpoints that left a service
 * (they would keep going to a dead pod), and flows of a service that had no
 * endpoints (the kernel remembers the rejected "connection" and would keep
 * the client away from the new endpoints).
 */
export function staleUdpFlows(before: ServicePortEntry[], after: ServicePortEntry[]): StaleFlow[] {
  const prev = new Map(before.filter((e) => e.protocol === 'UDP').map((e) => [e.id, e]));
  const out: StaleFlow[] = [];
  for (const now of after) {
    if (now.protocol !== 'UDP') continue;
    const was = prev.get(now.id);
    prev.delete(now.id);
    if (!was) continue;
    if (was.endpoints.length === 0 && now.endpoints.length > 0) {
      out.push({ protocol: 'UDP', origDst: now.clusterIP, origPort: now.port });
      if (now.nodePort) out.push({ protocol: 'UDP', origPort: now.nodePort });
      continue;
    }
    const still = new Set(now.endpoints.map((e) => e.ip));
    for (const ip of new Set(was.endpoints.map((e) => e.ip))) {
      if (still.has(ip)) continue;
      out.push({ protocol: 'UDP', origDst: was.clusterIP, origPort: was.port, dnatTo: ip });
      if (was.nodePort) out.push({ protocol: 'UDP', origPort: was.nodePort, dnatTo: ip });
    }
  }
  // Services that went away altogether: their flows must not linger either.
  for (const was of prev.values()) {
    for (const ip of new Set(was.endpoints.map((e) => e.ip))) {
      out.push({ protocol: 'UDP', origDst: was.clusterIP, origPort: was.port, dnatTo: ip });
      if (was.nodePort) out.push({ protocol: 'UDP', origPort: was.nodePort, dnatTo: ip });
    }
  }
  return out;
}
