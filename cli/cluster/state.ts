// What a cluster leaves on disk to find and stop it later:
//   <state dir>/cluster.json      the plan (names, addresses, nodes) — written before anything is made
//   <state dir>/supervisor.json   the supervisor's pid and each component's pid, state and restarts
//   <state dir>/logs/             one log per component, and supervisor.log (starts, exits, restarts)
//   /run/tugboat/clusters/<name>.json   { stateDir }: lets `down --name` find a state dir given to `up`
// /run is emptied at boot, like the namespaces, links and cgroups, so the
// index never points to a cluster that cannot be running.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApiError } from '../../lib/errors.js';
import type { ClusterPlan } from './topology.js';
import { isRunning } from '../../lib/process-state.js';

export const INDEX_DIR = '/run/tugboat/clusters';

export interface ClusterRecord {
  plan: ClusterPlan;
  createdAt: string;
  /** cgroup.procs files per node name, where the agent's pid goes */
  agentProcs: Record<string, string[]>;
}

export type ComponentState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

export interface ComponentStatus {
  name: string;
  state: ComponentState;
  pid?: number;
  restarts: number;
  /** ISO time of the current (or last) start */
  startedAt?: string;
  /** "code 1" / "signal SIGKILL" of the last exit */
  lastExit?: string;
  ready: boolean;
  log: string;
}

export type SupervisorPhase = 'starting' | 'running' | 'stopping' | 'stopped';

export interface SupervisorState {
  pid: number;
  phase: SupervisorPhase;
  startedAt: string;
  components: ComponentStatus[];
}

export const clusterFile = (stateDir: string) => join(stateDir, 'cluster.json');
export const supervisorFile = (stateDir: string) => join(stateDir, 'supervisor.json');
export const logsDir = (stateDir: string) => join(stateDir, 'logs');
export const supervisorLog = (stateDir: string) => join(logsDir(stateDir), 'supervisor.log');
export const indexFile = (name: string, dir = INDEX_DIR) => join(dir, `${name}.json`);

/** Writes JSON so that a reader sees either the old or the new file, never half of one. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, path);
}

export function readJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ApiError('Internal', `${path} is not valid JSON (${(e as Error).message}); remove it, or run \`tug cluster down\` to clean up by name`);
  }
}

export const readClusterRecord = (stateDir: string) => readJson<ClusterRecord>(clusterFile(stateDir));
export const readSupervisorState = (stateDir: string) => readJson<SupervisorState>(supervisorFile(stateDir));

export async function writeIndex(name: string, stateDir: string, dir = INDEX_DIR): Promise<void> {
  await writeJsonAtomic(indexFile(name, dir), { stateDir });
}

export function readIndex(name: string, dir = INDEX_DIR): string | undefined {
  return readJson<{ stateDir?: string }>(indexFile(name, dir))?.stateDir;
}

export async function removeIndex(name: string, dir = INDEX_DIR): Promise<void> {
  await rm(indexFile(name, dir), { force: true });
}

/** Names of the clusters in the index (for `tug cluster status` without --name). */
export async function indexedClusters(dir = INDEX_DIR): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** Whether `pid` is a live process (not a zombie). */
export const isAlive = isRunning;

/** The process's arguments; [] when it is gone. */
export function argsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return [];
  }
}

/** Whether the supervisor recorded in the state dir is running (checked by pid and command line, so a reused pid does not count). */
export function supervisorRunning(stateDir: string, s: SupervisorState | undefined = readSupervisorState(stateDir)): boolean {
  if (!s || !isAlive(s.pid)) return false;
  const args = argsOf(s.pid);
  const i = args.indexOf('supervise');
  return i >= 0 && args.slice(i).includes(stateDir);
}
