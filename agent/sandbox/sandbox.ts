// Pod sandboxes: for each pod a cgroup, a network namespace wired by CNI, a
// pause container holding the IPC and UTS namespaces, a shared /dev/shm and
// the pod's /etc files; and the teardown that removes all of it, plus every
// container the pod still has. State lives in `<stateDir>/pods/<uid>/`, so a
// restarted agent finds its sandboxes again.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../lib/errors.js';
import { CniNetwork, type PodNetworkStatus } from '../network/cni.js';
import { createNetns, deleteNetns, mountPoints, runInNetns } from '../network/netns.js';
import {
  checkCgroupPath,
  createCgroup,
  podCgroupPath,
  removeCgroup,
  type CgroupLayout,
} from '../runtime/cgroups.js';
import { mustRun } from '../runtime/command.js';
import type { ContainerInfo } from '../runtime/container-state.js';
import type { CgroupResources } from '../runtime/resources.js';
import type { RuncRuntime } from '../runtime/runc.js';
import type { ContainerConfig } from '../runtime/spec.js';
import { hostnameFile, hostsFile, podHostname, resolvConf, type DnsConfig, type HostAlias } from './etc-files.js';
import { ensurePauseRootfs, pauseSpec } from './pause.js';

/** Annotations on every container tugboat makes, so a pod's containers can be found from the runtime alone. */
export const ANNOTATION = {
  podUid: 'tugboat.pod.uid',
  podName: 'tugboat.pod.name',
  podNamespace: 'tugboat.pod.namespace',
  containerName: 'tugboat.container.name',
  /** `sandbox` for the pause container, `container` for the pod's own. */
  containerType: 'tugboat.container.type',
} as const;

export interface SandboxConfig {
  podUid: string;
  podName: string;
  podNamespace: string;
  /** spec.hostname; default the pod name. */
  hostname?: string;
  /** The pod cgroup's limits (see podCgroupResources). */
  resources?: CgroupResources;
  /** Pod dnsConfig; unset fields come from the node's /etc/resolv.conf. */
  dns?: DnsConfig;
  hostAliases?: HostAlias[];
  /** Size of the pod's shared /dev/shm; default 64 MiB. */
  shmBytes?: number;
  /** Where the pod cgroup goes instead of the manager's cgroupParent (e.g. a QoS tier below it). */
  cgroupParent?: string;
}

export type SandboxState = 'ready' | 'notready';

export interface Sandbox {
  podUid: string;
  podName: string;
  podNamespace: string;
  hostname: string;
  /** The pause container's id in the runtime. */
  id: string;
  state: SandboxState;
  /** The pause process as seen from the node; absent when it is not running. */
  pausePid?: number;
  /** The pod's bind-mounted network namespace. */
  netnsPath: string;
  network?: PodNetworkStatus;
  /** The pod's cgroup (hierarchy-relative). */
  cgroupPath: string;
  /** Per-pod files: etc/, shm/, pause.log; a good home for volumes and container logs. */
  podDir: string;
  etcFiles: { hosts: string; resolvConf: string; hostname: string };
  shmPath: string;
  createdAt: string;
}

/** What is kept in `<podDir>/sandbox.json`. */
type SandboxRecord = Omit<Sandbox, 'state' | 'pausePid'> & { config: SandboxConfig };

export interface SandboxManagerOptions {
  runtime: RuncRuntime;
  cgroups: CgroupLayout;
  /** The node's cgroup parent, e.g. `/tugboat/node-1`; pods go to `<parent>/pod<uid>`. */
  cgroupParent: string;
  /** The node's state dir (the same one the runtime uses is fine): pods/, netns/, pause-rootfs/. */
  stateDir: string;
  /** Where pod network namespaces are mounted; default `<stateDir>/netns`. */
  netnsDir?: string;
  /** The pod network; without one, pods get a namespace with loopback only. */
  network?: CniNetwork;
  busybox?: string;
  /** The node's resolv.conf, for pods without their own DNS config; default read from /etc/resolv.conf. */
  nodeResolvConf?: string;
  /** oom_score_adj of pause processes (Kubernetes uses -998; negative values need CAP_SYS_RESOURCE). Default: inherited. */
  pauseOomScoreAdj?: number;
}

const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;
const POD_UID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function checkUid(uid: string): string {
  if (!POD_UID.test(uid)) throw new ApiError('Invalid', `pod uid ${JSON.stringify(uid)} is not valid: letters, digits, "_", "-", at most 64`);
  return uid;
}

/** The pause container's runtime id for a pod. */
export function pauseContainerId(podUid: string): string {
  return `${checkUid(podUid)}-pause`;
}

/**
 * The parts of a ContainerConfig that place a container in its pod: join the
 * sandbox's network, IPC and UTS namespaces (own PID and mount ones), the
 * pod's /etc files and /dev/shm, and a cgroup under the pod's.
 */
export function sandboxContainerConfig(
  sandbox: Sandbox,
  containerId: string,
): Pick<ContainerConfig, 'namespaces' | 'etcFiles' | 'shmPath' | 'cgroupsPath'> {
  if (!sandbox.pausePid) {
    throw new ApiError('Unavailable', `sandbox of pod ${sandbox.podNamespace}/${sandbox.podName} has no running pause process; recreate the sandbox`);
  }
  return {
    namespaces: {
      network: { join: sandbox.netnsPath },
      ipc: { join: `/proc/${sandbox.pausePid}/ns/ipc` },
      uts: { join: `/proc/${sandbox.pausePid}/ns/uts` },
      pid: 'new',
    },
    etcFiles: { ...sandbox.etcFiles },
    shmPath: sandbox.shmPath,
    cgroupsPath: `${sandbox.cgroupPath}/${containerId}`,
  };
}

export class SandboxManager {
  private readonly podsDir: string;
  private readonly netnsDir: string;
  private readonly pauseRootfsDir: string;
  private readonly records = new Map<string, SandboxRecord>();
  private removals = 0;

  constructor(private readonly o: SandboxManagerOptions) {
    checkCgroupPath(o.cgroupParent);
    this.podsDir = join(o.stateDir, 'pods');
    this.netnsDir = o.netnsDir ?? join(o.stateDir, 'netns');
    this.pauseRootfsDir = join(o.stateDir, 'pause-rootfs');
  }

  podDir(podUid: string): string {
    return join(this.podsDir, checkUid(podUid));
  }

  /**
   * Makes the pod's sandbox and returns it ready. If it already exists and its
   * pause process runs, that one is returned. A broken one is replaced: its
   * containers, pause, network and cgroup go, the pod dir (volumes, logs)
   * stays. On failure, what this call made is removed (the pod dir too if
   * this was the pod's first sandbox).
   */
  async create(cfg: SandboxConfig): Promise<Sandbox> {
    const existing = await this.get(cfg.podUid);
    if (existing?.state === 'ready') return existing;
    // A dead sandbox takes its containers with it (they were in its namespaces),
    // but the pod's files (volumes, logs) stay, as they do across a sandbox restart in Kubernetes.
    if (existing || (await this.hasLeftovers(cfg.podUid))) await this.removeSandbox(cfg.podUid, 0, true);

    const podDir = this.podDir(cfg.podUid);
    const firstTime = !(await readdir(podDir).then(() => true, () => false));
    const hostname = podHostname(cfg.podName, cfg.hostname);
    const cgroupPath = podCgroupPath(cfg.cgroupParent ?? this.o.cgroupParent, cfg.podUid);
    const id = pauseContainerId(cfg.podUid);
    const etcDir = join(podDir, 'etc');
    const record: SandboxRecord = {
      podUid: cfg.podUid,
      podName: cfg.podName,
      podNamespace: cfg.podNamespace,
      hostname,
      id,
      netnsPath: join(this.netnsDir, cfg.podUid),
      cgroupPath,
      podDir,
      etcFiles: { hosts: join(etcDir, 'hosts'), resolvConf: join(etcDir, 'resolv.conf'), hostname: join(etcDir, 'hostname') },
      shmPath: join(podDir, 'shm'),
      createdAt: new Date().toISOString(),
      config: cfg,
    };
    try {
      await mkdir(etcDir, { recursive: true });
      // Written first, so that teardown after a crash mid-way knows what to remove.
      await this.writeRecord(record);
      await createCgroup(this.o.cgroups, cgroupPath, cfg.resources);
      await createNetns(this.netnsDir, cfg.podUid);
      if (this.o.network) {
        record.network = await this.o.network.add({
          containerId: id,
          netnsPath: record.netnsPath,
          args: { K8S_POD_NAMESPACE: cfg.podNamespace, K8S_POD_NAME: cfg.podName, K8S_POD_INFRA_CONTAINER_ID: id, K8S_POD_UID: cfg.podUid },
        });
      } else {
        await runInNetns(record.netnsPath, ['ip', 'link', 'set', 'lo', 'up']);
      }
      await this.writeRecord(record);
      const nodeResolv = this.o.nodeResolvConf ?? (await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
      await writeFile(record.etcFiles.hosts, hostsFile(hostname, record.network?.ip, cfg.hostAliases));
      await writeFile(record.etcFiles.resolvConf, resolvConf(cfg.dns, nodeResolv));
      await writeFile(record.etcFiles.hostname, hostnameFile(hostname));
      await mkdir(record.shmPath, { recursive: true });
      await mustRun('mount', ['-t', 'tmpfs', '-o', `nosuid,nodev,noexec,mode=1777,size=${cfg.shmBytes ?? DEFAULT_SHM_BYTES}`, 'shm', record.shmPath]);

      const rootfs = await ensurePauseRootfs(this.pauseRootfsDir, this.o.busybox);
      const spec = pauseSpec({
        rootfs,
        hostname,
        netnsPath: record.netnsPath,
        cgroupsPath: `${cgroupPath}/${id}`,
        oomScoreAdj: this.o.pauseOomScoreAdj,
        annotations: {
          [ANNOTATION.podUid]: cfg.podUid,
          [ANNOTATION.podName]: cfg.podName,
          [ANNOTATION.podNamespace]: cfg.podNamespace,
          [ANNOTATION.containerType]: 'sandbox',
        },
      });
      await this.o.runtime.create(id, spec, { logPath: join(podDir, 'pause.log') });
      await this.o.runtime.start(id);
    } catch (err) {
      await this.removeSandbox(cfg.podUid, 0, !firstTime).catch(() => undefined);
      throw err;
    }
    const sandbox = await this.get(cfg.podUid);
    if (sandbox?.state !== 'ready') {
      await this.removeSandbox(cfg.podUid, 0, !firstTime).catch(() => undefined);
      throw new ApiError('Internal', `the pause container of pod ${cfg.podNamespace}/${cfg.podName} exited right after start; see ${join(podDir, 'pause.log')}`);
    }
    return sandbox;
  }

  private async writeRecord(r: SandboxRecord): Promise<void> {
    await mkdir(r.podDir, { recursive: true });
    const tmp = join(r.podDir, 'sandbox.json.tmp');
    await writeFile(tmp, JSON.stringify(r, null, 2));
    await rename(tmp, join(r.podDir, 'sandbox.json'));
    this.records.set(r.podUid, { ...r });
  }

  /**
   * The pod's sandbox.json. Only this manager writes it, so what it wrote is
   * kept in memory (a pod is looked at several times per sync); a new
   * manager (a restarted agent) reads the files once.
   */
  private async readRecord(podUid: string): Promise<SandboxRecord | undefined> {
    const known = this.records.get(podUid);
    if (known) return known;
    const epoch = this.removals;
    try {
      const r = JSON.parse(await readFile(join(this.podDir(podUid), 'sandbox.json'), 'utf8')) as SandboxRecord;
      // A removal that overtook this read must not leave the record behind.
      if (epoch === this.removals) this.records.set(podUid, r);
      return r;
    } catch {
      return undefined;
    }
  }

  private async hasLeftovers(podUid: string): Promise<boolean> {
    const netns = join(this.netnsDir, podUid);
    // Without the file there is no mount on it; a new pod's check then spares reading the mount table.
    const netnsFile = await stat(netns).then(() => true, () => false);
    if (netnsFile && mountPoints(await readFile('/proc/self/mountinfo', 'utf8')).includes(netns)) return true;
    return !!(await this.o.runtime.state(pauseContainerId(podUid)));
  }

  /** The pod's sandbox as recorded on disk, with the pause container's live state. */
  async get(podUid: string): Promise<Sandbox | undefined> {
    const r = await this.readRecord(podUid);
    if (!r) return undefined;
    const pause = await this.o.runtime.state(r.id);
    const { config: _config, ...rest } = r;
    const sandbox: Sandbox = { ...rest, state: pause?.status === 'running' ? 'ready' : 'notready' };
    if (pause?.status === 'running' && pause.pid) sandbox.pausePid = pause.pid;
    return sandbox;
  }

  /** Every sandbox this node has on disk (ready or not). */
  async list(): Promise<Sandbox[]> {
    const out: Sandbox[] = [];
    for (const uid of (await readdir(this.podsDir).catch(() => [] as string[])).sort()) {
      if (!POD_UID.test(uid)) continue;
      const s = await this.get(uid);
      if (s) out.push(s);
    }
    return out;
  }

  /** The pod's containers in the runtime (the pause container excluded). */
  async containers(podUid: string): Promise<ContainerInfo[]> {
    return (await this.o.runtime.listContainers()).filter(
      (c) => c.annotations[ANNOTATION.podUid] === podUid && c.annotations[ANNOTATION.containerType] !== 'sandbox' && c.id !== pauseContainerId(podUid),
    );
  }

  /**
   * Removes the pod entirely: its containers (SIGTERM, `graceSeconds`, SIGKILL),
   * the pause container, the CNI attachment, the network namespace, the pod
   * cgroup (killing leftovers), every mount under the pod dir, and the pod dir.
   * Idempotent; every step is tried even when an earlier one fails, and the
   * failures are reported together.
   */
  async teardown(podUid: string, graceSeconds = 30): Promise<void> {
    await this.removeSandbox(podUid, graceSeconds, false);
  }

  /** Teardown; with `keepFiles`, only the pause container's own mount (shm) goes and the pod dir stays. */
  private async removeSandbox(podUid: string, graceSeconds: number, keepFiles: boolean): Promise<void> {
    checkUid(podUid);
    const errors: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
    };
    const record = await this.readRecord(podUid);
    const id = pauseContainerId(podUid);
    const netnsPath = record?.netnsPath ?? join(this.netnsDir, podUid);
    const podDir = this.podDir(podUid);

    await step('stop containers', async () => {
      const containers = await this.containers(podUid);
      await Promise.all(
        containers.map(async (c) => {
          await this.o.runtime.stop(c.id, graceSeconds);
          await this.o.runtime.delete(c.id);
        }),
      );
    });
    await step('remove pause container', async () => {
      await this.o.runtime.stop(id, Math.min(graceSeconds, 2));
      await this.o.runtime.delete(id);
    });
    if (this.o.network) {
      await step('detach pod network', () => this.o.network!.del({ containerId: id, netnsPath }));
    }
    await step('remove network namespace', () => deleteNetns(netnsPath));
    await step('remove pod cgroup', () => removeCgroup(this.o.cgroups, record?.cgroupPath ?? podCgroupPath(this.o.cgroupParent, podUid)));
    await step('unmount pod mounts', async () => {
      const shm = record?.shmPath ?? join(podDir, 'shm');
      const below = mountPoints(await readFile('/proc/self/mountinfo', 'utf8'))
        .filter((m) => (keepFiles ? m === shm : m === podDir || m.startsWith(`${podDir}/`)))
        .sort((a, b) => b.length - a.length);
      for (const m of below) await mustRun('umount', ['-l', m]);
    });
    if (!keepFiles && errors.length === 0) {
      await step('remove pod dir', async () => {
        this.removals++;
        this.records.delete(podUid);
        await rm(podDir, { recursive: true, force: true });
        this.records.delete(podUid);
      });
    }
    if (errors.length) {
      throw new ApiError('Internal', `teardown of pod ${podUid} left things behind: ${errors.join('; ')}; it is safe to retry`);
    }
  }
}
