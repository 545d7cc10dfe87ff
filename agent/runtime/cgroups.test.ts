import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../lib/errors.js';
import {
  checkCgroupPath,
  containerCgroupPath,
  controllerDir,
  hierarchyRoots,
  parseCgroupLayout,
  parseLimits,
  parseOomKillCount,
  podCgroupPath,
  resourceWrites,
} from './cgroups.js';

// Lines as the development machines have them (hybrid: v1 controllers plus a cgroup2 at unified).
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V1_COMOUNTED = `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
27 24 0:24 / /sys/fs/cgroup/pids rw,nosuid shared:11 - cgroup cgroup rw,pids
`;
const V2 = `29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe('parseCgroupLayout', () => {
  it('recognises hybrid mode', () => {
    const l = parseCgroupLayout(HYBRID);
    assert.equal(l.mode, 'hybrid');
    assert.equal(l.v1.cpu, '/sys/fs/cgroup/cpu');
    assert.equal(l.v1.cpuacct, '/sys/fs/cgroup/cpuacct');
    assert.equal(l.v1['name=systemd'], '/sys/fs/cgroup/systemd');
    assert.equal(l.unified, '/sys/fs/cgroup/unified');
  });
  it('recognises pure v1 with co-mounted controllers', () => {
    const l = parseCgroupLayout(V1_COMOUNTED);
    assert.equal(l.mode, 'v1');
    assert.equal(l.v1.cpu, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(l.v1.cpuacct, '/sys/fs/cgroup/cpu,cpuacct');
    assert.deepEqual(hierarchyRoots(l), ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids']);
  });
  it('recognises v2', () => {
    const l = parseCgroupLayout(V2);
    assert.deepEqual(l, { mode: 'v2', v1: {}, unified: '/sys/fs/cgroup' });
    assert.equal(controllerDir(l, 'memory', '/tug/pod1'), '/sys/fs/cgroup/tug/pod1');
  });
  it('says what to do when no cgroup filesystem is mounted', () => {
    assert.throws(() => parseCgroupLayout('22 27 0:21 / /proc rw - proc proc rw\n'), /mount cgroup2/);
  });
  it('lists the hierarchies a group lives in: v1 ones, plus unified in hybrid for cleanup', () => {
    const l = parseCgroupLayout(HYBRID);
    assert.ok(!hierarchyRoots(l, false).includes('/sys/fs/cgroup/unified'));
    assert.ok(hierarchyRoots(l).includes('/sys/fs/cgroup/unified'));
    assert.equal(controllerDir(l, 'cpu', '/tug/p'), '/sys/fs/cgroup/cpu/tug/p');
    assert.throws(() => controllerDir(l, 'hugetlb', '/tug/p'), /not mounted/);
  });
});

describe('cgroup paths', () => {
  it('puts pods under the node parent and containers under the pod', () => {
    assert.equal(podCgroupPath('/tugboat/node-1', 'abc'), '/tugboat/node-1/podabc');
    assert.equal(containerCgroupPath('/tugboat/node-1/', 'abc', 'c1'), '/tugboat/node-1/podabc/c1');
  });
  it('refuses paths that are relative, the root, or climb out', () => {
    for (const p of ['tugboat', '/', '/a/../b', '/a/./b']) {
      assert.throws(() => checkCgroupPath(p), (e: unknown) => e instanceof ApiError && e.code === 'Invalid');
    }
  });
});

describe('resourceWrites', () => {
  it('writes v1 files, resetting unset limits to unlimited', () => {
    assert.deepEqual(resourceWrites('v1', { cpuShares: 512, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, memoryLimitBytes: 1024, pidsLimit: 10 }), [
      { controller: 'cpu', file: 'cpu.shares', value: '512' },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '50000' },
      { controller: 'memory', file: 'memory.limit_in_bytes', value: '1024' },
      { controller: 'pids', file: 'pids.max', value: '10' },
    ]);
    assert.deepEqual(resourceWrites('hybrid', {}).map((w) => w.value), ['-1', '-1', 'max']);
  });
  it('writes v2 files with weights converted from shares', () => {
    assert.deepEqual(resourceWrites('v2', { cpuShares: 1024, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, memoryLimitBytes: 1024 }), [
      { controller: 'cpu', file: 'cpu.weight', value: '39' },
      { controller: 'cpu', file: 'cpu.max', value: '50000 100000' },
      { controller: 'memory', file: 'memory.max', value: '1024' },
      { controller: 'pids', file: 'pids.max', value: 'max' },
    ]);
  });
});

describe('parseLimits', () => {
  it('reads v1 files, treating -1 and the huge default as unlimited', () => {
    assert.deepEqual(
      parseLimits('v1', {
        'cpu.shares': '256\n',
        'cpu.cfs_quota_us': '-1\n',
        'cpu.cfs_period_us': '100000\n',
        'memory.limit_in_bytes': '9223372036854771712\n',
        'pids.max': 'max\n',
      }),
      { cpuShares: 256, cpuPeriodUs: 100_000 },
    );
    assert.deepEqual(parseLimits('hybrid', { 'cpu.cfs_quota_us': '50000', 'memory.limit_in_bytes': '67108864', 'pids.max': '100' }), {
      cpuQuotaUs: 50_000,
      memoryLimitBytes: 67108864,
      pidsLimit: 100,
    });
  });
  it('reads v2 files', () => {
    assert.deepEqual(parseLimits('v2', { 'cpu.weight': '39', 'cpu.max': 'max 100000', 'memory.max': 'max', 'pids.max': '5' }), {
      cpuWeight: 39,
      cpuPeriodUs: 100_000,
      pidsLimit: 5,
    });
  });
});

describe('parseOomKillCount', () => {
  it('reads oom_kill from memory.oom_control (v1) and memory.events (v2)', () => {
    assert.equal(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), 2);
    assert.equal(parseOomKillCount('low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n'), 1);
    assert.equal(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\n'), 0);
  });
});
