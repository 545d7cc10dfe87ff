import { createServer, type Server } from 'node:net';

/** The loopback address test servers bind to: this machine may only talk to loopback. */
export const LOOPBACK = '127.0.0.1';

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address from a listening socket, got ${String(address)}`);
  }
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Ports the kernel reports free on `host` right now, all distinct. They are
 * only reserved while this call holds them: the caller binds them soon after,
 * and a program that loses the race should be restarted on new ports (see
 * startEtcd). Holding every socket until all are chosen is what keeps them
 * distinct from each other.
 */
export async function freePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`freePorts(count): count must be a positive integer, got ${count}`);
  }
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort(host));
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** One free port on `host`; see freePorts for the race this leaves to the caller. */
export async function freePort(host: string = LOOPBACK): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
