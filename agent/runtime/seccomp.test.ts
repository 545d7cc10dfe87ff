import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSeccompProfile, seccompArchitectures } from './seccomp.js';
import { DEFAULT_CAPABILITIES } from './spec.js';

function allowedUnconditionally(profile: ReturnType<typeof defaultSeccompProfile>): Set<string> {
  return new Set(profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
}

describe('defaultSeccompProfile', () => {
  const profile = defaultSeccompProfile(DEFAULT_CAPABILITIES, 'x64');
  const allowed = allowedUnconditionally(profile);

  it('denies by default with EPERM', () => {
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(profile.defaultErrnoRet, 1);
    assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  it('allows what ordinary programs need', () => {
    for (const s of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'socket', 'connect', 'bind', 'accept4', 'wait4', 'exit_group', 'chroot', 'msgget', 'shmget', 'semop']) {
      assert.ok(allowed.has(s), `${s} is allowed`);
    }
  });

  it('blocks the dangerous syscalls Docker blocks for an unprivileged container', () => {
    for (const s of ['mount', 'umount2', 'reboot', 'swapon', 'swapoff', 'kexec_load', 'init_module', 'delete_module', 'finit_module', 'ptrace', 'unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'pivot_root', 'settimeofday', 'open_by_handle_at', 'userfaultfd', 'io_uring_setup']) {
      assert.ok(!allowed.has(s), `${s} is not allowed`);
      assert.ok(!profile.syscalls.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(s)), `${s} has no allow rule`);
    }
  });

  it('allows clone only without namespace flags, and turns clone3 into ENOSYS', () => {
    const clone = profile.syscalls.find((r) => r.names.includes('clone'))!;
    assert.deepEqual(clone.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    const clone3 = profile.syscalls.find((r) => r.names.includes('clone3'))!;
    assert.equal(clone3.action, 'SCMP_ACT_ERRNO');
    assert.equal(clone3.errnoRet, 38);
  });

  it('allows personality only for the usual values', () => {
    const values = profile.syscalls.filter((r) => r.names.includes('personality')).map((r) => r.args?.[0]?.value);
    assert.deepEqual(values, [0, 8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('opens syscalls up with the capability that governs them, but never the always-denied ones', () => {
    const admin = allowedUnconditionally(defaultSeccompProfile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'SYS_PTRACE', 'CAP_SYS_TIME'], 'x64'));
    for (const s of ['mount', 'umount2', 'unshare', 'setns', 'ptrace', 'settimeofday', 'clone', 'clone3']) assert.ok(admin.has(s), `${s} with its capability`);
    for (const s of ['swapon', 'kexec_load', 'keyctl', 'add_key', 'request_key']) assert.ok(!admin.has(s), `${s} stays denied`);
  });

  it('knows the seccomp architectures of common Node.js platforms', () => {
    assert.deepEqual(seccompArchitectures('arm64'), ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.deepEqual(seccompArchitectures('mips'), []);
  });
});
