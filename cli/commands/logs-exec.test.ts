import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as T from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { planExec } from './exec.js';
import { parseLogsFlags } from './logs.js';
import { defaultContainer, parsePodTarget, pickPod } from './pod-target.js';

const isBadRequest = (e: unknown) => e instanceof ApiError && e.code === 'BadRequest';

describe('tug logs flags', () => {
  it('turns flags into the request', () => {
    assert.deepEqual(parseLogsFlags({}), { follow: false, previous: false, timestamps: false });
    assert.deepEqual(parseLogsFlags({ follow: true, tail: '5', since: '5m', timestamps: true, previous: true }), {
      follow: true,
      previous: true,
      timestamps: true,
      tailLines: 5,
      sinceSeconds: 300,
    });
    assert.equal(parseLogsFlags({ tail: '-1' }).tailLines, undefined, '-1 means every line');
    assert.equal(parseLogsFlags({ tail: '0' }).tailLines, 0);
    assert.equal(parseLogsFlags({ since: '1500ms' }).sinceSeconds, 2);
    assert.equal(parseLogsFlags({ since: '1h30m' }).sinceSeconds, 5400);
  });

  it('rejects malformed values, naming the flag', () => {
    for (const tail of ['x', '1.5', '-2']) assert.throws(() => parseLogsFlags({ tail }), (e) => isBadRequest(e) && /--tail/.test((e as Error).message));
    for (const since of ['soon', '0', '-5m']) assert.throws(() => parseLogsFlags({ since }), isBadRequest);
  });
});

describe('tug exec plan', () => {
  it('needs a command', () => {
    assert.throws(() => planExec([], {}, true), (e) => isBadRequest(e) && /at least one command/.test((e as Error).message));
  });
  it('sends stdin only with -i, and uses a terminal as kubectl does', () => {
    assert.deepEqual(planExec(['ls'], {}, true), { command: ['ls'], stdin: false, tty: false, raw: false, warning: undefined });
    assert.deepEqual(planExec(['sh'], { stdin: true, tty: true }, true), { command: ['sh'], stdin: true, tty: true, raw: true, warning: undefined });
    const piped = planExec(['sh'], { stdin: true, tty: true }, false);
    assert.equal(piped.tty, false);
    assert.equal(piped.raw, false);
    assert.match(piped.warning ?? '', /Unable to use a TTY/);
    const ttyOnly = planExec(['top'], { tty: true }, true);
    assert.deepEqual([ttyOnly.stdin, ttyOnly.tty, ttyOnly.raw], [false, true, false], 'no raw mode without input: Ctrl-C still stops tug');
  });
});

describe('pod targets', () => {
  it('parses POD, pod/NAME, deployment/NAME, rs/NAME and refuses other kinds', () => {
    assert.deepEqual(parsePodTarget('web-1'), { kind: 'Pod', name: 'web-1' });
    assert.deepEqual(parsePodTarget('po/web-1'), { kind: 'Pod', name: 'web-1' });
    assert.deepEqual(parsePodTarget('deployment/web'), { kind: 'Deployment', name: 'web' });
    assert.deepEqual(parsePodTarget('deploy/web'), { kind: 'Deployment', name: 'web' });
    assert.deepEqual(parsePodTarget('rs/web-abc'), { kind: 'ReplicaSet', name: 'web-abc' });
    assert.throws(() => parsePodTarget('service/web'), isBadRequest);
    assert.throws(() => parsePodTarget('deployment/'), isBadRequest);
  });

  it('picks the pod kubectl would: scheduled, running, ready, most restarts, oldest', () => {
    const p = (name: string, o: { node?: string; phase?: string; ready?: boolean; restarts?: number; created?: string }): T.Pod => ({
      metadata: { name, creationTimestamp: o.created ?? '2024-01-01T00:00:00Z' },
      spec: { nodeName: o.node },
      status: {
        phase: o.phase,
        conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
        containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0 }],
      },
    });
    const pending = p('pending', { phase: 'Pending' });
    const running = p('running', { node: 'n', phase: 'Running' });
    const ready = p('ready', { node: 'n', phase: 'Running', ready: true });
    const crashy = p('crashy', { node: 'n', phase: 'Running', ready: true, restarts: 4 });
    const older = p('older', { node: 'n', phase: 'Running', ready: true, restarts: 4, created: '2023-01-01T00:00:00Z' });
    assert.equal(pickPod([pending, running])?.metadata?.name, 'running');
    assert.equal(pickPod([running, ready, pending])?.metadata?.name, 'ready');
    assert.equal(pickPod([ready, crashy])?.metadata?.name, 'crashy');
    assert.equal(pickPod([crashy, older])?.metadata?.name, 'older');
    assert.equal(pickPod([]), undefined);
  });

  it('defaults to the annotated, the only or the first container, saying so when there was a choice', () => {
    const pod = (containers: string[], annotation?: string, init: string[] = []): T.Pod => ({
      metadata: { name: 'web', annotations: annotation ? { 'kubectl.kubernetes.io/default-container': annotation } : undefined },
      spec: { containers: containers.map((name) => ({ name })), initContainers: init.map((name) => ({ name })) },
    });
    assert.deepEqual(defaultContainer(pod(['a'])), { container: 'a' });
    assert.deepEqual(defaultContainer(pod(['a', 'b'], 'b')), { container: 'b' });
    assert.deepEqual(defaultContainer(pod(['a', 'b'], undefined, ['setup'])), {
      container: 'a',
      notice: 'Defaulted container "a" out of: a, b (init: setup)',
    });
  });
});
