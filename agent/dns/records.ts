// Cluster DNS names to records, from Services and Endpoints. Pure: the server
// hands each question here with a view of its caches.
//
//   <svc>.<ns>.svc.<zone>              A: the cluster IP; headless: every ready endpoint IP
//   <host>.<svc>.<ns>.svc.<zone>       A: one endpoint of a headless service, by hostname or a-b-c-d
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV for a named port
//   <a-b-c-d>.<ns>.pod.<zone>          A: a.b.c.d
//   d.c.b.a.in-addr.arpa               PTR of a cluster IP or headless endpoint
// Anything else outside the zone is NXDOMAIN at once: there is nothing to
// forward to (a node reaches no network beyond the machine), and a clear
// "no such name" beats a resolver timing out.
import { isIPv4 } from 'node:net';
import type { Answer, Question, SoaAnswer } from 'dns-packet';
import type { EndpointAddress, Endpoints, Service } from '../../lib/api/generated/types.js';

export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

export const RCODE_NUMBER: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

export interface Resolution {
  rcode: Rcode;
  /** true for names in the cluster zone (and reverse names we know) */
  authoritative: boolean;
  answers: Answer[];
  /** SOA of the zone on negative answers, so resolvers cache them briefly */
  authorities: Answer[];
  /** A records of SRV targets */
  additionals: Answer[];
}

/** What the resolver needs from the Services/Endpoints caches. */
export interface ServiceView {
  service(namespace: string, name: string): Service | undefined;
  endpoints(namespace: string, name: string): Endpoints | undefined;
  /** whether any Service exists in the namespace (so `<ns>.svc.<zone>` exists as a name) */
  hasNamespace(namespace: string): boolean;
  /** every Service, for reverse lookups */
  services(): Iterable<Service>;
}

export interface ResolveOptions {
  /** cluster domain, default cluster.local */
  zone?: string;
  /** TTL of every record, s (default 5: endpoints change often) */
  ttl?: number;
}

export const DEFAULT_TTL = 5;

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

function soa(zone: string, ttl: number): SoaAnswer {
  return {
    type: 'SOA',
    name: zone,
    ttl,
    class: 'IN',
    data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

function isHeadless(svc: Service): boolean {
  return (svc.spec?.clusterIP ?? '') === 'None' || !svc.spec?.clusterIP;
}

function dashed(ip: string): string {
  return ip.replace(/\./g, '-');
}

function undashed(label: string): string | undefined {
  const ip = label.replace(/-/g, '.');
  return isIPv4(ip) && label.split('-').length === 4 ? ip : undefined;
}

/** Ready addresses of a service's endpoints, each once, in a stable order. */
function readyAddresses(ep: Endpoints | undefined): EndpointAddress[] {
  const seen = new Map<string, EndpointAddress>();
  for (const s of ep?.subsets ?? []) for (const a of s.addresses ?? []) if (a.ip && isIPv4(a.ip) && !seen.has(a.ip)) seen.set(a.ip, a);
  return Array.from(seen.values());
}

function endpointLabel(a: EndpointAddress): string {
  return a.hostname ? a.hostname.toLowerCase() : dashed(a.ip!);
}

export function resolve(q: Pick<Question, 'name' | 'type'>, view: ServiceView, opts: ResolveOptions = {}): Resolution {
  const zone = normaliseName(opts.zone ?? 'cluster.local');
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const name = normaliseName(q.name);
  const out: Resolution = { rcode: 'NOERROR', authoritative: true, answers: [], authorities: [], additionals: [] };
  const nxdomain = (): Resolution => ({ ...out, rcode: 'NXDOMAIN', authorities: [soa(zone, ttl)] });
  const nodata = (): Resolution => ({ ...out, authorities: [soa(zone, ttl)] });
  const a = (owner: string, ip: string): Answer => ({ type: 'A', name: owner, ttl, class: 'IN', data: ip });
  const wants = (t: string) => q.type === t || (q.type as string) === 'ANY';

  if (name.endsWith('.in-addr.arpa')) return reverse(name, q.type, view, zone, ttl);
  if (name !== zone && !name.endsWith(`.${zone}`)) return { ...out, rcode: 'NXDOMAIN', authoritative: false };

  const rel = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.');
  if (rel.length === 0) {
    if (wants('SOA')) return { ...out, answers: [soa(zone, ttl)] };
    return nodata();
  }
  const kind = rel[rel.length - 1];

  if (kind === 'pod') {
    if (rel.length === 1) return nodata();
    if (rel.length !== 3) return nxdomain();
    const ip = undashed(rel[0]!);
    if (!ip) return nxdomain();
    return wants('A') ? { ...out, answers: [a(name, ip)] } : nodata();
  }
  if (kind !== 'svc') return nxdomain();
  if (rel.length === 1) return nodata();
  const ns = rel[rel.length - 2]!;
  if (rel.length === 2) return view.hasNamespace(ns) ? nodata() : nxdomain();

  const svcName = rel[rel.length - 3]!;
  const svc = view.service(ns, svcName);
  if (!svc || svc.spec?.type === 'ExternalName') return nxdomain();
  const svcFqdn = `${svcName}.${ns}.svc.${zone}`;
  const headless = isHeadless(svc);

  if (rel.length === 3) {
    if (!wants('A')) return nodata();
    if (!headless) return isIPv4(svc.spec!.clusterIP!) ? { ...out, answers: [a(name, svc.spec!.clusterIP!)] } : nodata();
    const addrs = readyAddresses(view.endpoints(ns, svcName));
    return addrs.length ? { ...out, answers: addrs.map((x) => a(name, x.ip!)) } : nodata();
  }

  if (rel.length === 4) {
    // One endpoint of a headless service, by its hostname or its dashed IP.
    if (!headless) return nxdomain();
    const label = rel[0]!;
    const hit = readyAddresses(view.endpoints(ns, svcName)).find((x) => endpointLabel(x) === label || dashed(x.ip!) === label);
    if (!hit) return nxdomain();
    return wants('A') ? { ...out, answers: [a(name, hit.ip!)] } : nodata();
  }

  if (rel.length === 5 && rel[0]!.startsWith('_') && rel[1]!.startsWith('_')) {
    const portName = rel[0]!.slice(1);
    const proto = rel[1]!.slice(1).toUpperCase();
    const port = (svc.spec?.ports ?? []).find((p) => (p.name ?? '').toLowerCase() === portName && (p.protocol || 'TCP') === proto);
    if (!port) return nxdomain();
    if (!wants('SRV')) return nodata();
    if (!headless) {
      return {
        ...out,
        answers: [{ type: 'SRV', name, ttl, class: 'IN', data: { priority: 0, weight: 100, port: port.port!, target: svcFqdn } }],
        additionals: isIPv4(svc.spec!.clusterIP!) ? [a(svcFqdn, svc.spec!.clusterIP!)] : [],
      };
    }
    // Headless: one SRV per ready endpoint, with the port the pod itself listens on.
    const res: Resolution = { ...out, answers: [], additionals: [] };
    const ep = view.endpoints(ns, svcName);
    for (const subset of ep?.subsets ?? []) {
      const epPort = (subset.ports ?? []).find((p) => (p.name ?? '').toLowerCase() === portName && (p.protocol || 'TCP') === proto);
      if (!epPort?.port) continue;
      for (const addr of subset.addresses ?? []) {
        if (!addr.ip || !isIPv4(addr.ip)) continue;
        const target = `${endpointLabel(addr)}.${svcFqdn}`;
        res.answers.push({ type: 'SRV', name, ttl, class: 'IN', data: { priority: 0, weight: 100, port: epPort.port, target } });
        res.additionals.push(a(target, addr.ip));
      }
    }
    return res.answers.length ? res : nodata();
  }
  return nxdomain();
}

function reverse(name: string, type: string, view: ServiceView, zone: string, ttl: number): Resolution {
  const out: Resolution = { rcode: 'NXDOMAIN', authoritative: false, answers: [], authorities: [], additionals: [] };
  const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
  if (octets.length !== 4) return out;
  const ip = octets.reverse().join('.');
  if (!isIPv4(ip)) return out;
  const targets: string[] = [];
  for (const svc of view.services()) {
    const ns = svc.metadata?.namespace || 'default';
    const svcName = svc.metadata?.name ?? '';
    const fqdn = `${svcName}.${ns}.svc.${zone}`;
    if (svc.spec?.clusterIP === ip) targets.push(fqdn);
    else if (isHeadless(svc)) {
      const hit = readyAddresses(view.endpoints(ns, svcName)).find((x) => x.ip === ip);
      if (hit) targets.push(`${endpointLabel(hit)}.${fqdn}`);
    }
  }
  if (targets.length === 0) return out;
  const res: Resolution = { ...out, rcode: 'NOERROR', authoritative: true };
  if (type === 'PTR' || type === 'ANY') res.answers = targets.sort().map((t) => ({ type: 'PTR', name, ttl, class: 'IN', data: t }));
  return res;
}
