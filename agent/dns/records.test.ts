// Names to answers, and the message rules around them, without sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import type { Endpoints, Service } from '../../lib/api/generated/types.js';
import { resolve, type ServiceView } from './records.js';
import { respond } from './wire.js';

function view(services: Service[], endpoints: Endpoints[]): ServiceView {
  const key = (o: Service | Endpoints) => `${o.metadata!.namespace}/${o.metadata!.name}`;
  const s = new Map(services.map((x) => [key(x), x]));
  const e = new Map(endpoints.map((x) => [key(x), x]));
  return {
    service: (ns, n) => s.get(`${ns}/${n}`),
    endpoints: (ns, n) => e.get(`${ns}/${n}`),
    hasNamespace: (ns) => services.some((x) => x.metadata!.namespace === ns),
    services: () => services,
  };
}

const cluster = view(
  [
    { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    {
      metadata: { name: 'db', namespace: 'data' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
    },
    { metadata: { name: 'lonely', namespace: 'data' }, spec: { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] } },
  ],
  [
    {
      metadata: { name: 'db', namespace: 'data' },
      subsets: [
        {
          addresses: [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.2.6' }],
          notReadyAddresses: [{ ip: '10.244.3.7' }],
          ports: [{ name: 'pg', port: 5433 }],
        },
      ],
    },
  ],
);

const ask = (name: string, type = 'A') => resolve({ name, type: type as 'A' }, cluster);
const data = (r: ReturnType<typeof ask>) => r.answers.map((a) => ('data' in a ? a.data : undefined));

test('a service name resolves to its cluster IP, fully qualified, any case, with or without the final dot', () => {
  for (const name of ['web.default.svc.cluster.local', 'WEB.Default.svc.cluster.local.']) {
    const r = ask(name);
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.authoritative, true);
    assert.deepEqual(data(r), ['10.96.0.10']);
    assert.equal((r.answers[0] as { ttl?: number }).ttl, 5);
  }
  assert.deepEqual(data(resolve({ name: 'web.default.svc.tug.internal', type: 'A' }, cluster, { zone: 'tug.internal' })), ['10.96.0.10']);
});

test('a headless service resolves to its ready endpoints only; one endpoint by hostname or dashed IP', () => {
  assert.deepEqual(data(ask('db.data.svc.cluster.local')), ['10.244.1.5', '10.244.2.6']);
  assert.deepEqual(data(ask('db-0.db.data.svc.cluster.local')), ['10.244.1.5']);
  assert.deepEqual(data(ask('10-244-2-6.db.data.svc.cluster.local')), ['10.244.2.6']);
  assert.equal(ask('10-244-3-7.db.data.svc.cluster.local').rcode, 'NXDOMAIN', 'not-ready endpoints are not published');
  const none = ask('lonely.data.svc.cluster.local');
  assert.equal(none.rcode, 'NOERROR');
  assert.deepEqual(none.answers, []);
});

test('names outside the cluster domain are NXDOMAIN at once, not authoritative', () => {
  for (const name of ['example.com', 'web', 'web.default', 'web.default.svc', 'local', 'cluster.local.example.com']) {
    const r = ask(name);
    assert.equal(r.rcode, 'NXDOMAIN', name);
    assert.equal(r.authoritative, false, name);
  }
});

test('unknown names inside the zone are NXDOMAIN with the SOA; existing names of another type are empty NOERROR', () => {
  const missing = ask('nope.default.svc.cluster.local');
  assert.equal(missing.rcode, 'NXDOMAIN');
  assert.equal(missing.authorities[0]?.type, 'SOA');
  // The search path tries web.default.default.svc.cluster.local first, for a query of "web.default": must be NXDOMAIN.
  assert.equal(ask('web.default.default.svc.cluster.local').rcode, 'NXDOMAIN');
  assert.equal(ask('web.nosuchns.svc.cluster.local').rcode, 'NXDOMAIN');
  assert.equal(ask('nosuchns.svc.cluster.local').rcode, 'NXDOMAIN');
  assert.equal(ask('data.svc.cluster.local').rcode, 'NOERROR');
  const aaaa = ask('web.default.svc.cluster.local', 'AAAA');
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
  assert.equal(aaaa.authorities[0]?.type, 'SOA');
  assert.equal(ask('cluster.local', 'SOA').answers[0]?.type, 'SOA');
});

test('SRV for named ports: the service port behind the cluster IP; for headless, each endpoint and its own port', () => {
  const r = ask('_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.deepEqual(data(r), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  assert.deepEqual(data({ ...r, answers: r.additionals }), ['10.96.0.10']);
  const h = ask('_pg._tcp.db.data.svc.cluster.local', 'SRV');
  assert.deepEqual(
    h.answers.map((a) => ('data' in a ? (a.data as { target: string; port: number }) : undefined)).map((d) => `${d!.target}:${d!.port}`),
    ['db-0.db.data.svc.cluster.local:5433', '10-244-2-6.db.data.svc.cluster.local:5433'],
  );
  assert.equal(ask('_nope._tcp.web.default.svc.cluster.local', 'SRV').rcode, 'NXDOMAIN');
  assert.equal(ask('_http._udp.web.default.svc.cluster.local', 'SRV').rcode, 'NXDOMAIN');
});

test('pod names and PTR records', () => {
  assert.deepEqual(data(ask('10-244-1-9.default.pod.cluster.local')), ['10.244.1.9']);
  assert.equal(ask('10-244-1.default.pod.cluster.local').rcode, 'NXDOMAIN');
  assert.deepEqual(data(ask('10.0.96.10.in-addr.arpa', 'PTR')), ['web.default.svc.cluster.local']);
  assert.deepEqual(data(ask('5.1.244.10.in-addr.arpa', 'PTR')), ['db-0.db.data.svc.cluster.local']);
  assert.equal(ask('1.1.168.192.in-addr.arpa', 'PTR').rcode, 'NXDOMAIN');
});

function query(name: string, type: string, extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ id: 4242, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }], ...extra });
}

function decode(b: Buffer | undefined): DecodedPacket & { rcode?: string } {
  assert.ok(b, 'a response');
  return dnsPacket.decode(b) as DecodedPacket & { rcode?: string };
}

const resolver = (q: dnsPacket.Question) => resolve(q, cluster);

test('respond(): answers with the id, question, AA and RD echoed; NXDOMAIN as an rcode', () => {
  const r = decode(respond(query('web.default.svc.cluster.local', 'A'), resolver, 'udp'));
  assert.equal(r.id, 4242);
  assert.equal(r.type, 'response');
  assert.equal(r.flag_aa, true);
  assert.equal(r.flag_rd, true);
  assert.equal(r.flag_ra, false, 'no recursion offered');
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(r.questions, [{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN' }]);
  assert.deepEqual(r.answers?.map((a) => 'data' in a && a.data), ['10.96.0.10']);
  assert.equal(decode(respond(query('example.com', 'A'), resolver, 'udp')).rcode, 'NXDOMAIN');
});

test('respond(): malformed, multi-question, non-QUERY, responses and foreign classes', () => {
  const garbage = Buffer.alloc(20, 0xff);
  garbage.writeUInt16BE(77, 0);
  garbage.writeUInt16BE(0x0100, 2); // a query with RD, then nonsense counts
  const bad = decode(respond(garbage, resolver, 'udp'));
  assert.equal(bad.id, 77);
  assert.equal(bad.rcode, 'FORMERR');
  assert.equal(respond(Buffer.alloc(5), resolver, 'udp'), undefined);
  const two = dnsPacket.encode({ id: 1, type: 'query', questions: [{ name: 'a.cluster.local', type: 'A' }, { name: 'b.cluster.local', type: 'A' }] });
  assert.equal(decode(respond(two, resolver, 'udp')).rcode, 'FORMERR');
  const notify = query('web.default.svc.cluster.local', 'A');
  notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2); // opcode NOTIFY
  assert.equal(decode(respond(notify, resolver, 'udp')).rcode, 'NOTIMP');
  assert.equal(respond(dnsPacket.encode({ id: 1, type: 'response', questions: [] }), resolver, 'udp'), undefined);
  const chaos = dnsPacket.encode({ id: 1, type: 'query', questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] });
  assert.equal(decode(respond(chaos, resolver, 'udp')).rcode, 'REFUSED');
});

test('respond(): an answer too big for UDP is truncated (TC) so the client retries over TCP; EDNS raises the limit', () => {
  const many: Endpoints = {
    metadata: { name: 'big', namespace: 'default' },
    subsets: [{ addresses: Array.from({ length: 20 }, (_, i) => ({ ip: `10.244.1.${i + 1}` })), ports: [{ port: 80 }] }],
  };
  const big = view([{ metadata: { name: 'big', namespace: 'default' }, spec: { clusterIP: 'None' } }], [many]);
  const r = (q: dnsPacket.Question) => resolve(q, big);
  const udp = decode(respond(query('big.default.svc.cluster.local', 'A'), r, 'udp'));
  assert.equal(udp.flag_tc, true);
  assert.deepEqual(udp.answers, []);
  const tcp = decode(respond(query('big.default.svc.cluster.local', 'A'), r, 'tcp'));
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers?.length, 20);
  const edns = query('big.default.svc.cluster.local', 'A', {
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.OptAnswer],
  });
  const withEdns = decode(respond(edns, r, 'udp'));
  assert.equal(withEdns.flag_tc, false, '20 A records (dns-packet does not compress names) fit in 1232 bytes but not in 512');
  assert.equal(withEdns.answers?.length, 20);
  assert.ok(withEdns.additionals?.some((a) => a.type === 'OPT'), 'EDNS answered with EDNS');
});
