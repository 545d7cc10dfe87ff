// `tug cluster up/down/status` for real: root, network namespaces, cgroups,
// etcd, the registry and every component, driven through the tug command.
// Each cluster gets a unique name and a state dir under /tmp, and every test
// ends with `down` (in after hooks too), comparing what the host has before
// and after.
//
// Agents are real when dist/agent/main.js offers the real agent (its --help
// lists --state-dir); until then they are hollow (a test tool) and the test
// that needs containers (pod-to-pod across nodes) is skipped, saying so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { ApiClient } from '../../lib/client/api-client.js';
import type { Node, Pod } from '../../lib/api/generated/types.js';
import { cpuToMillis, memoryToBytes } from '../../lib/quantity.js';
import { POD_ROUTE_PROTOCOL } from '../../agent/network/pod-routes.js';
import { REPO_ROOT } from './components.js';
import { readCgroupLayout, readNodeLimits } from './cgroups.js';
import { readClusterRecord, readSupervisorState, type ClusterRecord, type SupervisorState } from './state.js';

const TUG = join(REPO_ROOT, 'dist/cli/main.js');
const UP_TIMEOUT = '4m';
const TEST_TIMEOUT_MS = 10 * 60_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let configDir = '';
const env = () => ({ ...process.env, TUG_CONFIG: join(configDir, 'config.yaml'), TUG_SERVER: '' });

function tug(args: string[], timeoutMs = 6 * 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TUG, ...args], { env: env(), timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { maxBuffer: 64 * 2 ** 20 }, (_e, stdout) => resolve(stdout ?? '')));
}

async function realAgentAvailable(): Promise<boolean> {
  return (await sh(process.execPath, [join(REPO_ROOT, 'dist/agent/main.js'), '--help'])).includes('--state-dir');
}

const uniqueName = () => `it${randomBytes(3).toString('hex')}`;
const stateDirOf = (name: string) => join(tmpdir(), `tug-cluster-test-${name}`);

/**
 * What a cluster could have left on the host, found by its names and
 * addresses (independently of the teardown code): namespaces, links, routes,
 * mounts, cgroups, processes. Rules are the whole host ruleset, compared as sets.
 */
async function leftovers(name: string, stateDir: string, plan?: ClusterRecord['plan']) {
  const marks = [stateDir + '/', `tug-${name}-node-`, ...(plan ? [plan.bridge, plan.hostAddress + ':', `tug${plan.hash}-`] : [])];
  const has = (line: string) => marks.some((m) => line.includes(m)) || (plan ? line.includes(plan.nodeSubnet) : false);
  const netns = (await sh('ip', ['netns', 'list'])).split('\n').filter((l) => l.includes(`tug-${name}-`));
  const links = (await sh('ip', ['-o', 'link'])).split('\n').filter(has);
  const routes = (await sh('ip', ['route', 'show', 'table', 'all'])).split('\n').filter(has);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(stateDir + '/') || l.includes(`/run/netns/tug-${name}-`));
  const layout = await readCgroupLayout();
  const cgroups = [...new Set([...Object.values(layout.v1), layout.unified ?? ''])].filter(Boolean).map((r) => join(r, `tugboat-${name}`)).filter(existsSync);
  const processes: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmd.includes(`--state-dir ${stateDir}`) && cmd.includes('cluster down')) continue;
    if (cmd.includes(`--state-dir ${stateDir}`) && cmd.includes('cluster up')) continue;
    if (has(cmd) || cmd.includes(`supervise --state-dir ${stateDir}`)) processes.push(`${pid} ${cmd}`);
  }
  return { netns, links, routes, mounts, cgroups, processes };
}

async function ruleset(): Promise<Set<string>> {
  const ipt = (await sh('iptables-save', [])).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, ''));
  const nft = (await sh('nft', ['list', 'ruleset'])).split('\n').map((l) => l.trim().replace(/counter packets \d+ bytes \d+/g, 'counter')).filter(Boolean);
  // Other software on the host (Podman's netavark for the e2e etcd container, say) may change its own
  // rules while this runs: only rules that could be a cluster's count.
  const ours = (l: string) => /tug|TUG|10\.244\.|10\.250\./.test(l);
  return new Set([...ipt.filter(ours).map((l) => `iptables ${l}`), ...nft.filter(ours).map((l) => `nft ${l}`)]);
}

function assertNothingLeft(left: Awaited<ReturnType<typeof leftovers>>, what: string) {
  for (const [kind, items] of Object.entries(left)) assert.deepEqual(items, [], `${what}: ${kind} left behind`);
}

async function assertNoNewRules(before: Set<string>, what: string) {
  const added = [...(await ruleset())].filter((l) => !before.has(l));
  assert.deepEqual(added, [], `${what}: host iptables/nftables rules left behind`);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(250);
  }
}

function netnsInode(path: string): number {
  return statSync(path).ino;
}

/**
 * Holds a port on every address, the cluster's bridge address included. The
 * cluster's clients will connect to it taking it for the apiserver: each
 * connection is dropped at once, so none keeps this process alive.
 */
async function listenEverywhere(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((conn) => conn.destroy());
    s.unref();
    s.once('error', reject);
    s.listen({ host: '0.0.0.0', port: 0 }, () => resolve(s));
  });
}

before(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'tug-cluster-test-config-'));
});
after(async () => {
  await rm(configDir, { recursive: true, force: true });
});

test('a failed up cleans up after itself and says why and where the logs are', { timeout: TEST_TIMEOUT_MS }, async () => {
  const name = uniqueName();
  const stateDir = stateDirOf(name);
  const rules = await ruleset();
  try {
    // A bad flag: refused before anything is made.
    const bad = await tug(['cluster', 'up', '--name', name, '--state-dir', stateDir, '--nodes', '0', '--memory-per-node', 'lots']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--nodes must be a whole number/);
    assert.match(bad.stderr, /--memory-per-node must be a memory quantity/);
    assert.ok(!existsSync(stateDir));
    assertNothingLeft(await leftovers(name, stateDir), 'after a refused flag');

    // An occupied port: the apiserver cannot listen, keeps exiting, up gives up and removes everything but the logs.
    const blocker = await listenEverywhere();
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await tug(['cluster', 'up', '--name', name, '--state-dir', stateDir, '--nodes', '2', '--agent-mode', 'hollow', '--api-port', String(port), '--timeout', UP_TIMEOUT]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /did not come up: apiserver keeps exiting/);
      assert.match(r.stderr, new RegExp(`logs: ${stateDir}/logs`));
      assert.match(r.stdout, /network: bridge/, 'it had got as far as making the network');
    } finally {
      blocker.close();
    }
    assert.deepEqual(readdirSync(stateDir), ['logs'], 'only the logs stay');
    assert.match(await readFile(join(stateDir, 'logs', 'apiserver.log'), 'utf8'), /EADDRINUSE|address already in use/i);
    assert.match(await readFile(join(stateDir, 'logs', 'supervisor.log'), 'utf8'), /apiserver exited \(code \d+\)/);
    assertNothingLeft(await leftovers(name, stateDir), 'after a failed up');
    await assertNoNewRules(rules, 'after a failed up');
    assert.ok(!existsSync(join('/run/tugboat/clusters', `${name}.json`)));
  } finally {
    await tug(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    await rm(stateDir, { recursive: true, force: true });
  }
});

describe('a 3-node cluster', { timeout: TEST_TIMEOUT_MS * 3 }, () => {
  const name = uniqueName();
  const stateDir = stateDirOf(name);
  const second = uniqueName();
  const secondDir = stateDirOf(second);
  let mode: 'real' | 'hollow' = 'hollow';
  let rules: Set<string>;
  let record: ClusterRecord;
  let client: ApiClient;
  const supervisor = (): SupervisorState => readSupervisorState(stateDir)!;
  const component = (c: string) => supervisor().components.find((x) => x.name === c)!;

  before(async () => {
    mode = (await realAgentAvailable()) ? 'real' : 'hollow';
    rules = await ruleset();
    assertNothingLeft(await leftovers(name, stateDir), 'before up');
    const r = await tug([
      'cluster', 'up', '--name', name, '--state-dir', stateDir, '--nodes', '3',
      '--cpus-per-node', '1500m', '--memory-per-node', '1536Mi', '--agent-mode', mode, '--timeout', UP_TIMEOUT,
    ]);
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /nodes: 3\/3 Ready/);
    assert.match(r.stdout, new RegExp(`Cluster "${name}" is up`));
    record = readClusterRecord(stateDir)!;
    client = new ApiClient(record.plan.apiserver.address);
  });

  after(async () => {
    client?.close();
    // Whatever happened above, nothing of either cluster may stay.
    await tug(['cluster', 'down', '--name', second, '--state-dir', secondDir]);
    await tug(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
  });

  test('3 Ready nodes of the requested size, each in its namespace and cgroup, and tug reaches it at once', async () => {
    const nodes = (await client.list('Node', {})).items as Node[];
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), ['node-1', 'node-2', 'node-3']);
    assert.equal(new Set(nodes.map((n) => n.spec?.podCIDR)).size, 3, `distinct pod CIDRs: ${nodes.map((n) => n.spec?.podCIDR).join(', ')}`);
    for (const n of nodes) {
      assert.ok(n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${n.metadata!.name} Ready`);
      assert.match(n.spec?.podCIDR ?? '', /^10\.244\.\d+\.0\/24$/, `${n.metadata!.name} pod CIDR`);
      assert.equal(cpuToMillis(n.status?.capacity?.cpu), 1500, `${n.metadata!.name} cpu capacity`);
      assert.equal(memoryToBytes(n.status?.capacity?.memory), 1536 * 2 ** 20, `${n.metadata!.name} memory capacity`);
    }
    const layout = await readCgroupLayout();
    for (const p of record.plan.nodes) {
      assert.deepEqual(await readNodeLimits(layout, p), { cpuMillis: 1500, memoryBytes: 1536 * 2 ** 20 }, `${p.name} cgroup limits`);
      const agent = component(`agent-${p.name}`);
      assert.ok(agent.pid);
      // the agent runs in the node's cgroup and network namespace
      const cg = readFileSync(`/proc/${agent.pid}/cgroup`, 'utf8');
      assert.match(cg, new RegExp(`memory:/tugboat-${name}/${p.name}/agent$`, 'm'));
      assert.equal(netnsInode(`/proc/${agent.pid}/ns/net`), netnsInode(`/run/netns/${p.netns}`), `${p.name} agent in ${p.netns}`);
      const addr = await sh('ip', ['-n', p.netns, '-4', '-o', 'addr', 'show', 'eth0']);
      assert.match(addr, new RegExp(`inet ${p.address.replace(/\./g, '\\.')}/24`));
      // Pod CIDRs come from the control plane; each real agent routes the others' via their addresses (hollow ones route nothing).
      const want = mode === 'real' ? nodes.filter((n) => n.metadata!.name !== p.name).map((n) => `${n.spec!.podCIDR} via ${record.plan.nodes.find((x) => x.name === n.metadata!.name)!.address}`).sort() : [];
      await waitFor(`${p.name}'s routes to the other nodes' pods: ${want.join(', ')}`, async () => {
        const out = await sh('ip', ['-n', p.netns, '-4', 'route', 'show', 'proto', String(POD_ROUTE_PROTOCOL)]);
        const got = out.split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' ')).sort();
        return JSON.stringify(got) === JSON.stringify(want) ? true : undefined;
      }, 60_000);
      assert.equal((await sh('ip', ['netns', 'exec', p.netns, 'cat', '/proc/sys/net/ipv4/ip_forward'])).trim(), '1');
    }
    // the client config points tug at the new cluster
    const config = parse(readFileSync(join(configDir, 'config.yaml'), 'utf8'));
    assert.equal(config.server, record.plan.apiserver.address);
    const got = await tug(['get', 'nodes']);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout.match(/node-\d +Ready/g)?.length, 3, got.stdout);
    // busybox is in the registry for `image: busybox`
    const res = await fetch(`http://${record.plan.registry.address}/v2/busybox/tags/list`);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ['latest']);
  });

  test('a second up of the running cluster says so and changes nothing', async () => {
    const pids = supervisor().components.map((c) => c.pid);
    const r = await tug(['cluster', 'up', '--name', name, '--state-dir', stateDir, '--nodes', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is already running/);
    assert.deepEqual(supervisor().components.map((c) => c.pid), pids);
    assert.equal(((await client.list('Node', {})).items as Node[]).length, 3);
  });

  test('status lists every component up', async () => {
    const r = await tug(['cluster', 'status', '--name', name, '--state-dir', stateDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const c of ['etcd', 'registry', 'apiserver', 'controller-manager', 'scheduler', 'agent-node-1', 'agent-node-2', 'agent-node-3']) {
      assert.match(r.stdout, new RegExp(`^${c} +up +\\d+ +0 `, 'm'), `${c} in\n${r.stdout}`);
    }
  });

  test('a killed component is restarted by the supervisor', async () => {
    const killed = ['scheduler', 'agent-node-2'];
    const old = Object.fromEntries(killed.map((c) => [c, component(c).pid!]));
    for (const c of killed) process.kill(old[c]!, 'SIGKILL');
    for (const c of killed) {
      await waitFor(`${c} to be restarted`, () => {
        const s = component(c);
        return s.pid && s.pid !== old[c] && s.restarts >= 1 && s.state === 'running' ? true : undefined;
      });
      assert.equal(component(c).lastExit, 'signal SIGKILL');
    }
    assert.match(await readFile(join(stateDir, 'logs', 'supervisor.log'), 'utf8'), /scheduler exited \(signal SIGKILL\) after [\d.]+s; restart 1/);
    const r = await tug(['cluster', 'status', '--name', name, '--state-dir', stateDir]);
    assert.match(r.stdout, /^scheduler +up +\d+ +1 /m, r.stdout);
    // the restarted agent is in its namespace again and its node stays (or comes back) Ready
    const agent = component('agent-node-2');
    assert.equal(netnsInode(`/proc/${agent.pid}/ns/net`), netnsInode(`/run/netns/${record.plan.nodes[1]!.netns}`));
    await waitFor('node-2 Ready', async () => {
      const n = (await client.get('Node', '', 'node-2')) as Node;
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    });
    // the scheduler works again: a pod gets bound
    const pod = (await client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'after-restart', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    } as Pod)) as Pod;
    await waitFor('the pod to be scheduled', async () => ((await client.get('Pod', 'default', pod.metadata!.name!)) as Pod).spec?.nodeName || undefined);
    await client.delete('Pod', 'default', 'after-restart', { gracePeriodSeconds: 0 }).catch(() => {});
  });

  test('pods on different nodes reach each other by IP (needs the real agent)', async (t) => {
    if (mode !== 'real') {
      t.skip('dist/agent/main.js has no real agent yet (its --help lacks --state-dir): ran with hollow agents');
      return;
    }
    const applied = await tug(['apply', '-f', join(REPO_ROOT, 'examples/web.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    const web = await waitFor(
      '3 running web pods',
      async () => {
        const pods = ((await client.list('Pod', { namespace: 'default', labelSelector: 'app=web' })).items as Pod[]).filter(
          (p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp,
        );
        return pods.length === 3 ? pods : undefined;
      },
      240_000,
    );
    assert.ok(new Set(web.map((p) => p.spec!.nodeName)).size >= 2, `web pods spread over nodes: ${web.map((p) => p.spec!.nodeName).join(', ')}`);
    const server = web[0]!;
    const otherNode = record.plan.nodes.map((n) => n.name).find((n) => n !== server.spec!.nodeName)!;
    await client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fetch', namespace: 'default' },
      spec: {
        nodeName: otherNode,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'fetch',
            image: 'busybox',
            command: ['sh', '-c', `for i in $(seq 30); do timeout 3 wget -q -O- http://${server.status!.podIP}/ | grep -q "hello from ${server.metadata!.name}" && exit 0; sleep 1; done; exit 1`],
          },
        ],
      },
    } as Pod);
    const phase = await waitFor(
      'the fetch pod to finish',
      async () => {
        const p = (await client.get('Pod', 'default', 'fetch')) as Pod;
        return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
      },
      180_000,
    );
    assert.equal(phase, 'Succeeded', `a pod on ${otherNode} fetching ${server.status!.podIP} (${server.metadata!.name} on ${server.spec!.nodeName})`);
  });

  test('a second cluster runs side by side without touching the first', async () => {
    const r = await tug(['cluster', 'up', '--name', second, '--state-dir', secondDir, '--nodes', '1', '--agent-mode', mode, '--timeout', UP_TIMEOUT]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const other = readClusterRecord(secondDir)!.plan;
    assert.notEqual(other.bridge, record.plan.bridge);
    assert.notEqual(other.nodeSubnet, record.plan.nodeSubnet);
    assert.notEqual(other.apiserver.address, record.plan.apiserver.address);
    const otherClient = new ApiClient(other.apiserver.address);
    try {
      assert.deepEqual(((await otherClient.list('Node', {})).items as Node[]).map((n) => n.metadata!.name), ['node-1']);
      assert.equal(((await client.list('Node', {})).items as Node[]).length, 3);
    } finally {
      otherClient.close();
    }
    // the client config now points at the second; down of it points back at the first
    assert.equal(parse(readFileSync(join(configDir, 'config.yaml'), 'utf8')).server, other.apiserver.address);
    const down = await tug(['cluster', 'down', '--name', second]);
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assertNothingLeft(await leftovers(second, secondDir, other), 'after down of the second cluster');
    assert.equal(parse(readFileSync(join(configDir, 'config.yaml'), 'utf8')).server, record.plan.apiserver.address);
    // the first one is untouched
    assert.ok(supervisor().components.every((c) => c.state === 'running'), JSON.stringify(supervisor().components));
    for (const n of record.plan.nodes) assert.ok((await sh('ip', ['netns', 'list'])).includes(n.netns));
    const got = await tug(['get', 'nodes']);
    assert.equal(got.stdout.match(/node-\d +Ready/g)?.length, 3, got.stdout + got.stderr);
  });

  test('down leaves no namespace, link, route, rule, mount, cgroup or process behind; a second down is fine', async () => {
    const supervisorPid = supervisor().pid;
    client.close();
    const r = await tug(['cluster', 'down', '--name', name]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`cluster "${name}" is gone`));
    assert.ok(!existsSync(stateDir), 'the state dir is gone');
    assert.ok(!existsSync(`/proc/${supervisorPid}/cmdline`) || !readFileSync(`/proc/${supervisorPid}/cmdline`, 'utf8').includes(stateDir));
    assertNothingLeft(await leftovers(name, stateDir, record.plan), 'after down');
    await assertNoNewRules(rules, 'after down');
    const config = parse(readFileSync(join(configDir, 'config.yaml'), 'utf8')) ?? {};
    assert.equal(config.server, undefined, 'the config no longer points at the removed cluster');
    const again = await tug(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to remove/);
  });
});
