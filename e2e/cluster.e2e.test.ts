// tugboat end to end on a real 3-node cluster (issue 7): one cluster from
// `tug cluster up` (etcd from testcontainers, passed in with --etcd-endpoint;
// TUG_E2E_ETCD=embedded uses the cluster's own) shared by every scenario, in
// order, each checking what a user would check: through the built `tug`,
// the API, runc's own view of each node, and the host.
//
// The cluster is removed in `after` whatever happened, and by the harness on
// SIGINT/SIGTERM/SIGHUP or exit (e2e/harness/cluster.ts).
//
// No timing is asserted: every wait polls with a deadline far above what it
// needs, and durations are printed as diagnostics.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deployment, Endpoints, Node, Pod, Service } from '../lib/api/generated/types.js';
import { isNotFound } from '../lib/errors.js';
import { containsAddress, containsCidr, overlaps, parseCidr, parseIpv4 } from '../lib/ipv4.js';
import { cpuToMillis } from '../lib/quantity.js';
import { waitFor } from '../lib/testing/processes.js';
import { POD_ROUTE_PROTOCOL } from '../agent/network/pod-routes.js';
import { REPO_ROOT } from '../cli/cluster/components.js';
import { readSupervisorState } from '../cli/cluster/state.js';
import type { NodePlan } from '../cli/cluster/topology.js';
import { startE2eCluster, type E2eCluster } from './harness/cluster.js';
import { conmonMonitors, hostRules, leftovers, mustRun, podCgroups, run, runtimeContainers, type RuntimeContainer } from './harness/host.js';
import {
  clientPod,
  isDeploymentAvailable,
  isPodReady,
  live,
  loopClientPod,
  parseLoopLog,
  placement,
  readManifests,
  responders,
  toYaml,
  webDeploymentVariant,
  type Manifest,
} from './harness/workloads.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const NS = 'default';
const CLIENT = 'e2e-client';
const LOOP = 'e2e-loop';
/** node-1 hosts the client pods; node loss and agent restart pick among the others. */
const CLIENT_NODE = 'node-1';
/** Node lifecycle timings given to the controller-manager (the agent renews its Lease every 10 s). */
const GRACE = '20s';
const EVICTION = '10s';
const MINUTE = 60_000;

let c: E2eCluster;
let scratch: string;
let rulesBefore: Set<string>;
const startedAt = Date.now();
const timings: string[] = [];

function note(t: TestContext, line: string): void {
  timings.push(line);
  t.diagnostic(line);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function tugOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await c.tug(args, { timeoutMs });
  assert.equal(r.code, 0, `tug ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function applyYaml(name: string, docs: Manifest[]): Promise<string> {
  const file = join(scratch, `${name}.yaml`);
  await writeFile(file, toYaml(docs));
  return tugOk(['apply', '-f', file]);
}

/** Runs a shell script in a pod through `tug exec`; resolves with its output (stdout + stderr) and exit code. */
async function sh(pod: string, script: string, timeoutMs = 2 * MINUTE): Promise<{ code: number; out: string }> {
  const r = await c.tug(['exec', pod, '--', 'sh', '-c', script], { timeoutMs });
  return { code: r.code, out: r.stdout + r.stderr };
}

async function pods(selector?: string): Promise<Pod[]> {
  return (await c.client.list('Pod', { namespace: NS, ...(selector ? { labelSelector: selector } : {}) })).items;
}

async function pod(name: string): Promise<Pod | undefined> {
  try {
    return await c.client.get('Pod', NS, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function nodes(): Promise<Node[]> {
  return (await c.client.list('Node')).items;
}

const nodeReady = (n: Node | undefined) => n?.status?.conditions?.find((x) => x.type === 'Ready');

/** The command line of a process and of its descendants (the supervisor starts agents through setpriv, sh and nsenter). */
function commandLines(pid: number): string[] {
  const out: string[] = [];
  const walk = (p: number) => {
    try {
      out.push(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim());
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
      for (const c of children) walk(c);
    } catch {
      // gone meanwhile
    }
  };
  walk(pid);
  return out;
}

/** The agent's own routes (protocol POD_ROUTE_PROTOCOL) in a node's namespace, as "DST via GATEWAY". */
async function podRoutes(n: NodePlan): Promise<string[]> {
  const out = (await mustRun('ip', ['-n', n.netns, '-4', 'route', 'show', 'proto', String(POD_ROUTE_PROTOCOL)])).split('\n');
  return out.map((l) => l.trim().split(/\s+/).slice(0, 3).join(' ')).filter((l) => l.includes(' via ')).sort();
}

async function webDeployment(): Promise<Deployment> {
  return c.client.get('Deployment', NS, 'web');
}

/** Waits until a Deployment has `replicas` updated, available pods, all Running and Ready; returns them. */
async function deploymentSettled(name: string, replicas: number, timeoutMs = 4 * MINUTE): Promise<Pod[]> {
  return waitFor(
    `deployment ${name}: ${replicas} available replicas, all Running and Ready`,
    async () => {
      const d: Deployment = await c.client.get('Deployment', NS, name);
      const selector = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      const ps = live(await pods(selector));
      return (d.spec?.replicas ?? 1) === replicas && isDeploymentAvailable(d) && ps.length === replicas && ps.every(isPodReady) ? ps : undefined;
    },
    timeoutMs,
    500,
  );
}

const webSettled = (replicas: number, timeoutMs?: number) => deploymentSettled('web', replicas, timeoutMs);

async function endpointIps(service: string): Promise<string[]> {
  const ep: Endpoints = await c.client.get('Endpoints', NS, service);
  return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip!)).sort();
}

/** `n` requests from a pod to `url`: who answered, and how many requests got no answer. */
async function requestsFrom(from: string, url: string, n: number): Promise<{ answered: Map<string, number>; failed: number; out: string }> {
  const { out } = await sh(from, `for i in $(seq ${n}); do timeout 5 wget -q -O- ${url} || echo "FAILED request $i"; done`);
  return { answered: responders(out), failed: (out.match(/^FAILED request/gm) ?? []).length, out };
}

/** Runtime containers of every node, by node name. */
async function runtimeByNode(): Promise<Map<string, RuntimeContainer[]>> {
  const out = new Map<string, RuntimeContainer[]>();
  for (const n of c.plan.nodes) out.set(n.name, await runtimeContainers(n));
  return out;
}

async function loopLines() {
  const r = await c.tug(['logs', LOOP]);
  assert.equal(r.code, 0, r.stderr);
  return parseLoopLog(r.stdout);
}

before(
  async () => {
    rulesBefore = await hostRules();
    c = await startE2eCluster({
      nodes: 3,
      cpusPerNode: '1',
      memoryPerNode: '2Gi',
      nodeMonitorGracePeriod: GRACE,
      podEvictionTimeout: EVICTION,
      log: (l) => process.stderr.write(`# e2e: ${l}\n`),
    });
    scratch = c.workDir;
    timings.push(`cluster ${c.name} up in ${secs(c.upMs)} (etcd: ${c.etcd}${c.etcdEndpoint ? ` ${c.etcdEndpoint}` : ''})`);
  },
  { timeout: 10 * MINUTE },
);

after(
  async () => {
    try {
      await c?.stop();
    } finally {
      process.stderr.write(`# e2e timings:\n${[...timings, `whole file: ${secs(Date.now() - startedAt)}`].map((l) => `#   ${l}`).join('\n')}\n`);
    }
  },
  { timeout: 5 * MINUTE },
);

describe('tugboat on a real 3-node cluster', { timeout: 40 * MINUTE }, () => {
  test('the cluster: 3 Ready nodes, etcd where it was asked to be', { timeout: MINUTE }, async (t) => {
    const ns = await nodes();
    assert.deepEqual(ns.map((n) => n.metadata!.name).sort(), ['node-1', 'node-2', 'node-3']);
    for (const n of ns) assert.equal(nodeReady(n)?.status, 'True', `${n.metadata!.name} Ready`);

    // Pod CIDRs: assigned by the controller-manager when the nodes registered; the agents were given none.
    for (const p of c.plan.nodes) {
      const agent = c.component(`agent-${p.name}`);
      assert.ok(agent?.pid, `agent-${p.name} runs`);
      const lines = commandLines(agent.pid);
      assert.ok(lines.some((l) => l.includes('dist/agent/main.js') && l.includes(`--node-name ${p.name}`)), lines.join('\n'));
      assert.ok(lines.every((l) => !l.includes('--pod-cidr')), `agent-${p.name} got no --pod-cidr:\n${lines.join('\n')}`);
    }
    const clusterCidr = parseCidr('10.244.0.0/16');
    const cidrs = ns.map((n) => n.spec?.podCIDR ?? '');
    for (const [i, n] of ns.entries()) {
      assert.match(cidrs[i]!, /\/24$/, `${n.metadata!.name} has a /24 pod CIDR`);
      assert.ok(containsCidr(clusterCidr, parseCidr(cidrs[i]!)), `${cidrs[i]} is inside 10.244.0.0/16`);
      assert.deepEqual(n.spec?.podCIDRs, [cidrs[i]]);
    }
    assert.equal(new Set(cidrs).size, 3, `distinct pod CIDRs: ${cidrs.join(', ')}`);
    const cm = await readFile(join(c.plan.logsDir, 'controller-manager.log'), 'utf8');
    for (const n of ns) {
      assert.match(cm, new RegExp(`"node":"${n.metadata!.name}","podCIDR":"${cidrs[ns.indexOf(n)]!.replace(/\./g, '\\.').replace('/', '\\/')}","msg":"assigned pod CIDR to node"`), `the controller-manager assigned ${n.metadata!.name}'s`);
    }
    note(t, `pod CIDRs assigned by the control plane: ${ns.map((n) => `${n.metadata!.name} ${n.spec!.podCIDR}`).join(', ')}`);

    // Every agent routes the other nodes' pod CIDRs via their addresses, in its own namespace; the host routes none.
    const addressOf = (name: string) => c.node(name).address;
    for (const p of c.plan.nodes) {
      const want = ns.filter((n) => n.metadata!.name !== p.name).map((n) => `${n.spec!.podCIDR} via ${addressOf(n.metadata!.name!)}`).sort();
      await waitFor(`${p.name}'s routes to the other nodes' pods: ${want.join(', ')}`, async () => JSON.stringify(await podRoutes(p)) === JSON.stringify(want), MINUTE, 500);
    }
    const hostRoutes = (await mustRun('ip', ['-4', 'route', 'show', 'table', 'all'])).split('\n').filter((l) => {
      const dst = l.trim().split(/\s+/)[0] ?? '';
      return /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst) && cidrs.some((x) => overlaps(parseCidr(x), parseCidr(dst)));
    });
    assert.deepEqual(hostRoutes, [], 'the host has no route to any pod CIDR');
    const status = await c.tug(['cluster', 'status', '--name', c.name]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    if (c.etcd === 'container') {
      assert.doesNotMatch(status.stdout, /^etcd /m, 'an external etcd is not one of the cluster components');
      assert.equal(c.plan.etcd.clientUrl, c.etcdEndpoint);
    } else {
      assert.match(status.stdout, /^etcd +up /m);
    }
    note(t, `etcd: ${c.etcd === 'container' ? `testcontainers (${c.etcdEndpoint})` : 'embedded (TUG_E2E_ETCD=embedded)'}`);
  });

  test('1. every file in examples/ applies and reaches its ready state', { timeout: 6 * MINUTE }, async (t) => {
    const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f)).sort();
    assert.ok(files.length >= 3, `examples: ${files.join(', ')}`);
    const t0 = Date.now();
    const docs: Manifest[] = [];
    for (const f of files) {
      const out = await tugOk(['apply', '-f', join(EXAMPLES, f)]);
      assert.match(out, /created/, `${f}: ${out}`);
      docs.push(...readManifests(join(EXAMPLES, f)));
    }
    for (const d of docs) {
      const name = d.metadata.name as string;
      if (d.kind === 'Pod') {
        await waitFor(`pod ${name} Running with every container ready`, async () => {
          const p = await pod(name);
          const statuses = p?.status?.containerStatuses ?? [];
          return !!p && isPodReady(p) && statuses.length === d.spec.containers.length && statuses.every((s) => s.ready);
        }, 4 * MINUTE, 500);
      } else if (d.kind === 'Deployment') {
        await deploymentSettled(name, d.spec.replicas ?? 1);
      } else if (d.kind === 'Service') {
        const selector = Object.entries(d.spec.selector as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
        await waitFor(`service ${name}: an endpoint for every ready pod`, async () => {
          const ready = live(await pods(selector)).filter(isPodReady).map((p) => p.status!.podIP!).sort();
          return ready.length > 0 && JSON.stringify(await endpointIps(name)) === JSON.stringify(ready);
        }, 2 * MINUTE, 500);
      } else {
        assert.fail(`examples hold a ${d.kind}; this test does not know its ready state`);
      }
    }
    note(t, `examples (${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(', ')}) ready in ${secs(Date.now() - t0)}`);

    // What the examples' comments tell a user to look at.
    const listing = await tugOk(['get', 'pods', '-o', 'wide']);
    for (const d of docs.filter((x) => x.kind === 'Pod')) {
      assert.match(listing, new RegExp(`^${d.metadata.name} +(\\d+)/\\1 +Running `, 'm'), listing);
    }
    const resources = await tugOk(['logs', 'resources']);
    assert.match(resources, /cpu quota: +50000\b/, 'limits.cpu 500m is a CFS quota of half a 100 ms period');
    assert.match(resources, /memory limit: +134217728\b/, 'limits.memory 128Mi');
    await waitFor('the writer to fetch the page from the server over localhost', async () => {
      const r = await c.tug(['logs', 'multi-container', '-c', 'writer']);
      return /server says: \S/.test(r.stdout);
    }, 2 * MINUTE, 1000);
    const describe = await tugOk(['describe', 'pod', 'resources']);
    assert.match(describe, /Burstable/, describe);
  });

  test('2. six web pods over all 3 nodes: pod IPs across nodes, ClusterIP, DNS and NodePort answer', { timeout: 8 * MINUTE }, async (t) => {
    assert.match(await tugOk(['scale', 'deployment/web', '--replicas', '6']), /scaled/);
    const web = await webSettled(6);
    const spread = placement(web);
    note(t, `6 web pods: ${JSON.stringify(spread)}`);
    assert.deepEqual(Object.keys(spread).sort(), ['node-1', 'node-2', 'node-3'], 'the 6 replicas spread over all 3 nodes');
    const cidrOf = new Map((await nodes()).map((n) => [n.metadata!.name!, n.spec!.podCIDR!]));
    for (const p of web) {
      const cidr = cidrOf.get(p.spec!.nodeName!)!;
      assert.ok(containsAddress(parseCidr(cidr), parseIpv4(p.status!.podIP!)), `${p.metadata!.name} on ${p.spec!.nodeName}: IP ${p.status!.podIP} is in the node's pod CIDR ${cidr}`);
    }

    await applyYaml('client', [clientPod(CLIENT, CLIENT_NODE)]);
    await waitFor(`${CLIENT} Running`, async () => isPodReady((await pod(CLIENT)) ?? {}), 3 * MINUTE, 500);

    // Pod to pod by IP, to every web pod on the other nodes.
    const remote = web.filter((p) => p.spec!.nodeName !== CLIENT_NODE);
    assert.ok(remote.length >= 2);
    await waitFor('every web pod on another node to answer its IP', async () => {
      const { out } = await sh(CLIENT, remote.map((p) => `echo "${p.status!.podIP} $(timeout 5 wget -q -O- http://${p.status!.podIP}/)"`).join('; '));
      return remote.every((p) => out.includes(`${p.status!.podIP} hello from ${p.metadata!.name}`));
    }, 2 * MINUTE, 2000);

    // The Service: ClusterIP and DNS name, 30 requests each, every one answered, by several pods.
    const svc: Service = await c.client.get('Service', NS, 'web');
    const clusterIP = svc.spec!.clusterIP!;
    assert.match(clusterIP, /^10\.96\./);
    await waitFor('6 endpoints for web', async () => (await endpointIps('web')).length === 6, 2 * MINUTE, 500);
    const names = new Set(web.map((p) => p.metadata!.name!));
    const nodeOf = new Map(web.map((p) => [p.metadata!.name!, p.spec!.nodeName!]));
    for (const url of [`http://${clusterIP}/`, 'http://web.default.svc.cluster.local/']) {
      const res = await waitFor(`30 requests to ${url} all answered by at least 2 pods`, async () => {
        const r = await requestsFrom(CLIENT, url, 30);
        return r.failed === 0 && r.answered.size >= 2 && r;
      }, 2 * MINUTE, 2000).catch(async (e: Error) => assert.fail(`${e.message}\n${(await requestsFrom(CLIENT, url, 30)).out}`));
      for (const who of res.answered.keys()) assert.ok(names.has(who), `${who} is a web pod`);
      assert.ok([...res.answered.keys()].some((who) => nodeOf.get(who) !== CLIENT_NODE), 'some answers come from pods on other nodes');
      note(t, `${url}: 30/30 answered by ${res.answered.size} pods ${JSON.stringify(Object.fromEntries(res.answered))}`);
    }

    // DNS: the three name forms resolve to the ClusterIP and answer; an unknown name is NXDOMAIN.
    const forms = ['web', 'web.default', 'web.default.svc.cluster.local'];
    const dns = await sh(
      CLIENT,
      [
        ...forms.map((n) => `echo "== ping ${n}"; ping -c 1 -W 1 ${n} 2>&1 | head -n 1; echo "== wget ${n} $(timeout 5 wget -q -O- http://${n}/)"`),
        'echo "== nslookup web"; nslookup web 2>&1',
        'echo "== nslookup fqdn"; nslookup web.default.svc.cluster.local 2>&1',
        'echo "== nslookup missing"; nslookup no-such-service.default.svc.cluster.local 2>&1',
      ].join('; '),
    );
    for (const n of forms) {
      assert.match(dns.out, new RegExp(`^PING ${n.replace(/\./g, '\\.')} \\(${clusterIP.replace(/\./g, '\\.')}\\)`, 'm'), `${n} resolves to ${clusterIP}:\n${dns.out}`);
      assert.match(dns.out, new RegExp(`^== wget ${n.replace(/\./g, '\\.')} hello from web-`, 'm'), `http://${n}/ answers:\n${dns.out}`);
    }
    const section = (h: string) => dns.out.split(`== ${h}\n`)[1]?.split('\n== ')[0] ?? '';
    for (const h of ['nslookup web', 'nslookup fqdn']) {
      assert.match(section(h), /Name:\s+web\.default\.svc\.cluster\.local/, `${h}:\n${section(h)}`);
      assert.match(section(h), new RegExp(`Address:\\s+${clusterIP.replace(/\./g, '\\.')}$`, 'm'), `${h}:\n${section(h)}`);
    }
    assert.match(section('nslookup missing'), /NXDOMAIN/, section('nslookup missing'));

    // NodePort: on every node's address, from a pod and from the host.
    await applyYaml('web-nodeport', [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-nodeport' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
    ]);
    const np: Service = await c.client.get('Service', NS, 'web-nodeport');
    const nodePort = np.spec!.ports![0]!.nodePort!;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    const addresses = (await nodes()).map((n) => n.status!.addresses!.find((a) => a.type === 'InternalIP')!.address!).sort();
    assert.deepEqual(addresses, c.plan.nodes.map((n) => n.address).sort(), 'node addresses are the planned ones');
    await waitFor(`NodePort ${nodePort} to answer on every node address, from a pod and from the host`, async () => {
      const fromPod = await sh(CLIENT, addresses.map((a) => `echo "${a} $(timeout 5 wget -q -O- http://${a}:${nodePort}/)"`).join('; '));
      if (!addresses.every((a) => new RegExp(`^${a.replace(/\./g, '\\.')} hello from web-`, 'm').test(fromPod.out))) return false;
      for (const a of addresses) {
        const fromHost = await run('/bin/busybox', ['timeout', '5', '/bin/busybox', 'wget', '-q', '-O-', `http://${a}:${nodePort}/`]);
        if (!/^hello from web-/.test(fromHost.stdout)) return false;
      }
      return true;
    }, 2 * MINUTE, 2000);
    note(t, `NodePort ${nodePort} answered on ${addresses.join(', ')} from ${CLIENT} and from the host`);
  });

  test('3. scale 6 → 12 → 2: counts converge in the API and in every node runtime, without a failed request', { timeout: 10 * MINUTE }, async (t) => {
    // A client requesting the Service all along: scaling must never make a request fail.
    await applyYaml('loop', [loopClientPod(LOOP, CLIENT_NODE, 'http://web/')]);
    await waitFor(`${LOOP} answering`, async () => (await loopLines()).filter((l) => l.ok).length >= 3, 3 * MINUTE, 1000);

    let t0 = Date.now();
    assert.match(await tugOk(['scale', 'deployment/web', '--replicas', '12']), /scaled/);
    const twelve = await webSettled(12, 6 * MINUTE);
    note(t, `scale to 12: available in ${secs(Date.now() - t0)}, ${JSON.stringify(placement(twelve))}`);
    await waitFor('a running pause and httpd container in its node runtime for each of the 12 pods', async () => {
      const rt = await runtimeByNode();
      return twelve.every((p) => {
        const mine = (rt.get(p.spec!.nodeName!) ?? []).filter((x) => x.podUid === p.metadata!.uid && x.status === 'running');
        return mine.some((x) => x.id.endsWith('-pause')) && mine.some((x) => x.id.includes('-httpd-'));
      });
    }, 2 * MINUTE, 1000);

    t0 = Date.now();
    assert.match(await tugOk(['scale', 'deployment/web', '--replicas', '2']), /scaled/);
    const two = await webSettled(2, 6 * MINUTE);
    const kept = new Set(two.map((p) => p.metadata!.uid!));
    const removed = twelve.filter((p) => !kept.has(p.metadata!.uid!));
    assert.equal(removed.length, 10);
    await waitFor('the 10 surplus pods gone from the API', async () => (await pods('app=web')).length === 2, 3 * MINUTE, 1000);
    const apiMs = Date.now() - t0;
    const gone = new Set(removed.map((p) => p.metadata!.uid!));
    const remains = async () => {
      const rt = [...(await runtimeByNode()).values()].flat().filter((x) => x.podUid && gone.has(x.podUid));
      const monitors = [...conmonMonitors(c.stateDir).keys()].filter((id) => gone.has(id.slice(0, 36)));
      const cgroups: string[] = [];
      for (const n of c.plan.nodes) cgroups.push(...(await podCgroups(c.plan, n)).filter((u) => gone.has(u)).map((u) => `${n.name}/pod${u}`));
      return { containers: rt.map((x) => `${x.id} (${x.status})`), monitors, cgroups };
    };
    await waitFor('no container, conmon or pod cgroup of the 10 removed pods left on any node', async () => {
      const r = await remains();
      return r.containers.length + r.monitors.length + r.cgroups.length === 0;
    }, 3 * MINUTE, 1000).catch(async (e: Error) => assert.fail(`${e.message}: ${JSON.stringify(await remains())}`));
    note(t, `scale to 2: API converged in ${secs(apiMs)}, runtimes in ${secs(Date.now() - t0)}`);

    // The 2 that stay run, are the Service's only endpoints, and are the only ones answering.
    const rt = await runtimeByNode();
    for (const p of two) {
      assert.ok((rt.get(p.spec!.nodeName!) ?? []).some((x) => x.podUid === p.metadata!.uid && x.id.includes('-httpd-') && x.status === 'running'), `${p.metadata!.name} runs`);
    }
    await waitFor('the endpoints to be the 2 pods', async () => JSON.stringify(await endpointIps('web')) === JSON.stringify(two.map((p) => p.status!.podIP!).sort()), MINUTE, 500);
    const r = await requestsFrom(CLIENT, 'http://web/', 20);
    assert.equal(r.failed, 0, r.out);
    assert.ok([...r.answered.keys()].every((n) => two.some((p) => p.metadata!.name === n)), `only the 2 remaining pods answer: ${r.out}`);

    const lines = await loopLines();
    const failed = lines.filter((l) => !l.ok);
    note(t, `request loop while scaling: ${lines.length} requests, ${failed.length} failed`);
    assert.deepEqual(failed.map((l) => l.text), [], 'no request failed while scaling');
  });

  test('4. rolling update of web while a client requests the Service: completes, no request fails', { timeout: 10 * MINUTE }, async (t) => {
    const example = readManifests(join(EXAMPLES, 'web.yaml'));
    // maxSurge 1 / maxUnavailable 0 and 4 replicas first: the pod template is unchanged, so no rollout yet.
    assert.match(await applyYaml('web-v1', [webDeploymentVariant(example, { replicas: 4 })]), /configured/);
    const before = await webSettled(4);
    const oldNames = new Set(before.map((p) => p.metadata!.name!));
    const mark = (await loopLines()).length;

    const t0 = Date.now();
    assert.match(await applyYaml('web-v2', [webDeploymentVariant(example, { replicas: 4, version: '2' })]), /deployment\.apps\/web configured/);
    const status = await c.tug(['rollout', 'status', 'deployment/web', '--timeout', '6m'], { timeoutMs: 7 * MINUTE });
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, /deployment "web" successfully rolled out/);
    note(t, `rollout of 4 pods: ${secs(Date.now() - t0)}`);

    const now = await webSettled(4);
    for (const p of now) {
      assert.ok(!oldNames.has(p.metadata!.name!), `${p.metadata!.name} is a new pod`);
      assert.deepEqual(p.spec!.containers![0]!.env?.find((e) => e.name === 'VERSION'), { name: 'VERSION', value: '2' });
    }
    const history = await tugOk(['rollout', 'history', 'deployment/web']);
    assert.match(history, /^1\s/m, history);
    assert.match(history, /^2\s/m, history);

    // The loop keeps going after the rollout and reaches the new pods.
    const newNames = new Set(now.map((p) => p.metadata!.name!));
    const window = await waitFor('the request loop to get answers from the new pods', async () => {
      const lines = (await loopLines()).slice(mark);
      const firstNew = lines.findIndex((l) => [...responders(l.text).keys()].some((n) => newNames.has(n)));
      return firstNew >= 0 && lines.length - firstNew >= 10 && lines;
    }, 2 * MINUTE, 1000);
    const failed = window.filter((l) => !l.ok);
    const answeredBy = responders(window.map((l) => l.text).join('\n'));
    note(
      t,
      `request loop during the rollout: ${window.length} requests, ${failed.length} failed; answered by ${[...answeredBy.keys()].filter((n) => oldNames.has(n)).length} old and ${[...answeredBy.keys()].filter((n) => newNames.has(n)).length} new pods`,
    );
    assert.ok(window.length >= 20, `the loop ran through the rollout (${window.length} requests)`);
    assert.deepEqual(failed.map((l) => l.text), [], 'no request failed during the rolling update');
    await tugOk(['delete', 'pod', LOOP]);
  });

  test('5. placement by requests: a pod goes where it fits or stays Pending saying why; a memory hog is OOMKilled, the node stays healthy', { timeout: 8 * MINUTE }, async (t) => {
    await waitFor('no terminating pods (the scheduler counts them until they are gone)', async () => (await pods()).every((p) => !p.metadata?.deletionTimestamp), 3 * MINUTE, 1000);
    const ns = await nodes();
    const free = new Map<string, number>();
    const bound = (await pods()).filter((p) => p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    for (const n of ns) {
      const used = bound
        .filter((p) => p.spec!.nodeName === n.metadata!.name)
        .reduce((s, p) => s + (p.spec!.containers ?? []).reduce((a, k) => a + cpuToMillis(k.resources?.requests?.cpu), 0), 0);
      free.set(n.metadata!.name!, cpuToMillis(n.status!.allocatable!.cpu) - used);
    }
    // A request that fits on every node but not twice on any: 3 pods take one node each, a 4th fits nowhere.
    const minFree = Math.min(...free.values());
    const maxFree = Math.max(...free.values());
    const request = Math.floor((minFree - 10) / 10) * 10;
    note(t, `free cpu per node: ${JSON.stringify(Object.fromEntries(free))} → pods requesting ${request}m`);
    assert.ok(request > 0 && request * 2 > maxFree, `no request size fits each node once but none twice: ${JSON.stringify(Object.fromEntries(free))}`);
    const big = (name: string, cpu: string, memory = '16Mi'): Manifest => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'e2e-big' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1000000'], resources: { requests: { cpu, memory } } }] },
    });
    await applyYaml('big', ['big-1', 'big-2', 'big-3'].map((n) => big(n, `${request}m`)));
    const placed = await waitFor('big-1..3 Running', async () => {
      const ps = await Promise.all(['big-1', 'big-2', 'big-3'].map(pod));
      return ps.every((p) => p && isPodReady(p)) && (ps as Pod[]);
    }, 3 * MINUTE, 1000);
    assert.equal(new Set(placed.map((p) => p.spec!.nodeName)).size, 3, `one per node: ${placed.map((p) => p.spec!.nodeName).join(', ')}`);

    await applyYaml('big-4', [big('big-4', `${request}m`), big('too-much-memory', '10m', '3Gi')]);
    for (const [name, what] of [['big-4', 'cpu'], ['too-much-memory', 'memory']] as const) {
      const p = await waitFor(`${name} Pending with the reason`, async () => {
        const x = await pod(name);
        const cond = x?.status?.conditions?.find((k) => k.type === 'PodScheduled');
        return cond?.status === 'False' && x;
      }, 2 * MINUTE, 1000);
      const cond = p.status!.conditions!.find((k) => k.type === 'PodScheduled')!;
      assert.equal(p.spec?.nodeName ?? '', '');
      assert.equal(p.status?.phase, 'Pending');
      assert.equal(cond.reason, 'Unschedulable');
      assert.match(cond.message ?? '', new RegExp(`^0/3 nodes are available: 3 Insufficient ${what}`), cond.message);
      const described = await tugOk(['describe', 'pod', name]);
      assert.match(described, new RegExp(`Insufficient ${what}`), described);
      note(t, `${name}: ${cond.message}`);
    }
    // Room made on one node: the pending pod goes there.
    const freed = placed[0]!;
    await tugOk(['delete', 'pod', freed.metadata!.name!]);
    const moved = await waitFor('big-4 scheduled once big-1 is gone', async () => {
      const x = await pod('big-4');
      return x && isPodReady(x) && x;
    }, 3 * MINUTE, 1000);
    assert.equal(moved.spec!.nodeName, freed.spec!.nodeName, 'big-4 took the place big-1 left');
    await tugOk(['delete', 'pod', 'big-2', 'big-3', 'big-4', 'too-much-memory']);

    // A memory hog with a 32Mi limit: OOMKilled, restarted again and again; its node stays Ready, its neighbours untouched.
    await applyYaml('hog', [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hog' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'hog', image: 'busybox', command: ['sh', '-c', 'x=a; while :; do x=$x$x; done'], resources: { limits: { memory: '32Mi' } } }],
        },
      },
    ]);
    const hogNode = (await waitFor('hog scheduled', async () => (await pod('hog'))?.spec?.nodeName, MINUTE, 500)) as string;
    const neighbours = async () =>
      live(await pods())
        .filter((p) => p.spec!.nodeName === hogNode && p.metadata!.name !== 'hog')
        .map((p) => ({ uid: p.metadata!.uid, ready: isPodReady(p), restarts: (p.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0) }));
    const neighboursBefore = await neighbours();
    const agentBefore = c.component(`agent-${hogNode}`)!;
    const oomed = (p: Pod | undefined) => {
      const s = p?.status?.containerStatuses?.[0];
      return s?.lastState?.terminated?.reason === 'OOMKilled' ? s : undefined;
    };
    const first = await waitFor('hog OOMKilled', async () => oomed(await pod('hog')), 3 * MINUTE, 1000);
    assert.equal(first.lastState!.terminated!.exitCode, 137);
    const later = await waitFor('hog OOMKilled again, restartCount going up', async () => {
      const s = oomed(await pod('hog'));
      return s && (s.restartCount ?? 0) > (first.restartCount ?? 0) && s;
    }, 3 * MINUTE, 1000);
    note(t, `hog on ${hogNode}: OOMKilled, restartCount ${first.restartCount} → ${later.restartCount}`);
    const described = await tugOk(['describe', 'pod', 'hog']);
    assert.match(described, /OOMKilled/, described);
    const hn = await c.client.get('Node', undefined, hogNode);
    assert.equal(nodeReady(hn)?.status, 'True', `${hogNode} stays Ready`);
    assert.deepEqual(await neighbours(), neighboursBefore, `the other pods on ${hogNode} keep running, untouched`);
    const agentAfter = c.component(`agent-${hogNode}`)!;
    assert.equal(agentAfter.pid, agentBefore.pid, `the agent of ${hogNode} was not killed`);
    assert.equal(agentAfter.restarts, agentBefore.restarts);
    await tugOk(['delete', 'pod', 'hog']);
  });

  // Before node loss (6): it wants every node healthy, and 6 leaves one just back from the dead.
  test('7. kill -9 of an agent: the supervisor restarts it; its containers keep running with the same PIDs, no duplicates', { timeout: 6 * MINUTE }, async (t) => {
    const web = live(await pods('app=web'));
    const target = web.find((p) => p.spec!.nodeName !== CLIENT_NODE);
    assert.ok(target, `a web pod outside ${CLIENT_NODE}: ${JSON.stringify(placement(web))}`);
    const nodeName = target.spec!.nodeName!;
    const node = c.node(nodeName);
    const podsOn = async () => live(await pods()).filter((p) => p.spec!.nodeName === nodeName);
    const podState = async () =>
      (await podsOn()).map((p) => `${p.metadata!.name} ${p.metadata!.uid} restarts=${(p.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0).join(',')}`).sort();
    const runtimeState = async () => (await runtimeContainers(node)).map((x) => `${x.id} pid=${x.pid} ${x.status}`).sort();
    const monitorState = () => [...conmonMonitors(node.stateDir).entries()].map(([id, p]) => `${id} ${p.length}`).sort();

    const pods0 = await podState();
    const rt0 = await runtimeState();
    const mon0 = monitorState();
    assert.ok(rt0.length >= 2 && rt0.every((l) => l.endsWith(' running')), rt0.join('\n'));
    assert.ok((await podsOn()).every(isPodReady));
    // Every status change of the node's pods, from before the kill to the end: none should turn not Ready.
    const notReady: string[] = [];
    const unreadySince = new Map<string, number>();
    const unreadyFor: string[] = [];
    const listed = await c.client.list('Pod', { namespace: NS, fieldSelector: `spec.nodeName=${nodeName}` });
    const watch = c.client.watch('Pod', { namespace: NS, fieldSelector: `spec.nodeName=${nodeName}`, resourceVersion: listed.resourceVersion });
    const watching = (async () => {
      for await (const ev of watch) {
        if (ev.type !== 'MODIFIED' || ev.object.metadata?.deletionTimestamp) continue;
        const name = ev.object.metadata!.name!;
        if (!isPodReady(ev.object)) {
          notReady.push(`${new Date().toISOString()} ${name}: ${JSON.stringify(ev.object.status?.conditions?.find((x) => x.type === 'Ready'))}`);
          if (!unreadySince.has(name)) unreadySince.set(name, Date.now());
        } else if (unreadySince.has(name)) {
          unreadyFor.push(`${name} ${secs(Date.now() - unreadySince.get(name)!)}`);
          unreadySince.delete(name);
        }
      }
    })().catch(() => {});
    const agent = c.component(`agent-${nodeName}`)!;
    assert.ok(agent.pid);
    const killedAt = Date.now();
    process.kill(agent.pid, 'SIGKILL');

    await waitFor(`the supervisor to restart agent-${nodeName}`, () => {
      const a = c.component(`agent-${nodeName}`);
      return a && a.pid !== agent.pid && a.state === 'running' && a.restarts === agent.restarts + 1;
    }, 2 * MINUTE, 250);
    const st = await tugOk(['cluster', 'status', '--name', c.name]);
    assert.match(st, new RegExp(`^agent-${nodeName} +up +\\d+ +${agent.restarts + 1} `, 'm'), st);
    await waitFor(`${nodeName} Ready with a heartbeat from the new agent`, async () => {
      const cond = nodeReady(await c.client.get('Node', undefined, nodeName));
      return cond?.status === 'True' && Date.parse(cond.lastHeartbeatTime ?? '') > killedAt;
    }, 2 * MINUTE, 1000);
    note(t, `agent-${nodeName} killed; back with a heartbeat after ${secs(Date.now() - killedAt)}`);

    // Watch a while: the new agent adopts what runs; nothing is restarted, replaced or started twice.
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await runtimeState(), rt0, `runtime containers of ${nodeName} (ids, pids, states) unchanged`);
      assert.deepEqual(monitorState(), mon0, 'one conmon per container, the same ones');
      assert.deepEqual(await podState(), pods0, `pods on ${nodeName} unchanged (same uids, no restarts)`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    watch.stop();
    await watching;
    if (notReady.length) note(t, `not Ready after the agent restart, for: ${[...unreadyFor, ...[...unreadySince.keys()].map((n) => `${n} (still)`)].join(', ')}`);
    const { out } = await sh(CLIENT, `timeout 5 wget -q -O- http://${target.status!.podIP}/`);
    assert.match(out, new RegExp(`hello from ${target.metadata!.name}`));
    // A restarted agent takes over running containers as they are: a pod that was Ready stays Ready (and in its
    // Services' endpoints), as with a kubelet restart, rather than waiting for its readiness probe to pass anew.
    assert.deepEqual(notReady, [], `pods on ${nodeName} reported not Ready after the agent restart`);
  });

  test('6. node loss: agent stopped and network cut → NotReady, its pods recreated on the other nodes; back afterwards', { timeout: 10 * MINUTE }, async (t) => {
    const replicas = (await webDeployment()).spec!.replicas!;
    const web = await webSettled(replicas);
    const byNode = placement(web);
    const victimName = c.plan.nodes
      .map((n) => n.name)
      .filter((n) => n !== CLIENT_NODE && (byNode[n] ?? 0) > 0)
      .sort((a, b) => (byNode[b] ?? 0) - (byNode[a] ?? 0))[0];
    assert.ok(victimName, `a node other than ${CLIENT_NODE} with web pods: ${JSON.stringify(byNode)}`);
    const victim: NodePlan = c.node(victimName);
    const lost = web.filter((p) => p.spec!.nodeName === victimName);
    const lostUids = new Set(lost.map((p) => p.metadata!.uid!));
    const agent = c.component(`agent-${victimName}`)!;

    const t0 = Date.now();
    let cut = false;
    let listing = '';
    try {
      // Cut first, so the agent the supervisor restarts cannot reach the apiserver either.
      await mustRun('ip', ['link', 'set', victim.hostVeth, 'down']);
      cut = true;
      process.kill(agent.pid!, 'SIGKILL');

      // The Ready condition (status) and the unreachable taint (spec) are two writes: wait for both.
      await waitFor(`${victimName} NotReady and tainted unreachable`, async () => {
        const n = await c.client.get('Node', undefined, victimName);
        return nodeReady(n)?.status !== 'True' && !!n.spec?.taints?.some((x) => x.key === 'node.kubernetes.io/unreachable');
      }, 3 * MINUTE, 1000);
      const t1 = Date.now();
      // Checked at the end, so that a wrong STATUS column does not hide how the rest behaves.
      listing = await tugOk(['get', 'nodes']);

      const moved = await waitFor(`the ${lost.length} web pods of ${victimName} recreated on the other nodes`, async () => {
        const all = await pods('app=web');
        const ps = live(all);
        return (
          all.every((p) => !lostUids.has(p.metadata!.uid!)) &&
          ps.length === replicas &&
          ps.every((p) => isPodReady(p) && p.spec!.nodeName !== victimName) &&
          ps
        );
      }, 4 * MINUTE, 1000);
      const t2 = Date.now();
      note(t, `node loss (${victimName}, ${lost.length} web pods; grace ${GRACE}, eviction ${EVICTION}): NotReady after ${secs(t1 - t0)}, pods Running elsewhere ${secs(t2 - t1)} later; now ${JSON.stringify(placement(moved))}`);

      await waitFor('the endpoints to be the recreated pods', async () => JSON.stringify(await endpointIps('web')) === JSON.stringify(moved.map((p) => p.status!.podIP!).sort()), MINUTE, 500);
      const r = await requestsFrom(CLIENT, 'http://web/', 10);
      assert.equal(r.failed, 0, r.out);
      assert.ok([...r.answered.keys()].every((n) => moved.some((p) => p.metadata!.name === n)), r.out);
    } finally {
      if (cut) await mustRun('ip', ['link', 'set', victim.hostVeth, 'up']);
    }

    // Back on the network: Ready again, and the agent stops what was evicted meanwhile.
    const t3 = Date.now();
    await waitFor(`${victimName} Ready again`, async () => nodeReady(await c.client.get('Node', undefined, victimName))?.status === 'True', 4 * MINUTE, 1000);
    const stale = async () => {
      const existing = new Set((await pods()).map((p) => p.metadata!.uid!));
      return (await runtimeContainers(victim)).filter((x) => !x.podUid || !existing.has(x.podUid)).map((x) => x.id);
    };
    await waitFor(`${victimName} to stop the containers of its evicted pods`, async () => (await stale()).length === 0, 4 * MINUTE, 1000).catch(async (e: Error) =>
      assert.fail(`${e.message}: ${(await stale()).join(', ')}`),
    );
    note(t, `${victimName} back: Ready and its evicted containers gone ${secs(Date.now() - t3)} after the network returned`);
    // kubectl prints NotReady for a Ready condition that is False or Unknown.
    assert.match(listing, new RegExp(`^${victimName} +NotReady `, 'm'), `tug get nodes while ${victimName} was lost:\n${listing}`);
  });

  test('8. bad input: broken YAML, an invalid Deployment, an unknown kind → non-zero exit, a clear error, nothing stored', { timeout: 3 * MINUTE }, async () => {
    const file = async (name: string, text: string) => {
      const p = join(scratch, name);
      await writeFile(p, text);
      return p;
    };
    const cmsBefore = (await c.client.list('ConfigMap', { namespace: NS })).items.map((x) => x.metadata!.name).sort();
    const depsBefore = (await c.client.list('Deployment', { namespace: NS })).items.map((x) => x.metadata!.name).sort();

    const broken = await c.tug(['apply', '-f', await file('broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n data:\n  a: [1, 2\n')]);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /broken\.yaml \(document 1\): line \d+, column \d+/, broken.stderr);

    const invalid = await c.tug([
      'apply', '-f',
      await file('invalid.yaml', toYaml([{
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bad-deploy' },
        spec: { replicas: -2, selector: { matchLabels: { app: 'one' } }, template: { metadata: { labels: { app: 'two' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      }])),
    ]);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /Deployment "bad-deploy" is invalid/, invalid.stderr);
    assert.match(invalid.stderr, /spec\.replicas: .*must be greater than or equal to 0/, invalid.stderr);
    assert.match(invalid.stderr, /spec\.template\.metadata\.labels: .*selector does not match template labels/, invalid.stderr);

    const unknown = await c.tug(['apply', '-f', await file('unknown.yaml', 'apiVersion: example.com/v1\nkind: Frobnicator\nmetadata:\n  name: frob\nspec: {}\n')]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown kind "Frobnicator"; supported kinds: .*Deployment/, unknown.stderr);

    const typo = await c.tug([
      'apply', '-f',
      await file('typo.yaml', toYaml([{
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'typo' },
        spec: { replicaz: 3, selector: { matchLabels: { app: 'typo' } }, template: { metadata: { labels: { app: 'typo' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      }])),
    ]);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /spec\.replicaz: unknown field "replicaz"; did you mean "replicas"\?/, typo.stderr);

    for (const [kind, name] of [['ConfigMap', 'broken'], ['Deployment', 'bad-deploy'], ['Deployment', 'typo']] as const) {
      await assert.rejects(c.client.get(kind, NS, name), (e: unknown) => isNotFound(e), `${kind} ${name} must not be stored`);
    }
    const got = await c.tug(['get', 'deployment', 'bad-deploy']);
    assert.notEqual(got.code, 0);
    assert.match(got.stderr, /not found/);

    // Several documents: each is reported on its own; the good one is applied, the broken one names its document.
    const multi = await c.tug(['apply', '-f', await file('multi.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: multi-ok\ndata: {a: b}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: multi-bad\ndata: [1\n')]);
    assert.notEqual(multi.code, 0);
    assert.match(multi.stdout, /configmap\/multi-ok created/);
    assert.match(multi.stderr, /multi\.yaml \(document 2\)/, multi.stderr);
    await assert.rejects(c.client.get('ConfigMap', NS, 'multi-bad'), (e: unknown) => isNotFound(e));

    const cmsAfter = (await c.client.list('ConfigMap', { namespace: NS })).items.map((x) => x.metadata!.name).sort();
    const depsAfter = (await c.client.list('Deployment', { namespace: NS })).items.map((x) => x.metadata!.name).sort();
    assert.deepEqual(cmsAfter, [...cmsBefore, 'multi-ok'].sort(), 'only the valid document was stored');
    assert.deepEqual(depsAfter, depsBefore);
  });

  test('9. tug cluster down leaves nothing behind', { timeout: 5 * MINUTE }, async (t) => {
    const plan = c.plan;
    const supervisorPid = readSupervisorState(c.stateDir)?.pid;
    const t0 = Date.now();
    const r = await c.down();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`cluster "${c.name}" is gone`));
    note(t, `tug cluster down: ${secs(Date.now() - t0)}`);
    const left = await leftovers(plan, rulesBefore);
    for (const [kind, items] of Object.entries(left)) assert.deepEqual(items, [], `${kind} left behind`);
    if (supervisorPid) assert.ok(!(await run('ps', ['-p', String(supervisorPid), '-o', 'args='])).stdout.includes(c.stateDir), 'the supervisor is gone');
    if (c.etcdEndpoint) {
      const health = await fetch(`${c.etcdEndpoint}/health`).then((x) => x.text());
      assert.match(health, /"health":\s*"true"/, 'down leaves the external etcd alone');
    }
    const again = await c.tug(['cluster', 'down', '--name', c.name, '--state-dir', c.stateDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to remove/);
  });
});
