// One worker per pod UID: each sync observes the runtime, computes a plan
// (plan.ts), carries it out, and writes the status back when it changed.
// Syncs of one pod never overlap; a sync that fails is retried with back-off.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ConfigMap, Container, Pod, PodStatus, Secret } from '../../lib/api/generated/types.js';
import { semanticEqual } from '../../lib/api/equality.js';
import type { ApiClient } from '../../lib/client/api-client.js';
import { isConflict, isNotFound } from '../../lib/errors.js';
import type { EventRecorder } from '../../lib/events.js';
import type { Logger } from '../../lib/logging.js';
import { isImagePullError, type EnsuredImage } from '../images/index.js';
import { defaultPullPolicy, parsePullPolicy, type PullPolicy } from '../images/pull-policy.js';
import { containerResources, oomScoreAdj } from '../runtime/resources.js';
import type { RuncRuntime } from '../runtime/runc.js';
import { buildSpec, type NamespaceMode } from '../runtime/spec.js';
import { sandboxContainerConfig, type Sandbox, type SandboxManager } from '../sandbox/sandbox.js';
import type { Backoff } from './backoff.js';
import {
  containerArgv,
  containerEnv,
  containerWorkingDir,
  envReferences,
  mergeImageEnv,
  resolveUser,
  type EnvContext,
  type ImageProcessDefaults,
} from './env.js';
import { ContainerStartError } from './errors.js';
import { CONTAINER_ANNOTATION, containerDir, containerId, containerLogPath, specHash } from './naming.js';
import { observePod, type PodObservation } from './observe.js';
import { computePodPlan, type PodAction, type PodPlan } from './plan.js';
import type { ProbeManager } from './probes.js';
import type { StartGate, StartStep } from './start-gate.js';
import { mountRootfs, removeRootfs } from './rootfs.js';
import { podQos, podSandboxConfig, type PodDnsOptions } from './sandbox-config.js';
import { computePodStatus } from './status.js';
import { containerMounts, ensurePodVolumes, type PodVolume } from './volumes.js';

/** What a pod worker needs from images: ImageStore.ensure. */
export interface ImageSource {
  ensure(image: string, policy: PullPolicy): Promise<Pick<EnsuredImage, 'imageID' | 'repoDigest' | 'layers' | 'config' | 'pulled'>>;
}

export interface NodeContext {
  nodeName: string;
  hostIP: string;
  /** The node's cgroup parent; pods go below it by QoS class. */
  cgroupParent: string;
  allocatable: { cpuMillis: number; memoryBytes: number };
  /** Node memory capacity, for Burstable oom_score_adj. */
  memoryBytes: number;
  /** Lowest oom_score_adj the agent may give (0 when it lacks CAP_SYS_RESOURCE). */
  minOomScoreAdj: number;
}

export interface PodWorkerDeps {
  client: ApiClient;
  runtime: RuncRuntime;
  sandboxes: SandboxManager;
  images: ImageSource;
  probes: ProbeManager;
  /** Crash-loop back-off per container. */
  crashBackoff: Backoff;
  /** Back-off of image pulls and failed starts. */
  failureBackoff: Backoff;
  events?: EventRecorder;
  log: Logger;
  node: NodeContext;
  dns: PodDnsOptions;
  orphanGraceSeconds: number;
  /** Called once the pod is gone (torn down and, if it was being deleted, removed from the API). */
  onFinished: (podUid: string) => void;
  /** Limits how many pods make sandboxes and start containers at once (none: no limit). */
  startGate?: StartGate;
}

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;
const STATUS_WRITE_ATTEMPTS = 5;

type StartFailures = Record<string, { reason: string; message: string }>;

export class PodWorker {
  private desired: Pod | undefined;
  /** The last version seen, for names and events after the pod left the API. */
  private last: Pod;
  private dirty = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private failures = 0;
  private stopped = false;
  private finished = false;
  private readonly startFailures: StartFailures = {};
  /** The status this worker last wrote and the resourceVersion it got, for while the informer lags behind. */
  private lastWritten: PodStatus | undefined;
  private lastWrittenRv: string | undefined;
  private volumes: PodVolume[] | undefined;
  private readonly log: Logger;

  constructor(
    readonly uid: string,
    pod: Pod,
    private readonly d: PodWorkerDeps,
  ) {
    this.desired = pod;
    this.last = pod;
    this.log = d.log.child({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid });
  }

  get pod(): Pod {
    return this.last;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** A new version of the pod (undefined: it is gone from the API); syncs soon. */
  update(pod: Pod | undefined): void {
    this.desired = pod;
    if (pod) this.last = pod;
    // The very object our own status write made: nothing in it that the last sync did not know.
    if (pod && this.lastWrittenRv !== undefined && pod.metadata?.resourceVersion === this.lastWrittenRv) return;
    this.kick();
  }

  /** Asks for a sync after `delayMs` (the earliest pending request wins). */
  kick(delayMs = 0): void {
    if (this.stopped || this.finished) return;
    if (delayMs <= 0) {
      this.dirty = true;
      this.running ??= this.loop();
      return;
    }
    const at = Date.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delayMs);
    this.timer.unref();
  }

  /** Stops syncing (containers are left as they are); resolves once the current sync is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.stopped && !this.finished) {
        this.dirty = false;
        try {
          await this.sync();
          this.failures = 0;
        } catch (err) {
          const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this.failures++);
          this.log.warn({ err, retryInMs: delay }, 'pod sync failed; will retry');
          this.kick(delay);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.d.events?.event({ ...this.last, kind: 'Pod', apiVersion: 'v1' }, type, reason, message);
  }

  private async sync(): Promise<void> {
    const pod = this.desired;
    const obs = await observePod(this.d.runtime, this.d.sandboxes, this.uid);
    const plan = computePodPlan(pod, obs.observed, {
      now: Date.now(),
      crashBackoff: (name, finishedAtMs) => this.d.crashBackoff.remaining(this.key(name), finishedAtMs),
      probeFailure: (id) => this.d.probes.failure(id),
      specHash,
      orphanGraceSeconds: this.d.orphanGraceSeconds,
    });
    if (plan.actions.length) this.log.debug({ actions: plan.actions }, 'pod plan');

    let sandbox = obs.sandbox;
    let wakeAfter = plan.requeueAfterMs;
    const wake = (ms: number) => (wakeAfter = wakeAfter === undefined ? ms : Math.min(wakeAfter, ms));
    const starts = plan.actions.filter((a) => a.type === 'startContainer');
    let volumesReady = false;
    let volumesFailed = false;
    for (const action of plan.actions) {
      if (this.stopped) return;
      switch (action.type) {
        case 'terminate':
          await this.terminate(obs, action.graceSeconds, action.reason);
          return;
        case 'createSandbox': {
          try {
            sandbox = await this.gated('sandbox', () => this.createSandbox(pod!, action.reason));
          } catch (err) {
            // Say why in the status before the sync is retried.
            const message = `failed to create pod sandbox: ${(err as Error).message}`;
            for (const c of [...(pod!.spec?.initContainers ?? []), ...(pod!.spec?.containers ?? [])]) this.fail(c.name ?? '', 'ContainerCreating', message);
            await this.report(pod!, await observePod(this.d.runtime, this.d.sandboxes, this.uid), plan).catch(() => undefined);
            throw err;
          }
          break;
        }
        case 'killContainer':
          this.event('Normal', 'Killing', action.message);
          this.log.info({ container: action.name, id: action.id, reason: action.message }, 'killing container');
          await this.d.runtime.stop(action.id, action.graceSeconds);
          break;
        case 'removeContainer':
          await this.removeContainer(action.id);
          break;
        case 'startContainer': {
          if (!sandbox || sandbox.state !== 'ready' || volumesFailed) break;
          if (!volumesReady) {
            try {
              this.volumes = await ensurePodVolumes(pod!, sandbox.podDir, this.volumeSources(pod!));
              volumesReady = true;
            } catch (err) {
              if (!(err instanceof ContainerStartError)) throw err;
              // No container can start without its volumes; try again shortly.
              volumesFailed = true;
              for (const s of starts) if (s.type === 'startContainer') this.fail(s.name, err.reason, err.message);
              wake(this.d.failureBackoff.initialMs);
              this.event('Warning', 'FailedMount', err.message);
              break;
            }
          }
          const retryIn = await this.startContainer(pod!, sandbox, action);
          if (retryIn !== undefined) wake(retryIn);
          break;
        }
        case 'backOff':
          this.event('Warning', 'BackOff', `Back-off restarting failed container ${action.name} in pod ${pod?.metadata?.name}`);
          break;
      }
    }
    if (!pod) return;

    // Keep configMap and secret volumes current for running containers.
    if (sandbox?.state === 'ready' && !starts.length && pod.spec?.volumes?.some((v) => v.configMap || v.secret)) {
      try {
        this.volumes = await ensurePodVolumes(pod, sandbox.podDir, this.volumeSources(pod));
      } catch (err) {
        this.log.warn({ err }, 'cannot refresh pod volumes');
      }
    }

    const after = plan.actions.length ? await observePod(this.d.runtime, this.d.sandboxes, this.uid) : obs;
    if (plan.actions.some((a) => a.type === 'createSandbox')) await this.removeStrayRootfs(after);
    // Probes first: the status reports their results, and an adopted container's
    // probe worker starts from what the last status said of it.
    this.syncProbes(pod, after);
    await this.report(pod, after, plan);
    if (wakeAfter !== undefined) this.kick(wakeAfter);
  }

  private key(name: string): string {
    return `${this.uid}/${name}`;
  }

  /** Runs a start step when the gate lets it; not at all (undefined) if the worker was stopped while it waited. */
  private gated<T>(step: StartStep, fn: () => Promise<T>): Promise<T | undefined> {
    const run = () => (this.stopped ? Promise.resolve(undefined) : fn());
    return this.d.startGate ? this.d.startGate.run(step, run) : run();
  }

  private fail(name: string, reason: string, message: string): void {
    this.startFailures[name] = { reason, message };
  }

  private volumeSources(pod: Pod) {
    const ns = pod.metadata?.namespace ?? 'default';
    const get = async <T>(kind: 'ConfigMap' | 'Secret', name: string): Promise<T | undefined> => {
      try {
        return (await this.d.client.get(kind, ns, name)) as T;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    return {
      configMap: (name: string) => get<ConfigMap>('ConfigMap', name),
      secret: (name: string) => get<Secret>('Secret', name),
    };
  }

  private async createSandbox(pod: Pod, reason: string): Promise<Sandbox | undefined> {
    if (pod.spec?.hostNetwork) {
      const message = 'hostNetwork pods are not supported by this agent yet; remove hostNetwork: true';
      for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) this.fail(c.name ?? '', 'CreateContainerConfigError', message);
      return undefined;
    }
    this.log.info({ reason }, 'creating pod sandbox');
    this.probesForget();
    const cfg = podSandboxConfig(pod, { ...this.d.dns, cgroupParent: this.d.node.cgroupParent });
    try {
      const sandbox = await this.d.sandboxes.create(cfg);
      this.volumes = undefined;
      for (const [name, f] of Object.entries(this.startFailures)) if (f.reason === 'ContainerCreating') delete this.startFailures[name];
      return sandbox;
    } catch (err) {
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      throw err;
    }
  }

  private probesForget(): void {
    this.d.probes.forgetPod(this.uid);
  }

  private async removeContainer(id: string): Promise<void> {
    await this.d.runtime.delete(id);
    await removeRootfs(containerDir(this.d.sandboxes.podDir(this.uid), id));
  }

  /**
   * Unmounts root filesystems whose container is gone (a replaced sandbox
   * takes its containers with it, but their overlays stay mounted).
   */
  private async removeStrayRootfs(obs: PodObservation): Promise<void> {
    const dir = join(this.d.sandboxes.podDir(this.uid), 'containers');
    const live = new Set(obs.observed.containers.map((c) => c.id));
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      if (!live.has(id)) await removeRootfs(join(dir, id));
    }
  }

  /** Starts one container; returns ms after which to retry when it could not. */
  private async startContainer(pod: Pod, sandbox: Sandbox, a: Extract<PodAction, { type: 'startContainer' }>): Promise<number | undefined> {
    const spec = (a.kind === 'init' ? pod.spec?.initContainers : pod.spec?.containers)?.find((c) => c.name === a.name);
    if (!spec) return undefined;
    const key = this.key(a.name);
    const failKey = `${key}/start`;
    const waitFailed = this.d.failureBackoff.remainingSinceLast(failKey);
    if (waitFailed > 0) return waitFailed;

    // The image.
    const imageName = spec.image ?? '';
    const imageKey = `${key}/image`;
    const waitImage = this.d.failureBackoff.remainingSinceLast(imageKey);
    if (waitImage > 0) {
      this.fail(a.name, 'ImagePullBackOff', `Back-off pulling image "${imageName}"`);
      return waitImage;
    }
    let image: Awaited<ReturnType<ImageSource['ensure']>>;
    try {
      const policy = spec.imagePullPolicy ? parsePullPolicy(spec.imagePullPolicy) : defaultPullPolicy(imageName);
      image = await this.d.images.ensure(imageName, policy);
    } catch (err) {
      const reason = isImagePullError(err) ? err.reason : 'ErrImagePull';
      const message = (err as Error).message;
      this.fail(a.name, reason, message);
      this.d.failureBackoff.next(imageKey);
      this.event('Warning', 'Failed', message);
      this.log.warn({ container: a.name, image: imageName, err: message }, 'image pull failed');
      return this.d.failureBackoff.delay(imageKey);
    }
    this.d.failureBackoff.reset(imageKey);
    this.event('Normal', 'Pulled', image.pulled ? `Successfully pulled image "${imageName}"` : `Container image "${imageName}" already present on machine`);

    const id = containerId(this.uid, a.name, a.attempt);
    const dir = containerDir(sandbox.podDir, id);
    let created = false;
    try {
      const cfg = await this.containerConfig(pod, spec, sandbox, image, id);
      await this.gated('container', async () => {
        const rootfs = await mountRootfs(dir, image.layers);
        const logPath = containerLogPath(sandbox.podDir, a.name, a.attempt);
        await mkdir(dirname(logPath), { recursive: true });
        const ociSpec = buildSpec({
          ...cfg,
          rootfs: rootfs.path,
          annotations: {
            [CONTAINER_ANNOTATION.podUid]: this.uid,
            [CONTAINER_ANNOTATION.podName]: pod.metadata?.name ?? '',
            [CONTAINER_ANNOTATION.podNamespace]: pod.metadata?.namespace ?? '',
            [CONTAINER_ANNOTATION.containerName]: a.name,
            [CONTAINER_ANNOTATION.containerType]: a.kind,
            [CONTAINER_ANNOTATION.attempt]: String(a.attempt),
            [CONTAINER_ANNOTATION.specHash]: specHash(spec),
            [CONTAINER_ANNOTATION.image]: imageName,
            [CONTAINER_ANNOTATION.imageID]: image.repoDigest || image.imageID,
          },
        });
        await this.d.runtime.create(id, ociSpec, { logPath });
        created = true;
        await this.d.runtime.start(id);
      });
      // Stopped while waiting for the gate: nothing was made; a restarted agent starts it.
      if (!created) return undefined;
    } catch (err) {
      const startErr = err instanceof ContainerStartError ? err : undefined;
      const reason = startErr?.reason ?? (created ? 'RunContainerError' : 'CreateContainerError');
      const message = (err as Error).message;
      this.fail(a.name, reason, message);
      this.d.failureBackoff.next(failKey);
      this.event('Warning', 'Failed', `Error: ${message}`);
      this.log.warn({ container: a.name, id, reason, err: message }, 'cannot start container');
      await this.d.runtime.delete(id).catch(() => undefined);
      await removeRootfs(dir).catch(() => undefined);
      return this.d.failureBackoff.delay(failKey);
    }
    if (a.restartOf) this.d.crashBackoff.next(key, a.restartOf.finishedAt ? Date.parse(a.restartOf.finishedAt) : Date.now());
    delete this.startFailures[a.name];
    this.d.failureBackoff.reset(failKey);
    this.event('Normal', 'Created', `Created container ${a.name}`);
    this.event('Normal', 'Started', `Started container ${a.name}`);
    this.log.info({ container: a.name, id, attempt: a.attempt }, 'started container');
    return undefined;
  }

  /** Everything of the container's OCI config except the rootfs and annotations. */
  private async containerConfig(pod: Pod, spec: Container, sandbox: Sandbox, image: Awaited<ReturnType<ImageSource['ensure']>>, id: string) {
    const refs = envReferences(spec);
    const configMaps = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    const sources = this.volumeSources(pod);
    for (const n of refs.configMaps) configMaps.set(n, await sources.configMap(n));
    for (const n of refs.secrets) secrets.set(n, await sources.secret(n));
    const envCtx: EnvContext = {
      nodeName: this.d.node.nodeName,
      hostIP: this.d.node.hostIP,
      ...(sandbox.network?.ip ? { podIP: sandbox.network.ip, podIPs: [sandbox.network.ip] } : {}),
      nodeAllocatable: this.d.node.allocatable,
    };
    const env = containerEnv(pod, spec, envCtx, { configMap: (n) => configMaps.get(n), secret: (n) => secrets.get(n) });
    const defaults: ImageProcessDefaults = (image.config as { config?: ImageProcessDefaults }).config ?? {};
    const argv = containerArgv(spec, defaults, env);
    const cwd = containerWorkingDir(spec, defaults);
    const psc = pod.spec?.securityContext ?? {};
    const sc = spec.securityContext ?? {};
    const runAs = {
      ...(sc.runAsUser ?? psc.runAsUser) !== undefined ? { runAsUser: sc.runAsUser ?? psc.runAsUser } : {},
      ...(sc.runAsGroup ?? psc.runAsGroup) !== undefined ? { runAsGroup: sc.runAsGroup ?? psc.runAsGroup } : {},
      runAsNonRoot: sc.runAsNonRoot ?? psc.runAsNonRoot ?? false,
    };
    const imageUser = defaults.User || undefined;
    const idFiles = imageUser && !/^\d+(:\d+)?$/.test(imageUser) ? await imageIdFiles(image.layers) : {};
    const user = resolveUser(runAs, imageUser, idFiles, spec.name ?? '');
    const additionalGids = [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])];
    const mounts = containerMounts(spec, this.volumes ?? []);
    const placement = sandboxContainerConfig(sandbox, id);
    const namespaces: { network?: NamespaceMode; ipc?: NamespaceMode; uts?: NamespaceMode; pid?: NamespaceMode } = { ...placement.namespaces };
    if (pod.spec?.hostIPC) namespaces.ipc = 'host';
    if (pod.spec?.hostPID) namespaces.pid = 'host';
    else if (pod.spec?.shareProcessNamespace && sandbox.pausePid) namespaces.pid = { join: `/proc/${sandbox.pausePid}/ns/pid` };
    const resources = containerResources({ requests: spec.resources?.requests, limits: spec.resources?.limits });
    const qos = podQos(pod);
    const privileged = !!sc.privileged;
    return {
      args: argv,
      env: mergeImageEnv(defaults.Env ?? undefined, env),
      cwd,
      user: { uid: user.uid, gid: user.gid, ...(additionalGids.length ? { additionalGids } : {}) },
      mounts,
      ...placement,
      namespaces,
      resources,
      readOnlyRootfs: !!sc.readOnlyRootFilesystem,
      capabilities: privileged ? { add: ['ALL'] } : { add: sc.capabilities?.add ?? [], drop: sc.capabilities?.drop ?? [] },
      seccomp: privileged || (sc.seccompProfile ?? psc.seccompProfile)?.type === 'Unconfined' ? ('unconfined' as const) : ('default' as const),
      noNewPrivileges: !(privileged || sc.allowPrivilegeEscalation === true),
      oomScoreAdj: Math.max(this.d.node.minOomScoreAdj, oomScoreAdj(qos, resources.memoryRequestBytes ?? 0, this.d.node.memoryBytes)),
      terminal: !!spec.tty,
    };
  }

  private async terminate(obs: PodObservation, graceSeconds: number, reason: string): Promise<void> {
    this.log.info({ graceSeconds, reason }, 'stopping pod');
    this.probesForget();
    const running = obs.observed.containers.filter((c) => c.state === 'running' || c.state === 'created');
    if (running.length) {
      for (const c of running) this.event('Normal', 'Killing', `Stopping container ${c.name}`);
      await Promise.all(running.map((c) => this.d.runtime.stop(c.id, graceSeconds)));
    }
    for (const c of obs.observed.containers) await this.removeContainer(c.id);
    await this.d.sandboxes.teardown(this.uid, 0);
    this.d.crashBackoff.forgetPrefix(`${this.uid}/`);
    this.d.failureBackoff.forgetPrefix(`${this.uid}/`);
    const pod = this.desired;
    if (pod?.metadata?.deletionTimestamp) {
      try {
        await this.d.client.delete('Pod', pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (err) {
        // Gone already, or a new pod of the same name took its place: either way this one is done.
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    this.finished = true;
    this.log.info('pod removed from the node');
    this.d.onFinished(this.uid);
  }

  /** The pod with the newest status known: ours if the informer has not caught up with our last write. */
  private withNewestStatus(pod: Pod): Pod {
    if (this.lastWritten && rvOlder(pod.metadata?.resourceVersion, this.lastWrittenRv)) return { ...pod, status: this.lastWritten };
    return pod;
  }

  private async report(desired: Pod, obs: PodObservation, plan: PodPlan): Promise<void> {
    const pod = this.withNewestStatus(desired);
    const specs = new Map<string, Container>([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [c.name ?? '', c]));
    const status = computePodStatus({
      pod,
      observed: obs.observed,
      plan,
      startFailures: this.startFailures,
      backoffDelayMs: (name) => this.d.crashBackoff.delay(this.key(name)),
      probes: (id) => {
        const c = obs.observed.containers.find((x) => x.id === id);
        return this.d.probes.view(id, specs.get(c?.name ?? '') ?? {});
      },
      hostIP: this.d.node.hostIP,
      now: new Date().toISOString(),
    });
    if (semanticEqual(pod.status ?? {}, status)) return;
    await this.writeStatus(desired, status);
  }

  private async writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    let cur = pod;
    for (let attempt = 0; ; attempt++) {
      try {
        const written = await this.d.client.updateStatus({ ...cur, apiVersion: 'v1', kind: 'Pod', status });
        this.lastWritten = written.status ?? status;
        this.lastWrittenRv = written.metadata?.resourceVersion;
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= STATUS_WRITE_ATTEMPTS) throw err;
      }
      cur = await this.d.client.get('Pod', pod.metadata?.namespace, pod.metadata?.name ?? '');
      if (cur.metadata?.uid !== this.uid) return;
      // Timestamps kept from the newest status, so a retry changes nothing else.
      status = keepTransitionTimes(status, cur.status);
    }
  }

  private syncProbes(pod: Pod, obs: PodObservation): void {
    const specs = new Map((pod.spec?.containers ?? []).map((c) => [c.name ?? '', c]));
    const reported = new Map((pod.status?.containerStatuses ?? []).map((st) => [st.containerID, st]));
    const running = obs.observed.containers
      .filter((c) => c.kind === 'container' && c.state === 'running' && specs.has(c.name))
      .map((c) => {
        const last = reported.get(`runc://${c.id}`);
        return {
          id: c.id,
          name: c.name,
          spec: specs.get(c.name)!,
          ...(c.startedAt ? { startedAt: c.startedAt } : {}),
          ...(last ? { reported: { ready: !!last.ready, started: !!last.started } } : {}),
        };
      });
    this.d.probes.sync(this.uid, running, {
      ...(obs.sandbox?.network?.ip ? { podIP: obs.sandbox.network.ip } : {}),
      ...(obs.sandbox ? { netnsPath: obs.sandbox.netnsPath } : {}),
    });
  }
}

/** Whether resourceVersion `a` is older than `b` (etcd revisions, compared as numbers). */
function rvOlder(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  try {
    return BigInt(a) < BigInt(b);
  } catch {
    return false;
  }
}

/** Conditions whose status did not change keep the transition time the server has. */
function keepTransitionTimes(status: PodStatus, server: PodStatus | undefined): PodStatus {
  const conditions = status.conditions?.map((c) => {
    const s = server?.conditions?.find((x) => x.type === c.type);
    return s && s.status === c.status && s.lastTransitionTime ? { ...c, lastTransitionTime: s.lastTransitionTime } : c;
  });
  return { ...status, ...(conditions ? { conditions } : {}), startTime: server?.startTime || status.startTime };
}

/** /etc/passwd and /etc/group of an image, from its topmost layer that has them. */
async function imageIdFiles(layers: string[]): Promise<{ passwd?: string; group?: string }> {
  const find = async (file: string) => {
    for (const layer of [...layers].reverse()) {
      const text = await readFile(join(layer, file), 'utf8').catch(() => undefined);
      if (text !== undefined) return text;
    }
    return undefined;
  };
  const passwd = await find('etc/passwd');
  const group = await find('etc/group');
  return { ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) };
}
