import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { criLogLines, parseCriLogLine } from './crilog.js';

describe('CRI log format', () => {
  it('parses full and partial lines', () => {
    assert.deepEqual(parseCriLogLine('2024-01-02T03:04:05.123456789+00:00 stdout F hello world'), {
      time: '2024-01-02T03:04:05.123456789+00:00',
      stream: 'stdout',
      full: true,
      text: 'hello world',
    });
    assert.equal(parseCriLogLine('2024-01-02T03:04:05Z stderr P part')?.full, false);
    assert.equal(parseCriLogLine('2024-01-02T03:04:05Z stdout F ')?.text, '');
    assert.equal(parseCriLogLine('garbage'), undefined);
  });
  it('joins partial lines and filters by stream', () => {
    const log = [
      't1 stdout P hel',
      't1 stderr F oops',
      't2 stdout F lo',
      't3 stdout F ',
      '',
    ].join('\n');
    assert.deepEqual(criLogLines(log), ['oops', 'hello', '']);
    assert.deepEqual(criLogLines(log, 'stdout'), ['hello', '']);
    assert.deepEqual(criLogLines(log, 'stderr'), ['oops']);
  });
});
