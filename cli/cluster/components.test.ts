import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.js';
import { agentArgs, agentArgv, componentSpecs, etcdArgv, registryConfig, registryEnv, SETPRIV } from './components.js';
import { parseRequest, planCluster } from './topology.js';

const plan = planCluster(
  parseRequest({ name: 'x', nodes: 2, cpusPerNode: '2', memoryPerNode: '1Gi', stateDir: '/s' }),
  parseCidr('10.250.4.0/24'),
);
const env = { node: '/usr/bin/node', repoRoot: '/repo', agentProcs: { 'node-1': ['/cg/a/cgroup.procs', '/cg/b/cgroup.procs'], 'node-2': [] } };

test('the real agent gets its node identity, address, cgroup parent, registry and size, and no pod CIDR (the control plane assigns it)', () => {
  const args = agentArgs(plan, plan.nodes[0]!);
  assert.deepEqual(args, [
    '--node-name', 'node-1',
    '--server', '10.250.4.1:6443',
    '--state-dir', '/s/nodes/node-1',
    '--address', '10.250.4.11',
    '--agent-port', '10250',
    '--cgroup-parent', '/tugboat-x/node-1',
    '--default-registry', '10.250.4.1:5000',
    '--cluster-cidr', '10.244.0.0/16',
    '--cpus', '2',
    '--memory', '1Gi',
  ]);
  assert.ok(!args.includes('--pod-cidr') && !args.includes('--cluster-dns'), 'DNS follows the assigned pod CIDR too');
});

test('hollow agents (a test tool) get only what they understand', () => {
  const hollow = { ...plan, agentMode: 'hollow' as const };
  assert.deepEqual(agentArgs(hollow, plan.nodes[1]!), [
    '--hollow', '--node-name', 'node-2', '--server', '10.250.4.1:6443', '--pod-cidr', '10.244.2.0/24', '--cpus', '2', '--memory', '1Gi',
  ]);
});

test('the agent joins its cgroup (pid into every cgroup.procs) before exec, then runs inside the node namespace', () => {
  const argv = agentArgv(plan, plan.nodes[0]!, env);
  assert.equal(argv[0], '/bin/sh');
  assert.equal(argv[2], `for f in '/cg/a/cgroup.procs' '/cg/b/cgroup.procs'; do echo $$ > "$f" || exit 1; done; exec "$@"`);
  const rest = argv.slice(4);
  assert.deepEqual(rest.slice(0, 6), ['/usr/bin/nsenter', '--net=/run/netns/tug-x-node-1', '--', '/usr/bin/node', '--max-semi-space-size=1', '/repo/dist/agent/main.js']);
});

test('components: stages in dependency order, each dies with the supervisor, all on the bridge address', () => {
  const specs = componentSpecs(plan, env);
  assert.deepEqual(
    specs.map((s) => [s.name, s.stage]),
    [['etcd', 0], ['registry', 0], ['apiserver', 1], ['controller-manager', 2], ['scheduler', 2], ['agent-node-1', 2], ['agent-node-2', 2]],
  );
  for (const s of specs) assert.deepEqual(s.argv.slice(0, 4), [SETPRIV, '--pdeathsig', 'KILL', '--'], s.name);
  const api = specs.find((s) => s.name === 'apiserver')!;
  assert.deepEqual(api.argv.slice(4), ['/usr/bin/node', '/repo/dist/apiserver/main.js', '--etcd-servers', 'http://10.250.4.1:2379', '--listen', '10.250.4.1:6443']);
  assert.deepEqual(api.ready, { tcp: '10.250.4.1:6443' });
  assert.deepEqual(specs.find((s) => s.name === 'etcd')!.ready, { http: 'http://10.250.4.1:2379/health' });
  assert.deepEqual(specs.find((s) => s.name === 'agent-node-2')!.env, { TUG_INSECURE_REGISTRIES: '10.250.4.1:5000', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' });
});

test('etcd and the registry keep their data in the state dir and listen on the bridge', () => {
  const args = etcdArgv(plan);
  const flag = (f: string) => args[args.indexOf(f) + 1];
  assert.equal(flag('--data-dir'), '/s/etcd');
  assert.equal(flag('--listen-client-urls'), 'http://10.250.4.1:2379');
  assert.equal(flag('--listen-peer-urls'), 'http://10.250.4.1:2380');
  const cfg = registryConfig(plan);
  assert.match(cfg, /addr: 10\.250\.4\.1:5000/);
  assert.match(cfg, /rootdirectory: "\/s\/registry\/storage"/);
  assert.deepEqual(registryEnv(plan, { TUG_INSECURE_REGISTRIES: 'r:1' }), { TUG_INSECURE_REGISTRIES: 'r:1,10.250.4.1:5000' });
});
