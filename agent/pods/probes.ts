// Liveness, readiness and startup probes. One worker per (running container,
// probe kind) runs the probe every periodSeconds after initialDelaySeconds;
// a result only flips after successThreshold / failureThreshold consecutive
// outcomes (ProbeCounter, pure). A flip wakes the pod's worker, which kills
// a container whose liveness or startup probe failed and reports readiness.
//
// exec probes run through the runtime (runc exec). httpGet and tcpSocket run
// busybox wget / nc inside the pod's network namespace (nsenter), where the
// pod IP is always local whichever namespace the agent itself runs in.
import type { Container, ContainerPort, Probe } from '../../lib/api/generated/types.js';
import type { Logger } from '../../lib/logging.js';
import { runCommand } from '../runtime/command.js';
import type { RuncRuntime } from '../runtime/runc.js';
import type { ProbeView } from './status.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeOutcome {
  result: 'success' | 'failure';
  message: string;
}

export interface ProbeTarget {
  containerId: string;
  podIP?: string;
  /** The pod's network namespace, where httpGet/tcpSocket connect from. */
  netnsPath?: string;
  ports?: ContainerPort[];
}

export interface ProbeRunner {
  run(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome>;
}

/** The result a probe reports before it has run: not ready, alive, not yet started. */
export function initialResult(kind: ProbeKind): ProbeResult {
  return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
}

/** Consecutive-outcome thresholds (the kubelet worker's resultRun logic). */
export class ProbeCounter {
  private lastOutcome: 'success' | 'failure' | undefined;
  private run = 0;
  result: ProbeResult;

  constructor(
    private readonly successThreshold: number,
    private readonly failureThreshold: number,
    initial: ProbeResult,
  ) {
    this.result = initial;
  }

  /** Records one outcome; returns true when the reported result changed. */
  record(outcome: 'success' | 'failure'): boolean {
    if (outcome === this.lastOutcome) this.run++;
    else {
      this.lastOutcome = outcome;
      this.run = 1;
    }
    const threshold = outcome === 'success' ? Math.max(1, this.successThreshold) : Math.max(1, this.failureThreshold);
    if (this.run < threshold || this.result === outcome) return false;
    this.result = outcome;
    return true;
  }
}

export function probeSettings(p: Probe): { initialDelayMs: number; periodMs: number; timeoutMs: number; success: number; failure: number } {
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds || 10) * 1000,
    timeoutMs: Math.max(1, p.timeoutSeconds || 1) * 1000,
    success: Math.max(1, p.successThreshold || 1),
    failure: Math.max(1, p.failureThreshold || 3),
  };
}

/** A probe's port: a number, or the name of one of the container's ports. */
export function resolvePort(port: number | string | undefined, ports: ContainerPort[] = []): number {
  if (typeof port === 'number' && port > 0 && port < 65536) return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return resolvePort(Number(port), ports);
  const named = ports.find((p) => p.name === port)?.containerPort;
  if (typeof port === 'string' && named) return named;
  throw new Error(`probe port ${JSON.stringify(port)} is neither a port number nor the name of a container port`);
}

/** The busybox command line of an httpGet probe (run inside the pod's network namespace). */
export function httpProbeArgv(busybox: string, p: NonNullable<Probe['httpGet']>, target: ProbeTarget, timeoutSeconds: number): string[] {
  const host = p.host || target.podIP || '127.0.0.1';
  const port = resolvePort(p.port, target.ports);
  const scheme = (p.scheme || 'HTTP').toLowerCase();
  let path = p.path || '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const argv = [busybox, 'timeout', String(timeoutSeconds), busybox, 'wget', '-q', '-S', '-O', '/dev/null', '-U', 'tugboat-probe/1.0'];
  if (scheme === 'https') argv.push('--no-check-certificate');
  for (const h of p.httpHeaders ?? []) if (h.name) argv.push('--header', `${h.name}: ${h.value ?? ''}`);
  argv.push(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`);
  return argv;
}

/** Success when wget exited 0 or the last status line is 2xx/3xx (Kubernetes' rule). */
export function httpProbeOutcome(code: number, stderr: string): ProbeOutcome {
  const statuses = [...stderr.matchAll(/HTTP\/\d(?:\.\d)?\s+(\d{3})[^\n]*/g)];
  const last = statuses.at(-1);
  const status = last ? Number(last[1]) : undefined;
  if (code === 0 || (status !== undefined && status >= 200 && status < 400)) return { result: 'success', message: last?.[0].trim() ?? '' };
  if (code === 143 || code === 124) return { result: 'failure', message: 'HTTP probe timed out' };
  // wget -S indents the response headers; its own complaints start at the margin.
  const said = stderr.split('\n').filter((l) => l.trim() && !/^\s/.test(l) && !l.startsWith('Connecting to')).at(-1)?.trim();
  return { result: 'failure', message: last ? `HTTP probe failed with statuscode: ${status}` : said || `HTTP probe failed (exit ${code})` };
}

export function tcpProbeArgv(busybox: string, p: NonNullable<Probe['tcpSocket']>, target: ProbeTarget, timeoutSeconds: number): string[] {
  const host = p.host || target.podIP || '127.0.0.1';
  const port = resolvePort(p.port, target.ports);
  // nc connects, runs `true` on the connection and exits 0; a refused or timed-out connect exits non-zero.
  return [busybox, 'timeout', String(timeoutSeconds), busybox, 'nc', '-w', String(timeoutSeconds), host, String(port), '-e', 'true'];
}

export interface NodeProbeRunnerOptions {
  busybox?: string;
}

/** Runs probes for real: runc exec, and busybox in the pod's network namespace. */
export class NodeProbeRunner implements ProbeRunner {
  private readonly busybox: string;

  constructor(
    private readonly runtime: RuncRuntime,
    o: NodeProbeRunnerOptions = {},
  ) {
    this.busybox = o.busybox ?? '/bin/busybox';
  }

  async run(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
    const timeoutSeconds = Math.max(1, probe.timeoutSeconds || 1);
    try {
      if (probe.exec) {
        const r = await this.runtime.exec(target.containerId, probe.exec.command ?? [], { timeoutMs: timeoutSeconds * 1000 });
        const out = (r.stdout + r.stderr).trim().slice(0, 500);
        if (r.exitCode === 0) return { result: 'success', message: out };
        return { result: 'failure', message: r.exitCode === 137 ? `command timed out after ${timeoutSeconds}s` : `command exited ${r.exitCode}${out ? `: ${out}` : ''}` };
      }
      if (probe.httpGet) {
        const argv = this.inNetns(target, httpProbeArgv(this.busybox, probe.httpGet, target, timeoutSeconds));
        const r = await runCommand(argv[0]!, argv.slice(1), { timeoutMs: timeoutSeconds * 1000 + 5000 });
        return httpProbeOutcome(r.code, r.stderr);
      }
      if (probe.tcpSocket) {
        const argv = this.inNetns(target, tcpProbeArgv(this.busybox, probe.tcpSocket, target, timeoutSeconds));
        const r = await runCommand(argv[0]!, argv.slice(1), { timeoutMs: timeoutSeconds * 1000 + 5000 });
        if (r.code === 0) return { result: 'success', message: '' };
        return { result: 'failure', message: `dial tcp ${probe.tcpSocket.host || target.podIP}:${String(probe.tcpSocket.port)}: ${(r.stderr.trim() || `exit ${r.code}`).slice(0, 300)}` };
      }
      return { result: 'failure', message: 'probe has no handler: set exec, httpGet or tcpSocket' };
    } catch (err) {
      return { result: 'failure', message: (err as Error).message };
    }
  }

  private inNetns(target: ProbeTarget, argv: string[]): string[] {
    return target.netnsPath ? ['nsenter', `--net=${target.netnsPath}`, '--', ...argv] : argv;
  }
}

interface Worker {
  kind: ProbeKind;
  counter: ProbeCounter;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  running: boolean;
  /** Liveness/startup stop probing after a failure, until the container is replaced. */
  onHold: boolean;
}

interface ContainerProbes {
  podUid: string;
  containerId: string;
  name: string;
  spec: Container;
  workers: Map<ProbeKind, Worker>;
  lastMessage: Partial<Record<ProbeKind, string>>;
}

export interface RunningContainer {
  id: string;
  name: string;
  /** ISO time it started, for initialDelaySeconds. */
  startedAt?: string;
  spec: Container;
  /**
   * What the pod's status last said of this very container instance, when it
   * said anything: an agent that restarts keeps a ready container ready until
   * a probe says otherwise, instead of flapping every pod it adopts.
   */
  reported?: { ready: boolean; started: boolean };
}

/** The first result of a probe worker: from the last report of the same container, else the kubelet's defaults. */
export function seededResult(kind: ProbeKind, reported: RunningContainer['reported']): ProbeResult {
  if (reported && kind === 'readiness' && reported.ready) return 'success';
  if (reported && kind === 'startup' && reported.started) return 'success';
  return initialResult(kind);
}

export interface ProbeManagerOptions {
  runner: ProbeRunner;
  /** Called when a result flips, so the pod is synced. */
  onChange: (podUid: string) => void;
  /** Called on every failed probe outcome (for Unhealthy events). */
  onFailure?: (podUid: string, container: string, kind: ProbeKind, message: string) => void;
  log?: Logger;
  now?: () => number;
}

export class ProbeManager {
  private readonly containers = new Map<string, ContainerProbes>();
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: ProbeManagerOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Keeps a worker for each probe of each running container of the pod and
   * stops those of containers no longer running.
   */
  sync(podUid: string, running: RunningContainer[], target: Omit<ProbeTarget, 'containerId' | 'ports'>): void {
    if (this.stopped) return;
    const ids = new Set(running.map((r) => r.id));
    for (const [id, c] of this.containers) if (c.podUid === podUid && !ids.has(id)) this.drop(id);
    for (const r of running) {
      if (this.containers.has(r.id)) continue;
      const entry: ContainerProbes = { podUid, containerId: r.id, name: r.name, spec: r.spec, workers: new Map(), lastMessage: {} };
      this.containers.set(r.id, entry);
      const probes: [ProbeKind, Probe | undefined][] = [
        ['startup', r.spec.startupProbe],
        ['liveness', r.spec.livenessProbe],
        ['readiness', r.spec.readinessProbe],
      ];
      for (const [kind, probe] of probes) {
        if (!probe) continue;
        const s = probeSettings(probe);
        const w: Worker = { kind, counter: new ProbeCounter(s.success, s.failure, seededResult(kind, r.reported)), stopped: false, running: false, onHold: false };
        entry.workers.set(kind, w);
        const started = r.startedAt ? Date.parse(r.startedAt) : this.now();
        const sinceStart = Math.max(0, this.now() - (Number.isFinite(started) ? started : this.now()));
        // First probe once the initial delay is over, spread a little so pods started together do not probe in lockstep.
        const first = Math.max(0, s.initialDelayMs - sinceStart) + Math.floor(Math.random() * Math.min(1000, s.periodMs / 2));
        this.schedule(entry, w, probe, { ...target, containerId: r.id, ports: r.spec.ports }, first);
      }
    }
  }

  private schedule(entry: ContainerProbes, w: Worker, probe: Probe, target: ProbeTarget, delayMs: number): void {
    if (w.stopped || this.stopped) return;
    w.timer = setTimeout(() => void this.tick(entry, w, probe, target), delayMs);
    w.timer.unref();
  }

  private async tick(entry: ContainerProbes, w: Worker, probe: Probe, target: ProbeTarget): Promise<void> {
    if (w.stopped || this.stopped) return;
    const s = probeSettings(probe);
    const startup = entry.workers.get('startup');
    // Until the startup probe has passed, the other probes wait.
    const gated = w.kind !== 'startup' && startup !== undefined && startup.counter.result !== 'success';
    if (!w.onHold && !gated && !w.running) {
      w.running = true;
      let outcome: ProbeOutcome;
      try {
        outcome = await this.o.runner.run(probe, target);
      } finally {
        w.running = false;
      }
      if (w.stopped || this.stopped) return;
      entry.lastMessage[w.kind] = outcome.message;
      if (outcome.result === 'failure') this.o.onFailure?.(entry.podUid, entry.name, w.kind, outcome.message);
      const changed = w.counter.record(outcome.result);
      if (changed) {
        this.o.log?.info({ pod: entry.podUid, container: entry.name, probe: w.kind, result: w.counter.result, message: outcome.message }, 'probe result changed');
        if (w.counter.result === 'failure' && w.kind !== 'readiness') w.onHold = true;
        if (w.kind === 'startup' && w.counter.result === 'success') w.onHold = true; // startup probes stop once passed
        this.o.onChange(entry.podUid);
      }
    }
    this.schedule(entry, w, probe, target, s.periodMs);
  }

  private drop(id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    for (const w of c.workers.values()) {
      w.stopped = true;
      if (w.timer) clearTimeout(w.timer);
    }
    this.containers.delete(id);
  }

  /** What the probes say about a container now. */
  view(containerId: string, spec: Container): ProbeView {
    const c = this.containers.get(containerId);
    const result = (kind: ProbeKind) => c?.workers.get(kind)?.counter.result ?? initialResult(kind);
    const started = !spec.startupProbe || result('startup') === 'success';
    const ready = !spec.readinessProbe || result('readiness') === 'success';
    return { started, ready };
  }

  /** Which probe has failed for the container (liveness or startup), if one has. */
  failure(containerId: string): 'liveness' | 'startup' | undefined {
    const c = this.containers.get(containerId);
    if (!c) return undefined;
    if (c.workers.get('startup')?.counter.result === 'failure') return 'startup';
    if (c.workers.get('liveness')?.counter.result === 'failure') return 'liveness';
    return undefined;
  }

  lastMessage(containerId: string, kind: ProbeKind): string | undefined {
    return this.containers.get(containerId)?.lastMessage[kind];
  }

  forgetPod(podUid: string): void {
    for (const [id, c] of this.containers) if (c.podUid === podUid) this.drop(id);
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.containers.keys()]) this.drop(id);
  }
}
