import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { freePorts, LOOPBACK } from './ports.js';

/** Debian's etcd-server package puts etcd 3.4 here (scripts/install-deps.sh installs it). */
export const DEFAULT_ETCD_BINARY = '/usr/bin/etcd';

export interface StartEtcdOptions {
  /** The etcd binary; default $TUG_ETCD_BINARY, else /usr/bin/etcd. */
  binary?: string;
  /** Folder in which the temporary data dir is made; default os.tmpdir(). */
  dataDirParent?: string;
  /** How long to wait for etcd to answer /health before giving up; default 30 s. */
  startTimeoutMs?: number;
  /** Extra etcd flags, e.g. ['--quota-backend-bytes', '...']. */
  extraArgs?: string[];
  /** Copy etcd's own log to this process's stderr as it comes (default: shown only when start fails). */
  showLogs?: boolean;
}

export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:40123`: what `--etcd-servers` and `new Etcd3({ hosts })` take. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Temporary data dir; removed by stop(). */
  readonly dataDir: string;
  readonly pid: number;
  /** Stops etcd (SIGTERM, then SIGKILL after a grace period) and removes its data dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Compacts etcd's history up to `revision`, so that watches from older revisions fail as compacted. */
  compact(revision: number): Promise<void>;
  /**
   * The value of a Prometheus metric from etcd's /metrics, summed over its label sets;
   * undefined if etcd does not report it. E.g. `etcd_debugging_mvcc_watcher_total`
   * is the number of watchers etcd serves.
   */
  metric(name: string): Promise<number | undefined>;
  /** The last lines etcd logged (kept for error messages). */
  logs(): string;
}

const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 8_000;
const SETPRIV = '/usr/bin/setpriv';

/** etcd processes of this process still running, so they die with it (see installExitCleanup). */
const running = new Set<{ child: ChildProcess; dataDir: string }>();

/**
 * Starts a single-member etcd on two free loopback ports with a fresh data dir,
 * and resolves once it answers /health. Throws with etcd's log when it cannot start.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  const binary = options.binary ?? process.env.TUG_ETCD_BINARY ?? DEFAULT_ETCD_BINARY;
  assertExecutable(binary);
  installExitCleanup();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (err) {
      lastError = err;
      // Another process may take a port between freePorts() and etcd binding it: only that is worth a retry.
      if (!(err instanceof EtcdStartError) || !err.portTaken) throw err;
    }
  }
  throw lastError;
}

class EtcdStartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
    this.name = 'EtcdStartError';
  }
}

function assertExecutable(binary: string): void {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(
      `etcd is not installed at ${binary}: run \`sudo bash scripts/install-deps.sh\` ` +
        `(Debian package etcd-server), or set TUG_ETCD_BINARY to an etcd 3.4+ binary`,
    );
  }
}

/** The etcd command line for one member; pure so it can be checked without starting anything. */
export function etcdArgs(p: { name: string; dataDir: string; clientPort: number; peerPort: number }): string[] {
  const client = `http://${LOOPBACK}:${p.clientPort}`;
  const peer = `http://${LOOPBACK}:${p.peerPort}`;
  return [
    '--name', p.name,
    '--data-dir', p.dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `${p.name}=${peer}`,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', p.name,
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', 'warn',
  ];
}

/** Environment for etcd without ETCD_* variables, which etcd would read as flags. */
function etcdEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ETCD_')) env[key] = value;
  }
  return env;
}

async function startOnce(binary: string, options: StartEtcdOptions): Promise<EtcdServer> {
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const dataDir = await mkdtemp(join(options.dataDirParent ?? tmpdir(), 'tugboat-etcd-'));
  const name = basename(dataDir);
  const args = [...etcdArgs({ name, dataDir, clientPort, peerPort }), ...(options.extraArgs ?? [])];

  // setpriv makes the kernel kill etcd when this process dies, even by SIGKILL,
  // where no 'exit' handler runs (e.g. the test runner killing a timed-out file).
  const withDeathSignal = isExecutable(SETPRIV);
  const child = withDeathSignal
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: etcdEnv() })
    : spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: etcdEnv() });
  const entry = { child, dataDir };
  running.add(entry);

  let logTail = '';
  const onLog = (chunk: Buffer): void => {
    if (options.showLogs) process.stderr.write(chunk);
    logTail = (logTail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout!.on('data', onLog);
  child.stderr!.on('data', onLog);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    // 'close' rather than 'exit': it comes after etcd's last log lines are read.
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
  // A test that forgets stop() must not hang its process: the exit cleanup kills etcd instead.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  const endpoint = `http://${LOOPBACK}:${clientPort}`;

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
      await rm(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await waitHealthy(endpoint, options.startTimeoutMs ?? 30_000, () => exited !== undefined);
  } catch (err) {
    const exitedEarly = exited;
    await stop();
    const why = exitedEarly
      ? `etcd exited (${exitedEarly.signal ?? `code ${exitedEarly.code}`}) before answering`
      : (err as Error).message;
    throw new EtcdStartError(
      `could not start etcd (${binary} on ${endpoint}, peer port ${peerPort}): ${why}\n--- etcd log ---\n${logTail}`,
      /address already in use/i.test(logTail),
    );
  }

  return {
    endpoint,
    clientPort,
    peerPort,
    dataDir,
    pid: child.pid!,
    stop,
    compact: (revision) => compact(endpoint, revision),
    metric: (name) => readMetric(endpoint, name),
    logs: () => logTail,
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function waitHealthy(endpoint: string, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('etcd exited');
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (isHealthy(body)) return;
      last = `/health answered ${res.status} ${body.trim()}`;
    } catch (err) {
      last = `/health: ${(err as Error).message}`;
    }
    await sleep(100);
  }
  throw new Error(`etcd did not become healthy within ${timeoutMs} ms (${last})`);
}

/** etcd's /health body is `{"health":"true"}` (3.4 may add a "reason"). */
export function isHealthy(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { health?: unknown };
    return parsed.health === 'true' || parsed.health === true;
  } catch {
    return false;
  }
}

async function compact(endpoint: string, revision: number): Promise<void> {
  const client = new Etcd3({ hosts: endpoint });
  try {
    await client.kv.compact({ revision, physical: true });
  } finally {
    client.close();
  }
}

async function readMetric(endpoint: string, name: string): Promise<number | undefined> {
  const res = await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`etcd ${endpoint}/metrics answered ${res.status}`);
  return sumMetric(await res.text(), name);
}

/** Sums the samples of metric `name` in Prometheus text format; undefined when there are none. */
export function sumMetric(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    // A sample is `name value` or `name{labels} value`; a longer name with the same prefix is another metric.
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isNaN(value)) total = (total ?? 0) + value;
  }
  return total;
}

let cleanupInstalled = false;

/**
 * Kills every etcd this process started when it exits or is interrupted, so a
 * failing or aborted test leaves no etcd and no data dir behind.
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
    // SIGKILL lands asynchronously: a still-running etcd could add files while they are removed.
    if (entry.child.pid !== undefined) waitGoneSync(entry.child.pid, 2_000);
    try {
      rmSync(entry.dataDir, { recursive: true, force: true, maxRetries: 3 });
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

/** False once the process is gone or a zombie (dead, not yet reaped). */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state letter follows the command name, which is in parentheses and may itself hold ')'.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X';
}
