import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodStatus } from '../../lib/api/generated/types.js';
import type { ObservedContainer, ObservedPod, PodPlan } from './plan.js';
import { computePodStatus, type StatusInput } from './status.js';

const UID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const NOW = '2026-02-01T00:00:00.000Z';

function pod(o: { restartPolicy?: string; init?: boolean; status?: PodStatus; readiness?: boolean } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: UID },
    spec: {
      restartPolicy: o.restartPolicy ?? 'Always',
      ...(o.init ? { initContainers: [{ name: 'setup', image: 'busybox' }] } : {}),
      containers: [
        { name: 'app', image: 'busybox', ...(o.readiness ? { readinessProbe: { exec: { command: ['true'] } } } : {}), resources: { requests: { cpu: '100m' } } },
        { name: 'side', image: 'busybox' },
      ],
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

function c(name: string, attempt: number, state: ObservedContainer['state'], extra: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${UID}-${name}-${attempt}`,
    name,
    kind: 'container',
    attempt,
    state,
    startedAt: '2026-01-31T00:00:00.000Z',
    imageID: '127.0.0.1:5000/busybox@sha256:abc',
    ...(state === 'exited' ? { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-31T00:01:00.000Z' } : {}),
    ...extra,
  };
}

function input(p: Pod, containers: ObservedContainer[], extra: Partial<StatusInput> = {}): StatusInput {
  const observed: ObservedPod = { sandbox: { id: 'p', ready: true, ip: '10.244.1.7' }, containers, lastAttempts: {} };
  return { pod: p, observed, probes: () => ({ ready: true, started: true }), hostIP: '192.0.2.1', now: NOW, ...extra };
}

const cond = (s: PodStatus, type: string) => s.conditions?.find((x) => x.type === type);

describe('computePodStatus', () => {
  it('reports a running, ready pod with its IP, QoS class and container ids', () => {
    const s = computePodStatus(input(pod(), [c('app', 0, 'running'), c('side', 0, 'running')]));
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP, '10.244.1.7');
    assert.deepEqual(s.podIPs, [{ ip: '10.244.1.7' }]);
    assert.equal(s.hostIP, '192.0.2.1');
    assert.equal(s.qosClass, 'Burstable');
    assert.equal(s.startTime, NOW);
    for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) assert.equal(cond(s, t)?.status, 'True', t);
    const app = s.containerStatuses![0]!;
    assert.equal(app.containerID, `runc://${UID}-app-0`);
    assert.equal(app.imageID, '127.0.0.1:5000/busybox@sha256:abc');
    assert.deepEqual(app.state, { running: { startedAt: '2026-01-31T00:00:00.000Z' } });
    assert.equal(app.ready, true);
    assert.equal(app.started, true);
    assert.equal(app.restartCount, 0);
  });

  it('clears Ready when a readiness probe fails', () => {
    const s = computePodStatus(input(pod({ readiness: true }), [c('app', 0, 'running'), c('side', 0, 'running')], {
      probes: (id) => ({ ready: !id.includes('-app-'), started: true }),
    }));
    assert.equal(s.phase, 'Running');
    assert.equal(cond(s, 'Ready')?.status, 'False');
    assert.equal(cond(s, 'Ready')?.reason, 'ContainersNotReady');
    assert.match(cond(s, 'Ready')?.message ?? '', /\[app\]/);
    assert.equal(s.containerStatuses![0]!.ready, false);
  });

  it('shows CrashLoopBackOff with the last termination (OOMKilled) and the restart count', () => {
    const plan: PodPlan = { actions: [{ type: 'backOff', name: 'app', kind: 'container', remainingMs: 9000 }] };
    const s = computePodStatus(input(pod(), [c('app', 3, 'exited', { exitCode: 137, reason: 'OOMKilled' }), c('app', 2, 'exited', { exitCode: 137 }), c('side', 0, 'running')], {
      plan,
      backoffDelayMs: () => 40_000,
    }));
    const app = s.containerStatuses![0]!;
    assert.equal(app.restartCount, 3);
    assert.equal(app.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.match(app.state?.waiting?.message ?? '', /back-off 40s restarting failed container=app pod=web_default/);
    assert.equal(app.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(app.lastState?.terminated?.exitCode, 137);
    assert.equal(s.phase, 'Running', 'a restarting container keeps the pod Running');
    assert.equal(cond(s, 'Ready')?.status, 'False');
  });

  it('shows why a container could not start (ErrImagePull) and keeps the pod Pending', () => {
    const s = computePodStatus(input(pod(), [c('side', 0, 'running')], { startFailures: { app: { reason: 'ErrImagePull', message: 'no such image' } } }));
    assert.deepEqual(s.containerStatuses![0]!.state, { waiting: { reason: 'ErrImagePull', message: 'no such image' } });
    assert.equal(s.phase, 'Pending');
  });

  it('derives Succeeded and Failed from exit codes and the restart policy', () => {
    const done = [c('app', 0, 'exited'), c('side', 0, 'exited')];
    assert.equal(computePodStatus(input(pod({ restartPolicy: 'Never' }), done)).phase, 'Succeeded');
    assert.equal(computePodStatus(input(pod({ restartPolicy: 'OnFailure' }), done)).phase, 'Succeeded');
    const failed = [c('app', 0, 'exited', { exitCode: 1, reason: 'Error' }), c('side', 0, 'exited')];
    const s = computePodStatus(input(pod({ restartPolicy: 'Never' }), failed));
    assert.equal(s.phase, 'Failed');
    assert.equal(cond(s, 'Ready')?.reason, 'PodCompleted');
    assert.deepEqual(s.containerStatuses![0]!.state?.terminated?.exitCode, 1);
  });

  it('keeps a finished phase even if the runtime state is gone', () => {
    const s = computePodStatus(input(pod({ restartPolicy: 'Never', status: { phase: 'Succeeded' } }), []));
    assert.equal(s.phase, 'Succeeded');
  });

  it('reports init progress: Pending, not Initialized, app containers PodInitializing', () => {
    const init: ObservedContainer = { ...c('setup', 0, 'running'), kind: 'init' };
    const s = computePodStatus(input(pod({ init: true }), [init]));
    assert.equal(s.phase, 'Pending');
    assert.equal(cond(s, 'Initialized')?.status, 'False');
    assert.match(cond(s, 'Initialized')?.message ?? '', /\[setup\]/);
    assert.equal(s.containerStatuses![0]!.state?.waiting?.reason, 'PodInitializing');
    assert.ok(s.initContainerStatuses![0]!.state?.running);
    const doneInit: ObservedContainer = { ...c('setup', 0, 'exited'), kind: 'init' };
    const after = computePodStatus(input(pod({ init: true }), [doneInit, c('app', 0, 'running'), c('side', 0, 'running')]));
    assert.equal(cond(after, 'Initialized')?.status, 'True');
    assert.equal(after.initContainerStatuses![0]!.ready, true);
    assert.equal(after.phase, 'Running');
  });

  it('fails a Never pod whose init container failed', () => {
    const init: ObservedContainer = { ...c('setup', 0, 'exited', { exitCode: 2, reason: 'Error' }), kind: 'init' };
    assert.equal(computePodStatus(input(pod({ init: true, restartPolicy: 'Never' }), [init])).phase, 'Failed');
    assert.equal(computePodStatus(input(pod({ init: true }), [init])).phase, 'Pending');
  });

  it('keeps transition times and start time when nothing changed, so a recomputation writes nothing', () => {
    const first = computePodStatus(input(pod(), [c('app', 0, 'running'), c('side', 0, 'running')]));
    const again = computePodStatus(input(pod({ status: first }), [c('app', 0, 'running'), c('side', 0, 'running')], { now: '2026-03-01T00:00:00.000Z' }));
    assert.deepEqual(again, first);
    const changed = computePodStatus(input(pod({ status: first }), [c('app', 0, 'running'), c('side', 0, 'exited', { exitCode: 1 })], { now: '2026-03-01T00:00:00.000Z' }));
    assert.equal(cond(changed, 'Ready')?.lastTransitionTime, '2026-03-01T00:00:00.000Z');
    assert.equal(cond(changed, 'Initialized')?.lastTransitionTime, NOW);
    assert.equal(changed.startTime, NOW);
  });
});
