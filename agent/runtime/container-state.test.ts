import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerInfo, CONTAINER_ID, parseExitFile, terminationReason, type ContainerMeta } from './container-state.js';

const meta: ContainerMeta = {
  id: 'c1',
  createdAt: '2024-01-01T00:00:00.000Z',
  startedAt: '2024-01-01T00:00:01.000Z',
  logPath: '/logs/c1.log',
  cgroupsPath: '/tug/podu/c1',
  oomKillBaseline: 0,
  conmonUuid: 'abc',
  annotations: { 'tugboat.pod.uid': 'u' },
};

describe('terminationReason', () => {
  it('calls a SIGKILL with new OOM kills in the memory cgroup OOMKilled', () => {
    assert.equal(terminationReason(137, 1, 0), 'OOMKilled');
    assert.equal(terminationReason(137, 3, 2), 'OOMKilled');
  });
  it('does not call a plain SIGKILL, or an OOM counted before creation, OOMKilled', () => {
    assert.equal(terminationReason(137, 0, 0), 'Error');
    assert.equal(terminationReason(137, 2, 2), 'Error');
    assert.equal(terminationReason(137, undefined, 0), 'Error');
    assert.equal(terminationReason(1, 5, 0), 'Error');
  });
  it('calls exit 0 Completed and an unknown exit Unknown', () => {
    assert.equal(terminationReason(0, 0, 0), 'Completed');
    assert.equal(terminationReason(undefined, 0, 0), 'Unknown');
  });
});

describe('containerInfo', () => {
  it('merges a running runc state with our meta', () => {
    const info = containerInfo({
      id: 'c1',
      runc: { id: 'c1', pid: 42, status: 'running', bundle: '/b/c1', annotations: { 'tugboat.container.name': 'web' } },
      meta,
      conmonPid: 41,
    });
    assert.deepEqual(info, {
      id: 'c1',
      status: 'running',
      pid: 42,
      bundle: '/b/c1',
      createdAt: meta.createdAt,
      startedAt: meta.startedAt,
      logPath: '/logs/c1.log',
      cgroupsPath: '/tug/podu/c1',
      conmonPid: 41,
      annotations: { 'tugboat.pod.uid': 'u', 'tugboat.container.name': 'web' },
    });
  });
  it('reports a stopped container with exit code, finish time and reason, and no pid', () => {
    const info = containerInfo({
      id: 'c1',
      runc: { id: 'c1', pid: 0, status: 'stopped', bundle: '/b/c1' },
      meta,
      exitFile: '137',
      exitTime: '2024-01-01T00:01:00.000Z',
      oomKills: 1,
    });
    assert.equal(info.status, 'stopped');
    assert.equal(info.pid, undefined);
    assert.equal(info.exitCode, 137);
    assert.equal(info.finishedAt, '2024-01-01T00:01:00.000Z');
    assert.equal(info.reason, 'OOMKilled');
  });
  it('trusts the exit file when runc no longer knows the container', () => {
    assert.equal(containerInfo({ id: 'c1', meta, exitFile: '0\n' }).status, 'stopped');
    assert.equal(containerInfo({ id: 'c1', meta }).status, 'unknown');
  });
});

describe('parseExitFile and ids', () => {
  it('reads conmon exit files', () => {
    assert.equal(parseExitFile('3'), 3);
    assert.equal(parseExitFile('137\n'), 137);
    assert.equal(parseExitFile(''), undefined);
    assert.equal(parseExitFile(undefined), undefined);
  });
  it('accepts runc-safe ids only', () => {
    assert.ok(CONTAINER_ID.test('8f1c-2a_b.c+1'));
    for (const bad of ['', '-x', 'a/b', '../x', 'a b', 'x'.repeat(129)]) assert.ok(!CONTAINER_ID.test(bad), bad);
  });
});
