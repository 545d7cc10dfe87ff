import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from '../../lib/api/generated/types.js';
import { specHash } from './naming.js';
import { computePodPlan, nextAttempt, type ObservedContainer, type ObservedPod, type PlanContext, type PodAction } from './plan.js';

const UID = '11111111-2222-3333-4444-555555555555';

function pod(o: { init?: Container[]; containers?: Container[]; restartPolicy?: string; phase?: string; deleting?: number } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: UID,
      ...(o.deleting !== undefined ? { deletionTimestamp: '2030-01-01T00:00:00Z', deletionGracePeriodSeconds: o.deleting } : {}),
    },
    spec: {
      nodeName: 'n1',
      restartPolicy: o.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: 30,
      ...(o.init ? { initContainers: o.init } : {}),
      containers: o.containers ?? [{ name: 'app', image: 'busybox' }, { name: 'side', image: 'busybox' }],
    },
    ...(o.phase ? { status: { phase: o.phase } } : {}),
  };
}

function ctr(name: string, attempt: number, state: ObservedContainer['state'], extra: Partial<ObservedContainer> = {}): ObservedContainer {
  const kind = extra.kind ?? 'container';
  return {
    id: `${UID}-${name}-${attempt}`,
    name,
    kind,
    attempt,
    state,
    specHash: specHash({ name, image: 'busybox' }),
    ...(state === 'exited' ? { exitCode: 0, finishedAt: '2026-01-01T00:00:00.000Z' } : {}),
    ...extra,
  };
}

function observed(containers: ObservedContainer[] = [], sandbox: ObservedPod['sandbox'] | null = { id: `${UID}-pause`, ready: true, ip: '10.244.1.5' }, lastAttempts: Record<string, number> = {}): ObservedPod {
  return { containers, lastAttempts, ...(sandbox ? { sandbox } : {}) };
}

function ctx(o: Partial<PlanContext> = {}): PlanContext {
  return { now: Date.parse('2026-01-01T00:00:05Z'), crashBackoff: () => 0, probeFailure: () => undefined, specHash, orphanGraceSeconds: 2, ...o };
}

const types = (actions: PodAction[]) => actions.map((a) => `${a.type}${'name' in a ? `:${a.name}` : ''}${a.type === 'startContainer' ? `#${a.attempt}` : ''}`);

describe('computePodPlan', () => {
  it('creates the sandbox and starts every container of a fresh pod', () => {
    const plan = computePodPlan(pod(), observed([], null), ctx());
    assert.deepEqual(types(plan.actions), ['createSandbox', 'startContainer:app#0', 'startContainer:side#0']);
  });

  it('starts only the first init container of a fresh pod', () => {
    const p = pod({ init: [{ name: 'one', image: 'busybox' }, { name: 'two', image: 'busybox' }] });
    assert.deepEqual(types(computePodPlan(p, observed([], null), ctx()).actions), ['createSandbox', 'startContainer:one#0']);
  });

  it('runs init containers in order, one at a time, then the app containers', () => {
    const p = pod({ init: [{ name: 'one', image: 'busybox' }, { name: 'two', image: 'busybox' }] });
    const one = (s: ObservedContainer['state'], exitCode = 0) => ctr('one', 0, s, { kind: 'init', ...(s === 'exited' ? { exitCode } : {}) });
    assert.deepEqual(types(computePodPlan(p, observed([one('running')]), ctx()).actions), [], 'waits while init one runs');
    assert.deepEqual(types(computePodPlan(p, observed([one('exited')]), ctx()).actions), ['startContainer:two#0']);
    const two = ctr('two', 0, 'exited', { kind: 'init' });
    assert.deepEqual(types(computePodPlan(p, observed([one('exited'), two]), ctx()).actions), ['startContainer:app#0', 'startContainer:side#0']);
  });

  it('restarts a failed init container with back-off, or fails the pod with restartPolicy Never', () => {
    const init = [{ name: 'one', image: 'busybox' }];
    const failed = ctr('one', 0, 'exited', { kind: 'init', exitCode: 3 });
    assert.deepEqual(types(computePodPlan(pod({ init }), observed([failed]), ctx()).actions), ['startContainer:one#1']);
    const waiting = computePodPlan(pod({ init }), observed([failed]), ctx({ crashBackoff: () => 7000 }));
    assert.deepEqual(types(waiting.actions), ['backOff:one']);
    assert.equal(waiting.requeueAfterMs, 7000);
    assert.deepEqual(types(computePodPlan(pod({ init, restartPolicy: 'Never' }), observed([failed]), ctx()).actions), []);
  });

  it('restarts a crashed container under Always, after its back-off', () => {
    const crashed = ctr('app', 2, 'exited', { exitCode: 1 });
    const running = ctr('side', 0, 'running');
    const now = computePodPlan(pod(), observed([crashed, running]), ctx());
    assert.deepEqual(types(now.actions), ['startContainer:app#3']);
    const start = now.actions[0] as Extract<PodAction, { type: 'startContainer' }>;
    assert.deepEqual(start.restartOf, { id: crashed.id, finishedAt: crashed.finishedAt });

    let asked: [string, number] | undefined;
    const later = computePodPlan(pod(), observed([crashed, running]), ctx({ crashBackoff: (n, t) => ((asked = [n, t]), 20_000) }));
    assert.deepEqual(types(later.actions), ['backOff:app']);
    assert.equal(later.requeueAfterMs, 20_000);
    assert.deepEqual(asked, ['app', Date.parse(crashed.finishedAt!)], 'back-off is measured from the exit');
  });

  it('follows OnFailure and Never', () => {
    const ok = ctr('app', 0, 'exited', { exitCode: 0 });
    const bad = ctr('side', 0, 'exited', { exitCode: 2 });
    assert.deepEqual(types(computePodPlan(pod({ restartPolicy: 'OnFailure' }), observed([ok, bad]), ctx()).actions), ['startContainer:side#1']);
    assert.deepEqual(types(computePodPlan(pod({ restartPolicy: 'Never' }), observed([ok, bad]), ctx()).actions), []);
    assert.deepEqual(types(computePodPlan(pod({ restartPolicy: 'Always' }), observed([ok, bad]), ctx()).actions), ['startContainer:app#1', 'startContainer:side#1']);
  });

  it('kills a container whose liveness or startup probe failed, with the probe grace', () => {
    const p = pod({ containers: [{ name: 'app', image: 'busybox', livenessProbe: { exec: { command: ['false'] }, terminationGracePeriodSeconds: 3 } }, { name: 'side', image: 'busybox' }] });
    const app = ctr('app', 0, 'running', { specHash: specHash(p.spec!.containers![0]!) });
    const side = ctr('side', 0, 'running');
    const plan = computePodPlan(p, observed([app, side]), ctx({ probeFailure: (id) => (id === app.id ? 'liveness' : undefined) }));
    assert.equal(plan.actions.length, 1);
    const kill = plan.actions[0] as Extract<PodAction, { type: 'killContainer' }>;
    assert.equal(kill.type, 'killContainer');
    assert.equal(kill.id, app.id);
    assert.equal(kill.graceSeconds, 3);
    assert.match(kill.message, /failed liveness probe/);
    const startup = computePodPlan(p, observed([app, side]), ctx({ probeFailure: (id) => (id === side.id ? 'startup' : undefined) }));
    assert.deepEqual(types(startup.actions), ['killContainer:side']);
    assert.equal((startup.actions[0] as { graceSeconds: number }).graceSeconds, 30);
  });

  it('replaces a container whose spec (image) changed, whatever the restart policy', () => {
    const p = pod({ containers: [{ name: 'app', image: 'busybox:2' }], restartPolicy: 'Never' });
    const plan = computePodPlan(p, observed([ctr('app', 0, 'running')]), ctx({ crashBackoff: () => 60_000 }));
    assert.deepEqual(types(plan.actions), ['killContainer:app', 'startContainer:app#1']);
  });

  it('terminates a pod being deleted with its deletion grace period, and a vanished pod with the orphan grace', () => {
    const deleting = computePodPlan(pod({ deleting: 7 }), observed([ctr('app', 0, 'running')]), ctx());
    assert.deepEqual(deleting.actions, [{ type: 'terminate', graceSeconds: 7, reason: 'the pod is being deleted' }]);
    const gone = computePodPlan(undefined, observed([ctr('app', 0, 'running')]), ctx());
    assert.deepEqual(gone.actions, [{ type: 'terminate', graceSeconds: 2, reason: 'the pod is no longer in the API' }]);
  });

  it('adopts what runs after an agent restart: no second start of anything', () => {
    const p = pod({ init: [{ name: 'setup', image: 'busybox' }] });
    const state = observed([ctr('setup', 0, 'exited', { kind: 'init' }), ctr('app', 1, 'running'), ctr('app', 0, 'exited', { exitCode: 1 }), ctr('side', 0, 'running')]);
    assert.deepEqual(computePodPlan(p, state, ctx()).actions, []);
  });

  it('replaces a container that was created but never started, under the same attempt', () => {
    const plan = computePodPlan(pod(), observed([ctr('app', 4, 'created'), ctr('side', 0, 'running')]), ctx());
    assert.deepEqual(types(plan.actions), ['removeContainer:app', 'startContainer:app#4']);
  });

  it('recreates a dead sandbox and starts over from the first init container, counting on from the logs', () => {
    const p = pod({ init: [{ name: 'setup', image: 'busybox' }] });
    const state = observed([ctr('app', 2, 'running')], { id: 'x', ready: false }, { setup: 0, app: 2 });
    assert.deepEqual(types(computePodPlan(p, state, ctx()).actions), ['createSandbox', 'startContainer:setup#1']);
    const noInit = observed([], { id: 'x', ready: false }, { app: 2, side: 0 });
    assert.deepEqual(types(computePodPlan(pod(), noInit, ctx()).actions), ['createSandbox', 'startContainer:app#3', 'startContainer:side#1']);
  });

  it('does not recreate the sandbox of a restartPolicy Never pod that has run', () => {
    const plan = computePodPlan(pod({ restartPolicy: 'Never' }), observed([ctr('app', 0, 'running'), ctr('side', 0, 'exited')], { id: 'x', ready: false }), ctx());
    assert.deepEqual(types(plan.actions), ['killContainer:app']);
  });

  it('removes attempts older than the previous one and containers no longer in the spec', () => {
    const state = observed([ctr('app', 3, 'running'), ctr('app', 2, 'exited'), ctr('app', 1, 'exited'), ctr('app', 0, 'exited'), ctr('side', 0, 'running'), ctr('old', 0, 'running')]);
    assert.deepEqual(types(computePodPlan(pod(), state, ctx()).actions), ['removeContainer:app', 'removeContainer:app', 'killContainer:old', 'removeContainer:old']);
  });

  it('starts nothing for a pod that has finished', () => {
    const state = observed([ctr('app', 0, 'exited', { exitCode: 1 }), ctr('side', 0, 'running')]);
    assert.deepEqual(types(computePodPlan(pod({ phase: 'Failed' }), state, ctx()).actions), ['killContainer:side']);
  });
});

describe('nextAttempt', () => {
  it('counts past the runtime and the logs', () => {
    assert.equal(nextAttempt(observed(), 'app', 'container'), 0);
    assert.equal(nextAttempt(observed([], null, { app: 4 }), 'app', 'container'), 5);
    assert.equal(nextAttempt(observed([ctr('app', 6, 'exited')], null, { app: 4 }), 'app', 'container'), 7);
  });
});
