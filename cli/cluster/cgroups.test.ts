import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.js';
import { hierarchyRoots, nodeCgroupSetup, parseCgroupLayout, type CgroupStep } from './cgroups.js';
import { parseRequest, planCluster } from './topology.js';

const HYBRID = [
  '30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '33 30 0:29 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
  '34 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '35 30 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '36 30 0:32 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '37 30 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const V2 = '30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate';

const plan = planCluster(parseRequest({ name: 'c', nodes: 2, cpusPerNode: '1500m', memoryPerNode: '512Mi' }), parseCidr('10.250.1.0/24'));
const node = plan.nodes[0]!;
const writes = (steps: CgroupStep[]) => steps.filter((s): s is { write: string; value: string } => 'write' in s);
const mkdirs = (steps: CgroupStep[]) => steps.filter((s): s is { mkdir: string } => 'mkdir' in s).map((s) => s.mkdir);

test('layout: hybrid and v2 are told apart from mountinfo', () => {
  const h = parseCgroupLayout(HYBRID);
  assert.equal(h.mode, 'hybrid');
  assert.equal(h.v1.cpu, '/sys/fs/cgroup/cpu');
  assert.equal(h.v1['name=systemd'], '/sys/fs/cgroup/systemd');
  assert.equal(h.unified, '/sys/fs/cgroup/unified');
  assert.equal(hierarchyRoots(h).length, 7);
  const v2 = parseCgroupLayout(V2);
  assert.deepEqual(v2, { mode: 'v2', v1: {}, unified: '/sys/fs/cgroup' });
});

test('v1: the node group in every hierarchy, cpu quota = cpus × period, memory limit, agent leaf gets the pid', () => {
  const layout = parseCgroupLayout(HYBRID);
  const s = nodeCgroupSetup(layout, plan.cgroupRoot, node);
  for (const root of hierarchyRoots(layout)) {
    assert.ok(mkdirs(s.steps).includes(`${root}/tugboat-c/node-1/agent`), root);
    assert.ok(s.procs.includes(`${root}/tugboat-c/node-1/agent/cgroup.procs`), root);
  }
  assert.deepEqual(writes(s.steps), [
    { write: '/sys/fs/cgroup/cpu/tugboat-c/node-1/cpu.cfs_period_us', value: '100000' },
    { write: '/sys/fs/cgroup/cpu/tugboat-c/node-1/cpu.cfs_quota_us', value: '150000' },
    { write: '/sys/fs/cgroup/memory/tugboat-c/node-1/memory.limit_in_bytes', value: String(512 * 2 ** 20) },
  ]);
  // cpuset groups are filled parents first, after they exist
  const fills = s.steps.map((x, i) => ('fillCpuset' in x ? [x.fillCpuset, i] : undefined)).filter(Boolean) as [string, number][];
  assert.deepEqual(fills.map(([p]) => p), ['/sys/fs/cgroup/cpuset/tugboat-c', '/sys/fs/cgroup/cpuset/tugboat-c/node-1', '/sys/fs/cgroup/cpuset/tugboat-c/node-1/agent']);
  const lastMkdir = s.steps.findLastIndex((x) => 'mkdir' in x);
  assert.ok(fills.every(([, i]) => i > lastMkdir));
});

test('v2: controllers are delegated down each level before the level below is made; limits in cpu.max and memory.max', () => {
  const layout = parseCgroupLayout(V2);
  const s = nodeCgroupSetup(layout, plan.cgroupRoot, node, ['cpu', 'memory', 'pids', 'io']);
  const lines = s.steps.map((x) => ('mkdir' in x ? `mkdir ${x.mkdir}` : 'write' in x ? `${x.write}=${x.value}` : `fill ${x.fillCpuset}`));
  assert.deepEqual(lines, [
    '/sys/fs/cgroup/cgroup.subtree_control=+cpu +io +memory +pids',
    'mkdir /sys/fs/cgroup/tugboat-c',
    '/sys/fs/cgroup/tugboat-c/cgroup.subtree_control=+cpu +io +memory +pids',
    'mkdir /sys/fs/cgroup/tugboat-c/node-1',
    '/sys/fs/cgroup/tugboat-c/node-1/cgroup.subtree_control=+cpu +io +memory +pids',
    'mkdir /sys/fs/cgroup/tugboat-c/node-1/agent',
    '/sys/fs/cgroup/tugboat-c/node-1/cpu.max=150000 100000',
    `/sys/fs/cgroup/tugboat-c/node-1/memory.max=${512 * 2 ** 20}`,
  ]);
  assert.deepEqual(s.procs, ['/sys/fs/cgroup/tugboat-c/node-1/agent/cgroup.procs']);
});

test('v1 without a memory controller is refused with the reason', () => {
  assert.throws(() => nodeCgroupSetup(parseCgroupLayout(HYBRID.replace(/.*memory.*\n/, '')), plan.cgroupRoot, node), /cpu and memory cgroup controllers/);
});
