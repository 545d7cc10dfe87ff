// The status a pod worker reports, from the pod spec, what the runtime shows,
// the probes' verdicts and why containers could not start. Pure. Times the
// old status already holds are kept when nothing changed, so recomputing an
// unchanged pod yields the same status and no write.
import type { Condition, Container, ContainerState, ContainerStatus, Pod, PodStatus } from '../../lib/api/generated/types.js';
import { initProgress, isTerminalPhase, restartPolicy, type ObservedContainer, type ObservedPod, type PodPlan } from './plan.js';
import { podQos } from './sandbox-config.js';

export interface ProbeView {
  /** Readiness: true once the readiness probe passes (or there is none and the container has started). */
  ready: boolean;
  /** Startup: true once the startup probe passes (or there is none). */
  started: boolean;
}

export interface StatusInput {
  pod: Pod;
  observed: ObservedPod;
  /** The plan just carried out: its backOff actions become CrashLoopBackOff. */
  plan?: PodPlan;
  /** Why the last attempt to start a container failed (ErrImagePull, CreateContainerConfigError, ...). */
  startFailures?: Record<string, { reason: string; message: string }>;
  /** Current back-off window of a container, for the CrashLoopBackOff message. */
  backoffDelayMs?: (name: string) => number;
  probes: (containerId: string) => ProbeView;
  hostIP?: string;
  /** ISO time used for anything that starts now (startTime, new conditions). */
  now: string;
}

function byAttemptDesc(observed: ObservedPod, name: string, kind: 'init' | 'container'): ObservedContainer[] {
  return observed.containers.filter((c) => c.name === name && c.kind === kind).sort((a, b) => b.attempt - a.attempt);
}

function terminated(c: ObservedContainer): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      containerID: `runc://${c.id}`,
    },
  };
}

function containerStatus(
  spec: Container,
  kind: 'init' | 'container',
  input: StatusInput,
  notStartedReason: string,
): ContainerStatus {
  const name = spec.name ?? '';
  const [latest, previous] = byAttemptDesc(input.observed, name, kind);
  const failure = input.startFailures?.[name];
  const backOff = input.plan?.actions.find((a) => a.type === 'backOff' && a.name === name && a.kind === kind);
  const st: ContainerStatus = {
    name,
    image: spec.image ?? '',
    imageID: latest?.imageID ?? '',
    restartCount: latest?.attempt ?? input.observed.lastAttempts[name] ?? 0,
    ready: false,
    started: false,
  };
  if (latest) st.containerID = `runc://${latest.id}`;
  const previousState = previous?.state === 'exited' ? terminated(previous) : undefined;
  if (latest?.state === 'running') {
    st.state = { running: { startedAt: latest.startedAt ?? latest.createdAt ?? input.now } };
    if (previousState) st.lastState = previousState;
    const p = input.probes(latest.id);
    st.started = kind === 'container' ? p.started : true;
    st.ready = kind === 'container' ? p.started && p.ready : false;
  } else if (latest?.state === 'exited') {
    if (backOff && backOff.type === 'backOff') {
      const delay = input.backoffDelayMs?.(name) ?? 0;
      const pod = input.pod.metadata ?? {};
      st.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${name} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
        },
      };
      st.lastState = terminated(latest);
    } else if (failure) {
      st.state = { waiting: { reason: failure.reason, message: failure.message } };
      st.lastState = terminated(latest);
    } else {
      st.state = terminated(latest);
      if (previousState) st.lastState = previousState;
      // A completed init container counts as ready.
      if (kind === 'init') st.ready = latest.exitCode === 0;
    }
  } else {
    st.state = { waiting: failure ? { reason: failure.reason, message: failure.message } : { reason: latest ? 'ContainerCreating' : notStartedReason } };
    if (previousState) st.lastState = previousState;
  }
  return st;
}

/** kubelet's getPhase, over the statuses just computed. */
export function podPhase(pod: Pod, init: ContainerStatus[], apps: ContainerStatus[]): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const policy = restartPolicy(pod);
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of init) {
    if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting && s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of apps) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else waiting++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  // Once an app container has run, init containers no longer hold the pod back.
  if (pendingInit > 0 && running + stopped === 0) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(old: Condition[] | undefined, type: string, status: boolean, now: string, reason?: string, message?: string): Condition {
  const s = status ? 'True' : 'False';
  const before = old?.find((c) => c.type === type);
  return {
    type,
    status: s,
    lastTransitionTime: before?.status === s && before.lastTransitionTime ? before.lastTransitionTime : now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** The pod's status as this agent sees it now. */
export function computePodStatus(input: StatusInput): PodStatus {
  const { pod, observed, now } = input;
  const old = pod.status ?? {};
  const spec = pod.spec ?? {};
  const init = initProgress(pod, observed);
  const initDone = init.kind === 'done';
  const initStatuses = (spec.initContainers ?? []).map((c) => containerStatus(c, 'init', input, 'PodInitializing'));
  const appStatuses = (spec.containers ?? []).map((c) => containerStatus(c, 'container', input, initDone ? 'ContainerCreating' : 'PodInitializing'));

  let phase = podPhase(pod, initStatuses, appStatuses);
  // Once finished, always finished.
  if (isTerminalPhase(old.phase)) phase = old.phase as 'Succeeded' | 'Failed';

  const terminal = isTerminalPhase(phase);
  const incompleteInit = initStatuses.filter((s) => !s.ready).map((s) => s.name);
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const initialized = initDone || incompleteInit.length === 0;
  const containersReady = unready.length === 0 && !terminal;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const conditions: Condition[] = [
    old.conditions?.find((c) => c.type === 'PodScheduled') ?? condition(undefined, 'PodScheduled', true, now),
    initialized
      ? condition(old.conditions, 'Initialized', true, now, terminal ? 'PodCompleted' : undefined)
      : condition(old.conditions, 'Initialized', false, now, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    containersReady
      ? condition(old.conditions, 'ContainersReady', true, now)
      : condition(old.conditions, 'ContainersReady', false, now, notReadyReason, notReadyMessage),
    containersReady
      ? condition(old.conditions, 'Ready', true, now)
      : condition(old.conditions, 'Ready', false, now, notReadyReason, notReadyMessage),
  ];
  // Conditions someone else owns (readiness gates, disruption targets) are kept as they are.
  const ours = new Set(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']);
  for (const c of old.conditions ?? []) if (!ours.has(c.type ?? '')) conditions.push(c);

  const podIP = observed.sandbox?.ready && observed.sandbox.ip ? observed.sandbox.ip : old.podIP;
  const status: PodStatus = {
    phase,
    conditions,
    ...(input.hostIP ? { hostIP: input.hostIP } : old.hostIP ? { hostIP: old.hostIP } : {}),
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime || now,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    qosClass: podQos(pod),
  };
  if (old.nominatedNodeName) status.nominatedNodeName = old.nominatedNodeName;
  return status;
}
