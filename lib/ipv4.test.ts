import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containsAddress, containsCidr, formatCidr, parseCidr, parseIpv4, tryParseCidr } from './ipv4.js';

test('prefixes parse strictly', () => {
  assert.equal(formatCidr(parseCidr('10.244.1.7/24')), '10.244.1.0/24');
  assert.equal(formatCidr(parseCidr('10.244.1.7')), '10.244.1.7/32');
  for (const bad of ['10.244.0.0/', '10.244.0.0/33', '10.244.0.0/8/9', '10.244.0.0/x', '10.244.0/16', 'fd00::/64', '']) {
    assert.throws(() => parseCidr(bad), /is not an IPv4/, bad);
    assert.equal(tryParseCidr(bad), undefined, bad);
  }
  assert.equal(tryParseCidr(undefined), undefined);
});

test('containment of prefixes and addresses', () => {
  const range = parseCidr('10.244.0.0/16');
  assert.ok(containsCidr(range, parseCidr('10.244.3.0/24')));
  assert.ok(containsCidr(range, range));
  assert.ok(!containsCidr(range, parseCidr('10.0.0.0/8')), 'a bigger prefix is not inside');
  assert.ok(!containsCidr(range, parseCidr('10.245.0.0/24')));
  assert.ok(containsAddress(range, parseIpv4('10.244.255.255')));
  assert.ok(!containsAddress(range, parseIpv4('10.245.0.0')));
});
