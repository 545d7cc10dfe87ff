// For integration tests of logs and exec end to end: a real etcd and
// apiserver, a throwaway node with real runc containers, the Agent service
// serving them through a small resolver, and a Node object pointing the
// apiserver at it. stop() removes all of it, whatever a failed test left.
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import type * as T from '../../lib/api/generated/types.js';
import { ApiClient } from '../../lib/client/api-client.js';
import { ApiError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logging.js';
import { startEtcd, type EtcdServer } from '../../lib/testing/etcd.js';
import { containerCgroupPath, createCgroup, podCgroupPath } from '../runtime/cgroups.js';
import { buildSpec } from '../runtime/spec.js';
import { startTestNode, type TestNode } from '../sandbox/test-node.js';
import { startAgentServer, type RunningAgentServer } from './agent-server.js';
import { pickContainer, previousNotFound, type ContainerResolver, type ResolvedContainer } from './resolver.js';

interface Instance {
  id: string;
  logPath: string;
}

/** Pods of the test node, by "ns/name" → container → current and previous instance. */
class TestResolver implements ContainerResolver {
  readonly pods = new Map<string, Map<string, { current: Instance; previous?: Instance }>>();

  constructor(private readonly node: TestNode) {}

  async resolve(req: { namespace: string; pod: string; container: string; previous: boolean }): Promise<ResolvedContainer> {
    const pod = this.pods.get(`${req.namespace}/${req.pod}`);
    if (!pod) throw new ApiError('NotFound', `pods "${req.pod}" not found on this node`);
    const container = pickContainer(req.pod, req.container, [...pod.keys()]);
    const c = pod.get(container)!;
    const instance = req.previous ? c.previous : c.current;
    if (!instance) throw previousNotFound(container, req.pod);
    return { container, containerId: instance.id, logPath: instance.logPath, runtime: this.node.runtime };
  }
}

export interface ContainerDef {
  name: string;
  args: string[];
}

export interface LogsExecCluster {
  readonly node: TestNode;
  readonly nodeName: string;
  readonly apiserver: RunningApiServer;
  readonly agent: RunningAgentServer;
  readonly client: ApiClient;
  /** Starts the containers on the node and creates the Pod (bound to the node unless bind is false). */
  runPod(name: string, containers: ContainerDef[], opts?: { bind?: boolean; labels?: Record<string, string> }): Promise<void>;
  /** Starts a new instance of a container; the current one becomes the previous. */
  restartContainer(pod: string, container: string, args: string[]): Promise<void>;
  /** Waits until the current instance of a container has exited. */
  waitExited(pod: string, container: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startLogsExecCluster(): Promise<LogsExecCluster> {
  const log = createLogger('test', 'warn');
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    const errors: string[] = [];
    for (const s of stops.splice(0).reverse()) {
      try {
        await s();
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new Error(`cleanup: ${errors.join('; ')}`);
  };
  try {
    const node = await startTestNode();
    stops.push(() => node.cleanup());
    const etcd: EtcdServer = await startEtcd();
    stops.push(() => etcd.stop());
    const apiserver = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log });
    stops.push(() => apiserver.stop());
    const client = new ApiClient(apiserver.address);
    stops.push(async () => client.close());
    const resolver = new TestResolver(node);
    const agent = await startAgentServer({ listen: '127.0.0.1:0', resolver, log, followPollMs: 50 });
    stops.push(() => agent.stop());

    const nodeName = node.name;
    await client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } });
    const created = await client.get('Node', undefined, nodeName);
    await client.updateStatus({
      ...created,
      kind: 'Node',
      status: {
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'Hostname', address: nodeName },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: agent.port } },
      },
    });

    let seq = 0;
    const start = async (podUid: string, def: ContainerDef): Promise<Instance> => {
      const id = `c${++seq}-${podUid}`;
      const rootfs = await node.overlay(id);
      const logPath = join(node.stateDir, 'logs', `${id}.log`);
      const spec = buildSpec({ rootfs: rootfs.target, args: def.args, cgroupsPath: containerCgroupPath(node.cgroupParent, podUid, id) });
      await node.runtime.create(id, spec, { logPath });
      await node.runtime.start(id);
      return { id, logPath };
    };
    const instances = (pod: string, container: string) => {
      const c = resolver.pods.get(`default/${pod}`)?.get(container);
      if (!c) throw new Error(`test cluster: no container ${container} in pod ${pod}`);
      return c;
    };

    return {
      node,
      nodeName,
      apiserver,
      agent,
      client,
      async runPod(name, containers, opts = {}) {
        const pod = await client.create<T.Pod>({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default', labels: opts.labels },
          spec: { containers: containers.map((c) => ({ name: c.name, image: 'busybox' })) },
        });
        const podUid = pod.metadata!.uid!.replace(/[^a-zA-Z0-9]/g, '').slice(0, 12);
        await createCgroup(node.cgroups, podCgroupPath(node.cgroupParent, podUid));
        const byName = new Map<string, { current: Instance; previous?: Instance }>();
        for (const c of containers) byName.set(c.name, { current: await start(podUid, c) });
        resolver.pods.set(`default/${name}`, byName);
        if (opts.bind !== false) await client.bind('default', name, nodeName);
      },
      async restartContainer(pod, container, args) {
        const c = instances(pod, container);
        const podUid = c.current.id.slice(c.current.id.indexOf('-') + 1);
        const next = await start(podUid, { name: container, args });
        c.previous = c.current;
        c.current = next;
      },
      async waitExited(pod, container) {
        const id = instances(pod, container).current.id;
        if (!(await node.runtime.waitForExit(id, 60_000))) throw new Error(`container ${container} of pod ${pod} did not exit`);
      },
      stop,
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
