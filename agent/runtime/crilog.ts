// The CRI (kubelet) container log format that conmon writes:
//   2024-01-02T03:04:05.123456789+00:00 stdout F a complete line
//   2024-01-02T03:04:05.123456789+00:00 stdout P a partial line, continued on the next entry
// Pure parsing, for logs and tests.

export interface CriLogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  /** false for a partial line (P) whose text continues in the next entry. */
  full: boolean;
  text: string;
}

const LINE = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/s;

/** One log file line → entry; undefined for a line that is not in CRI format. */
export function parseCriLogLine(line: string): CriLogEntry | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as 'stdout' | 'stderr', full: m[3] === 'F', text: m[4] ?? '' };
}

/** A whole log file → the lines the container printed (partial entries joined), optionally one stream only. */
export function criLogLines(content: string, stream?: 'stdout' | 'stderr'): string[] {
  const lines: string[] = [];
  const pending: Record<string, string> = { stdout: '', stderr: '' };
  for (const raw of content.split('\n')) {
    const e = parseCriLogLine(raw);
    if (!e) continue;
    if (stream && e.stream !== stream) continue;
    pending[e.stream] += e.text;
    if (e.full) {
      lines.push(pending[e.stream]!);
      pending[e.stream] = '';
    }
  }
  for (const rest of Object.values(pending)) if (rest) lines.push(rest);
  return lines;
}
