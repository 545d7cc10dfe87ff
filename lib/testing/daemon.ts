// A server binary started for tests (etcd, the image registry): its own
// throw-away dir, its log kept for error messages, killed with this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { isRunning } from '../process-state.js';

export { isRunning };

export interface DaemonSpec {
  /** How messages name it, e.g. `etcd`, `the registry`. */
  what: string;
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The daemon's own temporary dir; removed when it stops. */
  dir: string;
  /** Where it serves, for error messages, e.g. `http://127.0.0.1:40123`. */
  address: string;
  /** Copy its log to this process's stderr as it comes (default: shown only when start fails). */
  showLogs?: boolean;
  /** Resolves once the daemon serves; rejects with the last thing it saw. */
  waitReady(hasExited: () => boolean): Promise<void>;
}

export interface Daemon {
  readonly pid: number;
  /** SIGTERM, then SIGKILL after a grace period; removes its dir. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines it logged. */
  logs(): string;
}

/** A daemon that did not start; `portTaken` when it lost its port to another process (worth a retry). */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }
}

const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 8_000;
const SETPRIV = '/usr/bin/setpriv';

/** Daemons of this process still running, so they die with it (see installExitCleanup). */
const running = new Set<{ child: ChildProcess; dir: string }>();

/** Throws a message that says how to install `binary` when it is not there. */
export function assertExecutable(binary: string, howToInstall: string): void {
  if (!isExecutable(binary)) throw new Error(`${binary} is not installed: ${howToInstall}`);
}

/**
 * Runs `start` again when it failed only because another process took a free
 * port between choosing it and the daemon binding it.
 */
export async function retryOnPortTaken<T>(start: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await start();
    } catch (err) {
      lastError = err;
      if (!(err instanceof DaemonStartError) || !err.portTaken) throw err;
    }
  }
  throw lastError;
}

/** Starts the daemon and resolves once it is ready; on failure it is stopped, its dir removed, and its log is in the error. */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  installExitCleanup();
  // setpriv makes the kernel kill the daemon when this process dies, even by SIGKILL,
  // where no 'exit' handler runs (e.g. the test runner killing a timed-out file).
  const child = isExecutable(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', spec.binary, ...spec.args], { stdio: ['ignore', 'pipe', 'pipe'], env: spec.env })
    : spawn(spec.binary, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: spec.env });
  const entry = { child, dir: spec.dir };
  running.add(entry);

  let logTail = '';
  const onLog = (chunk: Buffer): void => {
    if (spec.showLogs) process.stderr.write(chunk);
    logTail = (logTail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout!.on('data', onLog);
  child.stderr!.on('data', onLog);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    // 'close' rather than 'exit': it comes after the daemon's last log lines are read.
    child.once('close', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      logTail += `\nspawn failed: ${err.message}`;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  // A test that forgets stop() must not hang its process: the exit cleanup kills the daemon instead.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exitPromise;
        clearTimeout(killTimer);
      }
      running.delete(entry);
      await rm(spec.dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await spec.waitReady(() => exited !== undefined);
  } catch (err) {
    const exitedEarly = exited;
    await stop();
    const why = exitedEarly
      ? `it exited (${exitedEarly.signal ?? `code ${exitedEarly.code}`}) before answering`
      : (err as Error).message;
    throw new DaemonStartError(
      `could not start ${spec.what} (${spec.binary} on ${spec.address}): ${why}\n--- ${spec.what} log ---\n${logTail}`,
      /address already in use/i.test(logTail),
    );
  }
  return { pid: child.pid!, stop, logs: () => logTail };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** This process's environment without the variables (e.g. ETCD_*) a daemon would read as its own settings. */
export function envWithout(prefix: string): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith(prefix)));
}

let cleanupInstalled = false;

/**
 * Kills every daemon this process started when it exits or is interrupted, so a
 * failing or aborted test leaves no process and no temp dir behind.
 */
function installExitCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(signal, onSignal);
      // Listening to a signal replaces its default action; give it back when nobody else handles it.
      // Raised again even when other listeners remain: a library such as signal-exit (loaded by
      // testcontainers) only ends the process when it is the last listener, and would wait forever.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killAllSync(): void {
  for (const entry of running) entry.child.kill('SIGKILL');
  for (const entry of running) {
    // SIGKILL lands asynchronously: a still-running daemon could add files while they are removed.
    if (entry.child.pid !== undefined) waitGoneSync(entry.child.pid, 2_000);
    try {
      rmSync(entry.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A leftover temp dir is not worth failing the exit over.
    }
  }
  running.clear();
}

/** Blocks (no event loop at exit) until `pid` is gone or a zombie, for at most `timeoutMs`. */
function waitGoneSync(pid: number, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline && isRunning(pid)) Atomics.wait(cell, 0, 0, 5);
}
