// The container runtime: runc with a per-node root, each container under a
// conmon monitor. Everything needed to find a container again lives on disk
// (runc's root, the bundle dir with our meta.json, conmon's exit file), so an
// agent restarted after a crash adopts what is running instead of starting it twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../lib/errors.js';
import { readCgroupLayout, readOomKillCount, type CgroupLayout } from './cgroups.js';
import { commandError, runCommand, type CommandResult } from './command.js';
import { runConmon } from './conmon.js';
import {
  CONTAINER_ID,
  containerInfo,
  type ContainerInfo,
  type ContainerMeta,
  type RuncState,
} from './container-state.js';
import type { OciSpec } from './oci.js';
import { RuncStateReader, StateUnreadable } from './runc-state.js';

export const DEFAULT_RUNC = '/usr/sbin/runc';
export const DEFAULT_CONMON = '/usr/bin/conmon';

export interface RuntimeOptions {
  /** The node's runtime state: runc root, bundles, exit codes, conmon sockets. One per agent. */
  stateDir: string;
  runc?: string;
  conmon?: string;
  /** Read from /proc/self/mountinfo when not given. */
  cgroups?: CgroupLayout;
  /** conmon rotates a container log above this size. */
  maxLogBytes?: number;
}

export interface CreateOptions {
  /** Where conmon writes the container's output, CRI format. Its directory is created. */
  logPath: string;
}

export interface ExecOptions {
  env?: { name: string; value: string }[];
  cwd?: string;
  user?: { uid: number; gid: number };
  /** Run under a pseudo-terminal (stdout and stderr then arrive merged on stdout). */
  tty?: boolean;
  /** Fed to the process's stdin, which is then closed; without it stdin is empty. */
  stdin?: string | Buffer;
  /** Kill the exec'd runc after this long (its exit code is then 137). */
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const POLL_MS = 100;
/** How long a SIGKILLed container may take to be reaped before we call it stuck. */
const KILL_WAIT_MS = 10_000;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class RuncRuntime {
  readonly runcRoot: string;
  readonly containersDir: string;
  readonly exitDir: string;
  readonly socketDir: string;
  private readonly runc: string;
  private readonly conmon: string;
  private layout: CgroupLayout | undefined;
  private readonly states: RuncStateReader;
  /**
   * Each container's meta.json and conmon's pid as this runtime wrote or first
   * read them: only this runtime writes them, and a container's state is read
   * several times per pod sync. A new runtime (a restarted agent) reads the files.
   */
  private readonly metas = new Map<string, ContainerMeta>();
  private readonly conmonPids = new Map<string, number>();
  /** The runc root, exit and socket dirs exist (made by the first create; nothing removes them). */
  private baseDirsMade = false;
  /** Bumped by every forget: a read that a deletion overtook must not be remembered. */
  private forgets = 0;

  constructor(private readonly opts: RuntimeOptions) {
    this.runcRoot = join(opts.stateDir, 'runc');
    this.containersDir = join(opts.stateDir, 'containers');
    this.exitDir = join(opts.stateDir, 'exits');
    this.socketDir = join(opts.stateDir, 'sockets');
    this.runc = opts.runc ?? DEFAULT_RUNC;
    this.conmon = opts.conmon ?? DEFAULT_CONMON;
    this.layout = opts.cgroups;
    this.states = new RuncStateReader(this.runcRoot);
  }

  private async readMeta(id: string): Promise<ContainerMeta | undefined> {
    const known = this.metas.get(id);
    if (known) return known;
    const epoch = this.forgets;
    const meta = await readJson<ContainerMeta>(join(this.bundleDir(id), 'meta.json'));
    if (meta && epoch === this.forgets) this.metas.set(id, meta);
    return meta;
  }

  private async writeMeta(id: string, meta: ContainerMeta): Promise<void> {
    await writeFile(join(this.bundleDir(id), 'meta.json'), JSON.stringify(meta, null, 2));
    this.metas.set(id, meta);
  }

  /** Forgets what is remembered of a container whose files are going. */
  private forget(id: string): void {
    this.forgets++;
    this.metas.delete(id);
    this.conmonPids.delete(id);
    this.states.forget(id);
  }

  /** The bundle directory of a container (config.json, meta.json, conmon's files). */
  bundleDir(id: string): string {
    return join(this.containersDir, checkId(id));
  }

  private async cgroupLayout(): Promise<CgroupLayout> {
    this.layout ??= await readCgroupLayout();
    return this.layout;
  }

  private runcCmd(args: string[], opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
    return runCommand(this.runc, [`--root=${this.runcRoot}`, ...args], { timeoutMs: opts.timeoutMs ?? 60_000 });
  }

  /**
   * Writes the bundle and has conmon create the container (state `created`:
   * namespaces and cgroup made, the process waiting to exec). `start` runs it.
   */
  async create(id: string, spec: OciSpec, opts: CreateOptions): Promise<ContainerInfo> {
    checkId(id);
    const dir = this.bundleDir(id);
    if ((await pathExists(dir)) || (await this.runcState(id))) {
      throw new ApiError('AlreadyExists', `container ${id} already exists in ${this.runcRoot}; delete it first or pick another id`);
    }
    if (!this.baseDirsMade) {
      for (const d of [this.runcRoot, this.exitDir, this.socketDir]) await mkdir(d, { recursive: true });
      this.baseDirsMade = true;
    }
    for (const d of [dir, dirname(opts.logPath)]) await mkdir(d, { recursive: true });
    await rm(join(this.exitDir, id), { force: true });

    const cgroupsPath = spec.linux.cgroupsPath;
    // A group left over from an earlier container of the same path keeps its counter; count from here.
    const baseline = cgroupsPath ? ((await readOomKillCount(await this.cgroupLayout(), cgroupsPath)) ?? 0) : 0;
    const uuid = createHash('sha256').update(`${this.runcRoot}\0${id}`).digest('hex').slice(0, 16);
    const meta: ContainerMeta = {
      id,
      createdAt: new Date().toISOString(),
      logPath: opts.logPath,
      ...(cgroupsPath ? { cgroupsPath } : {}),
      oomKillBaseline: baseline,
      conmonUuid: uuid,
      annotations: spec.annotations ?? {},
    };
    this.forget(id);
    await writeFile(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
    await this.writeMeta(id, meta);
    try {
      await runConmon(
        {
          conmon: this.conmon,
          runc: this.runc,
          runcRoot: this.runcRoot,
          id,
          uuid,
          bundle: dir,
          pidFile: join(dir, 'pid'),
          conmonPidFile: join(dir, 'conmon.pid'),
          exitDir: this.exitDir,
          logPath: opts.logPath,
          socketDir: this.socketDir,
          maxLogBytes: this.opts.maxLogBytes,
        },
        join(dir, 'conmon.log'),
      );
    } catch (err) {
      await this.delete(id).catch(() => undefined);
      throw new ApiError('Internal', `cannot create container ${id}: ${(err as Error).message}`);
    }
    const info = await this.state(id);
    if (!info) throw new ApiError('Internal', `container ${id} vanished right after creation; see ${join(dir, 'conmon.log')}`);
    return info;
  }

  /** Runs a created container's process. */
  async start(id: string): Promise<void> {
    const r = await this.runcCmd(['start', checkId(id)]);
    if (r.code !== 0) throw new ApiError('Internal', `cannot start container ${id}: ${commandError('runc', ['start', id], r)}`);
    const meta = await this.readMeta(id);
    if (meta) await this.writeMeta(id, { ...meta, startedAt: new Date().toISOString() });
  }

  /** runc's view of a container, read from runc's own files; runc itself is asked only when those are not readable. */
  private async runcState(id: string): Promise<RuncState | undefined> {
    try {
      return await this.states.read(id);
    } catch (err) {
      if (!(err instanceof StateUnreadable)) throw err;
    }
    const r = await this.runcCmd(['state', id]);
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as RuncState;
  }

  private async observe(id: string, runc: RuncState | undefined): Promise<ContainerInfo | undefined> {
    const meta = await this.readMeta(id);
    if (!runc && !meta) return undefined;
    const exitPath = join(this.exitDir, id);
    let exitFile = await readText(exitPath);
    // runc reports `stopped` a moment before conmon has reaped the process and written the code.
    if (runc?.status === 'stopped' && exitFile === undefined) {
      const conmonPid = await this.conmonPid(id);
      for (let i = 0; i < 20 && exitFile === undefined && conmonPid && isAlive(conmonPid); i++) {
        await sleep(50);
        exitFile = await readText(exitPath);
      }
    }
    const exitStat = exitFile !== undefined ? await stat(exitPath).catch(() => undefined) : undefined;
    const stopped = runc?.status === 'stopped' || (!runc && exitFile !== undefined);
    const oomKills = stopped && meta?.cgroupsPath ? await readOomKillCount(await this.cgroupLayout(), meta.cgroupsPath) : undefined;
    const conmonPid = await this.conmonPid(id);
    return containerInfo({
      id,
      runc,
      meta,
      exitFile,
      exitTime: exitStat?.mtime.toISOString(),
      oomKills,
      conmonPid: conmonPid && isAlive(conmonPid) ? conmonPid : undefined,
    });
  }

  private async conmonPid(id: string): Promise<number | undefined> {
    const known = this.conmonPids.get(id);
    if (known) return known;
    const epoch = this.forgets;
    const text = await readText(join(this.bundleDir(id), 'conmon.pid'));
    const n = text ? Number.parseInt(text.trim(), 10) : NaN;
    if (!(Number.isFinite(n) && n > 0)) return undefined;
    if (epoch === this.forgets) this.conmonPids.set(id, n);
    return n;
  }

  /** The container as runc and our files see it; undefined if neither knows it. */
  async state(id: string): Promise<ContainerInfo | undefined> {
    checkId(id);
    return this.observe(id, await this.runcState(id));
  }

  /**
   * Every container of this node's runtime: runc's list joined with the
   * bundle dirs, so a restarted agent finds running ones (same pids) and
   * ones that exited while it was away.
   */
  async listContainers(): Promise<ContainerInfo[]> {
    // What `runc list` does: every directory of runc's root whose state loads.
    const byId = new Map<string, RuncState>();
    const names = (await readdir(this.runcRoot).catch(() => [] as string[])).filter((n) => CONTAINER_ID.test(n));
    const states = await Promise.all(names.map((n) => this.runcState(n)));
    names.forEach((n, i) => states[i] && byId.set(n, states[i]!));
    const ids = new Set(byId.keys());
    for (const name of await readdir(this.containersDir).catch(() => [] as string[])) if (CONTAINER_ID.test(name)) ids.add(name);
    const out: ContainerInfo[] = [];
    for (const id of [...ids].sort()) {
      const info = await this.observe(id, byId.get(id));
      if (info) out.push(info);
    }
    return out;
  }

  /** Sends a signal (`SIGTERM`, `KILL`, `9`...) to the container's init, or with `all` to every process in it. No-op once stopped. */
  async kill(id: string, signal: string = 'SIGTERM', all = false): Promise<void> {
    const args = ['kill', ...(all ? ['--all'] : []), checkId(id), signal];
    const r = await this.runcCmd(args);
    if (r.code === 0) return;
    const after = await this.runcState(id);
    if (!after || after.status === 'stopped') return;
    throw new ApiError('Internal', `cannot signal container ${id}: ${commandError('runc', args, r)}`);
  }

  /** Waits until conmon has recorded the container's exit; false on timeout. */
  async waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const exitPath = join(this.exitDir, checkId(id));
    for (;;) {
      if (await pathExists(exitPath)) return true;
      const s = await this.runcState(id);
      if (!s) return true;
      if (s.status === 'stopped') {
        const conmon = await this.conmonPid(id);
        if (!conmon || !isAlive(conmon)) return true;
      }
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }

  /**
   * Graceful stop: SIGTERM, up to `graceSeconds` to exit, then SIGKILL to every
   * process. Returns the final state (exit code, reason).
   */
  async stop(id: string, graceSeconds: number, stopSignal = 'SIGTERM'): Promise<ContainerInfo | undefined> {
    const before = await this.state(id);
    if (!before) return undefined;
    if (before.status === 'running' || before.status === 'paused') {
      if (before.status === 'paused') await this.runcCmd(['resume', id]);
      if (graceSeconds > 0) {
        await this.kill(id, stopSignal);
        if (await this.waitForExit(id, graceSeconds * 1000)) return this.state(id);
      }
    }
    if (before.status !== 'stopped') {
      await this.kill(id, 'SIGKILL', true);
      if (!(await this.waitForExit(id, KILL_WAIT_MS))) {
        throw new ApiError('Internal', `container ${id} did not exit within ${KILL_WAIT_MS} ms of SIGKILL; check for processes in D state in its cgroup`);
      }
    }
    return this.state(id);
  }

  /**
   * Removes the container (killing it if needed), its bundle dir, exit file
   * and conmon socket link; keeps its log. Returns its last state. Idempotent.
   */
  async delete(id: string): Promise<ContainerInfo | undefined> {
    checkId(id);
    let last = await this.state(id);
    if (last && last.status !== 'stopped' && last.status !== 'unknown') last = await this.stop(id, 0);
    const r = await this.runcCmd(['delete', '--force', id]);
    if (r.code !== 0 && (await this.runcState(id))) {
      throw new ApiError('Internal', `cannot delete container ${id}: ${commandError('runc', ['delete', id], r)}`);
    }
    const meta = await this.readMeta(id);
    const conmon = await this.conmonPid(id);
    if (conmon && isAlive(conmon) && (await processName(conmon)) === 'conmon') {
      // conmon exits on its own once the container has; one still here after delete is orphaned.
      await sleep(200);
      if (isAlive(conmon)) process.kill(conmon, 'SIGKILL');
    }
    if (meta?.conmonUuid) await rm(join(this.socketDir, meta.conmonUuid), { force: true });
    this.forget(id);
    await rm(this.bundleDir(id), { recursive: true, force: true });
    await rm(join(this.exitDir, id), { force: true });
    this.forget(id);
    return last;
  }

  /** The runc exec command line for `args` in container `id`. */
  execArgs(id: string, args: string[], opts: ExecOptions = {}): string[] {
    if (!args.length) throw new ApiError('BadRequest', 'exec needs a command to run');
    const a = [`--root=${this.runcRoot}`, 'exec'];
    if (opts.tty) a.push('--tty');
    if (opts.cwd) a.push('--cwd', opts.cwd);
    if (opts.user) a.push('--user', `${opts.user.uid}:${opts.user.gid}`);
    for (const e of opts.env ?? []) a.push('--env', `${e.name}=${e.value}`);
    a.push(checkId(id), ...args);
    return a;
  }

  /**
   * Starts a process in a running container and hands back the child, for
   * streaming (logs/exec servers). With `tty`, runc needs a terminal on its
   * own stdio, so it runs under util-linux `script`, which provides one.
   */
  spawnExec(id: string, args: string[], opts: ExecOptions = {}): ChildProcess {
    const runcArgs = this.execArgs(id, args, opts);
    if (opts.tty) {
      const line = [this.runc, ...runcArgs].map(shellQuote).join(' ');
      return spawn('script', ['--quiet', '--return', '--command', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    }
    return spawn(this.runc, runcArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Runs a command in a running container to completion; the exit code is the command's (128+n for signal n). */
  async exec(id: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const state = await this.runcState(checkId(id));
    if (!state || state.status !== 'running') {
      throw new ApiError('BadRequest', `container ${id} is ${state?.status ?? 'not found'}, not running; exec needs a running container`);
    }
    const child = this.spawnExec(id, args, opts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.stdin!.on('error', () => undefined);
    // Closing a terminal's input makes `script` type an EOF into it, which the
    // terminal echoes; leave it open and let it close when the process ends.
    if (opts.tty) {
      if (opts.stdin !== undefined) child.stdin!.write(opts.stdin);
    } else {
      child.stdin!.end(opts.stdin ?? '');
    }
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, sig) => resolve(c ?? (sig ? 137 : 1)));
    }).finally(() => timer && clearTimeout(timer));
    return { exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }
}

function checkId(id: string): string {
  if (!CONTAINER_ID.test(id)) {
    throw new ApiError('Invalid', `container id ${JSON.stringify(id)} is not valid: use letters, digits, "_", ".", "+", "-", at most 128, starting with a letter or digit`);
  }
  return id;
}

// Synchronous on purpose: small local files (the bundle's meta.json, conmon's
// pid and exit files) read many times per pod sync, where a promise-based read
// costs the event loop four thread-pool round trips for microseconds of work.
async function pathExists(p: string): Promise<boolean> {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

async function readText(p: string): Promise<string | undefined> {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

async function readJson<T>(p: string): Promise<T | undefined> {
  const t = await readText(p);
  if (t === undefined) return undefined;
  try {
    return JSON.parse(t) as T;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function processName(pid: number): Promise<string | undefined> {
  return (await readText(`/proc/${pid}/comm`))?.trim();
}
