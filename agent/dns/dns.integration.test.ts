// Cluster DNS for real: Services and Endpoints in a real apiserver, the
// server on a loopback port, real queries over UDP and TCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import type { Endpoints, Service } from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { startClusterDns, type RunningClusterDns } from './dns.js';

let etcd: EtcdServer | undefined;
let server: RunningApiServer | undefined;
let client: ApiClient | undefined;
let dns: RunningClusterDns | undefined;
let port = 0;
const log = createLogger('dns-it', process.env.TUG_LOG_LEVEL ?? 'warn');

type Reply = DecodedPacket & { rcode?: string };

let nextId = 1;

/** One query over UDP; rejects if no answer comes within 2 s (a real resolver would retry, we want to know). */
function udpQuery(name: string, type = 'A'): Promise<Reply> {
  const id = nextId++;
  const sock = dgram.createSocket('udp4');
  return new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP answer for ${name}`)), 2000);
    sock.on('message', (msg) => {
      const r = dnsPacket.decode(msg) as Reply;
      if (r.id !== id) return;
      clearTimeout(timer);
      resolve(r);
    });
    sock.send(dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }] }), port, '127.0.0.1');
  }).finally(() => sock.close());
}

/** Several queries on one TCP connection, the way resolvers reuse it. */
function tcpQueries(names: string[]): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(port, '127.0.0.1');
    const out: Reply[] = [];
    let buf = Buffer.alloc(0);
    conn.setTimeout(2000, () => conn.destroy(new Error('TCP DNS timed out')));
    conn.on('error', reject);
    conn.on('connect', () => {
      for (const [i, name] of names.entries()) conn.write(dnsPacket.streamEncode({ id: 100 + i, type: 'query', questions: [{ name, type: 'A' }] }));
    });
    conn.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        out.push(dnsPacket.decode(buf.subarray(2, 2 + len)) as Reply);
        buf = buf.subarray(2 + len);
      }
      if (out.length === names.length) {
        conn.end();
        resolve(out);
      }
    });
  });
}

const ips = (r: Reply) => (r.answers ?? []).map((a) => ('data' in a ? a.data : undefined));

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  etcd = await startEtcd();
  server = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0' });
  client = new ApiClient(server.address);
  await client.create<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIP: '10.96.3.3', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
  });
  await client.create<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] },
  });
  await client.create<Endpoints>({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'db', namespace: 'default' },
    subsets: [{ addresses: [{ ip: '10.244.1.4' }], notReadyAddresses: [{ ip: '10.244.1.5' }], ports: [{ name: 'pg', port: 5432 }] }],
  });
  // 10.255.255.254 is not an address of this host: the server must start anyway and keep trying it.
  dns = await startClusterDns({
    client,
    listen: [
      { address: '127.0.0.1', port: 0 },
      { address: '10.255.255.254', port: 0 },
    ],
    log,
  });
  port = dns.addresses()[0]!.port;
});

after(async () => {
  await dns?.stop().catch((e) => console.error('dns stop:', e));
  client?.close();
  await server?.stop().catch((e) => console.error('apiserver stop:', e));
  await etcd?.stop().catch((e) => console.error('etcd stop:', e));
});

test('listens on the loopback port it was given; a missing address is retried, not fatal', () => {
  const [lo, missing] = dns!.addresses();
  assert.ok(lo!.bound && lo!.port > 0);
  assert.equal(missing!.bound, false);
});

test('a service name resolves to its cluster IP over UDP', async () => {
  const r = await udpQuery('web.default.svc.cluster.local');
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.flag_aa, true);
  assert.deepEqual(ips(r), ['10.96.3.3']);
});

test('the name forms a pod resolver tries through its search path', async () => {
  // "web" from a pod in default: tried as web.default.svc.cluster.local first (ndots:5) and answered.
  // "web.default": first web.default.default.svc.cluster.local (NXDOMAIN), then web.default.svc.cluster.local.
  assert.equal((await udpQuery('web.default.default.svc.cluster.local')).rcode, 'NXDOMAIN');
  assert.deepEqual(ips(await udpQuery('web.default.svc.cluster.local')), ['10.96.3.3']);
  // "example.com": every search form and the name itself end in NXDOMAIN at once.
  for (const n of ['example.com.default.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local', 'example.com']) {
    assert.equal((await udpQuery(n)).rcode, 'NXDOMAIN', n);
  }
  const aaaa = await udpQuery('web.default.svc.cluster.local', 'AAAA');
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.deepEqual(aaaa.answers, []);
});

test('TCP carries several queries on one connection', async () => {
  const [web, db, none] = await tcpQueries(['web.default.svc.cluster.local', 'db.default.svc.cluster.local', 'nope.default.svc.cluster.local']);
  assert.deepEqual(ips(web!), ['10.96.3.3']);
  assert.deepEqual(ips(db!), ['10.244.1.4']);
  assert.equal(none!.rcode, 'NXDOMAIN');
});

test('answers follow the apiserver: headless endpoints change, new services appear, deleted ones go', async () => {
  const cur = await client!.get('Endpoints', 'default', 'db');
  await client!.update<Endpoints>({
    ...cur,
    subsets: [{ addresses: [{ ip: '10.244.1.4' }, { ip: '10.244.2.9' }], ports: [{ name: 'pg', port: 5432 }] }],
  });
  await eventually('second db endpoint', async () => ips(await udpQuery('db.default.svc.cluster.local')).length === 2);
  assert.deepEqual(new Set(ips(await udpQuery('db.default.svc.cluster.local'))), new Set(['10.244.1.4', '10.244.2.9']));
  const srv = await udpQuery('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.equal(srv.answers?.length, 2);

  await client!.create<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'late', namespace: 'kube-system' },
    spec: { clusterIP: '10.96.3.4', ports: [{ port: 53, protocol: 'UDP' }] },
  });
  await eventually('new service', async () => (await udpQuery('late.kube-system.svc.cluster.local')).rcode === 'NOERROR');
  assert.deepEqual(ips(await udpQuery('late.kube-system.svc.cluster.local')), ['10.96.3.4']);

  await client!.delete('Service', 'default', 'web');
  await eventually('deleted service gone', async () => (await udpQuery('web.default.svc.cluster.local')).rcode === 'NXDOMAIN');
});
