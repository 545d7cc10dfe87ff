// Logs and exec through the apiserver to a node's Agent service and real runc
// containers: ApiClient → apiserver (node proxy) → agent → runtime.
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../lib/errors.js';
import type { ExecOptions, LogStream } from '../lib/client/api-client.js';
import { freePort } from '../lib/testing/ports.js';
import { startLogsExecCluster, type LogsExecCluster } from '../agent/server/test-cluster.js';

/** A Writable that keeps what it is given. */
function sink(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString('utf8') });
}

async function readAll(stream: LogStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString('utf8');
  return text;
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, `an ApiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('logs and exec through the apiserver', { timeout: 300_000 }, () => {
  let c: LogsExecCluster;

  before(async () => {
    c = await startLogsExecCluster();
    await c.runPod('chatty', [{ name: 'main', args: ['sh', '-c', 'echo hello; for i in 1 2 3 4 5; do echo line $i; done'] }]);
    await c.runPod('both', [{ name: 'main', args: ['sh', '-c', 'echo out; echo err >&2'] }]);
    await c.runPod('web', [
      { name: 'main', args: ['sleep', '600'] },
      { name: 'side', args: ['sleep', '600'] },
    ]);
    await c.waitExited('chatty', 'main');
    await c.waitExited('both', 'main');
  });
  after(async () => {
    await c?.stop();
  });

  const exec = async (pod: string, opts: Omit<ExecOptions, 'stdout' | 'stderr'>) => {
    const stdout = sink();
    const stderr = sink();
    const { exitCode } = await c.client.exec('default', pod, { ...opts, stdout, stderr });
    return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
  };

  it('returns what the container printed, on both streams', async () => {
    assert.equal(await readAll(c.client.logs('default', 'chatty')), 'hello\nline 1\nline 2\nline 3\nline 4\nline 5\n');
    // stdout and stderr are separate pipes: their relative order is whatever conmon read first
    const both = await readAll(c.client.logs('default', 'both'));
    assert.deepEqual(both.split('\n').sort(), ['', 'err', 'out']);
  });

  it('keeps the last lines with tailLines, and stamps them with timestamps', async () => {
    assert.equal(await readAll(c.client.logs('default', 'chatty', { tailLines: 2 })), 'line 4\nline 5\n');
    const stamped = await readAll(c.client.logs('default', 'chatty', { tailLines: 1, timestamps: true }));
    assert.match(stamped, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z line 5\n$/);
    assert.equal(await readAll(c.client.logs('default', 'chatty', { sinceSeconds: 3600 })), 'hello\nline 1\nline 2\nline 3\nline 4\nline 5\n');
  });

  it('follows new output until the container ends', async () => {
    await c.runPod('ticker', [
      { name: 'main', args: ['sh', '-c', 'i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo tick $i; sleep 0.1; done; echo bye'] },
    ]);
    const stream = c.client.logs('default', 'ticker', { follow: true });
    let text = '';
    let stopped = false;
    for await (const chunk of stream) {
      text += chunk.toString('utf8');
      if (!stopped && text.includes('tick 3\n')) {
        stopped = true;
        // Lines written after the request started arrive; then the container is told to end.
        const r = await exec('ticker', { command: ['touch', '/tmp/stop'] });
        assert.equal(r.exitCode, 0);
      }
    }
    assert.ok(stopped, `saw tick 3 in ${JSON.stringify(text)}`);
    assert.match(text, /^tick 1\ntick 2\ntick 3\n(tick \d+\n)*bye\n$/);
  });

  it('stops following when the client stops', async () => {
    await c.runPod('forever', [{ name: 'main', args: ['sh', '-c', 'while true; do echo on; sleep 0.1; done'] }]);
    const stream = c.client.logs('default', 'forever', { follow: true });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.toString('utf8');
      if (text.split('\n').length > 3) stream.stop();
    }
    assert.match(text, /^(on\n)+/);
  });

  it('gives the previous instance of a restarted container', async () => {
    await c.runPod('restarted', [{ name: 'main', args: ['sh', '-c', 'echo first life'] }]);
    await c.waitExited('restarted', 'main');
    await rejectsWith(
      readAll(c.client.logs('default', 'restarted', { previous: true })),
      'BadRequest',
      /^previous terminated container "main" in pod "restarted" not found$/,
    );
    await c.restartContainer('restarted', 'main', ['sh', '-c', 'echo second life']);
    await c.waitExited('restarted', 'main');
    assert.equal(await readAll(c.client.logs('default', 'restarted')), 'second life\n');
    assert.equal(await readAll(c.client.logs('default', 'restarted', { previous: true, follow: true })), 'first life\n');
  });

  it('says which container to choose, and refuses pods that are missing or not scheduled', async () => {
    await rejectsWith(readAll(c.client.logs('default', 'web')), 'BadRequest', /^a container name must be specified for pod web, choose one of: \[main side\]$/);
    await rejectsWith(readAll(c.client.logs('default', 'web', { container: 'nope' })), 'BadRequest', /container nope is not valid for pod web/);
    await rejectsWith(readAll(c.client.logs('default', 'missing')), 'NotFound', /pods "missing" not found/);
    await c.runPod('unbound', [{ name: 'main', args: ['true'] }], { bind: false });
    await rejectsWith(readAll(c.client.logs('default', 'unbound')), 'BadRequest', /^pod "unbound" is not scheduled yet$/);
    await rejectsWith(exec('unbound', { command: ['true'] }), 'BadRequest', /^pod "unbound" is not scheduled yet$/);
  });

  it('reports an unreachable agent as Unavailable, naming the node', async () => {
    const port = await freePort();
    await c.client.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'gone' } });
    const n = await c.client.get('Node', undefined, 'gone');
    await c.client.updateStatus({
      ...n,
      kind: 'Node',
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
    });
    await c.client.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'default' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
    await c.client.bind('default', 'orphan', 'gone');
    await rejectsWith(readAll(c.client.logs('default', 'orphan')), 'Unavailable', new RegExp(`agent of node "gone" at 127\\.0\\.0\\.1:${port}`));
    await rejectsWith(exec('orphan', { command: ['true'] }), 'Unavailable', /agent of node "gone"/);
  });

  it('runs commands and passes back output and exit codes', async () => {
    const ok = await exec('web', { container: 'main', command: ['sh', '-c', 'echo out; echo err >&2'] });
    assert.deepEqual(ok, { exitCode: 0, stdout: 'out\n', stderr: 'err\n' });
    assert.equal((await exec('web', { container: 'main', command: ['sh', '-c', 'exit 3'] })).exitCode, 3);
    const missing = await exec('web', { container: 'side', command: ['no-such-command'] });
    assert.equal(missing.exitCode, 127);
    assert.match(missing.stderr, /"no-such-command": executable file not found/);
    assert.equal(missing.stdout, '');
    assert.equal((await exec('web', { container: 'main', command: ['/etc'] })).exitCode, 126);
    await rejectsWith(exec('web', { command: ['true'] }), 'BadRequest', /choose one of: \[main side\]/);
    await rejectsWith(exec('chatty', { command: ['true'] }), 'BadRequest', /not running/);
  });

  it('passes stdin and closes it when the input ends', async () => {
    const stdin = new PassThrough();
    const running = exec('web', { container: 'main', command: ['sh', '-c', 'cat; echo done'], stdin });
    stdin.write('first\n');
    stdin.end('second\n');
    assert.deepEqual(await running, { exitCode: 0, stdout: 'first\nsecond\ndone\n', stderr: '' });
    // without stdin the command reads an empty input at once
    assert.equal((await exec('web', { container: 'main', command: ['sh', '-c', 'cat; echo eof'] })).stdout, 'eof\n');
  });

  it('runs under a terminal that follows resizes', async () => {
    let firstSizeSent!: () => void;
    const sent = new Promise<void>((r) => (firstSizeSent = r));
    async function* sizes() {
      yield { width: 100, height: 30 };
      firstSizeSent();
      await new Promise(() => undefined);
    }
    const stdin = new PassThrough();
    const running = exec('web', {
      container: 'main',
      tty: true,
      stdin,
      resize: sizes(),
      command: ['sh', '-c', 'tty; read x; for i in $(seq 50); do s=$(stty size); [ "$s" = "30 100" ] && break; sleep 0.1; done; echo "size $s"; exit 4'],
    });
    await sent;
    stdin.write('go\n');
    const r = await running;
    assert.equal(r.exitCode, 4);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /size 30 100/);
  });
});
