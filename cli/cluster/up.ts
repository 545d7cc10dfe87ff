// `tug cluster up`: plans the cluster, makes its network and cgroups, hands the
// processes to a detached supervisor, waits until every node is Ready, writes
// the client config. Any failure removes everything made so far (the logs
// stay) and says why and where the logs are.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../../lib/client/api-client.js';
import type { Node } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { nodeCgroupSetup, readCgroupLayout, setupCgroups, type CgroupLayout } from './cgroups.js';
import { rememberCluster } from './client-config.js';
import { ETCD_BINARY, REGISTRY_BINARY, REPO_ROOT, SETPRIV, registryConfig } from './components.js';
import { preloadImages } from './images.js';
import { checkReady } from './supervisor.js';
import { clusterLinks, clusterNetns, hostPrefixesInUse, setupNetwork, subnetClashes } from './network.js';
import {
  clusterFile,
  isAlive,
  readClusterRecord,
  readIndex,
  readSupervisorState,
  supervisorLog,
  supervisorRunning,
  writeIndex,
  writeJsonAtomic,
  type ClusterRecord,
  type ComponentStatus,
} from './state.js';
import { teardownCluster } from './teardown.js';
import {
  chooseNodeSubnet,
  clusterHash,
  describeNodeSize,
  parseRequest,
  planCluster,
  type ClusterPlan,
  type ClusterRequest,
} from './topology.js';

export interface Reporter {
  out(line: string): void;
  err(line: string): void;
}

export interface UpOptions extends ClusterRequest {
  /** how long to wait for the cluster to be ready; default 5 minutes */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A component that exited this many times without ever becoming ready fails `up`. */
export const CRASH_LOOP_RESTARTS = 3;

class UpError extends Error {}

/** Programs and files the cluster needs, by agent mode; each with how to get it. */
export function prerequisites(agentMode: ClusterPlan['agentMode'], repoRoot: string, externalEtcd = false): { path: string; hint: string }[] {
  const deps = 'run `sudo bash scripts/install-deps.sh`';
  const build = 'run `npm run build`';
  const list = [
    ...(externalEtcd ? [] : [{ path: ETCD_BINARY, hint: `${deps} (etcd-server)` }]),
    { path: REGISTRY_BINARY, hint: `${deps} (docker-registry)` },
    { path: SETPRIV, hint: `${deps} (util-linux)` },
    { path: '/usr/bin/nsenter', hint: `${deps} (util-linux)` },
    { path: '/bin/busybox', hint: `${deps} (busybox-static)` },
    { path: join(repoRoot, 'dist/apiserver/main.js'), hint: build },
    { path: join(repoRoot, 'dist/controllers/main.js'), hint: build },
    { path: join(repoRoot, 'dist/scheduler/main.js'), hint: build },
    { path: join(repoRoot, 'dist/agent/main.js'), hint: build },
    { path: join(repoRoot, 'dist/lib/oci/index.js'), hint: build },
  ];
  if (agentMode === 'real') list.push({ path: '/usr/sbin/runc', hint: `${deps} (runc)` }, { path: '/usr/bin/conmon', hint: `${deps} (conmon)` });
  return list;
}

function checkPrerequisites(plan: ClusterPlan): void {
  const missing = prerequisites(plan.agentMode, REPO_ROOT, !!plan.etcd.external).filter((p) => {
    try {
      accessSync(p.path, constants.R_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new UpError(`missing: ${missing.map((m) => `${m.path} (${m.hint})`).join('; ')}`);
}

/** How long `up` waits for an external etcd to answer before making anything. */
export const EXTERNAL_ETCD_WAIT_MS = 15_000;

/** An external etcd must answer /health (on any of its URLs) before anything is made for the cluster. */
async function checkExternalEtcd(clientUrls: string, waitMs = EXTERNAL_ETCD_WAIT_MS): Promise<void> {
  const urls = clientUrls.split(',');
  const deadline = Date.now() + waitMs;
  for (;;) {
    for (const u of urls) if (await checkReady({ http: `${u}/health` })) return;
    if (Date.now() > deadline) {
      throw new UpError(`the etcd given with --etcd-endpoint does not answer at ${urls.map((u) => `${u}/health`).join(', ')}; start it, or leave --etcd-endpoint out to have the cluster run its own`);
    }
    await sleep(500);
  }
}

/** The last lines of a log, for error messages. */
async function tail(path: string, lines = 15): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
}

function isNodeReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Prints what runs and how to reach it; podCIDRs: what the control plane assigned, by node name. */
export function summary(plan: ClusterPlan, configFile: string | undefined, podCIDRs: ReadonlyMap<string, string> = new Map()): string[] {
  const lines = [
    `Cluster "${plan.name}" is up: ${plan.nodes.length} node${plan.nodes.length === 1 ? '' : 's'} of ${describeNodeSize(plan.nodes[0]!)}${plan.agentMode === 'hollow' ? ' (HOLLOW agents: a test tool, pods do not really run)' : ''}.`,
    `  apiserver   ${plan.apiserver.address}`,
    `  registry    ${plan.registry.address}   (image: busybox resolves here)`,
    `  etcd        ${plan.etcd.clientUrl}${plan.etcd.external ? '   (external: down leaves it alone)' : ''}`,
    `  bridge      ${plan.bridge} ${plan.hostAddress}/${plan.prefixLength}`,
  ];
  for (const n of plan.nodes) {
    lines.push(`  ${n.name.padEnd(11)} ${n.address.padEnd(15)} pods ${(podCIDRs.get(n.name) ?? '-').padEnd(15)} netns ${n.netns}, cgroup ${n.cgroupPath}`);
  }
  lines.push(
    `  state, logs ${plan.stateDir}, ${plan.logsDir}`,
    '',
    configFile ? `tug now talks to it (${configFile}):  tug get nodes -o wide` : `reach it with:  tug -s ${plan.apiserver.address} get nodes`,
    `status:  tug cluster status --name ${plan.name}        stop and remove:  tug cluster down --name ${plan.name}`,
  );
  return lines;
}

/** Runs `tug cluster up`; resolves with the exit code. */
export async function clusterUp(o: UpOptions, io: Reporter): Promise<number> {
  const env = o.env ?? process.env;
  let parsed;
  try {
    parsed = parseRequest(o);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
  const { name } = parsed;
  const stateDir = parsed.stateDir;

  // Already running (maybe with another state dir, found through the index)?
  for (const dir of new Set([readIndex(name), stateDir].filter((d): d is string => !!d))) {
    const rec = readClusterRecord(dir);
    if (rec && rec.plan.name === name && supervisorRunning(dir)) {
      io.out(`cluster "${name}" is already running (state in ${dir}); nothing changed.`);
      io.out(`  apiserver ${rec.plan.apiserver.address}; see \`tug cluster status --name ${name}\`, or \`tug cluster down --name ${name}\` first to start it anew.`);
      return 0;
    }
  }
  const existing = readClusterRecord(stateDir);
  if (existing) {
    const why =
      existing.plan.name !== name
        ? `${stateDir} holds cluster "${existing.plan.name}"; choose another --state-dir`
        : `cluster "${name}" is not running but left its state in ${stateDir} (after a reboot or a crash); remove it with \`tug cluster down --name ${name}${o.stateDir ? ` --state-dir ${stateDir}` : ''}\`, then run up again`;
    io.err(`error: ${why}`);
    return 1;
  }
  const entries = await readdir(stateDir).catch(() => [] as string[]);
  if (entries.some((e) => e !== 'logs')) {
    io.err(`error: state dir ${stateDir} is not empty (${entries.join(', ')}); give an empty or new --state-dir`);
    return 1;
  }
  const leftovers = [...(await clusterNetns(name)), ...(await clusterLinks(name))];
  if (leftovers.length) {
    io.err(`error: ${leftovers.join(', ')} already exist${leftovers.length === 1 ? 's' : ''} on this host; run \`tug cluster down --name ${name}\` to remove them, then up again`);
    return 1;
  }

  let layout: CgroupLayout;
  let plan: ClusterPlan;
  try {
    layout = await readCgroupLayout();
    plan = planCluster(parsed, chooseNodeSubnet(clusterHash(name), await hostPrefixesInUse()));
    checkPrerequisites(plan);
    if (plan.etcd.external) await checkExternalEtcd(plan.etcd.clientUrl);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 1;
  }

  io.out(`Creating cluster "${name}": ${plan.nodes.length} node${plan.nodes.length === 1 ? '' : 's'} of ${describeNodeSize(plan.nodes[0]!)}; state in ${stateDir}`);

  let aborted: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    aborted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const checkAborted = () => {
    if (aborted) throw new UpError(`interrupted by ${aborted}`);
  };

  try {
    await mkdir(plan.logsDir, { recursive: true });
    const agentProcs = Object.fromEntries(plan.nodes.map((n) => [n.name, nodeCgroupSetup(layout, plan.cgroupRoot, n).procs]));
    const record: ClusterRecord = { plan, createdAt: new Date().toISOString(), agentProcs };
    // Recorded before anything is made, so that a crash from here on can still be cleaned up by `down`.
    await writeJsonAtomic(clusterFile(stateDir), record);
    await writeIndex(name, stateDir);

    await setupNetwork(plan);
    const clashes = await subnetClashes(plan.nodeSubnet, [plan.bridge]);
    if (clashes.length) throw new UpError(`${clashes.join(', ')} took ${plan.nodeSubnet} at the same time (another cluster starting?); run up again`);
    io.out(` • network: bridge ${plan.bridge} ${plan.hostAddress}/${plan.prefixLength}; ${plan.nodes.map((n) => `${n.netns} ${n.address}`).join(', ')}`);
    checkAborted();

    await setupCgroups(plan, layout);
    io.out(` • cgroups (${layout.mode}): ${plan.nodes.map((n) => n.cgroupPath).join(', ')}, each ${describeNodeSize(plan.nodes[0]!)}`);

    await mkdir(join(plan.registry.dir, 'storage'), { recursive: true });
    await writeFile(plan.registry.configPath, registryConfig(plan));
    for (const n of plan.nodes) await mkdir(n.stateDir, { recursive: true });

    const supervisorPid = startSupervisor(stateDir, plan.logsDir);
    io.out(` • supervisor: pid ${supervisorPid}; component logs in ${plan.logsDir}`);

    const deadline = Date.now() + (o.timeoutMs ?? 5 * 60_000);
    const waitFor = async (what: string, component: string | undefined, done: () => Promise<boolean> | boolean) => {
      for (;;) {
        checkAborted();
        if (await done()) return;
        if (!isAlive(supervisorPid)) {
          const out = join(plan.logsDir, 'supervisor.out');
          throw new UpError(`the supervisor exited; the end of ${out}:\n${await tail(out)}\nand of ${supervisorLog(stateDir)}:\n${await tail(supervisorLog(stateDir))}`);
        }
        const s = readSupervisorState(stateDir);
        const failing = crashLooping(s?.components ?? [], component);
        if (failing) {
          throw new UpError(`${failing.name} keeps exiting (${failing.restarts} restarts, last ${failing.lastExit}); the end of ${failing.log}:\n${await tail(failing.log)}`);
        }
        if (Date.now() > deadline) throw new UpError(`timed out waiting for ${what}`);
        await sleep(250);
      }
    };
    const componentReady = (c: string) => () => !!readSupervisorState(stateDir)?.components.find((x) => x.name === c)?.ready;

    if (plan.etcd.external) {
      io.out(` • etcd (external) at ${plan.etcd.clientUrl}`);
    } else {
      await waitFor('etcd', 'etcd', componentReady('etcd'));
      io.out(` • etcd ready at ${plan.etcd.clientUrl}`);
    }
    await waitFor('the registry', 'registry', componentReady('registry'));
    const pushed = await preloadImages(plan.registry.address);
    io.out(` • registry ready at ${plan.registry.address}${pushed.length ? `; pushed ${pushed.join(', ')}` : ''}`);
    await waitFor('the apiserver', 'apiserver', componentReady('apiserver'));
    io.out(` • apiserver ready at ${plan.apiserver.address}`);

    const client = new ApiClient(plan.apiserver.address);
    const podCIDRs = new Map<string, string>();
    try {
      let last = -1;
      // A real node is Ready only once it has the pod CIDR the controller-manager assigns it.
      await waitFor(`${plan.nodes.length} Ready nodes`, undefined, async () => {
        const nodes = await client.list('Node', {}).then((l) => l.items as Node[]).catch(() => [] as Node[]);
        for (const n of nodes) if (n.metadata?.name && n.spec?.podCIDR) podCIDRs.set(n.metadata.name, n.spec.podCIDR);
        const ready = plan.nodes.filter((p) => nodes.some((n) => n.metadata?.name === p.name && isNodeReady(n))).length;
        if (ready !== last) io.out(` • nodes: ${ready}/${plan.nodes.length} Ready`);
        last = ready;
        return ready === plan.nodes.length;
      });
    } finally {
      client.close();
    }

    const configFile = await rememberCluster(name, plan.apiserver.address, env);
    io.out('');
    for (const l of summary(plan, configFile, podCIDRs)) io.out(l);
    return 0;
  } catch (e) {
    const reason = (e as Error).message;
    io.err(`error: cluster "${name}" did not come up: ${reason}`);
    io.err('removing what was made...');
    const result = await teardownCluster({ name, stateDir, keepLogs: true, progress: (l) => io.err(`  ${l}`) });
    if (result.errors.length) io.err(`clean-up left problems: ${result.errors.join('; ')}; run \`tug cluster down --name ${name}\``);
    if (existsSync(plan.logsDir)) io.err(`logs: ${plan.logsDir}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** A component (or `only` that one) that has exited repeatedly and is not ready: up gives up on it. */
export function crashLooping(components: ComponentStatus[], only: string | undefined): ComponentStatus | undefined {
  return components.find((c) => (only === undefined || c.name === only) && !c.ready && c.restarts >= CRASH_LOOP_RESTARTS);
}

/** Starts `tug cluster supervise` detached from this process and its terminal. */
function startSupervisor(stateDir: string, logs: string): number {
  const fd = openSync(join(logs, 'supervisor.out'), 'a');
  try {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/cli/main.js'), 'cluster', 'supervise', '--state-dir', stateDir], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: '/',
    });
    child.unref();
    if (!child.pid) throw new ApiError('Internal', 'could not start the supervisor');
    return child.pid;
  } finally {
    closeSync(fd);
  }
}
