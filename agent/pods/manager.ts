// The pods of this node: an informer on pods bound here, one PodWorker per
// pod UID, a watch on the runtime's exit directory so a container's exit is
// handled at once, a periodic resync, and the sweep that removes sandboxes,
// containers, network namespaces and cgroups of pods that no longer exist.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { Informer } from '../../lib/informer/index.js';
import type { Logger } from '../../lib/logging.js';
import { deleteNetns, listNetns } from '../network/netns.js';
import { removeCgroup, type CgroupLayout } from '../runtime/cgroups.js';
import { ANNOTATION } from '../sandbox/sandbox.js';
import { Backoff } from './backoff.js';
import { containerId, containerLogPath } from './naming.js';
import { observePod } from './observe.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import { StartGate } from './start-gate.js';
import { NodeProbeRunner, ProbeManager, type ProbeRunner } from './probes.js';

export interface PodManagerOptions extends Omit<PodWorkerDeps, 'onFinished' | 'probes' | 'crashBackoff' | 'failureBackoff' | 'startGate'> {
  /** Pods making sandboxes and starting containers at once; default: no limit. */
  startConcurrency?: number;
  cgroups: CgroupLayout;
  /** Where SandboxManager keeps network namespaces (`<stateDir>/netns`). */
  netnsDir: string;
  /** How often every pod is synced even without a change; default 10 s. */
  resyncIntervalMs?: number;
  /** How often leftovers of vanished pods are looked for; default 60 s. */
  sweepIntervalMs?: number;
  probeRunner?: ProbeRunner;
  busybox?: string;
  /** Crash-loop back-off: first delay and cap (default 10 s, 5 min). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/** Where a container's output is, for logs and exec. */
export interface ContainerLocation {
  podUid: string;
  podName: string;
  namespace: string;
  container: string;
  /** The runtime id (exec takes it); for `previous`, the id the earlier attempt had. */
  containerId: string;
  logPath: string;
  attempt: number;
  running: boolean;
}

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private readonly informer: Informer<Pod>;
  private readonly probes: ProbeManager;
  private readonly deps: PodWorkerDeps;
  private readonly log: Logger;
  private exitWatcher: FSWatcher | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: PodManagerOptions) {
    this.log = o.log;
    this.informer = new Informer<Pod>(o.client, 'Pod', { fieldSelector: `spec.nodeName=${o.node.nodeName}` }, { log: o.log });
    this.probes = new ProbeManager({
      runner: o.probeRunner ?? new NodeProbeRunner(o.runtime, { ...(o.busybox ? { busybox: o.busybox } : {}) }),
      onChange: (uid) => this.workers.get(uid)?.kick(),
      onFailure: (uid, container, kind, message) => {
        const w = this.workers.get(uid);
        const what = `${kind[0]!.toUpperCase()}${kind.slice(1)} probe of container ${container} failed: ${message}`;
        if (w) void o.events?.event({ ...w.pod, kind: 'Pod', apiVersion: 'v1' }, 'Warning', 'Unhealthy', what.slice(0, 1000));
      },
      log: o.log,
    });
    const backoff = { ...(o.backoffInitialMs ? { initialMs: o.backoffInitialMs } : {}), ...(o.backoffMaxMs ? { maxMs: o.backoffMaxMs } : {}) };
    this.deps = {
      ...o,
      probes: this.probes,
      crashBackoff: new Backoff(backoff),
      failureBackoff: new Backoff(backoff),
      onFinished: (uid) => this.finished(uid),
      ...(o.startConcurrency ? { startGate: new StartGate(o.startConcurrency) } : {}),
    };
  }

  /** Lists the node's pods, removes what belongs to vanished ones, and starts a worker per pod. */
  async start(): Promise<void> {
    await this.informer.start();
    await this.sweep();
    this.informer.onAdd((p) => this.upsert(p));
    this.informer.onUpdate((_old, p) => this.upsert(p));
    this.informer.onDelete((p) => this.gone(p));
    await mkdir(this.o.runtime.exitDir, { recursive: true });
    // conmon writes <exitDir>/<container id> when a container ends: that pod needs a look now.
    this.exitWatcher = watch(this.o.runtime.exitDir, (_event, file) => {
      if (file) this.containerChanged(String(file));
    });
    this.exitWatcher.on('error', (err) => this.log.warn({ err }, 'exit directory watch failed; relying on the periodic resync'));
    const resync = this.o.resyncIntervalMs ?? 10_000;
    this.resyncTimer = setInterval(() => {
      // Spread over part of the interval, so many pods do not all call runc at the same moment.
      for (const w of this.workers.values()) w.kick(Math.floor(Math.random() * Math.min(resync / 2, 2000)));
      this.deps.crashBackoff.gc();
      this.deps.failureBackoff.gc();
    }, resync);
    this.resyncTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep().catch((err: unknown) => this.log.warn({ err }, 'orphan sweep failed')), this.o.sweepIntervalMs ?? 60_000);
    this.sweepTimer.unref();
  }

  /** Stops watching and syncing; containers keep running (a restarted agent adopts them). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.exitWatcher?.close();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.informer.stop();
    this.probes.stop();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    await this.sweeping?.catch(() => undefined);
  }

  /** The pods this agent is working on (for status and tests). */
  podUids(): string[] {
    return [...this.workers.keys()];
  }

  private upsert(pod: Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid;
    if (!uid) return;
    // A late update of a pod this agent has already removed (its final delete is on the way).
    if (this.recentlyFinished.has(uid) && pod.metadata?.deletionTimestamp) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(uid, pod, this.deps);
      this.workers.set(uid, w);
    }
    w.update(pod);
  }

  private gone(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.stopped) return;
    // Our own final delete: the worker has already cleaned up.
    if (this.recentlyFinished.has(uid)) return;
    // Removed from the API (normally by our own final delete): make sure nothing is left on the node.
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(uid, pod, this.deps);
      this.workers.set(uid, w);
    }
    w.update(undefined);
  }

  private finished(uid: string): void {
    this.workers.delete(uid);
    this.recentlyFinished.add(uid);
    // Only the DELETED event that follows our own delete needs it; forget it after a while.
    setTimeout(() => this.recentlyFinished.delete(uid), 5 * 60_000).unref();
  }

  private readonly recentlyFinished = new Set<string>();

  private containerChanged(id: string): void {
    for (const [uid, w] of this.workers) {
      if (id.startsWith(`${uid}-`)) {
        w.kick();
        return;
      }
    }
    // An id in the hashed form (a very long uid): look at every pod.
    if (/^c[0-9a-f]{32}-\d+$/.test(id)) for (const w of this.workers.values()) w.kick();
  }

  /**
   * Removes sandboxes, containers, network namespaces and cgroups of pods
   * that neither the API nor a worker knows. What exists is listed before the
   * known pods are, so a pod that arrives meanwhile is never mistaken for gone.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const { sandboxes, runtime } = this.o;
    const found = new Set<string>();
    for (const s of await sandboxes.list()) found.add(s.podUid);
    for (const c of await runtime.listContainers()) {
      const uid = c.annotations[ANNOTATION.podUid];
      if (uid) found.add(uid);
    }
    for (const n of await listNetns(this.o.netnsDir)) found.add(n);
    const cgroupUids = await this.podCgroups();
    for (const uid of cgroupUids.keys()) found.add(uid);

    const known = new Set<string>([...this.workers.keys(), ...this.informer.list().map((p) => p.metadata?.uid ?? '')]);
    for (const uid of found) {
      if (known.has(uid) || this.stopped) continue;
      this.log.info({ uid }, 'removing leftovers of a pod that no longer exists');
      try {
        await sandboxes.teardown(uid, this.o.orphanGraceSeconds);
        const netns = join(this.o.netnsDir, uid);
        if ((await stat(netns).catch(() => undefined)) !== undefined) await deleteNetns(netns);
        for (const path of cgroupUids.get(uid) ?? []) await removeCgroup(this.o.cgroups, path);
      } catch (err) {
        this.log.warn({ uid, err }, 'could not remove all leftovers of a vanished pod; will try again');
      }
    }
  }

  /** Pod cgroups under the node's parent and its QoS tiers: uid → paths. */
  private async podCgroups(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const parent = this.o.node.cgroupParent;
    const memRoot = this.o.cgroups.mode === 'v2' ? this.o.cgroups.unified : this.o.cgroups.v1.memory;
    if (!memRoot) return out;
    for (const tier of [parent, `${parent}/burstable`, `${parent}/besteffort`]) {
      for (const name of await readdir(join(memRoot, tier)).catch(() => [] as string[])) {
        const m = /^pod(.+)$/.exec(name);
        if (!m) continue;
        out.set(m[1]!, [...(out.get(m[1]!) ?? []), `${tier}/${name}`]);
      }
    }
    return out;
  }

  /**
   * Where a container of a pod on this node is: its runtime id and log file,
   * for the logs and exec service. `previous` asks for the attempt before the
   * current one (`tug logs --previous`). Throws NotFound / BadRequest with a
   * message for the user.
   */
  async containerFor(namespace: string, name: string, container?: string, previous = false): Promise<ContainerLocation> {
    const pod = this.informer.get(`${namespace}/${name}`);
    const uid = pod?.metadata?.uid;
    if (!pod || !uid) throw new ApiError('NotFound', `pod "${name}" in namespace "${namespace}" is not on node ${this.o.node.nodeName}`);
    const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name ?? '');
    const apps = (pod.spec?.containers ?? []).map((c) => c.name ?? '');
    let cname = container;
    if (!cname) {
      if (apps.length !== 1) throw new ApiError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${apps.join(' ')}]`);
      cname = apps[0]!;
    }
    if (!names.includes(cname)) {
      throw new ApiError('BadRequest', `container ${cname} is not valid for pod ${name}; choose one of: [${names.join(' ')}]`);
    }
    const { observed } = await observePod(this.o.runtime, this.o.sandboxes, uid);
    const attempts = observed.containers.filter((c) => c.name === cname).sort((a, b) => b.attempt - a.attempt);
    const podDir = this.o.sandboxes.podDir(uid);
    const latest = attempts[0]?.attempt ?? observed.lastAttempts[cname];
    const base = { podUid: uid, podName: name, namespace, container: cname };
    if (latest === undefined) {
      throw new ApiError('BadRequest', `container "${cname}" in pod "${name}" is waiting to start`);
    }
    const attempt = previous ? latest - 1 : latest;
    const logPath = containerLogPath(podDir, cname, attempt);
    const runtimeEntry = attempts.find((c) => c.attempt === attempt);
    if (previous && (attempt < 0 || !(await stat(logPath).catch(() => undefined)))) {
      throw new ApiError('BadRequest', `previous terminated container "${cname}" in pod "${name}" not found`);
    }
    return {
      ...base,
      containerId: runtimeEntry?.id ?? containerId(uid, cname, attempt),
      logPath: runtimeEntry?.logPath ?? logPath,
      attempt,
      running: runtimeEntry?.state === 'running',
    };
  }
}
