// How a pod's containers are named and labelled in the runtime. A container's
// id is a pure function of (pod uid, container name, attempt), so the runtime
// itself refuses a second start of the same attempt, and an agent restarted
// after a crash reads everything it needs back from the annotations.
import { createHash } from 'node:crypto';
import type { Container } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { CONTAINER_ID } from '../runtime/container-state.js';
import { ANNOTATION } from '../sandbox/sandbox.js';

/** Annotations on every pod container, beside the sandbox's ones (pod uid/name/namespace, container name/type). */
export const CONTAINER_ANNOTATION = {
  ...ANNOTATION,
  /** Which start of this container name it is: 0 for the first, restartCount afterwards. */
  attempt: 'tugboat.container.attempt',
  /** specHash() of the container spec it was started from. */
  specHash: 'tugboat.container.hash',
  /** The image as the pod spec wrote it. */
  image: 'tugboat.container.image',
  /** registry/repository@digest of what the image resolved to (containerStatuses[].imageID). */
  imageID: 'tugboat.container.imageID',
} as const;

/** ANNOTATION.containerType values of pod containers (the pause container is `sandbox`). */
export type ContainerKind = 'init' | 'container';

/** `<uid>-<name>-<attempt>`; a long custom uid is hashed so the id stays within runc's 128 characters. */
export function containerId(podUid: string, name: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 0) throw new ApiError('Internal', `container attempt must be a whole number, got ${attempt}`);
  let id = `${podUid}-${name}-${attempt}`;
  if (!CONTAINER_ID.test(id)) {
    const h = createHash('sha256').update(`${podUid}\0${name}`).digest('hex').slice(0, 32);
    id = `c${h}-${attempt}`;
  }
  return id;
}

/**
 * Drops what protobuf cannot tell from absent (undefined, null, "", 0, false,
 * empty lists and maps), sorting map keys, so one spec always hashes alike
 * however it travelled.
 */
export function canonical(v: unknown): unknown {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return undefined;
  if (Array.isArray(v)) {
    const items = v.map(canonical);
    return items.length ? items.map((x) => x ?? null) : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/**
 * A digest of the parts of a container spec that need a new container when
 * they change (the image, above all). Probes and resources are left out: a
 * change there does not restart the container.
 */
export function specHash(c: Container): string {
  const relevant = {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env,
    envFrom: c.envFrom,
    volumeMounts: c.volumeMounts,
    securityContext: c.securityContext,
    ports: c.ports,
    tty: c.tty,
    stdin: c.stdin,
  };
  return createHash('sha256').update(JSON.stringify(canonical(relevant) ?? {})).digest('hex').slice(0, 16);
}

/** The log file of one attempt, kubelet-style: `<podDir>/logs/<container>/<attempt>.log`. */
export function containerLogPath(podDir: string, name: string, attempt: number): string {
  return `${podDir}/logs/${name}/${attempt}.log`;
}

/** The directory holding one container's rootfs overlay (upper, work, merged). */
export function containerDir(podDir: string, id: string): string {
  return `${podDir}/containers/${id}`;
}
