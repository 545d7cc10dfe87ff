import assert from 'node:assert/strict';
import { it } from 'node:test';
import { cpuListCount, firstAddressFromIp, parseMemoryLimit, parseOsRelease, parseProcCgroup, parseRuncVersion, quotaMillis } from './machine.js';

it('parses /proc/self/cgroup in v1, hybrid and v2 form', () => {
  const m = parseProcCgroup('12:cpu,cpuacct:/a/b\n4:memory:/process_api/x\n1:name=systemd:/\n0::/init.scope\n');
  assert.equal(m.get('cpu'), '/a/b');
  assert.equal(m.get('cpuacct'), '/a/b');
  assert.equal(m.get('memory'), '/process_api/x');
  assert.equal(m.get(''), '/init.scope');
});

it('turns cgroup limits into cpus and bytes', () => {
  assert.equal(cpuListCount('0-3,6'), 5);
  assert.equal(cpuListCount('0\n'), 1);
  assert.equal(quotaMillis(150_000, 100_000), 1500);
  assert.equal(quotaMillis(-1, 100_000), undefined);
  assert.equal(parseMemoryLimit('9223372036854771712\n'), undefined);
  assert.equal(parseMemoryLimit('max\n'), undefined);
  assert.equal(parseMemoryLimit('1073741824\n'), 2 ** 30);
});

it('reads OS, runc version and the first non-loopback address', () => {
  assert.equal(parseOsRelease('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(parseRuncVersion('runc version 1.1.5+ds1\ncommit: x\n'), '1.1.5+ds1');
  assert.equal(parseRuncVersion('garbage'), 'unknown');
  const ip = '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n3: cni0    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0\n';
  assert.equal(firstAddressFromIp(ip), '10.244.1.1');
  assert.equal(firstAddressFromIp('1: lo    inet 127.0.0.1/8 scope host lo\n'), undefined);
});
