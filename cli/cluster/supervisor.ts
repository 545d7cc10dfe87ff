// The supervisor: a detached process (`tug cluster supervise`) that owns a
// cluster's component processes, the way systemd owns a k3s install. It
// starts them stage by stage, restarts any that exits with exponential
// back-off, logs each start, exit and restart, and keeps supervisor.json up to
// date for `tug cluster up` (progress) and `tug cluster status`.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComponentSpec, ReadyCheck } from './components.js';
import { componentSpecs, defaultComponentEnv } from './components.js';
import {
  readClusterRecord,
  supervisorFile,
  supervisorRunning,
  writeJsonAtomic,
  type ComponentState,
  type ComponentStatus,
  type SupervisorPhase,
  type SupervisorState,
} from './state.js';

export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A component that ran this long before exiting starts its back-off over. */
export const BACKOFF_RESET_AFTER_MS = 60_000;
export const STOP_GRACE_MS = 10_000;
const READY_POLL_MS = 250;

/** The wait before restarting a component that exited after running `ranForMs`. */
export function nextRestartDelay(previousDelayMs: number | undefined, ranForMs: number): number {
  if (previousDelayMs === undefined || ranForMs >= BACKOFF_RESET_AFTER_MS) return BACKOFF_INITIAL_MS;
  return Math.min(previousDelayMs * 2, BACKOFF_MAX_MS);
}

/** "code 1", "signal SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code ?? '?'}`;
}

/** Stages in start order; stop goes the other way. */
export function stagesOf(specs: ComponentSpec[]): ComponentSpec[][] {
  const byStage = new Map<number, ComponentSpec[]>();
  for (const s of specs) byStage.set(s.stage, [...(byStage.get(s.stage) ?? []), s]);
  return [...byStage.keys()].sort((a, b) => a - b).map((k) => byStage.get(k)!);
}

/** Environment for components: variables etcd and the registry would read as settings are left out. */
export function componentEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('ETCD_') && !k.startsWith('REGISTRY_') && k !== 'TUG_SERVER'));
}

export async function checkReady(check: ReadyCheck): Promise<boolean> {
  if ('http' in check) {
    try {
      const res = await fetch(check.http, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }
  const i = check.tcp.lastIndexOf(':');
  return new Promise((resolve) => {
    const sock = connect({ host: check.tcp.slice(0, i), port: Number(check.tcp.slice(i + 1)), timeout: 2_000 });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

class Runner {
  state: ComponentState = 'stopped';
  child: ChildProcess | undefined;
  restarts = 0;
  delay: number | undefined;
  startedAt: number | undefined;
  lastExit: string | undefined;
  ready = false;
  timer: NodeJS.Timeout | undefined;
  exited: Promise<void> = Promise.resolve();
  readonly logPath: string;

  constructor(
    readonly spec: ComponentSpec,
    private readonly sup: Supervisor,
  ) {
    this.logPath = join(sup.logsDir, `${spec.name}.log`);
  }

  status(): ComponentStatus {
    return {
      name: this.spec.name,
      state: this.state,
      pid: this.child?.pid,
      restarts: this.restarts,
      startedAt: this.startedAt ? new Date(this.startedAt).toISOString() : undefined,
      lastExit: this.lastExit,
      ready: this.ready,
      log: this.logPath,
    };
  }

  start(): void {
    this.timer = undefined;
    if (this.sup.stopping) return;
    const [file, ...args] = this.spec.argv;
    const fd = openSync(this.logPath, 'a');
    writeSync(fd, `--- ${new Date().toISOString()} tug supervisor: starting ${this.spec.name} (start ${this.restarts + 1}): ${this.spec.argv.join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(file!, args, { stdio: ['ignore', fd, fd], env: { ...this.sup.env, ...this.spec.env } });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.state = 'starting';
    this.ready = false;
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) => {
      let done = false;
      const onEnd = (code: number | null, signal: NodeJS.Signals | null, why?: string) => {
        if (done) return;
        done = true;
        this.onExit(child, why ?? describeExit(code, signal));
        resolve();
      };
      child.once('exit', (code, signal) => onEnd(code, signal));
      child.once('error', (err) => onEnd(null, null, `failed to start: ${err.message}`));
    });
    this.sup.log(`${this.spec.name} started, pid ${child.pid ?? '?'}`);
    this.sup.changed();
    void this.watchReady(child);
  }

  private async watchReady(child: ChildProcess): Promise<void> {
    while (this.child === child && !this.sup.stopping) {
      if (!this.spec.ready || (await checkReady(this.spec.ready))) {
        if (this.child !== child) return;
        this.ready = true;
        this.state = 'running';
        this.sup.changed();
        return;
      }
      await sleep(READY_POLL_MS);
    }
  }

  private onExit(child: ChildProcess, how: string): void {
    if (this.child !== child) return;
    const ranFor = Date.now() - (this.startedAt ?? Date.now());
    this.child = undefined;
    this.ready = false;
    this.lastExit = how;
    if (this.sup.stopping) {
      this.state = 'stopped';
      this.sup.log(`${this.spec.name} stopped (${how})`);
      this.sup.changed();
      return;
    }
    this.delay = nextRestartDelay(this.delay, ranFor);
    this.restarts++;
    this.state = 'backoff';
    const line = `${this.spec.name} exited (${how}) after ${(ranFor / 1000).toFixed(1)}s; restart ${this.restarts} in ${this.delay / 1000}s`;
    this.sup.log(line);
    try {
      appendFileSync(this.logPath, `--- ${new Date().toISOString()} tug supervisor: ${line}\n`);
    } catch {
      // the log dir may be going away with the cluster
    }
    this.sup.changed();
    this.timer = setTimeout(() => this.start(), this.delay);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    if (!child) {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.sup.changed();
    child.kill('SIGTERM');
    const kill = setTimeout(() => {
      this.sup.log(`${this.spec.name} did not stop within ${STOP_GRACE_MS / 1000}s of SIGTERM: SIGKILL`);
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(kill);
  }
}

export interface SupervisorOptions {
  stateDir: string;
  logsDir: string;
  specs: ComponentSpec[];
  env?: NodeJS.ProcessEnv;
  /** how long a stage may take to become ready before the next one is started anyway */
  stageTimeoutMs?: number;
}

export class Supervisor {
  readonly logsDir: string;
  readonly env: NodeJS.ProcessEnv;
  stopping = false;
  private phase: SupervisorPhase = 'starting';
  private readonly runners: Runner[];
  private readonly startedAt = new Date().toISOString();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly o: SupervisorOptions) {
    this.logsDir = o.logsDir;
    this.env = o.env ?? componentEnvironment(process.env);
    mkdirSync(o.logsDir, { recursive: true });
    this.runners = o.specs.map((s) => new Runner(s, this));
  }

  log(line: string): void {
    try {
      appendFileSync(join(this.logsDir, 'supervisor.log'), `${new Date().toISOString()} ${line}\n`);
    } catch {
      // see Runner.onExit
    }
  }

  state(): SupervisorState {
    return { pid: process.pid, phase: this.phase, startedAt: this.startedAt, components: this.runners.map((r) => r.status()) };
  }

  /** Schedules a write of supervisor.json; writes never overlap and the last state always lands. */
  changed(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      await writeJsonAtomic(supervisorFile(this.o.stateDir), this.state()).catch((e) => this.log(`cannot write supervisor.json: ${(e as Error).message}`));
    });
  }

  flush(): Promise<void> {
    return this.writing;
  }

  async start(): Promise<void> {
    this.log(`supervisor ${process.pid} starting ${this.runners.length} components`);
    this.changed();
    for (const stage of stagesOf(this.o.specs)) {
      const runners = this.runners.filter((r) => stage.includes(r.spec));
      for (const r of runners) r.start();
      const deadline = Date.now() + (this.o.stageTimeoutMs ?? 120_000);
      while (!this.stopping && runners.some((r) => !r.ready) && Date.now() < deadline) await sleep(READY_POLL_MS);
      if (this.stopping) return;
      const late = runners.filter((r) => !r.ready).map((r) => r.spec.name);
      if (late.length) this.log(`not ready yet: ${late.join(', ')}; starting the next stage anyway`);
    }
    this.phase = 'running';
    this.changed();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.phase = 'stopping';
    this.log('stopping every component');
    this.changed();
    for (const stage of stagesOf(this.o.specs).reverse()) {
      await Promise.all(this.runners.filter((r) => stage.includes(r.spec)).map((r) => r.stop()));
    }
    this.phase = 'stopped';
    this.log('supervisor stopped');
    this.changed();
    await this.flush();
  }
}

/** `tug cluster supervise --state-dir DIR`: runs until SIGTERM, then stops the components. */
export async function runSupervisor(stateDir: string): Promise<number> {
  const record = readClusterRecord(stateDir);
  if (!record) {
    process.stderr.write(`tug cluster supervise: no cluster in ${stateDir} (cluster.json is missing); start one with tug cluster up\n`);
    return 1;
  }
  if (supervisorRunning(stateDir)) {
    process.stderr.write(`tug cluster supervise: a supervisor is already running for ${stateDir}\n`);
    return 1;
  }
  const sup = new Supervisor({
    stateDir,
    logsDir: record.plan.logsDir,
    specs: componentSpecs(record.plan, defaultComponentEnv(record.agentProcs)),
  });
  let stopped: Promise<void> | undefined;
  const done = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      sup.log(`received ${signal}`);
      stopped ??= sup.stop().then(resolve);
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    // Detached, without a terminal: a hang-up means nothing here.
    process.on('SIGHUP', () => sup.log('ignoring SIGHUP'));
  });
  await sup.start();
  await done;
  return 0;
}

