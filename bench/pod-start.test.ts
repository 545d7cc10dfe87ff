import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyNodeProcess, kbField, memoryCgroup, parseCgroupFile, perPodOverhead, totalsByRole } from './node-memory.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floorSpec, parsePidPairs, parsePodmanPs, podProcess, removeCgroups } from './pod-start-refs.js';
import { latencyRatios, podStartManifest } from './pod-start.js';

const node = { cgroupPath: '/tugboat-ps-1/node-1', stateDir: '/tmp/x/state/nodes/node-1' };

test('the memory cgroup comes from the v1 memory line, else the v2 one', () => {
  const v1 = parseCgroupFile('12:cpu,cpuacct:/a\n4:memory:/tugboat-ps-1/node-1/agent\n0::/unified\n');
  assert.equal(v1.get('cpuacct'), '/a');
  assert.equal(memoryCgroup(v1), '/tugboat-ps-1/node-1/agent');
  assert.equal(memoryCgroup(parseCgroupFile('0::/only/v2\n')), '/only/v2');
  assert.equal(memoryCgroup(parseCgroupFile('')), undefined);
});

test('kB fields of smaps_rollup are read in bytes', () => {
  const text = 'Rss:                1668 kB\nPss:                  95 kB\nPss_Anon:  10 kB\n';
  assert.equal(kbField(text, 'Rss'), 1668 * 1024);
  assert.equal(kbField(text, 'Pss'), 95 * 1024);
  assert.equal(kbField(text, 'Swap'), undefined);
});

test("a node's per-pod processes are told apart by name, arguments and cgroup", () => {
  const pod = `${node.cgroupPath}/burstable/pod2f73`;
  assert.equal(classifyNodeProcess({ comm: 'conmon', cmdline: ['conmon', '-b', `${node.stateDir}/containers/x`], memoryCgroup: `${node.cgroupPath}/agent` }, node), 'conmon');
  // Another node's (or podman's) conmon is not this node's.
  assert.equal(classifyNodeProcess({ comm: 'conmon', cmdline: ['conmon', '-b', '/var/lib/containers/x'], memoryCgroup: '/libpod' }, node), undefined);
  assert.equal(classifyNodeProcess({ comm: 'sh', cmdline: [], memoryCgroup: `${pod}/2f73-pause` }, node), 'pause');
  assert.equal(classifyNodeProcess({ comm: 'sleep', cmdline: [], memoryCgroup: `${pod}/2f73-main-0` }, node), 'container');
  assert.equal(classifyNodeProcess({ comm: 'sleep', cmdline: [], memoryCgroup: `${node.cgroupPath}/podabc/abc-main-0` }, node), 'container');
  // The agent itself, and processes of another node or cluster.
  assert.equal(classifyNodeProcess({ comm: 'node', cmdline: [], memoryCgroup: `${node.cgroupPath}/agent` }, node), undefined);
  assert.equal(classifyNodeProcess({ comm: 'sh', cmdline: [], memoryCgroup: '/tugboat-ps-1/node-10/burstable/podx/x-pause' }, node), undefined);
  assert.equal(classifyNodeProcess({ comm: 'sh', cmdline: [], memoryCgroup: undefined }, node), undefined);
});

test('memory per pod is the agent growth plus the helpers proportional sets, per pod', () => {
  const helpers = totalsByRole([
    { pid: 1, role: 'conmon', rss: 5e6, pss: 1e6 },
    { pid: 2, role: 'conmon', rss: 5e6, pss: 1e6 },
    { pid: 3, role: 'pause', rss: 2e6, pss: 0.5e6 },
    { pid: 4, role: 'container', rss: 9e6, pss: 9e6 },
  ]);
  assert.deepEqual(helpers.conmon, { count: 2, rss: 10e6, pss: 2e6 });
  assert.equal(helpers.container.count, 1);
  // (agent +1 MB) + conmon 2 MB + pause 0.5 MB over 1 pod; the container's own 9 MB is left out.
  assert.equal(perPodOverhead({ agentRss0: 100e6, agentRssN: 101e6, helpers, pods: 1 }), 3.5e6);
  assert.ok(Number.isNaN(perPodOverhead({ agentRss0: 0, agentRssN: 0, helpers, pods: 0 })));
});

test('the references run the manifest\'s own image and command', () => {
  const pod = podStartManifest('p-1', '10.250.1.1:5000/busybox:latest');
  assert.equal(pod.spec?.containers?.[0]?.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(podProcess(pod), { image: '10.250.1.1:5000/busybox:latest', args: ['/bin/sleep', '3600'] });
  assert.throws(() => podProcess({ spec: { containers: [{ name: 'x', image: 'busybox' }] } }));
});

test('a floor bundle is runc spec\'s default with the shared rootfs, the command, no terminal, its own cgroup', () => {
  const template = { ociVersion: '1.0.2', process: { terminal: true, args: ['sh'], cwd: '/' }, root: { path: 'rootfs', readonly: true }, hostname: 'runc', linux: { namespaces: [{ type: 'pid' }] } };
  const spec = floorSpec(template, { rootfs: '/tmp/r', args: ['/bin/sleep', '3600'], cgroupsPath: '/tugbench-floor-x-0', hostname: 'h' }) as typeof template & { linux: { cgroupsPath: string } };
  assert.deepEqual(spec.process, { terminal: false, args: ['/bin/sleep', '3600'], cwd: '/' });
  assert.deepEqual(spec.root, { path: '/tmp/r', readonly: true });
  assert.equal(spec.linux.cgroupsPath, '/tugbench-floor-x-0');
  assert.deepEqual(spec.linux.namespaces, [{ type: 'pid' }]);
  assert.equal(template.process.terminal, true, 'the template is left as it was');
});

test("podman's listings are read for the given pods only", () => {
  const ps = 'aaa pod-1 true\nbbb pod-1 false\nccc other-pod false\nddd  false\n';
  assert.deepEqual(parsePodmanPs(ps, new Set(['pod-1'])), [
    { id: 'aaa', pod: 'pod-1', infra: true },
    { id: 'bbb', pod: 'pod-1', infra: false },
  ]);
  assert.deepEqual(parsePidPairs('28464 28453\n0 0\n\nbad line\n'), [
    { pid: 28464, conmonPid: 28453 },
    { pid: 0, conmonPid: 0 },
  ]);
});

test('latency ratios name each reference, n/a where one is missing', () => {
  const p = (p50: number, p99: number) => ({ count: 30, p50, p90: p99, p99, max: p99 });
  assert.equal(
    latencyRatios(p(1000, 2000), [
      { name: 'runc', p: p(250, 500) },
      { name: 'podman', p: undefined },
    ]),
    'p50 4.00× runc, n/a podman; p99 4.00× runc, n/a podman',
  );
  assert.equal(latencyRatios(undefined, []), 'n/a');
});

test('floor cgroups are removed from every hierarchy; ones that cannot be are reported', () => {
  const root = mkdtempSync(join(tmpdir(), 'tug-cg-'));
  try {
    for (const h of ['memory', 'cpu']) mkdirSync(join(root, h, 'tugbench-floor-x-0'), { recursive: true });
    mkdirSync(join(root, 'pids', 'tugbench-floor-x-1'), { recursive: true });
    // Not empty: rmdir fails, as it does for a cgroup that still has a process.
    writeFileSync(join(root, 'pids', 'tugbench-floor-x-1', 'f'), '');
    mkdirSync(join(root, 'memory', 'someone-else'));
    assert.deepEqual(removeCgroups(['tugbench-floor-x-0', 'tugbench-floor-x-1'], root), [join(root, 'pids', 'tugbench-floor-x-1')]);
    assert.deepEqual(removeCgroups(['tugbench-floor-x-0'], root), []);
    assert.deepEqual(removeCgroups(['someone-else-not-asked'], root), []);
    assert.deepEqual(removeCgroups(['x'], join(root, 'missing')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
