// The processes a benchmark starts, and what the kernel says about them:
// resident memory (VmRSS) and CPU time from /proc. Every child dies with the
// bench (parent-death signal) so an aborted run leaves nothing behind.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/, the built tree this file runs from. */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const SETPRIV = '/usr/bin/setpriv';

export interface BenchProc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logPath: string;
  /** resolves with the exit code (128 when killed by a signal) */
  readonly exited: Promise<number>;
  /** last lines of the process's log, for error messages */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once it has exited */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class ProcessSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'tug-bench-'));
  private readonly procs: BenchProc[] = [];

  constructor() {
    dirs.add(this.dir);
  }

  /** `node [nodeArgs] dist/<script> args...`, logging to a file; stdout piped when `stdout` is set. */
  node(name: string, script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; nodeArgs?: string[]; stdout?: boolean } = {}): BenchProc {
    const logPath = join(this.dir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    const argv = [...(opts.nodeArgs ?? []), join(DIST, script), ...args];
    // The kernel kills the child when the bench dies, even by SIGKILL, where no exit handler runs.
    const [cmd, cmdArgs] = executable(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', process.execPath, ...argv]]
      : [process.execPath, argv];
    const child = spawn(cmd, cmdArgs, {
      stdio: ['ignore', opts.stdout ? 'pipe' : fd, fd],
      // Components log at warn: writing info lines at benchmark rates would be measured too.
      env: { ...process.env, TUG_LOG_LEVEL: 'warn', ...opts.env },
    });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
    live.add(child);
    const exited = new Promise<number>((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve(code ?? (signal ? 128 : 0));
      }),
    );
    const proc: BenchProc = {
      name,
      pid: child.pid,
      child,
      logPath,
      exited,
      tail: (lines = 15) => {
        try {
          return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
        } catch {
          return '';
        }
      },
      async stop(graceMs = 10_000) {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      },
    };
    this.procs.push(proc);
    return proc;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }
}

/** Resident memory of a process in bytes (VmRSS), undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process has used so far, undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may hold spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** CPU seconds of the children this process has waited for (cutime + cstime), undefined when unreadable. */
export function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Samples the RSS of named processes every intervalMs, keeping each one's peak and last value. */
export class RssSampler {
  private readonly peak = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Map<string, number>, private readonly intervalMs = 250) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    for (const [name, pid] of this.pids) {
      const rss = rssBytes(pid);
      if (rss === undefined) continue;
      this.last.set(name, rss);
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, rss));
    }
  }

  stop(): { peak: Map<string, number>; last: Map<string, number> } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return { peak: new Map(this.peak), last: new Map(this.last) };
  }
}

/** Busy CPU seconds of the whole machine so far (all cores, from /proc/stat). */
export function machineBusySeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    const busy = f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
    return busy / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * CPU used by each named process between start() and read(), in cores (1.0 =
 * one core busy the whole time), plus "others": every other process on the
 * machine, which on a shared machine competes for the same cores.
 */
export class CpuMeter {
  private readonly start0 = new Map<string, number>();
  private machine0: number | undefined;
  private t0 = 0;

  constructor(private readonly pids: Map<string, number>) {}

  start(): this {
    this.t0 = performance.now();
    this.machine0 = machineBusySeconds();
    for (const [name, pid] of this.pids) {
      const c = cpuSeconds(pid);
      if (c !== undefined) this.start0.set(name, c);
    }
    return this;
  }

  read(): Map<string, number> {
    const wall = (performance.now() - this.t0) / 1000;
    const out = new Map<string, number>();
    let ours = 0;
    for (const [name, pid] of this.pids) {
      const before = this.start0.get(name);
      const now = cpuSeconds(pid);
      if (before === undefined || now === undefined || wall <= 0) continue;
      out.set(name, (now - before) / wall);
      ours += (now - before) / wall;
    }
    const m1 = machineBusySeconds();
    if (this.machine0 !== undefined && m1 !== undefined && wall > 0) out.set('others', Math.max(0, (m1 - this.machine0) / wall - ours));
    return out;
  }
}
