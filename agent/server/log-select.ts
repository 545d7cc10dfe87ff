// Which parts of a container's CRI log a `logs` request gets, and how they
// read: the message only (or prefixed with its time), from sinceTime on, the
// last N lines. Pure, fed with the file's bytes in order, so the rules are
// tested without files or containers.
//
// Text is handled as latin1 strings: latin1 maps each byte to one character
// and back, so a container's output reaches the client byte for byte even when
// it is not valid UTF-8 (a UTF-8 decode would replace such bytes).
import type { CriLogEntry } from '../runtime/crilog.js';

export type LogStreamName = 'stdout' | 'stderr';

// The `s` flag matters: a message may carry a carriage return (a tty
// container writes `\r\n`), which `.` would otherwise refuse.
const ENTRY = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/s;

/** One line of a CRI log file (without its newline) → entry; undefined if it is not in the format. */
export function parseLogEntry(line: string): CriLogEntry | undefined {
  const m = ENTRY.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as LogStreamName, full: m[3] === 'F', text: m[4] ?? '' };
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A CRI log time (RFC 3339 with up to nanoseconds, any offset) → epoch ms and
 * the RFC 3339 form kubectl prints with --timestamps: UTC, nanoseconds with
 * trailing zeros dropped (`2024-01-02T03:04:05.1234Z`).
 */
export function parseCriTime(time: string): { ms: number; utc: string } | undefined {
  const m = TIME.exec(time);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  const wholeSeconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMin * 60_000;
  if (!Number.isFinite(wholeSeconds)) return undefined;
  const nanos = frac.padEnd(9, '0');
  const ms = wholeSeconds + Math.floor(Number(nanos) / 1e6);
  const trimmed = nanos.replace(/0+$/, '');
  const utc = `${new Date(wholeSeconds).toISOString().slice(0, 19)}${trimmed ? `.${trimmed}` : ''}Z`;
  return { ms, utc };
}

/**
 * Splits a file's bytes into its lines, across chunk boundaries. A last line
 * without its newline is being written right now and is held back until it
 * is complete (or flush() at the end of a file that will not grow).
 */
export class LineSplitter {
  private rest = '';

  push(chunk: Buffer): string[] {
    const text = this.rest + chunk.toString('latin1');
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    return lines;
  }

  flush(): string[] {
    const rest = this.rest;
    this.rest = '';
    return rest ? [rest] : [];
  }
}

export interface LogPiece {
  stream: LogStreamName;
  /** What the client gets for this entry: latin1 text, `\n`-terminated when it ends a line. */
  text: string;
  /** false while the line continues in a later entry (a partial `P` entry). */
  endsLine: boolean;
}

export interface FormatOptions {
  /** Prefix each line with its time (RFC 3339, UTC). */
  timestamps?: boolean;
  /** Epoch ms: lines that started before are left out. */
  sinceMs?: number;
}

/**
 * Turns entries into what the client reads. Partial entries continue a line
 * of the same stream: only a line's first piece is stamped with a time and
 * checked against sinceMs, so a line is kept or dropped whole.
 */
export class LogFormatter {
  private readonly midLine: Record<LogStreamName, boolean> = { stdout: false, stderr: false };
  private readonly dropping: Record<LogStreamName, boolean> = { stdout: false, stderr: false };

  constructor(private readonly opts: FormatOptions = {}) {}

  /** The entry as the client sees it; undefined if it is filtered out. */
  piece(e: CriLogEntry): LogPiece | undefined {
    const s = e.stream;
    let prefix = '';
    if (!this.midLine[s]) {
      const t = parseCriTime(e.time);
      this.dropping[s] = this.opts.sinceMs !== undefined && t !== undefined && t.ms < this.opts.sinceMs;
      if (this.opts.timestamps) prefix = `${t?.utc ?? e.time} `;
    }
    this.midLine[s] = !e.full;
    if (this.dropping[s]) return undefined;
    return { stream: s, text: prefix + e.text + (e.full ? '\n' : ''), endsLine: e.full };
  }
}

/**
 * Joins the pieces of each stream's lines, so a line split into partial
 * entries reads whole even when the other stream wrote in between.
 */
export class LineJoiner {
  private readonly open = new Map<LogStreamName, string>();

  /** The line this piece completes, if it does. */
  add(p: LogPiece): string | undefined {
    const text = (this.open.get(p.stream) ?? '') + p.text;
    if (!p.endsLine) {
      this.open.set(p.stream, text);
      return undefined;
    }
    this.open.delete(p.stream);
    return text;
  }

  /** Lines still unfinished (without their newline), and forgets them. */
  unfinished(): string[] {
    const rest = [...this.open.values()];
    this.open.clear();
    return rest;
  }
}

/**
 * The last `limit` lines of a log: complete lines in the order they
 * completed, then lines still unfinished at the end (they count as lines, as
 * in kubectl).
 */
export class TailLines {
  private readonly joiner = new LineJoiner();
  private readonly done: string[] = [];

  constructor(private readonly limit: number) {}

  add(p: LogPiece): void {
    const line = this.joiner.add(p);
    if (line === undefined) return;
    this.done.push(line);
    if (this.done.length > this.limit) this.done.shift();
  }

  lines(): string[] {
    const all = [...this.done, ...this.joiner.unfinished()];
    return this.limit > 0 ? all.slice(-this.limit) : [];
  }
}

export interface SelectOptions extends FormatOptions {
  /** Only the last N lines; undefined (or negative) for all. */
  tailLines?: number;
}

/**
 * A whole log file's content → what a non-following `logs` request returns,
 * as latin1 text. (The server streams the same steps chunk by chunk.)
 */
export function selectLog(content: Buffer, opts: SelectOptions = {}): string {
  const splitter = new LineSplitter();
  const formatter = new LogFormatter(opts);
  const tail = opts.tailLines !== undefined && opts.tailLines >= 0 ? new TailLines(opts.tailLines) : undefined;
  const joiner = new LineJoiner();
  let out = '';
  for (const line of [...splitter.push(content), ...splitter.flush()]) {
    const e = parseLogEntry(line);
    const p = e && formatter.piece(e);
    if (!p) continue;
    if (tail) tail.add(p);
    else out += joiner.add(p) ?? '';
  }
  return tail ? tail.lines().join('') : out + joiner.unfinished().join('');
}
