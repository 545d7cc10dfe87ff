// tug-apiserver as a library: start it in-process (tests, `tug cluster up`)
// or from main.ts.
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { createLogger, type Logger } from '../lib/logging.js';
import { Registry, INITIAL_NAMESPACES } from './registry/registry.js';
import { NamespaceFinalizer } from './registry/namespace-finalizer.js';
import { buildServer } from './server.js';
import { DEFAULT_SENDER_LIMITS } from './watch-sender.js';
import { DEFAULT_SERVICE_RANGES, parseCidr, type ServiceRanges } from './registry/service-alloc.js';

export { Registry } from './registry/registry.js';

export interface ApiServerOptions {
  etcdServers: string[];
  /** host:port; port 0 picks a free one */
  listen?: string;
  log?: Logger;
  /** changes kept per resource for watchers resuming from the past */
  watchWindow?: number;
  /** where Service cluster IPs and node ports come from */
  serviceRanges?: ServiceRanges;
  /** encoded events one watch stream may have waiting before it is dropped as too slow */
  watchBufferBytes?: number;
}

export interface RunningApiServer {
  /** host:port it listens on */
  address: string;
  registry: Registry;
  /** etcd watches the watch caches hold (one per watched resource) */
  etcdWatchCount(): Promise<number>;
  stop(): Promise<void>;
}

/** The largest etcd response the apiserver takes, as the largest it sends (server.ts). */
const MAX_ETCD_RESPONSE_BYTES = 512 * 1024 * 1024;

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const log = opts.log ?? createLogger('apiserver');
  const serviceRanges = opts.serviceRanges ?? DEFAULT_SERVICE_RANGES;
  parseCidr(serviceRanges.clusterIPRange); // fail at start, not at the first Service
  const etcd = new Etcd3({
    hosts: opts.etcdServers,
    dialTimeout: 5000,
    grpcOptions: {
      // channelz (gRPC's introspection, unused here) would track every call
      'grpc.enable_channelz': 0,
      // A whole resource comes back in one range response (1,000 Nodes are over
      // gRPC's default 4 MiB); the same ceiling as the API's own responses.
      'grpc.max_receive_message_length': MAX_ETCD_RESPONSE_BYTES,
    },
  });
  const registry = new Registry(etcd, log, undefined, opts.watchWindow, serviceRanges);
  const finalizer = new NamespaceFinalizer(registry, log);
  let server: grpc.Server | undefined;
  let closeProxy = () => {};
  try {
    await registry.ensureNamespaces(INITIAL_NAMESPACES);
    await finalizer.start();
    const built = buildServer(registry, log, async () => (await etcd.maintenance.status()).version, {
      ...DEFAULT_SENDER_LIMITS,
      ...(opts.watchBufferBytes ? { maxPendingBytes: opts.watchBufferBytes } : {}),
    });
    server = built.server;
    closeProxy = built.close;
    const listen = opts.listen ?? '127.0.0.1:6443';
    const port = await new Promise<number>((resolve, reject) =>
      server!.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const host = listen.slice(0, listen.lastIndexOf(':'));
    const address = `${host}:${port}`;
    log.info({ address, etcd: opts.etcdServers }, 'apiserver listening');
    const srv = server;
    return {
      address,
      registry,
      etcdWatchCount: () => registry.caches.etcdWatchCount(),
      async stop() {
        // Stop taking calls first, so no client can open a watch cache after the caches are stopped.
        finalizer.stop();
        const drained = new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            srv.forceShutdown();
            resolve();
          }, 2000);
          srv.tryShutdown(() => {
            clearTimeout(t);
            resolve();
          });
        });
        // open watch streams never end by themselves: end them so tryShutdown can finish
        registry.namespaces.stop();
        await registry.caches.stop();
        await drained;
        closeProxy();
        etcd.close();
      },
    };
  } catch (e) {
    finalizer.stop();
    server?.forceShutdown();
    closeProxy();
    registry.namespaces.stop();
    await registry.caches.stop();
    etcd.close();
    throw e;
  }
}
