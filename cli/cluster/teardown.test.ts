import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.js';
import { clusterProcessMatcher, mountsUnder, TEARDOWN_STEPS } from './teardown.js';
import { parseRequest, planCluster } from './topology.js';

test('teardown order: processes before what they hold, mounts before namespaces and the state dir', () => {
  const at = (s: (typeof TEARDOWN_STEPS)[number]) => TEARDOWN_STEPS.indexOf(s);
  assert.ok(at('supervisor') < at('processes'));
  assert.ok(at('processes') < at('containers'));
  assert.ok(at('containers') < at('cgroups'), 'runc deletes its containers before their cgroups are forced');
  for (const later of ['mounts', 'namespaces', 'links', 'state dir'] as const) {
    assert.ok(at('cgroups') < at(later) && at('namespace processes') < at(later), later);
  }
  assert.ok(at('mounts') < at('namespaces'));
  assert.ok(at('namespaces') < at('links'), 'veths go with their namespaces, then the bridge');
  assert.ok(at('mounts') < at('state dir'));
  assert.equal(TEARDOWN_STEPS.at(-1), 'index');
});

const MOUNTINFO = [
  '22 1 0:21 / / rw - ext4 /dev/vda rw',
  '40 22 0:40 / /tmp/a/nodes/node-1/netns/pod1 rw - nsfs nsfs rw',
  '41 22 0:41 / /tmp/a/nodes/node-1/pods/p/rootfs rw - overlay overlay rw',
  '42 41 0:42 / /tmp/a/nodes/node-1/pods/p/rootfs/dev rw - tmpfs tmpfs rw',
  '43 22 0:43 / /tmp/ab/x rw - tmpfs tmpfs rw',
  '44 22 0:44 / /tmp/a/with\\040space rw - tmpfs tmpfs rw',
].join('\n');

test('mounts under the state dir, deepest first, and nothing of a sibling dir', () => {
  assert.deepEqual(mountsUnder(MOUNTINFO, '/tmp/a/'), [
    '/tmp/a/nodes/node-1/pods/p/rootfs/dev',
    '/tmp/a/nodes/node-1/pods/p/rootfs',
    '/tmp/a/nodes/node-1/netns/pod1',
    '/tmp/a/with space',
  ]);
  assert.deepEqual(mountsUnder(MOUNTINFO, '/tmp/nothing'), []);
});

test("a cluster's processes are told by their arguments, never a similarly named cluster's", () => {
  const plan = planCluster(parseRequest({ name: 'a', nodes: 1, cpusPerNode: '1', memoryPerNode: '1Gi', stateDir: '/tmp/a' }), parseCidr('10.250.5.0/24'));
  const ours = clusterProcessMatcher('a', '/tmp/a', plan);
  assert.ok(ours(['/usr/bin/etcd', '--name', 'tug-a', '--data-dir', '/tmp/a/etcd']));
  assert.ok(ours(['/usr/bin/docker-registry', 'serve', '/tmp/a/registry/config.yml']));
  assert.ok(ours(['node', 'dist/scheduler/main.js', '--server', '10.250.5.1:6443']));
  assert.ok(ours(['nsenter', '--net=/run/netns/tug-a-node-1', '--', 'node']));
  assert.ok(ours(['node', 'dist/agent/main.js', '--hollow', '--server', '10.250.5.1:6443']));
  assert.ok(!ours(['/usr/bin/etcd', '--data-dir', '/tmp/ab/etcd']));
  assert.ok(!ours(['node', 'dist/scheduler/main.js', '--server', '10.250.5.1:64430']));
  assert.ok(!ours(['nsenter', '--net=/run/netns/tug-a-node-node-1']));
  assert.ok(!ours(['tug', 'cluster', 'down', '--state-dir', '/tmp/a']), 'down itself names the dir, not a path under it');
  // by name alone (no plan, no state dir): only the node namespaces
  const byName = clusterProcessMatcher('a', undefined, undefined);
  assert.ok(byName(['nsenter', '--net=/run/netns/tug-a-node-2']));
  assert.ok(!byName(['node', '--server', '10.250.5.1:6443']));
});
