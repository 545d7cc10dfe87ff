// A real multi-node cluster for e2e tests, made the way a user makes one:
// `tug cluster up` (built CLI, real agents in their own network namespaces
// and cgroups), with its etcd from testcontainers (e2e/harness/etcd-container)
// passed in with --etcd-endpoint, or the cluster's own embedded etcd.
//
// Teardown is owed whatever happens: `stop()` (from an `after` hook), a
// SIGINT/SIGTERM/SIGHUP handler and an exit handler all run `tug cluster down`;
// and a cluster whose test process was killed outright (SIGKILL) is removed by
// the next run, found through an owner record in OWNER_DIR.
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ApiClient } from '../../lib/client/api-client.js';
import { REPO_ROOT } from '../../cli/cluster/components.js';
import { readClusterRecord, readSupervisorState, type ComponentStatus } from '../../cli/cluster/state.js';
import type { ClusterPlan, NodePlan } from '../../cli/cluster/topology.js';
import type { Result } from './host.js';

export const TUG = join(REPO_ROOT, 'dist/cli/main.js');
/** One record per running e2e cluster: { owner: "<pid>:<start time>", name, stateDir }. */
export const OWNER_DIR = '/run/tugboat/e2e';

export type EtcdSource = 'container' | 'embedded';

export interface E2eClusterOptions {
  /** name prefix; a random suffix makes every run's cluster its own */
  prefix?: string;
  nodes?: number;
  cpusPerNode?: string;
  memoryPerNode?: string;
  /** default: $TUG_E2E_ETCD, else `container` */
  etcd?: EtcdSource;
  nodeMonitorGracePeriod?: string;
  podEvictionTimeout?: string;
  /** progress lines (e.g. the test's diagnostic) */
  log?: (line: string) => void;
}

export interface E2eCluster {
  name: string;
  stateDir: string;
  /** a directory for the test's own files, removed with the cluster */
  workDir: string;
  plan: ClusterPlan;
  client: ApiClient;
  etcd: EtcdSource;
  /** the external etcd's client URL, when etcd is `container` */
  etcdEndpoint?: string;
  /** how long `tug cluster up` took, ms */
  upMs: number;
  /** runs the built `tug` against this cluster (through the client config `up` wrote) */
  tug(args: string[], opts?: { timeoutMs?: number; stdin?: string }): Promise<Result>;
  node(name: string): NodePlan;
  /** the supervisor's record of a component (`agent-node-2`, `scheduler`, ...) */
  component(name: string): ComponentStatus | undefined;
  /** `tug cluster down`; safe to call again. The external etcd keeps running until stop(). */
  down(): Promise<Result>;
  /** down (if not done yet) and stop the etcd container; for `after` hooks */
  stop(): Promise<void>;
}

interface EtcdHandle {
  endpoint: string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

function tugProcess(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, stdin?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [TUG, ...args], { env, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      children.delete(child);
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: stdout ?? '', stderr: stderr ?? '' });
    });
    children.add(child);
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** `<pid>:<start time>` of a process (start time guards against a reused pid). */
function identity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

interface OwnerRecord {
  owner: string;
  name: string;
  stateDir: string;
}

/** Removes e2e clusters whose test process is gone (killed before it could clean up). */
export function removeOrphanedClusters(log: (line: string) => void = () => {}): string[] {
  let files: string[] = [];
  try {
    files = readdirSync(OWNER_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const f of files) {
    let rec: OwnerRecord;
    try {
      rec = JSON.parse(readFileSync(join(OWNER_DIR, f), 'utf8')) as OwnerRecord;
    } catch {
      continue;
    }
    const pid = Number(rec.owner.split(':')[0]);
    if (identity(pid) === rec.owner) continue;
    log(`removing cluster ${rec.name} left by a test process that is gone (${rec.owner})`);
    const r = spawnSync(process.execPath, [TUG, 'cluster', 'down', '--name', rec.name, '--state-dir', rec.stateDir], { encoding: 'utf8', timeout: 180_000 });
    if (r.status === 0 && !existsSync(rec.stateDir)) {
      rmSync(join(OWNER_DIR, f), { force: true });
      // The run's scratch dir (client config, test files) held the state dir.
      if (basename(rec.stateDir) === 'state') rmSync(dirname(rec.stateDir), { recursive: true, force: true });
      removed.push(rec.name);
    } else {
      log(`could not remove ${rec.name}: ${r.stderr}`);
    }
  }
  return removed;
}

async function startEtcd(source: EtcdSource): Promise<EtcdHandle | undefined> {
  if (source === 'embedded') return undefined;
  // Loaded only when used: it brings testcontainers and its engine settings.
  const { startEtcdContainer } = await import('./etcd-container.js');
  return startEtcdContainer();
}

export async function startE2eCluster(o: E2eClusterOptions = {}): Promise<E2eCluster> {
  const log = o.log ?? (() => {});
  const etcdSource: EtcdSource = o.etcd ?? (process.env.TUG_E2E_ETCD === 'embedded' ? 'embedded' : 'container');
  const name = `${o.prefix ?? 'e2e'}-${randomBytes(3).toString('hex')}`;
  const scratch = mkdtempSync(join(tmpdir(), `tug-${name}-`));
  const stateDir = join(scratch, 'state');
  const workDir = join(scratch, 'files');
  mkdirSync(workDir);
  const env = { ...process.env, TUG_CONFIG: join(scratch, 'config.yaml'), TUG_SERVER: '' };
  const ownerFile = join(OWNER_DIR, `${name}.json`);

  let etcd: EtcdHandle | undefined;
  let downResult: Result | undefined;
  let client: ApiClient | undefined;
  let stopped = false;

  const downArgs = ['cluster', 'down', '--name', name, '--state-dir', stateDir];
  /**
   * Removes the test's files. The state dir goes only with a successful down
   * (which removes it): a recursive delete must never walk into what is still
   * mounted below it. While it stays, so does the owner record, so the next
   * run's removeOrphanedClusters tries `down` again.
   */
  const removeScratch = () => {
    rmSync(workDir, { recursive: true, force: true });
    if (existsSync(stateDir)) {
      log(`${stateDir} is still there (down failed): left for \`tug ${downArgs.join(' ')}\``);
      return;
    }
    rmSync(ownerFile, { force: true });
    rmSync(scratch, { recursive: true, force: true });
  };
  /** The synchronous teardown, for signal and exit handlers: nothing asynchronous runs there. */
  const downSync = () => {
    if (downResult || stopped) return;
    for (const c of children) c.kill('SIGTERM');
    spawnSync(process.execPath, [TUG, ...downArgs], { env, stdio: 'ignore', timeout: 180_000 });
    removeScratch();
    stopped = true;
    // The etcd container removes itself from its own exit handler (etcd-container.ts).
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: removing cluster ${name} (tug ${downArgs.join(' ')})...\n`);
    downSync();
    removeHandlers();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]!);
  };
  const onExit = () => downSync();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const removeHandlers = () => {
    for (const s of signals) process.removeListener(s, onSignal);
    process.removeListener('exit', onExit);
  };
  for (const s of signals) process.on(s, onSignal);
  process.on('exit', onExit);

  const down = async (): Promise<Result> => {
    if (downResult) return downResult;
    client?.close();
    const r = await tugProcess(downArgs, env, 240_000);
    if (r.code === 0) downResult = r;
    return r;
  };
  const stop = async () => {
    if (stopped) return;
    try {
      const r = await down();
      if (r.code !== 0) log(`tug cluster down failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    } finally {
      await etcd?.stop().catch((e: unknown) => log(`etcd container: ${String(e)}`));
      removeScratch();
      stopped = true;
      removeHandlers();
    }
  };

  try {
    removeOrphanedClusters(log);
    mkdirSync(OWNER_DIR, { recursive: true });
    writeFileSync(ownerFile, JSON.stringify({ owner: identity(process.pid) ?? String(process.pid), name, stateDir } satisfies OwnerRecord));

    etcd = await startEtcd(etcdSource);
    log(etcd ? `etcd: container at ${etcd.endpoint}` : 'etcd: embedded (the cluster runs its own)');
    const args = [
      'cluster', 'up', '--name', name, '--state-dir', stateDir, '--nodes', String(o.nodes ?? 3),
      '--cpus-per-node', o.cpusPerNode ?? '1', '--memory-per-node', o.memoryPerNode ?? '2Gi', '--timeout', '5m',
      ...(etcd ? ['--etcd-endpoint', etcd.endpoint] : []),
      ...(o.nodeMonitorGracePeriod ? ['--node-monitor-grace-period', o.nodeMonitorGracePeriod] : []),
      ...(o.podEvictionTimeout ? ['--pod-eviction-timeout', o.podEvictionTimeout] : []),
    ];
    const t0 = Date.now();
    const up = await tugProcess(args, env, 6 * 60_000);
    const upMs = Date.now() - t0;
    if (up.code !== 0) throw new Error(`tug ${args.join(' ')} exited ${up.code}:\n${up.stdout}\n${up.stderr}`);
    log(`tug cluster up: ${(upMs / 1000).toFixed(1)} s`);
    const plan = readClusterRecord(stateDir)!.plan;
    client = new ApiClient(plan.apiserver.address);
    return {
      name,
      stateDir,
      workDir,
      plan,
      client,
      etcd: etcdSource,
      ...(etcd ? { etcdEndpoint: etcd.endpoint } : {}),
      upMs,
      tug: (a, opts = {}) => tugProcess(a, env, opts.timeoutMs ?? 120_000, opts.stdin),
      node: (n) => {
        const p = plan.nodes.find((x) => x.name === n);
        if (!p) throw new Error(`no node ${n} in cluster ${name}`);
        return p;
      },
      component: (c) => readSupervisorState(stateDir)?.components.find((x) => x.name === c),
      down,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
