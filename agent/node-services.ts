// A whole node: the agent proper (pods on runc), its logs/exec service for
// the apiserver, the Service proxy and the cluster DNS server, all in the
// network namespace the process runs in (the node's).
import { ApiClient } from '../lib/client/api-client.js';
import { InformerFactory } from '../lib/informer/index.js';
import { createLogger, type Logger } from '../lib/logging.js';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions } from './agent.js';
import { startAgentServer, type RunningAgentServer } from './server/index.js';
import type { ContainerResolver } from './server/resolver.js';
import { startServiceProxy } from './proxy/index.js';
import { startClusterDns } from './dns/index.js';

export interface NodeServicesOptions extends Omit<NodeAgentOptions, 'client' | 'log'> {
  server: string;
  /** address the logs/exec service listens on; default 0.0.0.0 (every address of the node) */
  agentListen?: string;
  /** run the Service proxy (iptables in this namespace); default true */
  proxy?: boolean;
  /** pod network of the whole cluster, for the proxy's masquerading; e.g. 10.244.0.0/16 */
  clusterCidr?: string;
  /** serve cluster DNS on the pod gateway address (first address of the pod CIDR); default true */
  dns?: boolean;
  log?: Logger;
}

export interface RunningNode {
  agent: NodeAgent;
  agentServer: RunningAgentServer;
  stop(): Promise<void>;
}

/** The pod bridge's own address: the first address of the pod CIDR (what CNI host-local gives the gateway). */
export function podGateway(podCIDR: string): string {
  const [ip] = podCIDR.split('/');
  const parts = ip!.split('.').map(Number);
  parts[3] = parts[3]! + 1;
  return parts.join('.');
}

export async function startNode(opts: NodeServicesOptions): Promise<RunningNode> {
  const log = opts.log ?? createLogger('agent');
  const client = new ApiClient(opts.server);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((e) => log.warn({ err: String(e) }, 'stopping a node service failed'));
    client.close();
  };
  try {
    const dnsOn = opts.dns !== false && !!opts.podCIDR;
    const gateway = opts.podCIDR ? podGateway(opts.podCIDR) : undefined;
    const agentPort = opts.agentPort ?? 10250;
    const agent = await startNodeAgent({
      ...opts,
      // The cluster's own registry (a local one) speaks plain HTTP unless told otherwise.
      insecureRegistries: opts.insecureRegistries ?? (opts.defaultRegistry ? [opts.defaultRegistry] : []),
      client,
      log,
      agentPort,
      dnsServers: opts.dnsServers ?? (dnsOn && gateway ? [gateway] : []),
    });
    stops.push(() => agent.stop());

    const resolver: ContainerResolver = {
      async resolve(req) {
        const loc = await agent.containerFor(req.namespace, req.pod, req.container || undefined, req.previous);
        return { container: loc.container, containerId: loc.containerId, logPath: loc.logPath, runtime: agent.runtime };
      },
    };
    const agentServer = await startAgentServer({ listen: `${opts.agentListen ?? '0.0.0.0'}:${agentPort}`, resolver, log: log.child({ part: 'agent-server' }) });
    stops.push(() => agentServer.stop());

    const informers = new InformerFactory(client, { log });
    stops.push(() => informers.stop());
    if (opts.proxy !== false) {
      const proxy = await startServiceProxy({
        informers,
        nodeName: opts.nodeName,
        ...(opts.address ? { nodeIPs: [opts.address] } : {}),
        ...(opts.clusterCidr ? { clusterCidr: opts.clusterCidr } : {}),
        log: log.child({ part: 'proxy' }),
      });
      stops.push(() => proxy.stop());
    }
    if (dnsOn && gateway) {
      const dns = await startClusterDns({
        informers,
        listen: [{ address: gateway, port: 53 }],
        ...(opts.clusterDomain ? { clusterDomain: opts.clusterDomain } : {}),
        log: log.child({ part: 'dns' }),
      });
      stops.push(() => dns.stop());
    }
    informers.start();
    return { agent, agentServer, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
