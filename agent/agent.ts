// The node agent, composed: runtime (runc + conmon), image store, node
// registration and heartbeats, and — once the node has a pod CIDR — the pod
// network (CNI bridge), sandboxes and pod workers. Everything it keeps lives
// under one state dir, so several agents on one machine never collide and a
// restarted agent finds its containers again.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiClient } from '../lib/client/api-client.js';
import { ApiError } from '../lib/errors.js';
import { EventRecorder } from '../lib/events.js';
import { createLogger, type Logger } from '../lib/logging.js';
import { cpuToMillis, isQuantity, memoryToBytes } from '../lib/quantity.js';
import { ImageStore } from './images/index.js';
import { bridgeConfList, CniNetwork } from './network/cni.js';
import { detectAddress, readMachineInfo } from './node/machine.js';
import type { NodeDescription, NodeHealth } from './node/node-object.js';
import { NodeRegistrar } from './node/registrar.js';
import { PodManager, type ContainerLocation } from './pods/manager.js';
import { defaultStartConcurrency } from './pods/start-gate.js';
import type { ImageSource } from './pods/pod-worker.js';
import type { ProbeRunner } from './pods/probes.js';
import { checkCgroupPath, readCgroupLayout, type CgroupLayout } from './runtime/cgroups.js';
import { RuncRuntime } from './runtime/runc.js';
import { parseResolvConf } from './sandbox/etc-files.js';
import { SandboxManager } from './sandbox/sandbox.js';

export interface NodeAgentOptions {
  /** apiserver host:port (a client is made and closed with the agent), or `client`. */
  server?: string;
  client?: ApiClient;
  nodeName: string;
  /** Everything the agent keeps: runc root, bundles, sandboxes, netns, images, CNI data. */
  stateDir: string;
  /** cgroup parent of this node's pods (hierarchy-relative); default `/tugboat/<nodeName>`. */
  cgroupParent?: string;
  /**
   * The node's pod CIDR; the Node's own spec.podCIDR wins when it has one.
   * Usually absent: the control plane assigns one when the Node registers.
   * Pods wait (the node stays NotReady) until one is known.
   */
  podCIDR?: string;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /**
   * Cluster DNS servers for ClusterFirst pods, or how to derive them from the
   * pod CIDR once it is known (e.g. its gateway); empty: pods get the node's resolv.conf.
   */
  dnsServers?: string[] | ((podCIDR: string) => string[]);
  /**
   * Called once the pod CIDR is known, before the pod workers start (e.g. to
   * serve DNS on the pod gateway). A failure keeps the node NotReady and is
   * tried again, with back-off.
   */
  onPodCIDR?: (podCIDR: string) => Promise<void> | void;
  /** Registry for image names without one; default $TUG_REGISTRY or 127.0.0.1:5000. */
  defaultRegistry?: string;
  /** Registries spoken to over plain HTTP besides loopback ones. */
  insecureRegistries?: string[];
  /** Kept from pods: allocatable = capacity − reserved. Quantities ("500m", "1Gi"). */
  reservedCpu?: string;
  reservedMemory?: string;
  /** Capacity overrides (quantities); default the machine's, or the agent's cgroup limits. */
  cpus?: string | number;
  memory?: string;
  /** Default 110. */
  maxPods?: number;
  /** InternalIP; default the first non-loopback IPv4 of the node's network namespace. */
  address?: string;
  /** The port of the agent's logs/exec service, published in the Node (daemonEndpoints). Default 10250. */
  agentPort?: number;
  /** Linux bridge of the pod network; default `cni0` (one per node network namespace). */
  cniBridge?: string;
  /** CNI network name; default `tugboat`. */
  cniNetworkName?: string;
  cniPluginDirs?: string[];
  /** Masquerade pod traffic leaving the pod CIDR; default false (pods are routed). */
  cniIpMasq?: boolean;
  /** The node's network namespace when the agent runs outside it (CNI plugins and address detection go there). */
  hostNetns?: string;
  labels?: Record<string, string>;
  /** An image source to use instead of opening `<stateDir>/images`. */
  images?: ImageSource;
  busybox?: string;
  runc?: string;
  conmon?: string;
  leaseRenewIntervalMs?: number;
  leaseDurationSeconds?: number;
  statusIntervalMs?: number;
  resyncIntervalMs?: number;
  /** Pods making sandboxes and starting containers at once; default 4 per cpu of the node (at least 4). */
  startConcurrency?: number;
  /** Grace for stopping containers of pods that vanished from the API; default 2. */
  orphanGraceSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  probeRunner?: ProbeRunner;
  log?: Logger;
}

export interface NodeAgent {
  readonly nodeName: string;
  readonly stateDir: string;
  readonly cgroupParent: string;
  readonly runtime: RuncRuntime;
  readonly cgroups: CgroupLayout;
  /** The pod CIDR in use, once known. */
  podCIDR(): string | undefined;
  /** The sandbox manager, once the pod network is up. */
  sandboxes(): SandboxManager | undefined;
  /**
   * A container of a pod on this node, for logs and exec: its runtime id
   * (runtime.spawnExec takes it) and CRI-format log file. `previous`: the
   * attempt before the current one.
   */
  containerFor(namespace: string, pod: string, container?: string, previous?: boolean): Promise<ContainerLocation>;
  /** Stops the agent; pods and containers keep running, and a new agent on the same state dir adopts them. */
  stop(): Promise<void>;
}

const DNS_LABEL_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function validate(o: NodeAgentOptions): void {
  const problems: string[] = [];
  if (!DNS_LABEL_SUBDOMAIN.test(o.nodeName) || o.nodeName.length > 253) problems.push(`node name "${o.nodeName}" must be a DNS subdomain (lowercase letters, digits, "-" and ".")`);
  if (!o.stateDir?.startsWith('/')) problems.push(`state dir "${o.stateDir}" must be an absolute path`);
  if (/[,:]/.test(o.stateDir ?? '')) problems.push(`state dir "${o.stateDir}" must not contain "," or ":" (overlayfs cannot mount layers below it)`);
  for (const [what, v] of [['reserved cpu', o.reservedCpu], ['reserved memory', o.reservedMemory], ['cpus', o.cpus], ['memory', o.memory]] as const) {
    if (v !== undefined && !isQuantity(String(v))) problems.push(`${what} "${v}" is not a quantity (e.g. 500m, 2, 512Mi, 4Gi)`);
  }
  if (o.maxPods !== undefined && (!Number.isInteger(o.maxPods) || o.maxPods < 1)) problems.push(`max pods ${o.maxPods} must be a positive whole number`);
  if (o.startConcurrency !== undefined && (!Number.isInteger(o.startConcurrency) || o.startConcurrency < 1)) {
    problems.push(`start concurrency ${o.startConcurrency} must be a positive whole number`);
  }
  if (!o.client && !o.server) problems.push('give the apiserver address (server) or a client');
  if (problems.length) throw new ApiError('BadRequest', `cannot start the node agent: ${problems.join('; ')}`);
}

/** Lowest oom_score_adj the agent may set: without CAP_SYS_RESOURCE, nothing below its own. */
async function minOomScoreAdj(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const CAP_SYS_RESOURCE = 24n;
  if (capEff && (BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) return -1000;
  return Number((await readFile('/proc/self/oom_score_adj', 'utf8').catch(() => '0')).trim()) || 0;
}

export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  validate(opts);
  const log = (opts.log ?? createLogger('agent')).child({ node: opts.nodeName });
  const ownClient = !opts.client;
  const client = opts.client ?? new ApiClient(opts.server!);
  const cgroupParent = checkCgroupPath(opts.cgroupParent ?? `/tugboat/${opts.nodeName}`);
  const cgroups = await readCgroupLayout();
  const runtime = new RuncRuntime({ stateDir: opts.stateDir, cgroups, ...(opts.runc ? { runc: opts.runc } : {}), ...(opts.conmon ? { conmon: opts.conmon } : {}) });
  let registrar: NodeRegistrar | undefined;
  let pods: PodManager | undefined;
  let sandboxes: SandboxManager | undefined;
  let podsStarting: Promise<void> | undefined;
  let podsError: string | undefined;
  let podsCIDR: string | undefined;
  let podsRetry: NodeJS.Timeout | undefined;
  let podsFailures = 0;
  let stopped = false;

  try {
    const images =
      opts.images ??
      (await ImageStore.open({
        root: join(opts.stateDir, 'images'),
        ...(opts.defaultRegistry ? { defaultRegistry: opts.defaultRegistry } : {}),
        ...(opts.insecureRegistries ? { insecureRegistries: opts.insecureRegistries } : {}),
        logger: log,
      }));
    const machine = await readMachineInfo({ cgroups, ...(opts.runc ? { runc: opts.runc } : {}) });
    const cpuMillis = opts.cpus !== undefined ? cpuToMillis(opts.cpus) : machine.cpuMillis;
    const memoryBytes = opts.memory !== undefined ? memoryToBytes(opts.memory) : machine.memoryBytes;
    const reservedCpuMillis = cpuToMillis(opts.reservedCpu);
    const reservedMemoryBytes = memoryToBytes(opts.reservedMemory);
    let address = opts.address ?? (await detectAddress(opts.hostNetns));
    if (!address) {
      log.warn('no non-loopback IPv4 address found for the node; reporting 127.0.0.1 (set the address option)');
      address = '127.0.0.1';
    }
    const description: NodeDescription = {
      nodeName: opts.nodeName,
      cpuMillis,
      memoryBytes,
      maxPods: opts.maxPods ?? 110,
      reservedCpuMillis,
      reservedMemoryBytes,
      address,
      ...(opts.podCIDR ? { podCIDR: opts.podCIDR } : {}),
      agentPort: opts.agentPort ?? 10250,
      ...(opts.labels ? { labels: opts.labels } : {}),
      machine,
    };
    const nodeSearches = parseResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => '')).searches;
    const minOom = await minOomScoreAdj();
    const events = new EventRecorder(client, { component: 'tug-agent', host: opts.nodeName, log });

    const startPods = async (cidr: string): Promise<void> => {
      await opts.onPodCIDR?.(cidr);
      if (stopped) return;
      const dnsServers = typeof opts.dnsServers === 'function' ? opts.dnsServers(cidr) : (opts.dnsServers ?? []);
      const network = new CniNetwork({
        conflist: bridgeConfList({
          name: opts.cniNetworkName ?? 'tugboat',
          bridge: opts.cniBridge ?? 'cni0',
          subnet: cidr,
          dataDir: join(opts.stateDir, 'cni', 'ipam'),
          ipMasq: opts.cniIpMasq ?? false,
        }),
        cacheDir: join(opts.stateDir, 'cni', 'cache'),
        ...(opts.hostNetns ? { hostNetns: opts.hostNetns } : {}),
        ...(opts.cniPluginDirs ? { pluginDirs: opts.cniPluginDirs } : {}),
      });
      const sb = new SandboxManager({ runtime, cgroups, cgroupParent, stateDir: opts.stateDir, network, ...(opts.busybox ? { busybox: opts.busybox } : {}) });
      const manager = new PodManager({
        client,
        runtime,
        sandboxes: sb,
        images,
        events,
        log,
        cgroups,
        netnsDir: join(opts.stateDir, 'netns'),
        node: {
          nodeName: opts.nodeName,
          hostIP: address,
          cgroupParent,
          allocatable: { cpuMillis: Math.max(0, cpuMillis - reservedCpuMillis), memoryBytes: Math.max(0, memoryBytes - reservedMemoryBytes) },
          memoryBytes,
          minOomScoreAdj: minOom,
        },
        dns: { clusterDomain: opts.clusterDomain ?? 'cluster.local', dnsServers, nodeSearches },
        orphanGraceSeconds: opts.orphanGraceSeconds ?? 2,
        startConcurrency: opts.startConcurrency ?? defaultStartConcurrency(cpuMillis / 1000),
        ...(opts.resyncIntervalMs ? { resyncIntervalMs: opts.resyncIntervalMs } : {}),
        ...(opts.probeRunner ? { probeRunner: opts.probeRunner } : {}),
        ...(opts.busybox ? { busybox: opts.busybox } : {}),
        ...(opts.backoffInitialMs ? { backoffInitialMs: opts.backoffInitialMs } : {}),
        ...(opts.backoffMaxMs ? { backoffMaxMs: opts.backoffMaxMs } : {}),
      });
      await manager.start();
      if (stopped) {
        await manager.stop();
        return;
      }
      sandboxes = sb;
      pods = manager;
      log.info({ podCIDR: cidr }, 'pod workers started');
    };

    const onPodCIDR = (cidr: string) => {
      if (stopped) return;
      if (podsStarting || podsRetry) {
        if (podsCIDR && cidr !== podsCIDR) log.warn({ cidr, inUse: podsCIDR }, 'the node pod CIDR changed; restart the agent to use the new one');
        return;
      }
      podsCIDR = cidr;
      podsStarting = startPods(cidr).then(
        () => {
          podsError = undefined;
          podsFailures = 0;
          void registrar?.postStatusNow().catch(() => undefined);
        },
        (err: unknown) => {
          podsError = (err as Error).message;
          podsStarting = undefined;
          // The registrar announces a CIDR once; trying again is up to us.
          const delay = Math.min(30_000, 1000 * 2 ** podsFailures++);
          log.error({ err, retryInMs: delay }, 'cannot start pod workers; will try again');
          if (!stopped) {
            podsRetry = setTimeout(() => {
              podsRetry = undefined;
              onPodCIDR(cidr);
            }, delay);
          }
        },
      );
    };

    const health = (): NodeHealth => {
      if (pods) return { ready: true, reason: 'KubeletReady', message: 'tugboat agent is posting ready status' };
      if (podsError) return { ready: false, reason: 'KubeletNotReady', message: `pod workers failed to start: ${podsError}` };
      if (!registrar?.podCIDR) return { ready: false, reason: 'KubeletNotReady', message: 'network not ready: the node has no pod CIDR yet' };
      return { ready: false, reason: 'KubeletNotReady', message: 'pod workers are starting' };
    };

    registrar = new NodeRegistrar({
      client,
      description,
      health,
      log,
      onPodCIDR,
      ...(opts.leaseRenewIntervalMs ? { leaseRenewIntervalMs: opts.leaseRenewIntervalMs } : {}),
      ...(opts.leaseDurationSeconds ? { leaseDurationSeconds: opts.leaseDurationSeconds } : {}),
      ...(opts.statusIntervalMs ? { statusIntervalMs: opts.statusIntervalMs } : {}),
    });
    await registrar.start();
    // With a pod CIDR known at start, return only once pods are being looked after.
    await podsStarting;
    if (podsError) throw new ApiError('Unavailable', `cannot start pod workers: ${podsError}`);
  } catch (err) {
    stopped = true;
    if (podsRetry) clearTimeout(podsRetry);
    await registrar?.stop().catch(() => undefined);
    await pods?.stop().catch(() => undefined);
    if (ownClient) client.close();
    throw err;
  }

  return {
    nodeName: opts.nodeName,
    stateDir: opts.stateDir,
    cgroupParent,
    runtime,
    cgroups,
    podCIDR: () => registrar?.podCIDR,
    sandboxes: () => sandboxes,
    async containerFor(namespace, pod, container, previous = false) {
      if (!pods) throw new ApiError('Unavailable', `node ${opts.nodeName} is not running pods yet (no pod CIDR)`);
      return pods.containerFor(namespace, pod, container, previous);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (podsRetry) clearTimeout(podsRetry);
      await registrar?.stop();
      await podsStarting?.catch(() => undefined);
      await pods?.stop();
      if (ownClient) client.close();
      log.info('agent stopped; containers keep running');
    },
  };
}
