import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appletNames, lddLibraries, overlayOptions } from './rootfs.js';

describe('rootfs helpers', () => {
  it('reads applet names from busybox --list', () => {
    assert.deepEqual(appletNames('[\n[[\nsh\nhttpd\n\nwget\n'), ['[', '[[', 'sh', 'httpd', 'wget']);
  });
  it('finds the shared objects ldd lists', () => {
    const out = '\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n';
    assert.deepEqual(lddLibraries(out), ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
  it('builds overlay options with the topmost lower layer first, refusing paths overlayfs cannot parse', () => {
    assert.equal(overlayOptions(['/l/top', '/l/base'], '/c/upper', '/c/work'), 'lowerdir=/l/top:/l/base,upperdir=/c/upper,workdir=/c/work');
    assert.throws(() => overlayOptions(['/l/a:b'], '/u', '/w'), /contains/);
  });
});
