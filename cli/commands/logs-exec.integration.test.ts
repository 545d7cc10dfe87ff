// The built `tug logs` and `tug exec` against a real apiserver, agent service
// and runc containers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startLogsExecCluster, type LogsExecCluster } from '../../agent/server/test-cluster.js';

const TUG = fileURLToPath(new URL('../main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tug logs and tug exec', { timeout: 300_000 }, () => {
  let c: LogsExecCluster;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-cli-logs-'));
    c = await startLogsExecCluster();
    await c.runPod('chatty', [{ name: 'main', args: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; done'] }], { labels: { app: 'chatty' } });
    await c.runPod('web', [
      { name: 'main', args: ['sleep', '600'] },
      { name: 'side', args: ['sh', '-c', 'echo from side; sleep 600'] },
    ]);
    await c.client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'chatty', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'chatty' } },
        template: { metadata: { labels: { app: 'chatty' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
      },
    });
    await c.waitExited('chatty', 'main');
  });
  after(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI as a user would (asynchronously: the apiserver lives in this process). */
  function tug(args: string[], stdin = ''): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [TUG, '--server', c.apiserver.address, ...args], {
        env: { ...process.env, TUG_SERVER: '', TUG_CONFIG: join(dir, 'no-config.yaml') },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  it('prints a log, its tail, and the log of a pod of a deployment', async () => {
    assert.deepEqual(await tug(['logs', 'chatty']), { code: 0, stdout: 'line 1\nline 2\nline 3\nline 4\nline 5\n', stderr: '' });
    assert.deepEqual(await tug(['logs', 'chatty', '--tail', '2']), { code: 0, stdout: 'line 4\nline 5\n', stderr: '' });
    // -f on a container that has ended prints what there is and ends
    assert.equal((await tug(['logs', '-f', '--since', '1h', 'chatty'])).stdout, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal((await tug(['logs', 'deployment/chatty', '--tail=1'])).stdout, 'line 5\n');
  });

  it('defaults to the first container, saying so, and takes -c', async () => {
    const side = await tug(['logs', 'web', '-c', 'side']);
    assert.deepEqual(side, { code: 0, stdout: 'from side\n', stderr: '' });
    const defaulted = await tug(['exec', 'web', '--', 'echo', 'hi']);
    assert.equal(defaulted.stdout, 'hi\n');
    assert.match(defaulted.stderr, /Defaulted container "main" out of: main, side/);
  });

  it('passes the exit code of the command through as its own', async () => {
    const r = await tug(['exec', 'web', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err\ncommand terminated with exit code 7\n$/);
    assert.equal((await tug(['exec', 'web', '-c', 'main', '--', 'sh', '-c', 'exit 0'])).code, 0);
    assert.equal((await tug(['exec', 'web', '-c', 'main', '--', 'no-such-command'])).code, 127);
  });

  it('sends stdin only with -i', async () => {
    assert.equal((await tug(['exec', '-i', 'web', '-c', 'main', '--', 'cat'], 'piped\n')).stdout, 'piped\n');
    assert.equal((await tug(['exec', 'web', '-c', 'main', '--', 'cat'], 'not sent\n')).stdout, '');
    const noTty = await tug(['exec', '-i', '-t', 'web', '-c', 'main', '--', 'cat'], 'x\n');
    assert.equal(noTty.stdout, 'x\n');
    assert.match(noTty.stderr, /Unable to use a TTY/);
  });

  it('reports errors the way kubectl does', async () => {
    const missing = await tug(['logs', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: pods "nope" not found/);
    const noCommand = await tug(['exec', 'web']);
    assert.equal(noCommand.code, 1);
    assert.match(noCommand.stderr, /you must specify at least one command/);
    const badTail = await tug(['logs', 'chatty', '--tail', 'x']);
    assert.equal(badTail.code, 1);
    assert.match(badTail.stderr, /--tail/);
  });

  it('has the image push command', async () => {
    const help = await tug(['image', 'push', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /push \[options\] <src> <name>/);
  });
});
