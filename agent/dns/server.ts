// DNS over UDP and TCP on a list of addresses. An address that does not exist
// yet (the pod bridge's gateway appears only when the node's first pod is
// wired) is retried in the background instead of failing the agent; any other
// bind error (e.g. port 53 taken) fails start().
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../lib/logging.js';
import { ApiError } from '../../lib/errors.js';
import { respond, type Resolver } from './wire.js';

export interface ListenAddress {
  address: string;
  /** 53 for pods; 0 picks a free port (tests) */
  port: number;
}

export interface BoundAddress extends ListenAddress {
  /** false while the address is missing and binding is being retried */
  bound: boolean;
}

const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

class Listener {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  port: number;

  constructor(
    readonly want: ListenAddress,
    private readonly resolver: Resolver,
    private readonly log: Logger,
  ) {
    this.port = want.port;
  }

  get bound(): boolean {
    return !!this.udp && !!this.tcp;
  }

  /** Binds, or schedules retries if the address does not exist yet; rejects on other errors. */
  async start(): Promise<void> {
    try {
      await this.bind();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
      this.log.warn({ address: this.want.address, port: this.want.port }, 'DNS address not present yet; will bind when it appears');
      this.scheduleRetry(RETRY_MIN_MS);
    }
  }

  private scheduleRetry(delay: number): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.bind().then(
        () => this.log.info({ address: this.want.address, port: this.port }, 'cluster DNS listening'),
        (err) => {
          if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') this.log.error({ err: (err as Error).message }, 'cannot listen for DNS');
          this.scheduleRetry(Math.min(delay * 2, RETRY_MAX_MS));
        },
      );
    }, delay);
    this.retry.unref();
  }

  private async bind(): Promise<void> {
    // Port 0: UDP picks a port, TCP must get the same one; if TCP finds it taken, try another.
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(this.want.port);
      const port = udp.address().port;
      try {
        this.tcp = await this.bindTcp(port);
        this.udp = udp;
        this.port = port;
        if (this.closed) await this.close();
        return;
      } catch (err) {
        udp.close();
        if (this.want.port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw err;
      }
    }
  }

  private bindUdp(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: 'udp4' });
      const onError = (err: Error) => {
        sock.close();
        reject(err);
      };
      sock.once('error', onError);
      sock.bind(port, this.want.address, () => {
        sock.off('error', onError);
        sock.on('error', (err) => this.log.warn({ err: err.message }, 'DNS UDP socket error'));
        sock.on('message', (msg, rinfo) => {
          const out = this.answer(msg, 'udp');
          if (out) sock.send(out, rinfo.port, rinfo.address);
        });
        resolve(sock);
      });
    });
  }

  private bindTcp(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((conn) => this.serveTcp(conn));
      server.maxConnections = MAX_TCP_CONNECTIONS;
      server.once('error', reject);
      server.listen({ port, host: this.want.address }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.warn({ err: err.message }, 'DNS TCP server error'));
        resolve(server);
      });
    });
  }

  private serveTcp(conn: net.Socket): void {
    this.conns.add(conn);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => this.conns.delete(conn));
    let buf = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // Each message is preceded by its length in two bytes (RFC 1035 4.2.2); a connection may carry several.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = this.answer(msg, 'tcp');
        if (!out) continue;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        conn.write(Buffer.concat([head, out]));
      }
    });
  }

  private answer(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    try {
      return respond(msg, this.resolver, transport);
    } catch (err) {
      // A bug answering one name must not take the server down; the client gets SERVFAIL-like silence.
      this.log.error({ err: (err as Error).message }, 'answering a DNS query failed');
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = this.tcp = undefined;
    for (const c of this.conns) c.destroy();
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }
}

export interface DnsServer {
  /** where it listens (the real port when 0 was asked) and whether each address is bound yet */
  addresses(): BoundAddress[];
  stop(): Promise<void>;
}

export async function startDnsServer(listen: ListenAddress[], resolver: Resolver, log: Logger): Promise<DnsServer> {
  if (listen.length === 0) throw new ApiError('BadRequest', 'cluster DNS needs at least one listen address, e.g. {address: "10.244.1.1", port: 53}');
  for (const l of listen) {
    if (!net.isIPv4(l.address)) throw new ApiError('BadRequest', `cluster DNS listen address ${JSON.stringify(l.address)} is not an IPv4 address`);
  }
  const listeners = listen.map((l) => new Listener(l, resolver, log));
  try {
    for (const l of listeners) await l.start();
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    const e = err as NodeJS.ErrnoException;
    throw new ApiError('Unavailable', `cluster DNS cannot listen: ${e.message}${e.code === 'EADDRINUSE' ? ' (another DNS server already uses this address and port)' : ''}`);
  }
  for (const l of listeners) if (l.bound) log.info({ address: l.want.address, port: l.port }, 'cluster DNS listening');
  return {
    addresses: () => listeners.map((l) => ({ address: l.want.address, port: l.port, bound: l.bound })),
    stop: async () => {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
