// Component processes for tests: started from dist/, logs kept in files,
// killed when the test ends (or the test process dies).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the built tree (dist/), whatever file imports this. */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Proc {
  name: string;
  child: ChildProcess;
  logPath: string;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export class ProcessGroup {
  readonly dir = mkdtempSync(join(tmpdir(), 'tug-procs-'));
  private readonly procs: Proc[] = [];

  /** Runs `node dist/<script> args...`. */
  node(name: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    return this.spawn(name, process.execPath, [join(DIST, script), ...args], env);
  }

  spawn(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    const logPath = join(this.dir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, TUG_LOG_LEVEL: 'info', ...env } });
    live.add(child);
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code, signal) => {
        live.delete(child);
        resolve(code ?? (signal ? 128 : null));
      }),
    );
    const proc: Proc = {
      name,
      child,
      logPath,
      exited,
      log: () => readFileSync(logPath, 'utf8'),
      async kill(signal: NodeJS.Signals = 'SIGTERM') {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      },
    };
    this.procs.push(proc);
    return proc;
  }

  /** Last lines of every log, for a failing test's message. */
  tails(lines = 20): string {
    return this.procs.map((p) => `--- ${p.name} ---\n${p.log().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `fn` until it returns a truthy value; throws with `what` after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
