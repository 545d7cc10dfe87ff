// The node's cluster DNS: answers pods' queries for service names from the
// Services/Endpoints caches. The agent runs it in the node namespace on the
// pod bridge's gateway address, which is the nameserver in every pod's
// resolv.conf (search <ns>.svc.<zone> svc.<zone> <zone>, ndots:5), so the
// short forms `web` and `web.ns` arrive here already expanded.
import type { InformerFactory, ListerWatcher } from '../../lib/informer/index.js';
import { createLogger, type Logger } from '../../lib/logging.js';
import { openServiceSource } from '../proxy/service-source.js';
import { normaliseName, resolve, type ServiceView } from './records.js';
import { startDnsServer, type BoundAddress, type ListenAddress } from './server.js';

export interface ClusterDnsOptions {
  client?: ListerWatcher;
  informers?: InformerFactory;
  listen: ListenAddress[];
  clusterDomain?: string;
  /** TTL of answers, s (default 5) */
  ttl?: number;
  log?: Logger;
}

export interface RunningClusterDns {
  /** where it listens; an address that does not exist yet shows bound: false and is retried */
  addresses(): BoundAddress[];
  stop(): Promise<void>;
}

export async function startClusterDns(opts: ClusterDnsOptions): Promise<RunningClusterDns> {
  const log = opts.log ?? createLogger('cluster-dns');
  // Answers read the caches at query time, so changes need no handler.
  const source = await openServiceSource('cluster DNS', opts, () => {});
  const view: ServiceView = {
    service: (ns, name) => source.services.get(`${ns}/${name}`),
    endpoints: (ns, name) => source.endpoints.get(`${ns}/${name}`),
    hasNamespace: (ns) => source.services.byNamespace(ns).length > 0,
    services: () => source.services.list(),
  };
  const zone = normaliseName(opts.clusterDomain ?? 'cluster.local');
  const resolveOpts = { zone, ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}) };
  let server;
  try {
    server = await startDnsServer(opts.listen, (q) => resolve(q, view, resolveOpts), log);
  } catch (err) {
    await source.stop();
    throw err;
  }
  const srv = server;
  return {
    addresses: () => srv.addresses(),
    stop: async () => {
      await srv.stop();
      await source.stop();
    },
  };
}
