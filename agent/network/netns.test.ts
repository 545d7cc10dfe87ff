import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNetnsName, inNetns, mountPoints, nsfsMountPoints } from './netns.js';

const MOUNTINFO = `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
52 27 0:4 net:[4026532250] /var/lib/tug/n1/netns/pod-a rw - nsfs nsfs rw
53 27 0:4 net:[4026532251] /var/lib/tug/n1/netns/with\\040space rw - nsfs nsfs rw
54 27 0:50 / /var/lib/tug/n1/pods/u/shm rw - tmpfs shm rw
`;

describe('netns helpers', () => {
  it('reads mount points, decoding escapes', () => {
    assert.deepEqual(mountPoints(MOUNTINFO), ['/', '/var/lib/tug/n1/netns/pod-a', '/var/lib/tug/n1/netns/with space', '/var/lib/tug/n1/pods/u/shm']);
    assert.deepEqual(nsfsMountPoints(MOUNTINFO), ['/var/lib/tug/n1/netns/pod-a', '/var/lib/tug/n1/netns/with space']);
  });
  it('wraps a command in nsenter only when a namespace is given', () => {
    assert.deepEqual(inNetns('/ns/node', ['/usr/lib/cni/bridge']), ['nsenter', '--net=/ns/node', '--', '/usr/lib/cni/bridge']);
    assert.deepEqual(inNetns(undefined, ['ip', 'link']), ['ip', 'link']);
  });
  it('accepts only file-name-safe namespace names', () => {
    assert.equal(checkNetnsName('pod-1.a_b'), 'pod-1.a_b');
    for (const bad of ['', '../x', 'a/b', '-x']) assert.throws(() => checkNetnsName(bad), /not valid/);
  });
});
