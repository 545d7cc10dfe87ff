import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conmonArgs, parseSyncMessage } from './conmon.js';

describe('conmon', () => {
  it('builds the command line that works with Debian conmon 2.1 and runc 1.1', () => {
    const args = conmonArgs({
      conmon: '/usr/bin/conmon',
      runc: '/usr/sbin/runc',
      runcRoot: '/state/runc',
      id: 'c1',
      uuid: 'u1',
      bundle: '/state/containers/c1',
      pidFile: '/state/containers/c1/pid',
      conmonPidFile: '/state/containers/c1/conmon.pid',
      exitDir: '/state/exits',
      logPath: '/logs/c1.log',
      socketDir: '/state/sockets',
    });
    assert.deepEqual(args, [
      '--api-version', '1', '-c', 'c1', '-u', 'u1', '-r', '/usr/sbin/runc', '-b', '/state/containers/c1',
      '-p', '/state/containers/c1/pid', '-n', 'c1', '--exit-dir', '/state/exits', '-l', 'k8s-file:/logs/c1.log',
      '--conmon-pidfile', '/state/containers/c1/conmon.pid', '--socket-dir-path', '/state/sockets', '--runtime-arg', '--root=/state/runc',
    ]);
  });
  it('reads the sync pipe message: a pid, or an error with runc\'s words', () => {
    assert.deepEqual(parseSyncMessage('{"data": 1234}\n'), { pid: 1234 });
    assert.deepEqual(parseSyncMessage('{"data": -1, "message": "runc create failed: no such file"}'), { error: 'runc create failed: no such file' });
    assert.equal(parseSyncMessage('{"data": 12'), undefined);
    assert.ok('error' in parseSyncMessage('{not json}')!);
  });
});
