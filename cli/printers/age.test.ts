import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, describeTime, humanDuration } from './age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('human durations read like kubectl AGE', () => {
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [2 * m + 30 * s, '2m30s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 20 * m, '3h20m'],
    [8 * h + 20 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 4 * h, '2d4h'],
    [8 * d + 4 * h, '8d'],
    [400 * d, '400d'],
    [2 * 365 * d + 30 * d, '2y30d'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('age of a timestamp, and <unknown> without one', () => {
  const now = new Date('2024-01-01T00:10:00Z');
  assert.equal(age('2024-01-01T00:09:55Z', now), '5s');
  assert.equal(age(undefined, now), '<unknown>');
  assert.equal(age('garbage', now), '<unknown>');
});

test('describe times in RFC 1123 with a numeric zone', () => {
  assert.equal(describeTime('2017-11-30T10:56:25Z'), 'Thu, 30 Nov 2017 10:56:25 +0000');
  assert.equal(describeTime(undefined), '<unset>');
});
