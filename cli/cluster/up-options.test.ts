// `tug cluster up --etcd-endpoint` (an etcd the cluster uses but does not own)
// and the controller-manager's node lifecycle timings, from flags to the
// component command lines and to what `down` considers the cluster's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.js';
import { componentSpecs, controllerManagerArgs } from './components.js';
import { clusterProcessMatcher } from './teardown.js';
import { parseEtcdEndpoint, parseRequest, planCluster, type ClusterRequest } from './topology.js';
import { prerequisites, summary } from './up.js';

const request = (over: Partial<ClusterRequest> = {}) =>
  parseRequest({ name: 'x', nodes: 2, cpusPerNode: '1', memoryPerNode: '1Gi', stateDir: '/s', ...over });
const plan = (over: Partial<ClusterRequest> = {}) => planCluster(request(over), parseCidr('10.250.4.0/24'));
const env = { node: '/usr/bin/node', repoRoot: '/repo', agentProcs: {} };
const argsOf = (specs: ReturnType<typeof componentSpecs>, name: string) => specs.find((s) => s.name === name)?.argv.slice(4);

test('--etcd-endpoint takes http(s) client URLs with a port, comma-separated, and says what is wrong otherwise', () => {
  assert.deepEqual(parseEtcdEndpoint('http://127.0.0.1:23790'), { urls: 'http://127.0.0.1:23790' });
  assert.deepEqual(parseEtcdEndpoint(' http://a:1/ , https://b:2 '), { urls: 'http://a:1,https://b:2' });
  assert.match(parseEtcdEndpoint('127.0.0.1:2379').problem ?? '', /etcd client URLs like http:\/\/127\.0\.0\.1:2379.*"127\.0\.0\.1:2379"/);
  assert.match(parseEtcdEndpoint('http://127.0.0.1').problem ?? '', /scheme, host and port only/);
  assert.match(parseEtcdEndpoint('unix:///run/etcd.sock').problem ?? '', /scheme, host and port only/);
  assert.match(parseEtcdEndpoint('http://a:1/v3/kv').problem ?? '', /scheme, host and port only/);
  assert.match(parseEtcdEndpoint(' , ').problem ?? '', /is empty/);
  assert.throws(() => request({ etcdEndpoint: 'localhost' }), /--etcd-endpoint must be etcd client URLs/);
});

test('with an external etcd the cluster starts none: the apiserver uses the endpoint and down never matches it', () => {
  const p = plan({ etcdEndpoint: 'http://127.0.0.1:23790' });
  assert.deepEqual(p.etcd, { clientUrl: 'http://127.0.0.1:23790', peerUrl: '', dataDir: '', external: true });
  const specs = componentSpecs(p, env);
  assert.deepEqual(specs.map((s) => s.name), ['registry', 'apiserver', 'controller-manager', 'scheduler', 'agent-node-1', 'agent-node-2']);
  assert.deepEqual(argsOf(specs, 'apiserver'), ['/usr/bin/node', '/repo/dist/apiserver/main.js', '--etcd-servers', 'http://127.0.0.1:23790', '--listen', '10.250.4.1:6443']);
  // an etcd process serving that very URL is not the cluster's to stop
  const isOurs = clusterProcessMatcher('x', '/s', p);
  assert.equal(isOurs(['/usr/bin/etcd', '--listen-client-urls', 'http://127.0.0.1:23790', '--data-dir', '/var/lib/etcd']), false);
  assert.equal(isOurs(['/usr/bin/node', '/repo/dist/apiserver/main.js', '--listen', '10.250.4.1:6443']), true);
  // the etcd binary is not needed
  assert.ok(!prerequisites('real', '/repo', true).some((r) => r.path === '/usr/bin/etcd'));
  assert.ok(prerequisites('real', '/repo').some((r) => r.path === '/usr/bin/etcd'));
});

test('without --etcd-endpoint the cluster runs and owns its etcd, as before', () => {
  const p = plan();
  assert.equal(p.etcd.external, undefined);
  assert.equal(p.etcd.clientUrl, 'http://10.250.4.1:2379');
  assert.equal(componentSpecs(p, env)[0]!.name, 'etcd');
  assert.equal(clusterProcessMatcher('x', '/s', p)(['/usr/bin/etcd', '--listen-client-urls', 'http://10.250.4.1:2379']), true);
});

test('node lifecycle timings reach the controller-manager; absent, it keeps its defaults', () => {
  const p = plan({ nodeMonitorGracePeriod: '20s', podEvictionTimeout: '1m30s' });
  assert.deepEqual(p.controllerManager, { nodeMonitorGracePeriod: '20s', podEvictionTimeout: '1m30s' });
  assert.deepEqual(argsOf(componentSpecs(p, env), 'controller-manager'), [
    '/usr/bin/node', '/repo/dist/controllers/main.js', '--server', '10.250.4.1:6443', '--cluster-cidr', '10.244.0.0/16',
    '--node-monitor-grace-period', '20s', '--pod-eviction-timeout', '1m30s',
  ]);
  assert.deepEqual(controllerManagerArgs(plan({ podEvictionTimeout: '500ms' })), ['--cluster-cidr', '10.244.0.0/16', '--pod-eviction-timeout', '500ms']);
  assert.equal(plan().controllerManager, undefined);
  assert.deepEqual(controllerManagerArgs(plan()), ['--cluster-cidr', '10.244.0.0/16'], 'the pod CIDRs it assigns come from the cluster CIDR the agents know too');
  assert.throws(
    () => request({ nodeMonitorGracePeriod: 'soon', podEvictionTimeout: '10' }),
    /--node-monitor-grace-period must be a duration like 500ms, 20s, 5m or 1m30s, got "soon".*--pod-eviction-timeout must be a duration/,
  );
});

test('the summary shows the pod CIDR the control plane gave each node ("-" while it has none)', () => {
  const lines = summary(plan(), undefined, new Map([['node-2', '10.244.0.0/24']]));
  assert.match(lines.find((l) => l.includes('node-1 '))!, /^  node-1 +10\.250\.4\.11 +pods - +netns tug-x-node-1,/);
  assert.match(lines.find((l) => l.includes('node-2 '))!, /^  node-2 +10\.250\.4\.12 +pods 10\.244\.0\.0\/24 +netns tug-x-node-2,/);
});
