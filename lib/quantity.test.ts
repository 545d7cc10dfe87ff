import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.js';
import { cpuToMillis, formatBytes, formatCpuMillis, isQuantity, memoryToBytes, parseQuantity } from './quantity.js';

test('parseQuantity: decimal suffixes', () => {
  assert.equal(parseQuantity('250m'), 0.25);
  assert.equal(parseQuantity('1.5'), 1.5);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('2k'), 2000);
  assert.equal(parseQuantity('3M'), 3e6);
  assert.equal(parseQuantity('1T'), 1e12);
  assert.equal(parseQuantity('1P'), 1e15);
  assert.equal(parseQuantity('1E'), 1e18);
  assert.equal(parseQuantity('5n'), 5e-9);
  assert.equal(parseQuantity('7u'), 7e-6);
  assert.equal(parseQuantity('0'), 0);
});

test('parseQuantity: binary suffixes', () => {
  assert.equal(parseQuantity('128Mi'), 134217728);
  assert.equal(parseQuantity('1Ki'), 1024);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('1Ti'), 2 ** 40);
  assert.equal(parseQuantity('1Pi'), 2 ** 50);
  assert.equal(parseQuantity('1Ei'), 2 ** 60);
  assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
});

test('parseQuantity: exponents, signs and number forms', () => {
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('1E3'), 1000);
  assert.equal(parseQuantity('12e-3'), 0.012);
  assert.equal(parseQuantity('+1e+2'), 100);
  assert.equal(parseQuantity('-250m'), -0.25);
  assert.equal(parseQuantity('+2'), 2);
  assert.equal(parseQuantity('.5'), 0.5);
  assert.equal(parseQuantity('5.'), 5);
  assert.equal(parseQuantity(2), 2);
});

test('parseQuantity: malformed values throw BadRequest naming the value and the forms', () => {
  for (const bad of ['', 'abc', '1x', '1ki', '1.2.3', ' 1', '1 ', 'm', '-', '.', '1e', '1e1.5', '1Mi1', '1e9999']) {
    assert.throws(
      () => parseQuantity(bad),
      (e: unknown) => {
        assert.ok(e instanceof ApiError, `${JSON.stringify(bad)} should throw ApiError`);
        assert.equal(e.code, 'BadRequest');
        assert.ok(e.message.includes(JSON.stringify(bad)), e.message);
        assert.ok(e.message.includes('128Mi') && e.message.includes('250m'), e.message);
        return true;
      },
      JSON.stringify(bad),
    );
  }
});

test('isQuantity', () => {
  assert.equal(isQuantity('100Mi'), true);
  assert.equal(isQuantity('0.5'), true);
  assert.equal(isQuantity(3), true);
  assert.equal(isQuantity('1.5 Gi'), false);
  assert.equal(isQuantity(undefined), false);
  assert.equal(isQuantity({}), false);
});

test('cpuToMillis rounds up exactly', () => {
  assert.equal(cpuToMillis('250m'), 250);
  assert.equal(cpuToMillis('2'), 2000);
  assert.equal(cpuToMillis('0.1'), 100);
  assert.equal(cpuToMillis('1.5'), 1500);
  assert.equal(cpuToMillis('0.0001'), 1);
  assert.equal(cpuToMillis('100u'), 1);
  assert.equal(cpuToMillis(undefined), 0);
  assert.equal(cpuToMillis(''), 0);
  assert.throws(() => cpuToMillis('lots'), ApiError);
});

test('memoryToBytes rounds up exactly', () => {
  assert.equal(memoryToBytes('128Mi'), 134217728);
  assert.equal(memoryToBytes('1G'), 1e9);
  assert.equal(memoryToBytes('1.5Ki'), 1536);
  assert.equal(memoryToBytes('100m'), 1);
  assert.equal(memoryToBytes('1e3'), 1000);
  assert.equal(memoryToBytes(undefined), 0);
});

test('formatCpuMillis', () => {
  assert.equal(formatCpuMillis(250), '250m');
  assert.equal(formatCpuMillis(2000), '2');
  assert.equal(formatCpuMillis(1500), '1500m');
  assert.equal(formatCpuMillis(0), '0');
  assert.equal(formatCpuMillis(0.5), '1m');
  assert.equal(cpuToMillis(formatCpuMillis(1234)), 1234);
});

test('formatBytes picks the shortest exact form, binary first', () => {
  assert.equal(formatBytes(134217728), '128Mi');
  assert.equal(formatBytes(1e9), '1G');
  assert.equal(formatBytes(1024), '1Ki');
  assert.equal(formatBytes(1500), '1500');
  assert.equal(formatBytes(1000), '1k');
  assert.equal(formatBytes(1024000), '1024k');
  assert.equal(formatBytes(0), '0');
  assert.equal(formatBytes(2 ** 30 * 3), '3Gi');
  for (const n of [1, 999, 4096, 5e9, 123456789]) assert.equal(memoryToBytes(formatBytes(n)), n);
});
