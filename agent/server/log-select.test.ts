import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, LogFormatter, TailLines, parseCriTime, parseLogEntry, selectLog } from './log-select.js';

const T0 = '2024-01-02T03:04:05.000000001+00:00';
const log = (...lines: string[]) => Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
const text = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

describe('CRI log selection', () => {
  it('parses entries, keeping carriage returns and bytes that are not UTF-8', () => {
    assert.deepEqual(parseLogEntry(`${T0} stdout F a\rb`), { time: T0, stream: 'stdout', full: true, text: 'a\rb' });
    assert.equal(parseLogEntry(`${T0} stderr P `)?.full, false);
    assert.equal(parseLogEntry('not a log line'), undefined);
    const raw = Buffer.concat([Buffer.from(`${T0} stdout F `), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\n')]);
    assert.deepEqual(Buffer.from(selectLog(raw), 'latin1'), Buffer.from([0xff, 0xfe, 0x41, 0x0a]));
  });

  it('reads CRI times with any offset and precision as UTC RFC 3339', () => {
    assert.deepEqual(parseCriTime('2024-01-02T03:04:05.123456789+00:00'), {
      ms: Date.UTC(2024, 0, 2, 3, 4, 5, 123),
      utc: '2024-01-02T03:04:05.123456789Z',
    });
    assert.deepEqual(parseCriTime('2024-01-02T05:04:05.5+02:00'), { ms: Date.UTC(2024, 0, 2, 3, 4, 5, 500), utc: '2024-01-02T03:04:05.5Z' });
    assert.equal(parseCriTime('2024-01-02T03:04:05Z')?.utc, '2024-01-02T03:04:05Z');
    assert.equal(parseCriTime('2024-01-01T23:30:00.000-01:00')?.utc, '2024-01-02T00:30:00Z');
    assert.equal(parseCriTime('yesterday'), undefined);
  });

  it('prints messages only, joining partial entries, in file order', () => {
    const content = log(`${T0} stdout F one`, `${T0} stdout P tw`, `${T0} stderr F oops`, `${T0} stdout F o`, `${T0} stdout F `);
    assert.equal(text(selectLog(content)), 'one\noops\ntwo\n\n');
  });

  it('keeps the last N lines, counting a joined line once and an unfinished one at the end', () => {
    const content = log(`${T0} stdout F 1`, `${T0} stdout P 2`, `${T0} stdout F b`, `${T0} stdout F 3`, `${T0} stdout P 4`);
    assert.equal(text(selectLog(content, { tailLines: 2 })), '3\n4');
    assert.equal(text(selectLog(content, { tailLines: 3 })), '2b\n3\n4');
    assert.equal(text(selectLog(content, { tailLines: 100 })), '1\n2b\n3\n4');
    assert.equal(selectLog(content, { tailLines: 0 }), '');
  });

  it('leaves out lines older than sinceMs, whole lines only', () => {
    const old = '2024-01-02T03:00:00.000000000+00:00';
    const recent = '2024-01-02T03:10:00.000000000+00:00';
    const content = log(`${old} stdout P from `, `${recent} stdout F before`, `${recent} stdout F after`, `${old} stderr F old`);
    const sinceMs = Date.UTC(2024, 0, 2, 3, 5);
    assert.equal(text(selectLog(content, { sinceMs })), 'after\n');
    assert.equal(text(selectLog(content, { sinceMs, tailLines: 5 })), 'after\n');
  });

  it('prefixes each line (not each partial entry) with its time', () => {
    const content = log(`${T0} stdout P par`, '2024-01-02T03:04:06.5+00:00 stdout F t', `2024-01-02T03:04:07Z stderr F e`);
    assert.equal(text(selectLog(content, { timestamps: true })), '2024-01-02T03:04:05.000000001Z part\n2024-01-02T03:04:07Z e\n');
  });

  it('splits lines across chunk boundaries and holds an unfinished last line', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('ab')), []);
    assert.deepEqual(s.push(Buffer.from('c\nde')), ['abc']);
    assert.deepEqual(s.push(Buffer.from('f\n')), ['def']);
    assert.deepEqual(s.push(Buffer.from('g')), []);
    assert.deepEqual(s.flush(), ['g']);
    assert.deepEqual(s.flush(), []);
  });

  it('continues a line across calls without stamping its continuation', () => {
    const f = new LogFormatter({ timestamps: true });
    const first = f.piece({ time: '2024-01-02T03:04:05Z', stream: 'stdout', full: false, text: 'Name? ' })!;
    const rest = f.piece({ time: '2024-01-02T03:04:09Z', stream: 'stdout', full: true, text: 'bob' })!;
    assert.deepEqual([first.text, rest.text], ['2024-01-02T03:04:05Z Name? ', 'bob\n']);
    const tail = new TailLines(1);
    tail.add(first);
    tail.add(rest);
    assert.deepEqual(tail.lines(), ['2024-01-02T03:04:05Z Name? bob\n']);
  });
});
