import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../lib/errors.js';
import { buildSpec, DEFAULT_CAPABILITIES, effectiveCapabilities, envList, type ContainerConfig } from './spec.js';

const base: ContainerConfig = {
  rootfs: '/var/lib/tug/rootfs/c1',
  args: ['httpd', '-f'],
  cgroupsPath: '/tugboat/node-1/podabc/c1',
};

describe('buildSpec', () => {
  it('runs the args with env, cwd and user', () => {
    const s = buildSpec({ ...base, env: [{ name: 'A', value: '1' }, { name: 'B', value: 'x=y' }, { name: 'A', value: '2' }], cwd: '/srv', user: { uid: 1000, gid: 100, additionalGids: [5] } });
    assert.deepEqual(s.process.args, ['httpd', '-f']);
    assert.deepEqual(s.process.env, ['A=2', 'B=x=y', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.equal(s.process.cwd, '/srv');
    assert.deepEqual(s.process.user, { uid: 1000, gid: 100, additionalGids: [5] });
    assert.equal(s.process.noNewPrivileges, true);
    assert.equal(s.root.path, base.rootfs);
    assert.equal(s.root.readonly, false);
  });

  it('keeps a PATH given in env and defaults cwd and user', () => {
    const s = buildSpec({ ...base, env: [{ name: 'PATH', value: '/bin' }] });
    assert.deepEqual(s.process.env, ['PATH=/bin']);
    assert.equal(s.process.cwd, '/');
    assert.deepEqual(s.process.user, { uid: 0, gid: 0 });
  });

  it('joins sandbox namespaces by path and makes its own pid and mount namespaces', () => {
    const s = buildSpec({
      ...base,
      namespaces: { network: { join: '/run/tug/netns/p1' }, ipc: { join: '/proc/42/ns/ipc' }, uts: { join: '/proc/42/ns/uts' } },
    });
    assert.deepEqual(s.linux.namespaces, [
      { type: 'pid' },
      { type: 'network', path: '/run/tug/netns/p1' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
      { type: 'uts', path: '/proc/42/ns/uts' },
      { type: 'mount' },
    ]);
    assert.equal(s.hostname, undefined);
  });

  it('creates fresh namespaces by default, and leaves out host ones', () => {
    const s = buildSpec({ ...base, hostname: 'web', namespaces: { network: 'host' } });
    assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount']);
    assert.equal(s.hostname, 'web');
  });

  it('refuses a hostname in a joined UTS namespace', () => {
    assert.throws(() => buildSpec({ ...base, hostname: 'x', namespaces: { uts: { join: '/proc/1/ns/uts' } } }), (e: unknown) => e instanceof ApiError && e.code === 'Invalid');
  });

  it('sets cgroup resources: shares from the request, CFS quota from the limit, memory with no extra swap, pids', () => {
    const s = buildSpec({ ...base, resources: { cpuRequestMillis: 250, cpuLimitMillis: 1500, memoryLimitBytes: 128 * 1024 * 1024, pidsLimit: 64 } });
    assert.equal(s.linux.cgroupsPath, base.cgroupsPath);
    assert.deepEqual(s.linux.resources?.cpu, { shares: 256, quota: 150_000, period: 100_000 });
    assert.deepEqual(s.linux.resources?.memory, { limit: 134217728, swap: 134217728 });
    assert.deepEqual(s.linux.resources?.pids, { limit: 64 });
    const none = buildSpec(base);
    assert.deepEqual(none.linux.resources?.cpu, { shares: 2 });
    assert.equal(none.linux.resources?.memory, undefined);
    assert.deepEqual(none.linux.resources?.devices, [{ allow: false, access: 'rwm' }]);
  });

  it('mounts volumes, the pod /etc files and a shared /dev/shm as binds', () => {
    const s = buildSpec({
      ...base,
      mounts: [
        { containerPath: '/data', hostPath: '/var/lib/tug/pods/p/volumes/empty-dir/data' },
        { containerPath: '/etc/config', hostPath: '/var/lib/tug/pods/p/volumes/configmap/cfg', readOnly: true },
        { containerPath: '/host', hostPath: '/srv', propagation: 'rslave' },
      ],
      etcFiles: { hosts: '/p/etc/hosts', resolvConf: '/p/etc/resolv.conf', hostname: '/p/etc/hostname' },
      shmPath: '/p/shm',
    });
    const byDest = new Map(s.mounts.map((m) => [m.destination, m]));
    assert.deepEqual(byDest.get('/data'), { destination: '/data', type: 'bind', source: '/var/lib/tug/pods/p/volumes/empty-dir/data', options: ['rbind', 'rprivate', 'rw'] });
    assert.deepEqual(byDest.get('/etc/config')?.options, ['rbind', 'rprivate', 'ro']);
    assert.deepEqual(byDest.get('/host')?.options, ['rbind', 'rslave', 'rw']);
    assert.equal(byDest.get('/etc/hosts')?.source, '/p/etc/hosts');
    assert.equal(byDest.get('/etc/resolv.conf')?.source, '/p/etc/resolv.conf');
    assert.equal(byDest.get('/etc/hostname')?.source, '/p/etc/hostname');
    assert.deepEqual(byDest.get('/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/p/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] });
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/mqueue', '/sys', '/sys/fs/cgroup']) assert.ok(byDest.has(d), d);
    assert.ok(byDest.get('/sys')?.options?.includes('ro'));
    // Volumes come after the defaults, so a volume at a default path wins.
    assert.ok(s.mounts.findIndex((m) => m.destination === '/data') > s.mounts.findIndex((m) => m.destination === '/sys/fs/cgroup'));
  });

  it('hardens: default capabilities, seccomp, masked and read-only paths, no_new_privs', () => {
    const s = buildSpec(base);
    assert.deepEqual([...s.process.capabilities.bounding].sort(), [...DEFAULT_CAPABILITIES].sort());
    assert.deepEqual(s.process.capabilities.effective, s.process.capabilities.bounding);
    assert.deepEqual(s.process.capabilities.ambient, []);
    assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/proc/acpi']) {
      assert.ok(s.linux.maskedPaths?.includes(p), `${p} masked`);
    }
    for (const p of ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']) {
      assert.ok(s.linux.readonlyPaths?.includes(p), `${p} read-only`);
    }
    assert.equal(buildSpec({ ...base, seccomp: 'unconfined' }).linux.seccomp, undefined);
    assert.equal(buildSpec({ ...base, noNewPrivileges: false }).process.noNewPrivileges, false);
  });

  it('passes annotations, oom_score_adj, sysctls, terminal and a read-only root through', () => {
    const s = buildSpec({ ...base, annotations: { 'tugboat.pod.uid': 'u1' }, oomScoreAdj: 1000, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' }, terminal: true, readOnlyRootfs: true });
    assert.deepEqual(s.annotations, { 'tugboat.pod.uid': 'u1' });
    assert.equal(s.process.oomScoreAdj, 1000);
    assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_unprivileged_port_start': '0' });
    assert.equal(s.process.terminal, true);
    assert.equal(s.root.readonly, true);
  });

  it('rejects configs that cannot run, saying what to fix', () => {
    const invalid = (c: ContainerConfig, re: RegExp) =>
      assert.throws(() => buildSpec(c), (e: unknown) => e instanceof ApiError && e.code === 'Invalid' && re.test(e.message));
    invalid({ ...base, args: [] }, /no command/);
    invalid({ ...base, rootfs: 'rootfs' }, /rootfs must be an absolute path/);
    invalid({ ...base, cwd: 'srv' }, /cwd must be an absolute path/);
    invalid({ ...base, cgroupsPath: 'tugboat/x' }, /cgroupsPath must be absolute/);
    invalid({ ...base, mounts: [{ containerPath: 'data', hostPath: '/x' }] }, /containerPath/);
    invalid({ ...base, env: [{ name: 'A=B', value: '' }] }, /environment variable name/);
    invalid({ ...base, capabilities: { add: ['NET_FOO'] } }, /unknown capabilities NET_FOO/);
  });
});

describe('effectiveCapabilities', () => {
  it('adds and drops with or without the CAP_ prefix, in any case', () => {
    const caps = effectiveCapabilities(['NET_ADMIN', 'cap_sys_time'], ['NET_RAW', 'CAP_MKNOD']);
    assert.ok(caps.includes('CAP_NET_ADMIN'));
    assert.ok(caps.includes('CAP_SYS_TIME'));
    assert.ok(!caps.includes('CAP_NET_RAW'));
    assert.ok(!caps.includes('CAP_MKNOD'));
    assert.ok(caps.includes('CAP_CHOWN'));
  });
  it('understands ALL on either side', () => {
    assert.deepEqual(effectiveCapabilities([], ['ALL']), []);
    assert.deepEqual(effectiveCapabilities(['NET_BIND_SERVICE'], ['all']), ['CAP_NET_BIND_SERVICE']);
    assert.ok(effectiveCapabilities(['ALL']).includes('CAP_SYS_ADMIN'));
  });
});

describe('envList', () => {
  it('keeps first-seen order while later values win', () => {
    assert.deepEqual(envList([{ name: 'B', value: '1' }, { name: 'A', value: '2' }, { name: 'B', value: '3' }]).slice(0, 2), ['B=3', 'A=2']);
  });
});
