import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, medianByKey, medianPercentiles, percentile, percentiles, ratio } from './stats.js';

test('median of odd and even counts, NaN when empty', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('percentiles by nearest rank are samples that occurred', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.deepEqual(percentiles([5, 1, 9, 3]), { count: 4, p50: 3, p90: 9, p99: 9, max: 9 });
  assert.throws(() => percentile(xs, 101), RangeError);
});

test('several runs are summarised by the median of each percentile', () => {
  const m = medianPercentiles([
    { count: 10, p50: 1, p90: 5, p99: 9, max: 10 },
    { count: 10, p50: 3, p90: 4, p99: 20, max: 30 },
    { count: 10, p50: 2, p90: 6, p99: 10, max: 11 },
  ]);
  assert.deepEqual(m, { count: 30, p50: 2, p90: 5, p99: 10, max: 30 });
});

test('ratio is undefined without a usable reference', () => {
  assert.equal(ratio(50, 100), 0.5);
  assert.equal(ratio(1, 0), undefined);
  assert.equal(ratio(undefined, 3), undefined);
  assert.equal(ratio(Number.NaN, 3), undefined);
});

test('per-key medians over runs count a missing key as 0', () => {
  const m = medianByKey([new Map([['a', 1], ['b', 5]]), new Map([['a', 3]]), new Map([['a', 2], ['b', 7]])]);
  assert.deepEqual([...m], [['a', 2], ['b', 5]]);
});
