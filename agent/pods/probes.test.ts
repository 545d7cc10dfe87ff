import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Probe } from '../../lib/api/generated/types.js';
import { httpProbeArgv, httpProbeOutcome, ProbeCounter, ProbeManager, resolvePort, seededResult, tcpProbeArgv, type ProbeRunner } from './probes.js';

describe('ProbeCounter', () => {
  it('flips only after the threshold of consecutive outcomes', () => {
    const c = new ProbeCounter(2, 3, 'failure');
    assert.equal(c.record('success'), false);
    assert.equal(c.record('success'), true);
    assert.equal(c.result, 'success');
    assert.equal(c.record('failure'), false);
    assert.equal(c.record('failure'), false);
    assert.equal(c.record('success'), false, 'a success in between resets the failure run');
    assert.equal(c.record('failure'), false);
    assert.equal(c.record('failure'), false);
    assert.equal(c.record('failure'), true);
    assert.equal(c.result, 'failure');
  });
});

describe('probe commands', () => {
  const target = { containerId: 'c', podIP: '10.244.1.4', ports: [{ name: 'http', containerPort: 8080 }] };
  it('builds wget and nc command lines against the pod IP, named ports resolved', () => {
    assert.deepEqual(httpProbeArgv('/bin/busybox', { path: 'healthz', port: 'http', httpHeaders: [{ name: 'X-A', value: 'b' }] }, target, 2), [
      '/bin/busybox', 'timeout', '2', '/bin/busybox', 'wget', '-q', '-S', '-O', '/dev/null', '-U', 'tugboat-probe/1.0', '--header', 'X-A: b', 'http://10.244.1.4:8080/healthz',
    ]);
    assert.deepEqual(tcpProbeArgv('/bin/busybox', { port: 5432, host: '127.0.0.1' }, target, 1), ['/bin/busybox', 'timeout', '1', '/bin/busybox', 'nc', '-w', '1', '127.0.0.1', '5432', '-e', 'true']);
    assert.equal(resolvePort('8081', []), 8081);
    assert.throws(() => resolvePort('nope', []), /neither a port number nor the name/);
  });

  it('judges HTTP by the status line: 2xx and 3xx succeed', () => {
    assert.equal(httpProbeOutcome(0, '  HTTP/1.1 200 OK\n').result, 'success');
    assert.equal(httpProbeOutcome(1, '  HTTP/1.1 302 Found\n  HTTP/1.1 200 OK\n').result, 'success');
    const notFound = httpProbeOutcome(1, '  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n');
    assert.deepEqual(notFound, { result: 'failure', message: 'HTTP probe failed with statuscode: 404' });
    assert.match(httpProbeOutcome(1, 'wget: can\'t connect to remote host (10.0.0.1): Connection refused\n').message, /Connection refused/);
    assert.equal(httpProbeOutcome(143, '').message, 'HTTP probe timed out');
  });
});

describe('ProbeManager', () => {
  it('reports readiness after success, kills on liveness failure, and stops probing replaced containers', async () => {
    const outcomes = new Map<string, 'success' | 'failure'>([['ready', 'success'], ['live', 'failure']]);
    const calls: string[] = [];
    const runner: ProbeRunner = {
      async run(probe: Probe, target) {
        const name = probe.exec?.command?.[0] ?? '';
        calls.push(`${target.containerId}:${name}`);
        return { result: outcomes.get(name) ?? 'failure', message: name };
      },
    };
    const changes: string[] = [];
    const m = new ProbeManager({ runner, onChange: (uid) => changes.push(uid) });
    const spec = {
      name: 'app',
      readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1, successThreshold: 1 },
      livenessProbe: { exec: { command: ['live'] }, periodSeconds: 1, failureThreshold: 2 },
    };
    try {
      assert.deepEqual(m.view('c1', spec), { started: true, ready: false }, 'not ready before the first probe');
      m.sync('pod1', [{ id: 'c1', name: 'app', spec, startedAt: new Date().toISOString() }], { podIP: '10.0.0.1' });
      for (let i = 0; i < 100 && m.failure('c1') === undefined; i++) await sleep(50);
      assert.equal(m.view('c1', spec).ready, true);
      assert.equal(m.failure('c1'), 'liveness');
      assert.ok(changes.length >= 2 && changes.every((u) => u === 'pod1'));
      const liveCalls = calls.filter((c) => c === 'c1:live').length;
      assert.equal(liveCalls, 2, 'liveness stops after the failure threshold');
      m.sync('pod1', [], {});
      assert.equal(m.failure('c1'), undefined, 'a replaced container is forgotten');
    } finally {
      m.stop();
    }
  });
});

it('an adopted container keeps what its last status said until a probe says otherwise', () => {
  assert.equal(seededResult('readiness', { ready: true, started: true }), 'success');
  assert.equal(seededResult('readiness', { ready: false, started: true }), 'failure');
  assert.equal(seededResult('readiness', undefined), 'failure');
  assert.equal(seededResult('startup', { ready: false, started: true }), 'success');
  assert.equal(seededResult('startup', undefined), 'unknown');
  assert.equal(seededResult('liveness', undefined), 'success');
});
