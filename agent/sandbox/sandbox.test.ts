import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PAUSE_SCRIPT, pauseSpec } from './pause.js';
import { pauseContainerId, sandboxContainerConfig, type Sandbox } from './sandbox.js';

const sandbox: Sandbox = {
  podUid: 'u1',
  podName: 'web',
  podNamespace: 'default',
  hostname: 'web',
  id: 'u1-pause',
  state: 'ready',
  pausePid: 4242,
  netnsPath: '/state/netns/u1',
  cgroupPath: '/tugboat/node-1/podu1',
  podDir: '/state/pods/u1',
  etcFiles: { hosts: '/state/pods/u1/etc/hosts', resolvConf: '/state/pods/u1/etc/resolv.conf', hostname: '/state/pods/u1/etc/hostname' },
  shmPath: '/state/pods/u1/shm',
  createdAt: '2024-01-01T00:00:00Z',
};

describe('sandboxContainerConfig', () => {
  it('joins the pod netns by its mount and IPC/UTS through the pause process, with own PID namespace', () => {
    assert.deepEqual(sandboxContainerConfig(sandbox, 'u1-web'), {
      namespaces: {
        network: { join: '/state/netns/u1' },
        ipc: { join: '/proc/4242/ns/ipc' },
        uts: { join: '/proc/4242/ns/uts' },
        pid: 'new',
      },
      etcFiles: sandbox.etcFiles,
      shmPath: '/state/pods/u1/shm',
      cgroupsPath: '/tugboat/node-1/podu1/u1-web',
    });
  });
  it('refuses a sandbox whose pause process is not running', () => {
    assert.throws(() => sandboxContainerConfig({ ...sandbox, state: 'notready', pausePid: undefined }, 'x'), /no running pause process/);
  });
  it('names the pause container after the pod uid', () => {
    assert.equal(pauseContainerId('8d3f-11'), '8d3f-11-pause');
    assert.throws(() => pauseContainerId('../x'), /pod uid/);
  });
});

describe('pauseSpec', () => {
  it('owns new IPC, UTS and PID namespaces, joins the pod netns, and holds no capabilities', () => {
    const s = pauseSpec({ rootfs: '/state/pause-rootfs', hostname: 'web', netnsPath: '/state/netns/u1', cgroupsPath: '/tug/podu1/u1-pause', annotations: { a: 'b' } }, 'x64');
    assert.deepEqual(s.process.args, ['/bin/sh', '-c', PAUSE_SCRIPT]);
    assert.equal(s.hostname, 'web');
    assert.equal(s.root.readonly, true);
    assert.deepEqual(s.linux.namespaces, [{ type: 'pid' }, { type: 'network', path: '/state/netns/u1' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
    assert.deepEqual(s.process.capabilities.bounding, []);
    assert.equal(s.process.oomScoreAdj, undefined);
    assert.equal(pauseSpec({ rootfs: '/r', hostname: 'h', netnsPath: '/n', cgroupsPath: '/c/p', annotations: {}, oomScoreAdj: -998 }).process.oomScoreAdj, -998);
  });
});
