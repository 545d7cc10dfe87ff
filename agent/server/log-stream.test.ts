// streamLog over real files in a temp dir (no containers): the initial part,
// following appends, a rotated file, a removed file, and the container's end.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { streamLog } from './log-stream.js';

const T = '2024-01-02T03:04:05.000000000+00:00';
const entry = (text: string, full = true) => `${T} stdout ${full ? 'F' : 'P'} ${text}\n`;

/** Collects what streamLog writes and lets a test wait until some text has arrived. */
function collector() {
  let text = '';
  let waiters: { want: string; resolve: () => void }[] = [];
  return {
    get text() {
      return text;
    },
    write: async (b: Buffer) => {
      text += b.toString('utf8');
      waiters = waiters.filter((w) => (text.includes(w.want) ? (w.resolve(), false) : true));
    },
    until(want: string): Promise<void> {
      if (text.includes(want)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ want, resolve }));
    },
  };
}

describe('streaming a log file', { timeout: 60_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tug-logstream-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the selected part and ends without follow', async () => {
    const path = join(dir, 'plain.log');
    await writeFile(path, entry('a') + entry('b') + entry('c'));
    const out = collector();
    await streamLog({ path, tailLines: 2, isRunning: async () => true, write: out.write, signal: new AbortController().signal });
    assert.equal(out.text, 'b\nc\n');
  });

  it('follows appends and a rotation, and ends once the container has exited', async () => {
    const path = join(dir, 'follow.log');
    await writeFile(path, entry('old') + entry('first'));
    const out = collector();
    let running = true;
    const done = streamLog({
      path,
      follow: true,
      tailLines: 1,
      isRunning: async () => running,
      write: out.write,
      signal: new AbortController().signal,
      pollMs: 20,
    });
    await out.until('first\n');
    await appendFile(path, entry('Name? ', false));
    await out.until('Name? ');
    await appendFile(path, entry('bob') + entry('second'));
    await out.until('second\n');
    // conmon's rotation: a new file takes the old one's place
    await writeFile(path + '.tmp', entry('after rotation'));
    await rename(path + '.tmp', path);
    await out.until('after rotation\n');
    await appendFile(path, entry('last words'));
    running = false;
    await done;
    assert.equal(out.text, 'first\nName? bob\nsecond\nafter rotation\nlast words\n');
  });

  it('ends when the file is removed, and when the client goes away', async () => {
    const path = join(dir, 'removed.log');
    await writeFile(path, entry('x'));
    const out = collector();
    const removed = streamLog({ path, follow: true, isRunning: async () => true, write: out.write, signal: new AbortController().signal, pollMs: 20 });
    await out.until('x\n');
    await unlink(path);
    await removed;

    const path2 = join(dir, 'cancelled.log');
    await writeFile(path2, entry('y'));
    const abort = new AbortController();
    const out2 = collector();
    const cancelled = streamLog({ path: path2, follow: true, isRunning: async () => true, write: out2.write, signal: abort.signal, pollMs: 20 });
    await out2.until('y\n');
    abort.abort();
    await cancelled;
    assert.equal(out2.text, 'y\n');
  });
});
