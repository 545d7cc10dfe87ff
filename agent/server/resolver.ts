// What the Agent service needs from the rest of the agent: given a pod and a
// container name, the runtime container to exec in and the log file to read.
// The pod worker implements it from what it knows about its pods.
import type { ChildProcess } from 'node:child_process';
import { ApiError } from '../../lib/errors.js';
import type { ContainerStatus } from '../runtime/container-state.js';
import type { ExecOptions } from '../runtime/runc.js';

/** The part of RuncRuntime the Agent service uses. */
export interface ContainerRuntime {
  spawnExec(id: string, args: string[], opts?: ExecOptions): ChildProcess;
  state(id: string): Promise<{ status: ContainerStatus; exitCode?: number } | undefined>;
}

export interface ResolveRequest {
  namespace: string;
  pod: string;
  /** '' when the client named none: the pod's only container, else an error listing the choices. */
  container: string;
  /** The previous (terminated) instance of the container rather than the current one. */
  previous: boolean;
}

export interface ResolvedContainer {
  /** The container's name in the pod spec (the one chosen when the request named none). */
  container: string;
  /** The runtime's id of the container instance. */
  containerId: string;
  /** Its CRI-format log file (conmon's). */
  logPath: string;
  runtime: ContainerRuntime;
}

/**
 * Finds a container of a pod on this node. Fails with ApiErrors a person can
 * act on, in kubectl's words where it has them:
 * - NotFound: `pods "web" not found` (not on this node);
 * - BadRequest: see pickContainer; `container "c" in pod "web" is waiting to start: ContainerCreating`;
 *   `previous terminated container "c" in pod "web" not found`.
 */
export interface ContainerResolver {
  resolve(req: ResolveRequest): Promise<ResolvedContainer>;
}

/**
 * The container a request means: the named one, or with no name the only
 * container of the pod. Errors in kubectl's words.
 */
export function pickContainer(pod: string, requested: string, containers: string[], initContainers: string[] = []): string {
  if (requested) {
    if (containers.includes(requested) || initContainers.includes(requested)) return requested;
    throw new ApiError('BadRequest', `container ${requested} is not valid for pod ${pod}`);
  }
  if (containers.length === 1) return containers[0]!;
  const init = initContainers.length ? ` or one of the init containers: [${initContainers.join(' ')}]` : '';
  throw new ApiError('BadRequest', `a container name must be specified for pod ${pod}, choose one of: [${containers.join(' ')}]${init}`);
}

export function previousNotFound(container: string, pod: string): ApiError {
  return new ApiError('BadRequest', `previous terminated container "${container}" in pod "${pod}" not found`);
}

export function waitingToStart(container: string, pod: string, reason = 'ContainerCreating'): ApiError {
  return new ApiError('BadRequest', `container "${container}" in pod "${pod}" is waiting to start: ${reason}`);
}
