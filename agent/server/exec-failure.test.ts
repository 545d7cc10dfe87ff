import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayBeRuncError, runcExecFailure } from './exec-failure.js';
import { parentPid } from './tty-resize.js';

const runcSaid = (msg: string) => `time="2024-01-02T03:04:05Z" level=error msg="${msg}"\n`;

describe('exec failures of runc', () => {
  it('maps a command that is not there to 127 and one that cannot run to 126', () => {
    const missing = runcSaid('exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH');
    assert.deepEqual(runcExecFailure(missing, 255), {
      exitCode: 127,
      message: 'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH\n',
    });
    const noFile = runcSaid('exec failed: unable to start container process: exec: \\"/x/y\\": stat /x/y: no such file or directory');
    assert.equal(runcExecFailure(noFile, 255)?.exitCode, 127);
    const denied = runcSaid('exec failed: unable to start container process: exec: \\"/etc\\": permission denied');
    assert.equal(runcExecFailure(denied, 255)?.exitCode, 126);
    // under a tty the line ends in \r\n
    assert.equal(runcExecFailure(denied.replace('\n', '\r\n'), 255)?.exitCode, 126);
  });

  it('leaves the command’s own output and exit codes alone', () => {
    const missing = runcSaid('exec failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH');
    assert.equal(runcExecFailure(missing, 3), undefined, 'only runc’s own exit code 255 counts');
    assert.equal(runcExecFailure('sh: nope: not found\n', 255), undefined);
    assert.equal(runcExecFailure(runcSaid('something else went wrong'), 255), undefined);
    assert.equal(runcExecFailure(missing + 'more output\n', 255), undefined);
  });

  it('holds output back only while it can still be runc’s error line', () => {
    assert.equal(mayBeRuncError(''), true);
    assert.equal(mayBeRuncError('tim'), true);
    assert.equal(mayBeRuncError('hello'), false);
    assert.equal(mayBeRuncError('time="2024'), true);
    assert.equal(mayBeRuncError('time="x" level=info msg="app started"\n'), false, 'an app logging in logrus format streams on');
    assert.equal(mayBeRuncError(runcSaid('exec failed: boom')), true);
  });

  it('reads the parent pid from /proc/PID/stat, whatever the command name holds', () => {
    assert.equal(parentPid('123 (runc) S 77 123 77 34816 ...'), 77);
    assert.equal(parentPid('124 (a) b (c)) R 5 1 1 0'), 5);
    assert.equal(parentPid('garbage'), undefined);
  });
});
