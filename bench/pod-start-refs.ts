// The two references of the pod-start benchmark, run on the same machine in
// the same run as tugboat's figures:
//   floor — bare `runc run -d` of the same image's rootfs and command, N at once;
//   peer  — `podman kube play` of the same pod manifest, N at once.
// Each is timed per pod from spawning the command to its exit: `runc run -d`
// returns once the container's process has been started, `podman kube play`
// once the pod's containers run.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from '../lib/api/generated/types.js';
import { pssBytes } from './node-memory.js';
import { childrenCpuSeconds } from './procs.js';
import { percentiles, type Percentiles } from './stats.js';

export const RUNC = '/usr/sbin/runc';
export const PODMAN = '/usr/bin/podman';
export const SKOPEO = '/usr/bin/skopeo';
export const UMOCI = '/usr/bin/umoci';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** How long output may keep arriving after a program exits (a daemon it left behind can hold its pipes open for good). */
const OUTPUT_GRACE_MS = 1000;

/**
 * Runs a program to its end; never rejects (code 127 when it cannot start).
 * `ms` is spawn → exit. It resolves once the output pipes close, or shortly
 * after the exit when something the program started (conmon) still holds them.
 */
export function runTimed(cmd: string, args: string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let ms: number | undefined;
    let code = 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, stdout, stderr, ms: ms ?? performance.now() - t0 });
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      code = 127;
      stderr += e.message;
      finish();
    });
    child.once('exit', (c, signal) => {
      ms = performance.now() - t0;
      code = c ?? (signal ? 128 : 1);
      setTimeout(finish, OUTPUT_GRACE_MS).unref();
    });
    child.once('close', finish);
  });
}

/**
 * Synchronous cleanups for an interrupted run (SIGINT exits the bench at once,
 * skipping every finally): containers, pods, images and directories this
 * module made. Each removes itself once its own cleanup has run.
 */
const onExit = new Set<() => void>();
process.on('exit', () => {
  for (const f of onExit) f();
});


async function must(cmd: string, args: string[], timeoutMs?: number): Promise<Ran> {
  const r = await runTimed(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
  return r;
}

/** The one container's image and argv of a pod manifest: what the references run. */
export function podProcess(pod: Pod): { image: string; args: string[] } {
  const c = pod.spec?.containers?.[0];
  if (!c?.image || !c.command?.length) throw new Error('the pod-start manifest needs one container with an image and a command');
  return { image: c.image, args: [...c.command, ...(c.args ?? [])] };
}

/**
 * An OCI config for the floor: `runc spec`'s default (new pid, net, ipc, uts
 * and mount namespaces, default capabilities and masked paths) with the
 * shared read-only rootfs, the pod's command, no terminal and a cgroup of its own.
 */
export function floorSpec(template: Record<string, unknown>, o: { rootfs: string; args: string[]; cgroupsPath: string; hostname: string }): Record<string, unknown> {
  const spec = structuredClone(template) as { process: Record<string, unknown>; root: unknown; hostname?: string; linux: Record<string, unknown> };
  spec.process = { ...spec.process, args: o.args, terminal: false };
  spec.root = { path: o.rootfs, readonly: true };
  spec.hostname = o.hostname;
  spec.linux = { ...spec.linux, cgroupsPath: o.cgroupsPath };
  return spec;
}

/** The top-level cgroups of these ids in every hierarchy (v1 and v2), removed where empty; returns those still there. */
export function removeCgroups(ids: readonly string[], root = '/sys/fs/cgroup'): string[] {
  let hierarchies: string[];
  try {
    // v2 mounts the groups right at the root; v1 (and hybrid) one directory per hierarchy.
    hierarchies = [root, ...readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name))];
  } catch {
    return [];
  }
  const left: string[] = [];
  for (const h of hierarchies) {
    for (const id of ids) {
      const dir = join(h, id);
      if (!existsSync(dir)) continue;
      try {
        rmdirSync(dir);
      } catch {
        left.push(dir);
      }
    }
  }
  return left;
}

export interface FloorRun {
  latency: Percentiles;
  /** CPU of the `runc run` processes (and what they waited for), per container, ms */
  cpuMsPerContainer?: number;
}

export interface FloorBench {
  /** one run: `pods` containers started at once; per-container spawn → `runc run -d` exit */
  run(): Promise<FloorRun>;
  cleanup(): Promise<void>;
}

/**
 * Prepares the floor: copies the image from the registry into an OCI layout
 * (skopeo), unpacks its rootfs once (umoci), writes one bundle per container.
 */
export async function prepareFloor(o: { dir: string; registryImage: string; args: string[]; pods: number }): Promise<FloorBench> {
  for (const bin of [RUNC, SKOPEO, UMOCI]) if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`sudo bash scripts/install-deps.sh\``);
  const tag = randomBytes(3).toString('hex');
  const layout = join(o.dir, 'oci');
  const rootfs = join(o.dir, 'rootfs');
  const root = join(o.dir, 'runc-root');
  mkdirSync(o.dir, { recursive: true });
  await must(SKOPEO, ['copy', '--quiet', '--src-tls-verify=false', `docker://${o.registryImage}`, `oci:${layout}:bench`]);
  await must(UMOCI, ['raw', 'unpack', '--image', `${layout}:bench`, rootfs]);
  const templateDir = join(o.dir, 'template');
  mkdirSync(templateDir, { recursive: true });
  await must(RUNC, ['spec', '--bundle', templateDir]);
  const template = JSON.parse(readFileSync(join(templateDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const ids = Array.from({ length: o.pods }, (_, i) => `tugbench-floor-${tag}-${i}`);
  for (const id of ids) {
    mkdirSync(join(o.dir, 'bundles', id), { recursive: true });
    writeFileSync(join(o.dir, 'bundles', id, 'config.json'), JSON.stringify(floorSpec(template, { rootfs, args: o.args, cgroupsPath: `/${id}`, hostname: id })));
  }
  const removeAll = async () => {
    await Promise.all(ids.map((id) => runTimed(RUNC, [`--root=${root}`, 'delete', '--force', id])));
    // runc gives up on a cgroup whose killed process is not reaped yet (30 at once on busy cores): retry.
    for (let attempt = 0; attempt < 20 && removeCgroups(ids).length; attempt++) await sleep(100);
    const left = removeCgroups(ids);
    if (left.length) throw new Error(`could not remove cgroups ${left.slice(0, 3).join(', ')}${left.length > 3 ? ` and ${left.length - 3} more` : ''}`);
  };
  const atExit = () => {
    for (const id of ids) spawnSync(RUNC, [`--root=${root}`, 'delete', '--force', id], { stdio: 'ignore' });
    removeCgroups(ids);
    rmSync(o.dir, { recursive: true, force: true });
  };
  onExit.add(atExit);
  return {
    async run() {
      const cpu0 = childrenCpuSeconds();
      const results = await Promise.all(ids.map((id) => runTimed(RUNC, [`--root=${root}`, 'run', '--detach', '--bundle', join(o.dir, 'bundles', id), id])));
      const cpu1 = childrenCpuSeconds();
      const failed = results.find((r) => r.code !== 0);
      // Not running any more (a process that could not start) means the timing is not a start's.
      const states = await Promise.all(ids.map((id) => runTimed(RUNC, [`--root=${root}`, 'state', id])));
      const notRunning = states.filter((s) => s.code !== 0 || (JSON.parse(s.stdout) as { status?: string }).status !== 'running').length;
      await removeAll();
      if (failed) throw new Error(`runc run failed: ${(failed.stderr || failed.stdout).trim().slice(0, 500)}`);
      if (notRunning) throw new Error(`${notRunning} of ${ids.length} floor containers were not running after \`runc run -d\``);
      const latency = percentiles(results.map((r) => r.ms));
      return cpu0 === undefined || cpu1 === undefined ? { latency } : { latency, cpuMsPerContainer: ((cpu1 - cpu0) * 1000) / ids.length };
    },
    async cleanup() {
      await removeAll();
      rmSync(o.dir, { recursive: true, force: true });
      onExit.delete(atExit);
    },
  };
}

export interface PeerRun {
  latency: Percentiles;
  /** with measureHelpers: PSS of the pods' conmon and infra processes, per pod */
  perPod?: number;
}

export interface PeerBench {
  /** one run: `pods` pods played at once, per-pod spawn → `podman kube play` exit */
  run(o?: { measureHelpers?: boolean }): Promise<PeerRun>;
  cleanup(): Promise<void>;
}

/** `podman ps --pod --format '{{.ID}} {{.PodName}} {{.IsInfra}}'` lines → containers of the given pods. */
export function parsePodmanPs(text: string, pods: ReadonlySet<string>): { id: string; pod: string; infra: boolean }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && pods.has(f[1]!))
    .map(([id, pod, infra]) => ({ id: id!, pod: pod!, infra: infra === 'true' }));
}

/** `podman inspect --format '{{.State.Pid}} {{.State.ConmonPid}}'` lines → pids (0 = none). */
export function parsePidPairs(text: string): { pid: number; conmonPid: number }[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 2 && f.every((n) => Number.isInteger(n) && n >= 0))
    .map(([pid, conmonPid]) => ({ pid: pid!, conmonPid: conmonPid! }));
}

/** PSS of podman's helpers for these pods: every container's conmon and each pod's infra process, per pod. */
async function podmanHelpersPerPod(names: string[]): Promise<number> {
  const ps = await must(PODMAN, ['ps', '--pod', '--no-trunc', '--format', '{{.ID}} {{.PodName}} {{.IsInfra}}']);
  const containers = parsePodmanPs(ps.stdout, new Set(names));
  const inspect = await must(PODMAN, ['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', ...containers.map((c) => c.id)]);
  const pids = parsePidPairs(inspect.stdout);
  if (pids.length !== containers.length || containers.length < 2 * names.length) {
    throw new Error(`podman showed ${containers.length} containers with ${pids.length} pids for ${names.length} pods`);
  }
  let total = 0;
  containers.forEach((c, i) => {
    total += pssBytes(pids[i]!.conmonPid) ?? 0;
    if (c.infra) total += pssBytes(pids[i]!.pid) ?? 0;
  });
  return total / names.length;
}

/** Podman's verdict on whether it can run containers here, with what to do when not. */
export async function podmanProblem(): Promise<string | undefined> {
  if (!existsSync(PODMAN)) return 'podman is missing: run `sudo bash scripts/install-deps.sh`';
  const r = await runTimed(PODMAN, ['info', '--format', '{{.Host.OCIRuntime.Name}}']);
  if (r.code !== 0) return `podman info failed: ${(r.stderr || r.stdout).trim().slice(0, 300)}; run \`sudo bash scripts/setup-container-engine.sh\``;
  if (r.stdout.trim() !== 'runc') return `podman's runtime is ${r.stdout.trim() || 'unknown'}, not runc: run \`sudo bash scripts/setup-container-engine.sh\``;
  return undefined;
}

/**
 * Prepares the peer: pulls the image into podman's storage from the
 * cluster's plain-HTTP registry and writes one manifest per pod (JSON, which
 * is YAML). `manifest(name)` must be the very object tugboat is given.
 */
export async function preparePeer(o: { dir: string; registryImage: string; pods: number; manifest: (name: string) => Pod; log: (line: string) => void }): Promise<PeerBench> {
  const problem = await podmanProblem();
  if (problem) throw new Error(problem);
  const tag = randomBytes(3).toString('hex');
  mkdirSync(o.dir, { recursive: true });
  let runNo = 0;
  const live = new Set<string>();
  const atExit = () => {
    if (live.size) spawnSync(PODMAN, ['pod', 'rm', '--force', '--time', '0', ...live], { stdio: 'ignore' });
    spawnSync(PODMAN, ['rmi', '--force', o.registryImage], { stdio: 'ignore' });
    rmSync(o.dir, { recursive: true, force: true });
  };
  onExit.add(atExit);
  await must(PODMAN, ['pull', '--quiet', '--tls-verify=false', o.registryImage], 300_000);
  const remove = async (names: string[]) => {
    if (!names.length) return;
    // One call per pod, in parallel: podman removes the pods of one call one after another.
    const results = await Promise.all(names.map((n) => runTimed(PODMAN, ['pod', 'rm', '--force', '--time', '0', n], 180_000)));
    results.forEach((r, i) => {
      if (r.code === 0 || /no such pod/i.test(r.stderr)) live.delete(names[i]!);
      else o.log(`pod-start: podman pod rm ${names[i]} failed: ${r.stderr.trim().slice(0, 200)}`);
    });
  };
  const play = async (names: string[]) => {
    for (const n of names) writeFileSync(join(o.dir, `${n}.yaml`), JSON.stringify(o.manifest(n)));
    for (const n of names) live.add(n);
    return Promise.all(names.map((n) => runTimed(PODMAN, ['kube', 'play', '--quiet', join(o.dir, `${n}.yaml`)], 300_000)));
  };
  // One pod first, so the run does not pay for podman building its pause image or making its network.
  const warm = [`tugbench-pm-${tag}-warm`];
  const w = await play(warm);
  await remove(warm);
  if (w[0]!.code !== 0) throw new Error(`podman kube play failed: ${(w[0]!.stderr || w[0]!.stdout).trim().slice(0, 500)}`);
  return {
    async run(opts = {}) {
      const names = Array.from({ length: o.pods }, (_, i) => `tugbench-pm-${tag}-${runNo}-${i}`);
      runNo++;
      const results = await play(names);
      let perPod: number | undefined;
      try {
        const running = await runTimed(PODMAN, ['pod', 'ps', '--filter', `name=tugbench-pm-${tag}-`, '--format', '{{.Name}} {{.Status}}']);
        const runningNames = new Set(running.stdout.split('\n').filter((l) => l.endsWith(' Running')).map((l) => l.split(' ')[0]));
        const failed = results.find((r) => r.code !== 0);
        if (failed) throw new Error(`podman kube play failed: ${(failed.stderr || failed.stdout).trim().slice(0, 500)}`);
        const notRunning = names.filter((n) => !runningNames.has(n)).length;
        if (notRunning) throw new Error(`${notRunning} of ${names.length} podman pods were not Running after kube play`);
        if (opts.measureHelpers) {
          // Settled as the agent's figure is: a few seconds after the last start.
          await sleep(3000);
          perPod = await podmanHelpersPerPod(names);
        }
      } finally {
        await remove(names);
      }
      return { latency: percentiles(results.map((r) => r.ms)), ...(perPod !== undefined ? { perPod } : {}) };
    },
    async cleanup() {
      await remove([...live]);
      await runTimed(PODMAN, ['rmi', '--force', o.registryImage]);
      rmSync(o.dir, { recursive: true, force: true });
      onExit.delete(atExit);
    },
  };
}
