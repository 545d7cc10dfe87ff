// Serves one `logs` request from a CRI log file: what is there now (tail and
// since applied), then with `follow` whatever the container adds, until the
// container has exited and its last output is read, the file is removed, or
// the client goes away. conmon rotates a log by putting a new file in its
// place; a follower notices the new inode and carries on in the new file.
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineJoiner, LineSplitter, LogFormatter, TailLines, parseLogEntry, type SelectOptions } from './log-select.js';

const CHUNK_BYTES = 64 * 1024;
/** How often a follower looks for new output. */
export const FOLLOW_POLL_MS = 200;

export interface LogStreamOptions extends SelectOptions {
  path: string;
  follow?: boolean;
  /** Whether the container still runs; a follower ends once it does not and the log is drained. */
  isRunning(): Promise<boolean>;
  /** Sends bytes to the client; resolves when it may send more (backpressure). */
  write(data: Buffer): Promise<void>;
  signal: AbortSignal;
  pollMs?: number;
}

/** Streams the log; resolves when done. ENOENT from opening the file is left to the caller to explain. */
export async function streamLog(o: LogStreamOptions): Promise<void> {
  const pollMs = o.pollMs ?? FOLLOW_POLL_MS;
  const formatter = new LogFormatter(o);
  const tail = o.tailLines !== undefined && o.tailLines >= 0 ? new TailLines(o.tailLines) : undefined;
  let file = await open(o.path, 'r');
  try {
    let ino = (await file.stat()).ino;
    let splitter = new LineSplitter();
    let offset = 0;
    let pending = '';

    const flushPending = async () => {
      if (!pending) return;
      const data = Buffer.from(pending, 'latin1');
      pending = '';
      await o.write(data);
    };
    // What is there at the start is sent as whole lines (through tail, or the
    // joiner); what comes later is sent piece by piece, so a prompt without a
    // newline shows at once.
    const joiner = new LineJoiner();
    const take = async (lines: string[], initial: boolean) => {
      for (const line of lines) {
        const e = parseLogEntry(line);
        const p = e && formatter.piece(e);
        if (!p) continue;
        if (!initial) pending += p.text;
        else if (tail) tail.add(p);
        else pending += joiner.add(p) ?? '';
        if (pending.length >= CHUNK_BYTES) await flushPending();
      }
    };
    /** Reads from offset to the file's end now; returns whether anything was read. */
    const readToEnd = async (initial: boolean): Promise<boolean> => {
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      let any = false;
      for (;;) {
        if (o.signal.aborted) return any;
        const { bytesRead } = await file.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) return any;
        any = true;
        offset += bytesRead;
        await take(splitter.push(buf.subarray(0, bytesRead)), initial);
      }
    };

    // What is there now: the part tail and since choose from.
    await readToEnd(true);
    if (!o.follow) await take(splitter.flush(), true);
    pending += tail ? tail.lines().join('') : joiner.unfinished().join('');
    await flushPending();
    if (!o.follow) return;

    for (;;) {
      if (o.signal.aborted) return;
      const exited = !(await o.isRunning().catch(() => false));
      // Read after the check: output written before the exit is then in the file.
      await readToEnd(false);
      await flushPending();
      const now = await stat(o.path).catch(() => undefined);
      if (now && now.ino !== ino) {
        // Rotated: the old file is complete once replaced; go on in the new one.
        await readToEnd(false);
        await take(splitter.flush(), false);
        await flushPending();
        await file.close();
        file = await open(o.path, 'r');
        ino = (await file.stat()).ino;
        splitter = new LineSplitter();
        offset = 0;
        continue;
      }
      if (exited || !now) {
        // conmon may still be copying the last output of a container that just ended.
        await sleep(pollMs, undefined, { signal: o.signal }).catch(() => undefined);
        await readToEnd(false);
        await take(splitter.flush(), false);
        await flushPending();
        return;
      }
      await sleep(pollMs, undefined, { signal: o.signal }).catch(() => undefined);
    }
  } finally {
    await file.close().catch(() => undefined);
  }
}

