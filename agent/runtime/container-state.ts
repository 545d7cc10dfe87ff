// What the runtime knows about a container, put together from runc's state,
// the files tugboat keeps beside the bundle, conmon's exit file and the memory
// cgroup's OOM counter. Pure, so the rules are tested without containers.

/** runc's states, plus `unknown` when only our files remain (e.g. runc lost it). */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped' | 'unknown';

/** Why a stopped container stopped, in Kubernetes' words. */
export type TerminationReason = 'Completed' | 'Error' | 'OOMKilled' | 'Unknown';

/** Written beside the bundle at create time and updated at start, so a restarted agent knows what it made. */
export interface ContainerMeta {
  id: string;
  createdAt: string;
  startedAt?: string;
  logPath: string;
  cgroupsPath?: string;
  /** The memory cgroup's oom_kill counter when the container was created. */
  oomKillBaseline: number;
  /** conmon's -u, naming its socket symlink. */
  conmonUuid: string;
  annotations: Record<string, string>;
}

/** One entry of `runc list --format json` / `runc state`. */
export interface RuncState {
  id: string;
  pid: number;
  status: string;
  bundle: string;
  created?: string;
  annotations?: Record<string, string> | null;
}

export interface ContainerInfo {
  id: string;
  status: ContainerStatus;
  /** The container's init process as seen from the node; absent once stopped. */
  pid?: number;
  bundle?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: TerminationReason;
  annotations: Record<string, string>;
  logPath?: string;
  cgroupsPath?: string;
  conmonPid?: number;
}

/** Signal number → 128+n exit code, the convention conmon and shells use. */
export const SIGKILL_EXIT_CODE = 137;

/**
 * Why a container ended: killed by SIGKILL while its memory cgroup recorded
 * more OOM kills than at creation → OOMKilled; exit 0 → Completed; else Error.
 */
export function terminationReason(exitCode: number | undefined, oomKills: number | undefined, baseline: number): TerminationReason {
  if (exitCode === undefined) return 'Unknown';
  if (exitCode === SIGKILL_EXIT_CODE && oomKills !== undefined && oomKills > baseline) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

export function parseRuncStatus(s: string | undefined): ContainerStatus {
  return s === 'created' || s === 'running' || s === 'paused' || s === 'stopped' ? s : 'unknown';
}

/** conmon's exit file holds the exit code (128+signal for a signal). */
export function parseExitFile(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : undefined;
}

export interface ObservedContainer {
  id: string;
  runc?: RuncState;
  meta?: ContainerMeta;
  /** Contents of conmon's exit file, if written. */
  exitFile?: string;
  /** When the exit file was written (ISO). */
  exitTime?: string;
  /** The container memory cgroup's oom_kill counter now (undefined when the group is gone). */
  oomKills?: number;
  conmonPid?: number;
}

/** One view of a container from everything observed about it. */
export function containerInfo(o: ObservedContainer): ContainerInfo {
  let status: ContainerStatus = o.runc ? parseRuncStatus(o.runc.status) : 'unknown';
  const exitCode = parseExitFile(o.exitFile);
  // conmon writes the exit file after reaping the container; with runc gone, it is the last word.
  if (status === 'unknown' && exitCode !== undefined) status = 'stopped';
  const info: ContainerInfo = {
    id: o.id,
    status,
    annotations: { ...(o.meta?.annotations ?? {}), ...(o.runc?.annotations ?? {}) },
  };
  if ((status === 'running' || status === 'created' || status === 'paused') && o.runc?.pid) info.pid = o.runc.pid;
  if (o.runc?.bundle) info.bundle = o.runc.bundle;
  const createdAt = o.meta?.createdAt ?? o.runc?.created;
  if (createdAt) info.createdAt = createdAt;
  if (o.meta?.startedAt) info.startedAt = o.meta.startedAt;
  if (o.meta?.logPath) info.logPath = o.meta.logPath;
  if (o.meta?.cgroupsPath) info.cgroupsPath = o.meta.cgroupsPath;
  if (o.conmonPid) info.conmonPid = o.conmonPid;
  if (status === 'stopped') {
    if (exitCode !== undefined) info.exitCode = exitCode;
    if (o.exitTime) info.finishedAt = o.exitTime;
    info.reason = terminationReason(exitCode, o.oomKills, o.meta?.oomKillBaseline ?? 0);
  }
  return info;
}

/** Container ids runc accepts (and that are safe as file names). */
export const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;
