// What the runtime and the pod's directory say about one pod: its sandbox,
// every container attempt (from runc and the bundle annotations), and the
// highest attempt each container name ever had (from its log files).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerInfo } from '../runtime/container-state.js';
import type { RuncRuntime } from '../runtime/runc.js';
import { pauseContainerId, type Sandbox, type SandboxManager } from '../sandbox/sandbox.js';
import { CONTAINER_ANNOTATION } from './naming.js';
import type { ObservedContainer, ObservedPod } from './plan.js';

/** A runtime container as the planner sees it; undefined for one that is not a pod container. */
export function observedContainer(info: ContainerInfo): ObservedContainer | undefined {
  const a = info.annotations;
  const name = a[CONTAINER_ANNOTATION.containerName];
  const attempt = Number(a[CONTAINER_ANNOTATION.attempt]);
  const type = a[CONTAINER_ANNOTATION.containerType];
  if (!name || !Number.isInteger(attempt) || (type !== 'init' && type !== 'container')) return undefined;
  const state: ObservedContainer['state'] =
    info.status === 'running' || info.status === 'paused' ? 'running' : info.status === 'stopped' ? 'exited' : info.status === 'created' ? 'created' : 'unknown';
  const c: ObservedContainer = { id: info.id, name, kind: type, attempt, state };
  if (info.pid && state === 'running') c.pid = info.pid;
  if (state === 'exited') {
    if (info.exitCode !== undefined) c.exitCode = info.exitCode;
    if (info.reason) c.reason = info.reason;
    if (info.finishedAt) c.finishedAt = info.finishedAt;
  }
  if (info.createdAt) c.createdAt = info.createdAt;
  if (info.startedAt) c.startedAt = info.startedAt;
  else if (state !== 'created' && info.createdAt) c.startedAt = info.createdAt;
  if (a[CONTAINER_ANNOTATION.specHash]) c.specHash = a[CONTAINER_ANNOTATION.specHash];
  if (a[CONTAINER_ANNOTATION.image]) c.image = a[CONTAINER_ANNOTATION.image];
  if (a[CONTAINER_ANNOTATION.imageID]) c.imageID = a[CONTAINER_ANNOTATION.imageID];
  if (info.logPath) c.logPath = info.logPath;
  return c;
}

/** `<n>.log` → n. */
export function attemptFromLogName(file: string): number | undefined {
  const m = /^(\d+)\.log$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

/** Highest attempt per container name from `<podDir>/logs/<name>/<n>.log`. */
export async function logAttempts(podDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const logs = join(podDir, 'logs');
  for (const name of await readdir(logs).catch(() => [] as string[])) {
    for (const f of await readdir(join(logs, name)).catch(() => [] as string[])) {
      const n = attemptFromLogName(f);
      if (n !== undefined) out[name] = Math.max(out[name] ?? -1, n);
    }
  }
  return out;
}

/** The runtime ids of a pod's own containers (the pause container excluded). */
export async function podContainerIds(runtime: RuncRuntime, podUid: string): Promise<string[]> {
  const pause = pauseContainerId(podUid);
  const names = await readdir(runtime.containersDir).catch(() => [] as string[]);
  // Ids are `<uid>-<name>-<n>`, or `c<hash>-<n>` for uids too long for that; the latter are checked by annotation.
  return names.filter((n) => n !== pause && (n.startsWith(`${podUid}-`) || /^c[0-9a-f]{32}-\d+$/.test(n))).sort();
}

export interface PodObservation {
  sandbox?: Sandbox;
  observed: ObservedPod;
}

export async function observePod(runtime: RuncRuntime, sandboxes: SandboxManager, podUid: string): Promise<PodObservation> {
  const sandbox = await sandboxes.get(podUid);
  const containers: ObservedContainer[] = [];
  for (const id of await podContainerIds(runtime, podUid)) {
    const info = await runtime.state(id);
    if (!info || info.annotations[CONTAINER_ANNOTATION.podUid] !== podUid) continue;
    const c = observedContainer(info);
    if (c) containers.push(c);
  }
  const lastAttempts = await logAttempts(sandboxes.podDir(podUid));
  const observed: ObservedPod = { containers, lastAttempts };
  if (sandbox) {
    observed.sandbox = { id: sandbox.id, ready: sandbox.state === 'ready', ...(sandbox.network?.ip ? { ip: sandbox.network.ip } : {}) };
  }
  return { ...(sandbox ? { sandbox } : {}), observed };
}
