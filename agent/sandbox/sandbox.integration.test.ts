// A real pod on this machine: a pause sandbox in a CNI-wired network namespace
// inside a test "node" namespace, two busybox containers under runc joining it.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nsfsMountPoints, runInNetns } from '../network/netns.js';
import { cgroupExists, hierarchyRoots } from '../runtime/cgroups.js';
import { runCommand } from '../runtime/command.js';
import { RuncRuntime } from '../runtime/runc.js';
import { buildSpec } from '../runtime/spec.js';
import { ANNOTATION, SandboxManager, sandboxContainerConfig, type Sandbox } from './sandbox.js';
import { startTestNode, type TestNode } from './test-node.js';

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

/** Retries an exec until it exits 0 (e.g. a server still starting); returns the last result. */
async function execUntilOk(rt: RuncRuntime, id: string, args: string[], attempts = 50) {
  let r = await rt.exec(id, args);
  for (let i = 1; i < attempts && r.exitCode !== 0; i++) {
    await sleep(100);
    r = await rt.exec(id, args);
  }
  return r;
}

async function hostVeths(): Promise<string[]> {
  const r = await runCommand('ip', ['-o', 'link', 'show', 'type', 'veth']);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim());
}

describe('pod sandbox on runc with CNI', { timeout: 180_000 }, () => {
  let node: TestNode;
  let sandbox: Sandbox;
  const podUid = `pod-${Math.random().toString(16).slice(2, 10)}`;
  const podName = 'web-client';

  before(async () => {
    node = await startTestNode({ network: true });
  });
  after(async () => {
    await node?.cleanup();
  });

  async function startContainer(name: string, args: string[]): Promise<string> {
    const id = `${podUid}-${name}`;
    const rootfs = await node.overlay(id);
    const spec = buildSpec({
      rootfs: rootfs.target,
      args,
      ...sandboxContainerConfig(sandbox, id),
      annotations: { [ANNOTATION.podUid]: podUid, [ANNOTATION.containerName]: name, [ANNOTATION.containerType]: 'container' },
    });
    await node.runtime.create(id, spec, { logPath: `${sandbox.podDir}/logs/${name}.log` });
    await node.runtime.start(id);
    return id;
  }

  it('creates a sandbox with an IP from the node CIDR and the pod name as hostname', async () => {
    const vethsBefore = await hostVeths();
    sandbox = await node.sandboxes.create({ podUid, podName, podNamespace: 'default' });
    assert.equal(sandbox.state, 'ready');
    assert.ok(sandbox.pausePid && alive(sandbox.pausePid));
    assert.ok(sandbox.network, 'CNI gave the pod a network');
    assert.ok(ipInCidr(sandbox.network.ip, node.podCidr!), `${sandbox.network.ip} is in ${node.podCidr}`);
    // The pod's eth0 carries that address and a default route via the bridge.
    const addr = await runInNetns(sandbox.netnsPath, ['ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.match(addr, new RegExp(`inet ${sandbox.network.ip.replace(/\./g, '\\.')}/24`));
    const routes = await runInNetns(sandbox.netnsPath, ['ip', 'route']);
    assert.match(routes, /^default via \S+ dev eth0/m);
    // The bridge and the pod's veth live in the node's namespace, not the host's.
    const nodeLinks = await runInNetns(node.nodeNetns!, ['ip', '-o', 'link']);
    assert.match(nodeLinks, new RegExp(`: ${node.bridge}:`));
    assert.match(nodeLinks, /: veth/);
    assert.deepEqual(await hostVeths(), vethsBefore);
    const hosts = await readFile(sandbox.etcFiles.hosts, 'utf8');
    assert.match(hosts, new RegExp(`^${sandbox.network.ip.replace(/\./g, '\\.')}\\t${podName}$`, 'm'));
    // Asking again adopts the running sandbox instead of making a second one.
    const again = await node.sandboxes.create({ podUid, podName, podNamespace: 'default' });
    assert.equal(again.pausePid, sandbox.pausePid);
  });

  it('lets two containers talk over localhost and share IPC, but not see each other\'s processes', async () => {
    const server = await startContainer('server', ['sh', '-c', 'mkdir -p /tmp/www && echo hello-from-server > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']);
    const client = await startContainer('client', ['sleep', '3600']);

    const fetched = await execUntilOk(node.runtime, client, ['timeout', '5', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/']);
    assert.equal(fetched.exitCode, 0, fetched.stderr);
    assert.equal(fetched.stdout.trim(), 'hello-from-server');

    // The pod IP answers from the node's namespace too (through the bridge).
    const fromNode = await runCommand('nsenter', [
      `--net=${node.nodeNetns}`, '--', '/bin/busybox', 'timeout', '5', '/bin/busybox', 'wget', '-q', '-O-', `http://${sandbox.network!.ip}:8080/`,
    ]);
    assert.equal(fromNode.stdout.trim(), 'hello-from-server', fromNode.stderr);

    // System V IPC: a queue made in one container is visible in the other, not on the host.
    const made = await node.runtime.exec(server, ['ipcmk', '-Q']);
    assert.equal(made.exitCode, 0, made.stderr);
    const qid = /id:\s*(\d+)/.exec(made.stdout)?.[1];
    assert.ok(qid, `ipcmk printed a queue id: ${made.stdout}`);
    const seen = await node.runtime.exec(client, ['ipcs', '-q']);
    assert.equal(seen.exitCode, 0, seen.stderr);
    const idsIn = (text: string) => text.split('\n').map((l) => l.trim().split(/\s+/)[1]).filter((x) => x && /^\d+$/.test(x));
    assert.ok(idsIn(seen.stdout).includes(qid), `client sees queue ${qid}:\n${seen.stdout}`);
    const host = await runCommand('ipcs', ['-q']);
    const hostQueues = host.stdout.split('\n').filter((l) => /^0x/.test(l));
    const ownQueue = seen.stdout.split('\n').find((l) => l.trim().split(/\s+/)[1] === qid)!;
    assert.ok(!hostQueues.some((l) => l.split(/\s+/)[0] === ownQueue.trim().split(/\s+/)[0] && l.split(/\s+/)[1] === qid), 'the host does not see the pod queue');

    // Same UTS namespace: the pod name is the hostname in both.
    assert.equal((await node.runtime.exec(client, ['hostname'])).stdout.trim(), podName);
    assert.equal((await node.runtime.exec(server, ['hostname'])).stdout.trim(), podName);

    // Own PID namespaces: each sees its own init as PID 1 and nothing of the other.
    const psClient = (await node.runtime.exec(client, ['ps', '-o', 'pid,args'])).stdout;
    const psServer = (await node.runtime.exec(server, ['ps', '-o', 'pid,args'])).stdout;
    assert.match(psClient, /^\s*1\s+sleep 3600/m);
    assert.doesNotMatch(psClient, /httpd/);
    assert.match(psServer, /^\s*1\s+httpd/m);
    assert.doesNotMatch(psServer, /sleep 3600|sleep 3600|while :/);

    const listed = await node.sandboxes.containers(podUid);
    assert.deepEqual(listed.map((c) => c.id).sort(), [client, server].sort());
  });

  it('is found again by a fresh manager on the same state dir (an agent restart)', async () => {
    const runtime = new RuncRuntime({ stateDir: node.stateDir });
    const restarted = new SandboxManager({ runtime, cgroups: node.cgroups, cgroupParent: node.cgroupParent, stateDir: node.stateDir, network: node.network });
    const found = await restarted.get(podUid);
    assert.equal(found?.state, 'ready');
    assert.equal(found?.pausePid, sandbox.pausePid);
    assert.deepEqual(found?.network, sandbox.network);
    assert.deepEqual((await restarted.list()).map((s) => s.podUid), [podUid]);
    const adopted = await restarted.create({ podUid, podName, podNamespace: 'default' });
    assert.equal(adopted.pausePid, sandbox.pausePid, 'no second pause container');
    assert.equal((await restarted.containers(podUid)).length, 2);
  });

  it('replaces a sandbox whose pause process died, keeping the pod files', async () => {
    const uid = `${podUid}-b`;
    const first = await node.sandboxes.create({ podUid: uid, podName: 'phoenix', podNamespace: 'default' });
    const keep = `${first.podDir}/volumes-marker`;
    await writeFile(keep, 'still here');
    const rootfs = await node.overlay(`${uid}-c`);
    const spec = buildSpec({ rootfs: rootfs.target, args: ['sleep', '300'], ...sandboxContainerConfig(first, `${uid}-c`), annotations: { [ANNOTATION.podUid]: uid } });
    await node.runtime.create(`${uid}-c`, spec, { logPath: `${first.podDir}/logs/c.log` });
    await node.runtime.start(`${uid}-c`);

    process.kill(first.pausePid!, 'SIGKILL');
    assert.ok(await node.runtime.waitForExit(first.id, 10_000));
    assert.equal((await node.sandboxes.get(uid))?.state, 'notready');

    const second = await node.sandboxes.create({ podUid: uid, podName: 'phoenix', podNamespace: 'default' });
    assert.equal(second.state, 'ready');
    assert.notEqual(second.pausePid, first.pausePid);
    assert.ok(ipInCidr(second.network!.ip, node.podCidr!));
    assert.deepEqual(await node.sandboxes.containers(uid), [], 'the old sandbox took its containers with it');
    assert.equal(await readFile(keep, 'utf8'), 'still here');
    await node.sandboxes.teardown(uid, 0);
    await assert.rejects(stat(second.podDir));
  });

  it('tears down to nothing: no process, mount, netns, veth or cgroup', async () => {
    const containers = await node.sandboxes.containers(podUid);
    const pids = [sandbox.pausePid!, ...containers.map((c) => c.pid!), ...containers.map((c) => c.conmonPid!)];
    assert.ok(pids.every((p) => p > 0 && alive(p)));

    await node.sandboxes.teardown(podUid, 5);

    for (const p of pids) assert.ok(!alive(p) || (await readFile(`/proc/${p}/stat`, 'utf8')).split(' ')[2] === 'Z', `process ${p} is gone`);
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(sandbox.podDir), 'nothing is mounted under the pod dir');
    assert.ok(!nsfsMountPoints(mountinfo).includes(sandbox.netnsPath), 'the pod netns is unmounted');
    await assert.rejects(stat(sandbox.netnsPath), 'the pod netns file is gone');
    await assert.rejects(stat(sandbox.podDir), 'the pod dir is gone');
    const nodeLinks = await runInNetns(node.nodeNetns!, ['ip', '-o', 'link']);
    assert.doesNotMatch(nodeLinks, /veth/, 'no veth is left in the node namespace');
    assert.equal(await cgroupExists(node.cgroups, sandbox.cgroupPath), false);
    for (const root of hierarchyRoots(node.cgroups, true)) {
      await assert.rejects(stat(`${root}${sandbox.cgroupPath}`), `no ${root}${sandbox.cgroupPath}`);
    }
    assert.deepEqual(await node.runtime.listContainers(), []);
    assert.deepEqual(await node.sandboxes.list(), []);
    assert.equal(await node.network!.status(`${podUid}-pause`), undefined, 'the CNI cache entry is gone');
    // A second teardown finds nothing to do and succeeds.
    await node.sandboxes.teardown(podUid, 0);
  });
});
