// A whole node: the agent proper (pods on runc), its logs/exec service for
// the apiserver, the Service proxy, the cluster DNS server and the routes to
// other nodes' pods, all in the network namespace the process runs in (the
// node's). What depends on the node's pod CIDR (DNS on its gateway, the CNI
// network) starts once the Node has one, usually assigned by the control
// plane after registration.
import { ApiClient } from '../lib/client/api-client.js';
import { EventRecorder } from '../lib/events.js';
import { InformerFactory } from '../lib/informer/index.js';
import { createLogger, type Logger } from '../lib/logging.js';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions } from './agent.js';
import { startAgentServer, type RunningAgentServer } from './server/index.js';
import type { ContainerResolver } from './server/resolver.js';
import { startServiceProxy } from './proxy/index.js';
import { startClusterDns, type RunningClusterDns } from './dns/index.js';
import { PodRouteController } from './network/index.js';

export interface NodeServicesOptions extends Omit<NodeAgentOptions, 'client' | 'log' | 'onPodCIDR'> {
  server: string;
  /** address the logs/exec service listens on; default 0.0.0.0 (every address of the node) */
  agentListen?: string;
  /** run the Service proxy (iptables in this namespace); default true */
  proxy?: boolean;
  /** pod network of the whole cluster, for the proxy's masquerading; e.g. 10.244.0.0/16 */
  clusterCidr?: string;
  /** serve cluster DNS on the pod gateway address (first address of the pod CIDR); default true */
  dns?: boolean;
  /**
   * Route other nodes' pod CIDRs via their InternalIPs in this namespace
   * (host-gw: the nodes must share a link); default true.
   */
  podRoutes?: boolean;
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
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const s of stops.reverse()) await s().catch((e) => log.warn({ err: String(e) }, 'stopping a node service failed'));
    client.close();
  };
  try {
    const informers = new InformerFactory(client, { log });
    stops.push(() => informers.stop());

    // DNS listens on the pod gateway, so it waits for the pod CIDR like the pods do; they use it from their first start.
    const dnsOn = opts.dns !== false;
    let dns: RunningClusterDns | undefined;
    let dnsStarting: Promise<void> | undefined;
    const startDns = (cidr: string): Promise<void> =>
      (dnsStarting ??= (async () => {
        const gateway = podGateway(cidr);
        const server = await startClusterDns({
          informers,
          listen: [{ address: gateway, port: 53 }],
          ...(opts.clusterDomain ? { clusterDomain: opts.clusterDomain } : {}),
          log: log.child({ part: 'dns' }),
        });
        if (stopping) {
          await server.stop();
          return;
        }
        dns = server;
        log.info({ address: gateway }, 'cluster DNS serving on the pod gateway');
      })().catch((err: unknown) => {
        dnsStarting = undefined;
        throw err;
      }));
    stops.push(async () => {
      await dnsStarting?.catch(() => undefined);
      await dns?.stop();
    });

    const agentPort = opts.agentPort ?? 10250;
    const agent = await startNodeAgent({
      ...opts,
      // The cluster's own registry (a local one) speaks plain HTTP unless told otherwise.
      insecureRegistries: opts.insecureRegistries ?? (opts.defaultRegistry ? [opts.defaultRegistry] : []),
      client,
      log,
      agentPort,
      dnsServers: opts.dnsServers ?? (dnsOn ? (cidr) => [podGateway(cidr)] : []),
      ...(dnsOn ? { onPodCIDR: startDns } : {}),
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
    if (opts.podRoutes !== false) {
      const routes = new PodRouteController({
        informers,
        nodeName: opts.nodeName,
        ...(opts.hostNetns ? { netns: opts.hostNetns } : {}),
        events: new EventRecorder(client, { component: 'tug-agent', host: opts.nodeName, log }),
        log: log.child({ part: 'pod-routes' }),
      });
      routes.start();
      stops.push(() => routes.stop());
    }
    informers.start();
    return { agent, agentServer, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
