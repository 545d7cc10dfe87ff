// One real node agent against a real etcd + apiserver, pulling a real busybox
// image from a real registry, running pods under runc in a test node's own
// network namespace (agent/sandbox/test-node.ts). Pods are created already
// bound (spec.nodeName), so no scheduler is needed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startApiServer, type RunningApiServer } from '../apiserver/index.js';
import type { Container, Pod, PodStatus } from '../lib/api/generated/types.js';
import { ApiClient } from '../lib/client/api-client.js';
import { isNotFound } from '../lib/errors.js';
import { createLogger } from '../lib/logging.js';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { startRegistry, type TestRegistry } from '../lib/testing/registry.js';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions } from './agent.js';
import { nsfsMountPoints, runInNetns } from './network/netns.js';
import { controllerDir } from './runtime/cgroups.js';
import { criLogLines } from './runtime/crilog.js';
import { startTestNode, type TestNode } from './sandbox/test-node.js';

const run = promisify(execFile);
// dist/agent → repository root.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUSYBOX_SCRIPT = join(ROOT, 'scripts/images/build-busybox.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const toInt = (s: string) => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (toInt(ip) & mask) === (toInt(net!) & mask);
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

describe('node agent on runc', { timeout: 600_000 }, () => {
  let node: TestNode;
  let etcd: EtcdServer | undefined;
  let api: RunningApiServer | undefined;
  let registry: TestRegistry | undefined;
  let client: ApiClient;
  let agent: NodeAgent | undefined;
  let agentOptions: NodeAgentOptions;
  const log = createLogger('agent-test', process.env.TUG_TEST_LOG_LEVEL ?? 'warn');

  before(async () => {
    node = await startTestNode({ network: true });
    etcd = await startEtcd();
    api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
    client = new ApiClient(api.address);
    registry = await startRegistry();
    await run(process.execPath, [BUSYBOX_SCRIPT, registry.address]);
    agentOptions = {
      client,
      nodeName: node.name,
      stateDir: node.stateDir,
      cgroupParent: node.cgroupParent,
      podCIDR: node.podCidr!,
      cniBridge: node.bridge!,
      cniNetworkName: `tugtest-${node.name}`,
      hostNetns: node.nodeNetns!,
      defaultRegistry: registry.address,
      reservedCpu: '100m',
      reservedMemory: '256Mi',
      agentPort: 10299,
      leaseRenewIntervalMs: 1000,
      statusIntervalMs: 1000,
      resyncIntervalMs: 2000,
      backoffInitialMs: 1000,
      backoffMaxMs: 4000,
      orphanGraceSeconds: 1,
      log,
    };
    agent = await startNodeAgent(agentOptions);
  });

  after(async () => {
    await agent?.stop().catch(() => undefined);
    // The test node's cleanup removes every container, sandbox, netns, mount and cgroup under its state dir and parent.
    await node?.cleanup();
    client?.close();
    await registry?.stop();
    await api?.stop();
    await etcd?.stop();
  });

  const getPod = (name: string) => client.get('Pod', 'default', name);
  const status = async (name: string): Promise<PodStatus> => (await getPod(name)).status ?? {};
  const cs = (s: PodStatus, name: string) => s.containerStatuses?.find((c) => c.name === name);
  const ready = (s: PodStatus) => s.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

  async function createPod(name: string, spec: Omit<NonNullable<Pod['spec']>, 'nodeName'>): Promise<Pod> {
    return client.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { ...spec, nodeName: node.name, terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 2 } });
  }

  async function containerId(pod: string, container: string): Promise<string> {
    return (await agent!.containerFor('default', pod, container)).containerId;
  }

  async function exec(pod: string, container: string, args: string[]) {
    return agent!.runtime.exec(await containerId(pod, container), args, { timeoutMs: 20_000 });
  }

  const bb = (name: string, command: string[], extra: Partial<Container> = {}): Container => ({ name, image: 'busybox', command, ...extra });

  it('registers its Node with capacity, allocatable, address, pod CIDR and a Lease', async () => {
    const n = await eventually('a Ready node', async () => {
      const x = await client.get('Node', undefined, node.name);
      return x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? x : undefined;
    });
    assert.equal(n.spec?.podCIDR, node.podCidr);
    assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], node.name);
    assert.equal(n.status?.capacity?.pods, '110');
    assert.ok(Number(n.status?.capacity?.cpu?.replace(/m$/, '')) > 0);
    assert.match(n.status?.capacity?.memory ?? '', /^\d+Ki$/);
    const capMem = Number(n.status!.capacity!.memory!.slice(0, -2));
    const allocMem = Number(n.status!.allocatable!.memory!.slice(0, -2));
    assert.equal(capMem - allocMem, 256 * 1024, 'reserved memory comes off allocatable');
    assert.equal(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10299);
    assert.ok(n.status?.addresses?.some((a) => a.type === 'InternalIP' && /^\d+\.\d+\.\d+\.\d+$/.test(a.address ?? '')));
    assert.match(n.status?.nodeInfo?.containerRuntimeVersion ?? '', /^runc:\/\/\d/);
    const lease = await client.get('Lease', 'kube-node-lease', node.name);
    assert.equal(lease.spec?.holderIdentity, node.name);
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    const renewed = await eventually('a lease renewal', async () => {
      const l = await client.get('Lease', 'kube-node-lease', node.name);
      return l.spec?.renewTime !== lease.spec?.renewTime ? l : undefined;
    }, 15_000);
    assert.ok(Date.parse(renewed.spec!.renewTime!) > Date.parse(lease.spec!.renewTime!));
  });

  it('runs a two-container pod: an httpd and a client fetching it over localhost, both Ready, with an IP from the node CIDR', async () => {
    await createPod('web', {
      containers: [
        bb('httpd', ['httpd', '-f', '-p', '80', '-h', '/var/www'], {
          resources: { limits: { cpu: '250m', memory: '64Mi' } },
          readinessProbe: { httpGet: { path: '/index.html', port: 80 }, periodSeconds: 1 },
          livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 },
        }),
        bb('client', ['sh', '-c', 'while true; do timeout 5 wget -q -O- http://localhost:80/ && echo fetched-ok; sleep 1; done']),
      ],
    });
    const s = await eventually('web Running and Ready', async () => {
      const st = await status('web');
      return st.phase === 'Running' && ready(st) ? st : undefined;
    });
    assert.ok(s.podIP && ipInCidr(s.podIP, node.podCidr!), `${s.podIP} is in ${node.podCidr}`);
    assert.equal(s.qosClass, 'Burstable');
    for (const c of ['httpd', 'client']) {
      assert.equal(cs(s, c)?.ready, true, `${c} ready`);
      assert.ok(cs(s, c)?.state?.running?.startedAt);
      assert.match(cs(s, c)?.containerID ?? '', /^runc:\/\//);
      assert.match(cs(s, c)?.imageID ?? '', /busybox@sha256:[0-9a-f]{64}$/);
    }
    // The client's log shows it fetching from the httpd over localhost.
    const where = await agent!.containerFor('default', 'web', 'client');
    const lines = await eventually('the client log', async () => {
      const entries = criLogLines(await readFile(where.logPath, 'utf8'));
      return entries.some((e) => e.includes('hello from busybox httpd')) && entries.includes('fetched-ok') ? entries : undefined;
    }, 30_000);
    assert.ok(lines.length >= 2);
    // The cpu limit is the CFS quota of the container's cgroup; the memory limit its memory limit.
    const info = await agent!.runtime.state(await containerId('web', 'httpd'));
    assert.ok(info?.cgroupsPath?.startsWith(`${node.cgroupParent}/burstable/pod`), info?.cgroupsPath);
    const cgroups = agent!.cgroups;
    if (cgroups.mode === 'v2') {
      assert.equal((await readFile(join(controllerDir(cgroups, 'cpu', info!.cgroupsPath!), 'cpu.max'), 'utf8')).trim(), '25000 100000');
    } else {
      assert.equal((await readFile(join(controllerDir(cgroups, 'cpu', info!.cgroupsPath!), 'cpu.cfs_quota_us'), 'utf8')).trim(), '25000');
      assert.equal((await readFile(join(controllerDir(cgroups, 'memory', info!.cgroupsPath!), 'memory.limit_in_bytes'), 'utf8')).trim(), String(64 * 2 ** 20));
    }
    // The pod's /etc/hosts names it by its IP.
    const hosts = await exec('web', 'client', ['cat', '/etc/hosts']);
    assert.match(hosts.stdout, new RegExp(`^${s.podIP!.replace(/\./g, '\\.')}\\tweb$`, 'm'));
  });

  it('passes env, args and workingDir, shares an emptyDir, mounts configMap files, and runs init containers first', async () => {
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'default' }, data: { greeting: 'hello', 'extra.conf': 'x=1\n' } });
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secret', namespace: 'default' }, stringData: { token: 's3cret' } });
    await createPod('config-pod', {
      volumes: [
        { name: 'shared', emptyDir: {} },
        { name: 'config', configMap: { name: 'app-config', items: [{ key: 'greeting', path: 'greeting.txt' }] } },
        { name: 'secret', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
      ],
      initContainers: [bb('setup', ['sh', '-c', 'echo init-done > /shared/init.txt'], { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] })],
      containers: [
        bb('writer', ['sh', '-c', 'echo "$GREETING-$POD_NAME-$POD_IP-$TOKEN" > /shared/out.txt; pwd > /shared/pwd.txt; echo "$@" > /shared/args.txt; exec sleep 3600', 'sh'], {
          args: ['one', '$(GREETING)'],
          workingDir: '/tmp',
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'token' } } },
          ],
          volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
        }),
        bb('reader', ['sleep', '3600'], {
          volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'config', mountPath: '/etc/config' }, { name: 'secret', mountPath: '/var/run/secret' }],
        }),
      ],
    });
    const s = await eventually('config-pod Running', async () => {
      const st = await status('config-pod');
      return st.phase === 'Running' && ready(st) ? st : undefined;
    });
    const init = s.initContainerStatuses?.[0];
    assert.equal(init?.state?.terminated?.reason, 'Completed');
    assert.equal(init?.state?.terminated?.exitCode, 0);
    assert.equal(s.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    const read = async (file: string) => (await exec('config-pod', 'reader', ['cat', file])).stdout.trim();
    assert.equal(await eventually('out.txt', async () => (await read('/shared/out.txt')) || undefined), `hello-config-pod-${s.podIP}-s3cret`);
    assert.equal(await read('/var/run/secret/token'), 's3cret');
    assert.equal((await exec('config-pod', 'reader', ['stat', '-L', '-c', '%a', '/var/run/secret/token'])).stdout.trim(), '400');
    const uid = (await getPod('config-pod')).metadata!.uid!;
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(mountinfo.split('\n').some((l) => l.includes(`${uid}/volumes/secret/secret `) && l.includes(' - tmpfs ')), 'secrets live on tmpfs');
    assert.equal(await read('/shared/pwd.txt'), '/tmp');
    assert.equal(await read('/shared/args.txt'), 'one hello');
    assert.equal(await read('/shared/init.txt'), 'init-done');
    assert.equal(await read('/etc/config/greeting.txt'), 'hello');
    const ls = await exec('config-pod', 'reader', ['ls', '/etc/config']);
    assert.deepEqual(ls.stdout.trim().split(/\s+/), ['greeting.txt']);
    const write = await exec('config-pod', 'reader', ['sh', '-c', 'echo x > /etc/config/new']);
    assert.notEqual(write.exitCode, 0, 'configMap volumes are read-only');
    // A pod that does not change is not written again, however often it is synced.
    const rv = (await getPod('config-pod')).metadata?.resourceVersion;
    await sleep(5000);
    assert.equal((await getPod('config-pod')).metadata?.resourceVersion, rv, 'no status write without a change');
  });

  it('replaces a pod sandbox whose pause process died, restarting its containers', async () => {
    await createPod('phoenix', { containers: [bb('app', ['sleep', '3600'])] });
    const first = await eventually('phoenix Ready', async () => {
      const st = await status('phoenix');
      return ready(st) ? st : undefined;
    });
    const uid = (await getPod('phoenix')).metadata!.uid!;
    const sandbox = await agent!.sandboxes()!.get(uid);
    assert.ok(sandbox?.pausePid);
    process.kill(sandbox.pausePid, 'SIGKILL');
    const again = await eventually('phoenix Ready on a new sandbox', async () => {
      const st = await status('phoenix');
      const app = cs(st, 'app');
      return ready(st) && app?.restartCount === 1 && app.containerID !== cs(first, 'app')?.containerID ? st : undefined;
    });
    assert.ok(ipInCidr(again.podIP!, node.podCidr!));
    const fresh = await agent!.sandboxes()!.get(uid);
    assert.notEqual(fresh?.pausePid, sandbox.pausePid);
    // The old container's root filesystem is unmounted with it.
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(`${uid}/containers/`));
    assert.equal(mounts.length, 1, mounts.join('\n'));
    await client.delete('Pod', 'default', 'phoenix');
  });

  it('reports a container killed for exceeding its memory limit as OOMKilled and restarts it', async () => {
    await createPod('hog', {
      containers: [bb('hog', ['sh', '-c', 'a=x; while true; do a="$a$a"; done'], { resources: { limits: { memory: '32Mi' } } })],
    });
    const s = await eventually('an OOMKilled restart', async () => {
      const st = cs(await status('hog'), 'hog');
      const term = st?.lastState?.terminated ?? st?.state?.terminated;
      return (st?.restartCount ?? 0) >= 1 && term?.reason === 'OOMKilled' ? st : undefined;
    }, 90_000);
    assert.equal((s.lastState?.terminated ?? s.state?.terminated)?.exitCode, 137);
  });

  it('restarts a container whose liveness probe fails and clears Ready when a readiness probe fails', async () => {
    await createPod('probed', {
      containers: [
        bb('live', ['sh', '-c', 'touch /tmp/alive; exec sleep 3600'], { livenessProbe: { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 } }),
        bb('ready', ['sh', '-c', 'touch /tmp/ready; exec sleep 3600'], { readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 } }),
      ],
    });
    await eventually('probed Ready', async () => ready(await status('probed')));
    const before = cs(await status('probed'), 'live')!;
    assert.equal(before.restartCount, 0);
    assert.equal((await exec('probed', 'live', ['rm', '/tmp/alive'])).exitCode, 0);
    const restarted = await eventually('a liveness restart', async () => {
      const st = cs(await status('probed'), 'live');
      return (st?.restartCount ?? 0) >= 1 && st?.state?.running ? st : undefined;
    });
    assert.notEqual(restarted.containerID, before.containerID);
    assert.ok(restarted.lastState?.terminated, 'the killed attempt is the last state');

    assert.equal((await exec('probed', 'ready', ['rm', '/tmp/ready'])).exitCode, 0);
    const unready = await eventually('Ready=False', async () => {
      const st = await status('probed');
      return !ready(st) && cs(st, 'ready')?.ready === false ? st : undefined;
    });
    assert.equal(unready.phase, 'Running');
    assert.equal(cs(unready, 'ready')?.restartCount, 0, 'readiness never restarts');
    assert.equal((await exec('probed', 'ready', ['touch', '/tmp/ready'])).exitCode, 0);
    await eventually('Ready again', async () => ready(await status('probed')));
  });

  it('reports an image that cannot be pulled as ErrImagePull, then ImagePullBackOff', async () => {
    await createPod('no-image', { containers: [bb('app', ['true'], { image: 'does-not-exist:1.0' })] });
    const reasons = new Set<string>();
    await eventually('ImagePullBackOff', async () => {
      const reason = cs(await status('no-image'), 'app')?.state?.waiting?.reason;
      if (reason) reasons.add(reason);
      return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff');
      // ErrImagePull lasts only from a failed pull to the next sync: look often.
    }, 60_000, 10);
    assert.equal((await status('no-image')).phase, 'Pending');
  });

  it('survives an abrupt stop: a new agent adopts the same containers (same PIDs, no duplicates) and catches exits meanwhile', async () => {
    const pods = ['web', 'config-pod', 'probed'];
    const pidsBefore = new Map<string, number>();
    for (const c of await agent!.runtime.listContainers()) if (c.status === 'running' && c.pid) pidsBefore.set(c.id, c.pid);
    const idsBefore = (await agent!.runtime.listContainers()).map((c) => c.id).sort();
    const restartsBefore = new Map<string, number>();
    for (const p of pods) for (const c of (await status(p)).containerStatuses ?? []) restartsBefore.set(`${p}/${c.name}`, c.restartCount ?? 0);

    // Stop without cleanup: the containers stay under their conmon monitors.
    await agent!.stop();
    agent = undefined;
    // While no agent runs, the client container of `web` dies.
    const clientId = idsBefore.find((id) => id.includes('-client-'))!;
    const clientPid = pidsBefore.get(clientId)!;
    process.kill(clientPid, 'SIGKILL');
    await eventually('the client to die', async () => !alive(clientPid), 10_000);

    agent = await startNodeAgent(agentOptions);
    const web = await eventually('the client restarted by the new agent', async () => {
      const st = await status('web');
      const client = cs(st, 'client');
      return client?.restartCount === (restartsBefore.get('web/client') ?? 0) + 1 && client.state?.running && ready(st) ? st : undefined;
    });
    assert.equal(cs(web, 'client')?.lastState?.terminated?.exitCode, 137);
    // Let several syncs pass, then compare.
    await sleep(5000);
    for (const [id, pid] of pidsBefore) {
      if (id === clientId || id.includes('hog')) continue;
      const info = await agent.runtime.state(id);
      assert.equal(info?.status, 'running', `${id} still running`);
      assert.equal(info?.pid, pid, `${id} kept its pid`);
    }
    for (const p of pods) {
      for (const c of (await status(p)).containerStatuses ?? []) {
        if (p === 'web' && c.name === 'client') continue;
        assert.equal(c.restartCount, restartsBefore.get(`${p}/${c.name}`), `${p}/${c.name} was not restarted`);
      }
    }
    const running = (await agent.runtime.listContainers()).filter((c) => c.status === 'running');
    const perName = new Map<string, number>();
    for (const c of running) {
      const key = `${c.annotations['tugboat.pod.uid']}/${c.annotations['tugboat.container.name']}`;
      perName.set(key, (perName.get(key) ?? 0) + 1);
    }
    assert.deepEqual([...perName.values()].filter((n) => n > 1), [], 'no container runs twice');
  });

  it('deletes pods gracefully and leaves no process, mount, netns, veth or cgroup behind', async () => {
    const names = ['web', 'config-pod', 'hog', 'probed', 'no-image'];
    const pids: number[] = [];
    // A container that handles SIGTERM gets it first and can finish cleanly; it reports through a hostPath.
    const out = join(node.stateDir, 'graceful-out');
    await createPod('graceful', {
      terminationGracePeriodSeconds: 20,
      volumes: [{ name: 'out', hostPath: { path: out, type: 'DirectoryOrCreate' } }],
      containers: [bb('app', ['sh', '-c', 'trap "echo terminated > /out/term; exit 0" TERM; while true; do sleep 0.2; done'], { volumeMounts: [{ name: 'out', mountPath: '/out' }] })],
    });
    await eventually('graceful Running', async () => ready(await status('graceful')));
    names.push('graceful');
    for (const c of await agent!.runtime.listContainers()) {
      if (c.pid) pids.push(c.pid);
      if (c.conmonPid) pids.push(c.conmonPid);
    }
    const podDirs = (await readdir(join(node.stateDir, 'pods'))).map((u) => join(node.stateDir, 'pods', u));
    const started = Date.now();
    for (const n of names) await client.delete('Pod', 'default', n);
    await eventually('every pod gone from the API', async () => {
      for (const n of names) {
        try {
          await getPod(n);
          return false;
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      return true;
    }, 90_000);
    await eventually('every process gone', async () => pids.every((p) => !alive(p) || readFile(`/proc/${p}/stat`, 'utf8').then((t) => t.split(' ')[2] === 'Z', () => true)), 20_000);
    assert.deepEqual(await agent!.runtime.listContainers(), []);
    assert.equal((await readFile(join(out, 'term'), 'utf8')).trim(), 'terminated', 'SIGTERM came first');
    assert.ok(Date.now() - started < 20_000, 'a container that exits on SIGTERM does not wait out the grace period');
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    for (const d of podDirs) {
      assert.ok(!mountinfo.includes(d), `nothing mounted under ${d}`);
      await assert.rejects(stat(d), `${d} is removed`);
    }
    assert.deepEqual(nsfsMountPoints(mountinfo).filter((m) => m.startsWith(join(node.stateDir, 'netns'))), []);
    assert.deepEqual(await readdir(join(node.stateDir, 'netns')).catch(() => []), []);
    assert.doesNotMatch(await runInNetns(node.nodeNetns!, ['ip', '-o', 'link']), /veth/);
    const memRoot = agent!.cgroups.mode === 'v2' ? agent!.cgroups.unified! : agent!.cgroups.v1.memory!;
    for (const tier of ['', '/burstable', '/besteffort']) {
      const left = (await readdir(join(memRoot, node.cgroupParent + tier)).catch(() => [] as string[])).filter((n) => n.startsWith('pod'));
      assert.deepEqual(left, [], `no pod cgroups in ${node.cgroupParent}${tier}`);
    }
  });
});
