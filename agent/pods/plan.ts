// What a pod worker does next, decided from (desired pod, observed runtime
// state) alone — the kubelet's computePodActions. Pure: the executor
// (pod-worker.ts) carries the plan out, and every transition is unit-tested.
import type { Container, Pod } from '../../lib/api/generated/types.js';
import type { ContainerKind } from './naming.js';

/** A container as the runtime shows it (one attempt of one name). */
export interface ObservedContainer {
  id: string;
  name: string;
  kind: ContainerKind;
  attempt: number;
  /** `created`: made but never started (the agent stopped in between); `unknown`: runc lost it. */
  state: 'created' | 'running' | 'exited' | 'unknown';
  pid?: number;
  exitCode?: number;
  /** Completed, Error, OOMKilled, Unknown */
  reason?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  specHash?: string;
  image?: string;
  imageID?: string;
  logPath?: string;
}

export interface ObservedSandbox {
  id: string;
  ready: boolean;
  ip?: string;
}

export interface ObservedPod {
  sandbox?: ObservedSandbox;
  containers: ObservedContainer[];
  /**
   * The highest attempt each container name ever had, from its log files:
   * they outlive a sandbox's replacement, which removes the containers.
   */
  lastAttempts: Record<string, number>;
}

export interface PlanContext {
  now: number;
  /** ms a restart of `name` must still wait after an exit at `finishedAtMs` (0: may start). */
  crashBackoff(name: string, finishedAtMs: number): number;
  /** The probe that has failed for this container, if any. */
  probeFailure(containerId: string): 'liveness' | 'startup' | undefined;
  specHash(c: Container): string;
  /** Grace for containers of pods that are no longer in the API (nothing says otherwise). */
  orphanGraceSeconds?: number;
}

export type PodAction =
  /** The pod is being deleted or is gone: stop everything, remove the sandbox, finish the deletion. */
  | { type: 'terminate'; graceSeconds: number; reason: string }
  /** Make (or replace) the sandbox; a replaced one takes its containers with it. */
  | { type: 'createSandbox'; reason: string }
  | { type: 'killContainer'; id: string; name: string; graceSeconds: number; reason: string; message: string }
  | { type: 'removeContainer'; id: string; name: string }
  | { type: 'startContainer'; name: string; kind: ContainerKind; attempt: number; restartOf?: { id: string; finishedAt?: string } }
  /** A crashed container must wait before its restart. */
  | { type: 'backOff'; name: string; kind: ContainerKind; remainingMs: number; delayMs?: number };

export interface PodPlan {
  actions: PodAction[];
  /** Sync again after this long (a back-off ending); undefined: when something changes. */
  requeueAfterMs?: number;
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** The grace period for stopping a deleted pod's containers. */
export function deletionGraceSeconds(pod: Pod): number {
  const md = pod.metadata ?? {};
  return Math.max(0, md.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
}

/** Attempts of one container name, newest first. */
function attemptsOf(observed: ObservedPod, name: string, kind: ContainerKind): ObservedContainer[] {
  return observed.containers.filter((c) => c.name === name && c.kind === kind).sort((a, b) => b.attempt - a.attempt);
}

/** The attempt number the next start of `name` gets: one past everything seen, runtime and logs. */
export function nextAttempt(observed: ObservedPod, name: string, kind: ContainerKind): number {
  const latest = attemptsOf(observed, name, kind)[0];
  const fromLogs = observed.lastAttempts[name];
  const seen = Math.max(latest?.attempt ?? -1, fromLogs ?? -1);
  return seen + 1;
}

function shouldRestart(c: ObservedContainer | undefined, policy: 'Always' | 'OnFailure' | 'Never'): boolean {
  if (!c || c.state !== 'exited') return true;
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return c.exitCode !== 0;
  return true;
}

function ms(iso: string | undefined, fallback: number): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : fallback;
}

type InitProgress =
  | { kind: 'done' }
  | { kind: 'wait' }
  | { kind: 'failed'; name: string }
  | { kind: 'start'; container: Container; latest?: ObservedContainer };

/** Which init container runs next (kubelet's findNextInitContainerToRun). */
export function initProgress(pod: Pod, observed: ObservedPod): InitProgress {
  const inits = pod.spec?.initContainers ?? [];
  if (!inits.length) return { kind: 'done' };
  // App containers exist only once init has finished (they go when a sandbox is replaced, as init then runs again).
  if (observed.containers.some((c) => c.kind === 'container')) return { kind: 'done' };
  for (let i = inits.length - 1; i >= 0; i--) {
    const spec = inits[i]!;
    const latest = attemptsOf(observed, spec.name ?? '', 'init')[0];
    if (!latest) continue;
    if (latest.state === 'running') return { kind: 'wait' };
    if (latest.state !== 'exited') return { kind: 'start', container: spec, latest };
    if (latest.exitCode === 0) return i === inits.length - 1 ? { kind: 'done' } : { kind: 'start', container: inits[i + 1]! };
    if (restartPolicy(pod) === 'Never') return { kind: 'failed', name: spec.name ?? '' };
    return { kind: 'start', container: spec, latest };
  }
  return { kind: 'start', container: inits[0]! };
}

/** The plan for one sync of one pod. `pod` undefined: the pod is no longer in the API. */
export function computePodPlan(pod: Pod | undefined, observed: ObservedPod, ctx: PlanContext): PodPlan {
  if (!pod) {
    return { actions: [{ type: 'terminate', graceSeconds: ctx.orphanGraceSeconds ?? 0, reason: 'the pod is no longer in the API' }] };
  }
  if (pod.metadata?.deletionTimestamp) {
    return { actions: [{ type: 'terminate', graceSeconds: deletionGraceSeconds(pod), reason: 'the pod is being deleted' }] };
  }
  const spec = pod.spec ?? {};
  const policy = restartPolicy(pod);
  const podGrace = Math.max(0, spec.terminationGracePeriodSeconds ?? 30);
  const actions: PodAction[] = [];
  let requeue: number | undefined;
  const wake = (after: number) => (requeue = requeue === undefined ? after : Math.min(requeue, after));

  const kill = (c: ObservedContainer, reason: string, message: string, graceSeconds = podGrace) =>
    actions.push({ type: 'killContainer', id: c.id, name: c.name, graceSeconds, reason, message });

  // Garbage: containers no longer in the spec, and attempts older than the one before the latest.
  const wanted = new Set([
    ...(spec.initContainers ?? []).map((c) => `init/${c.name}`),
    ...(spec.containers ?? []).map((c) => `container/${c.name}`),
  ]);
  const latestAttempt = new Map<string, number>();
  for (const c of observed.containers) {
    const k = `${c.kind}/${c.name}`;
    latestAttempt.set(k, Math.max(latestAttempt.get(k) ?? -1, c.attempt));
  }
  for (const c of observed.containers) {
    const k = `${c.kind}/${c.name}`;
    const stale = !wanted.has(k) || c.attempt < latestAttempt.get(k)! - 1;
    if (!stale) continue;
    if (c.state === 'running') kill(c, 'Killing', `container ${c.name} (attempt ${c.attempt}) is not part of the pod spec any more`);
    actions.push({ type: 'removeContainer', id: c.id, name: c.name });
  }

  if (isTerminalPhase(pod.status?.phase)) {
    // A finished pod stays finished: nothing starts again, whatever is left running stops.
    for (const c of observed.containers) if (c.state === 'running') kill(c, 'Killing', `pod has finished (${pod.status?.phase})`);
    return { actions };
  }

  const everRan = observed.containers.length > 0 || Object.keys(observed.lastAttempts).length > 0;
  if (!observed.sandbox?.ready) {
    if (observed.sandbox && policy === 'Never' && everRan) {
      // Never restarts anything, the sandbox included: what still runs is stopped and the pod fails.
      for (const c of observed.containers) if (c.state === 'running') kill(c, 'Killing', 'the pod sandbox died and restartPolicy is Never');
      return { actions };
    }
    actions.push({ type: 'createSandbox', reason: observed.sandbox ? 'the pod sandbox is not running; recreating it' : 'new pod' });
    // The new sandbox starts without containers: everything (init containers first) starts over.
    const fresh: ObservedPod = { containers: [], lastAttempts: maxAttempts(observed) };
    const first = spec.initContainers?.[0];
    if (first) actions.push({ type: 'startContainer', name: first.name ?? '', kind: 'init', attempt: nextAttempt(fresh, first.name ?? '', 'init') });
    else for (const c of spec.containers ?? []) actions.push({ type: 'startContainer', name: c.name ?? '', kind: 'container', attempt: nextAttempt(fresh, c.name ?? '', 'container') });
    return { actions };
  }

  const start = (c: Container, kind: 'init' | 'container', latest: ObservedContainer | undefined) => {
    const name = c.name ?? '';
    if (latest && latest.state !== 'exited') {
      // Made but never started, or lost by runc: replace it under the same attempt number.
      actions.push({ type: 'removeContainer', id: latest.id, name });
      actions.push({ type: 'startContainer', name, kind, attempt: latest.attempt });
      return;
    }
    if (latest) {
      const remaining = ctx.crashBackoff(name, ms(latest.finishedAt, ctx.now));
      if (remaining > 0) {
        actions.push({ type: 'backOff', name, kind, remainingMs: remaining });
        wake(remaining);
        return;
      }
    }
    actions.push({
      type: 'startContainer',
      name,
      kind,
      attempt: nextAttempt(observed, name, kind),
      ...(latest ? { restartOf: { id: latest.id, ...(latest.finishedAt ? { finishedAt: latest.finishedAt } : {}) } } : {}),
    });
  };

  const init = initProgress(pod, observed);
  if (init.kind === 'wait' || init.kind === 'failed') return { actions, ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
  if (init.kind === 'start') {
    start(init.container, 'init', init.latest);
    return { actions, ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
  }

  for (const c of spec.containers ?? []) {
    const name = c.name ?? '';
    const latest = attemptsOf(observed, name, 'container')[0];
    if (latest?.state === 'running') {
      const failed = ctx.probeFailure(latest.id);
      if (latest.specHash && latest.specHash !== ctx.specHash(c)) {
        // A new definition is a new container, whatever the restart policy: replace it now, without back-off.
        kill(latest, 'Killing', `Container ${name} definition changed, will be restarted`);
        actions.push({ type: 'startContainer', name, kind: 'container', attempt: nextAttempt(observed, name, 'container') });
      } else if (failed === 'liveness') {
        kill(latest, 'Killing', `Container ${name} failed liveness probe, will be restarted`, c.livenessProbe?.terminationGracePeriodSeconds ?? podGrace);
      } else if (failed === 'startup') {
        kill(latest, 'Killing', `Container ${name} failed startup probe, will be restarted`, c.startupProbe?.terminationGracePeriodSeconds ?? podGrace);
      }
      continue;
    }
    if (!shouldRestart(latest, policy)) continue;
    start(c, 'container', latest);
  }
  return { actions, ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
}

/** Highest attempt per name from the runtime and the logs. */
function maxAttempts(observed: ObservedPod): Record<string, number> {
  const out: Record<string, number> = { ...observed.lastAttempts };
  for (const c of observed.containers) out[c.name] = Math.max(out[c.name] ?? -1, c.attempt);
  return out;
}
