import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { assertExecutable, envWithout, retryOnPortTaken, startDaemon } from './daemon.js';
import { freePorts, LOOPBACK } from './ports.js';

export { isRunning } from './daemon.js';

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

/**
 * Starts a single-member etcd on two free loopback ports with a fresh data dir,
 * and resolves once it answers /health. Throws with etcd's log when it cannot start.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  const binary = options.binary ?? process.env.TUG_ETCD_BINARY ?? DEFAULT_ETCD_BINARY;
  assertExecutable(
    binary,
    'run `sudo bash scripts/install-deps.sh` (Debian package etcd-server), or set TUG_ETCD_BINARY to an etcd 3.4+ binary',
  );
  return retryOnPortTaken(() => startOnce(binary, options));
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

async function startOnce(binary: string, options: StartEtcdOptions): Promise<EtcdServer> {
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const dataDir = await mkdtemp(join(options.dataDirParent ?? tmpdir(), 'tugboat-etcd-'));
  const endpoint = `http://${LOOPBACK}:${clientPort}`;
  const daemon = await startDaemon({
    what: 'etcd',
    binary,
    args: [...etcdArgs({ name: basename(dataDir), dataDir, clientPort, peerPort }), ...(options.extraArgs ?? [])],
    // ETCD_* variables would be read as flags.
    env: envWithout('ETCD_'),
    dir: dataDir,
    address: `${endpoint}, peer port ${peerPort}`,
    showLogs: options.showLogs,
    waitReady: (hasExited) => waitHealthy(endpoint, options.startTimeoutMs ?? 30_000, hasExited),
  });
  return {
    endpoint,
    clientPort,
    peerPort,
    dataDir,
    pid: daemon.pid,
    stop: daemon.stop,
    compact: (revision) => compact(endpoint, revision),
    metric: (name) => readMetric(endpoint, name),
    logs: daemon.logs,
  };
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
