// CNI plugins run for real: a test network namespace acts as the node (its own
// bridge, iptables rules), pod namespaces are attached to it and detached again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '../runtime/command.js';
import { bridgeConfList, CniNetwork } from './cni.js';
import { createNetns, deleteNetns, listNetns, nsfsMountPoints, runInNetns } from './netns.js';

describe('CNI bridge network in a node namespace', { timeout: 120_000 }, () => {
  const suffix = randomBytes(5).toString('hex');
  const bridge = `tc${suffix}`;
  const subnet = '10.88.3.0/24';
  let dir: string;
  let nodeNs: string;
  let cni: CniNetwork;
  let hostLinksBefore: string;

  before(async () => {
    hostLinksBefore = (await runCommand('ip', ['-o', 'link'])).stdout;
    dir = await mkdtemp(join(tmpdir(), `tug-cni-${suffix}-`));
    nodeNs = await createNetns(join(dir, 'netns'), `node-${suffix}`);
    cni = new CniNetwork({
      conflist: bridgeConfList({ name: `tugtest-${suffix}`, bridge, subnet, dataDir: join(dir, 'ipam'), ipMasq: true }),
      cacheDir: join(dir, 'cache'),
      hostNetns: nodeNs,
    });
  });
  after(async () => {
    for (const ns of await listNetns(join(dir, 'netns'))) await deleteNetns(join(dir, 'netns', ns)).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each pod an address from the subnet, a default route, and reachability from the node', async () => {
    const podA = await createNetns(join(dir, 'netns'), `a-${suffix}`);
    const podB = await createNetns(join(dir, 'netns'), `b-${suffix}`);
    const a = await cni.add({ containerId: `sa-${suffix}`, netnsPath: podA, args: { K8S_POD_NAME: 'a', K8S_POD_NAMESPACE: 'default' } });
    const b = await cni.add({ containerId: `sb-${suffix}`, netnsPath: podB });
    assert.match(a.ip, /^10\.88\.3\.\d+$/);
    assert.match(b.ip, /^10\.88\.3\.\d+$/);
    assert.notEqual(a.ip, b.ip);
    assert.equal(a.gateway, '10.88.3.1');
    assert.equal(a.interfaceName, 'eth0');
    assert.deepEqual(await cni.status(`sa-${suffix}`), a);

    assert.match(await runInNetns(podA, ['ip', 'route']), /^default via 10\.88\.3\.1 dev eth0/m);
    assert.match(await runInNetns(podA, ['ip', '-o', 'link', 'show', 'lo']), /state UNKNOWN|LOWER_UP/, 'loopback is up');
    // Pods reach each other and the node reaches them, through the node's bridge.
    await runInNetns(podA, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', b.ip]);
    await runInNetns(nodeNs, ['/bin/busybox', 'ping', '-c', '1', '-W', '5', a.ip]);
    // The bridge plugin's masquerade rules are in the node's namespace only.
    assert.match(await runInNetns(nodeNs, ['iptables-save', '-t', 'nat']), new RegExp(`-s ${a.ip.replace(/\./g, '\\.')}/32`));
    assert.equal((await runCommand('ip', ['-o', 'link'])).stdout.includes(bridge), false, 'no bridge on the host');

    await cni.check({ containerId: `sa-${suffix}`, netnsPath: podA });

    await cni.del({ containerId: `sa-${suffix}`, netnsPath: podA });
    await cni.del({ containerId: `sa-${suffix}`, netnsPath: podA });
    assert.equal(await cni.status(`sa-${suffix}`), undefined);
    assert.doesNotMatch(await runInNetns(podA, ['ip', '-o', 'link']), /eth0/);
    assert.doesNotMatch(await runInNetns(nodeNs, ['iptables-save', '-t', 'nat']), new RegExp(`-s ${a.ip.replace(/\./g, '\\.')}/32`));
    // host-local released the address.
    await assert.rejects(stat(join(dir, 'ipam', `tugtest-${suffix}`, a.ip)));

    await cni.del({ containerId: `sb-${suffix}`, netnsPath: podB });
    assert.doesNotMatch(await runInNetns(nodeNs, ['ip', '-o', 'link']), /veth/);
    await deleteNetns(podA);
    await deleteNetns(podB);
    await deleteNetns(podA);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!nsfsMountPoints(mounts).includes(podA) && !nsfsMountPoints(mounts).includes(podB));
    await assert.rejects(stat(podA));
    assert.equal((await runCommand('ip', ['-o', 'link'])).stdout.split('\n').filter((l) => l.includes('veth')).length,
      hostLinksBefore.split('\n').filter((l) => l.includes('veth')).length, 'no veth added to the host');
  });

  it('treats DEL of a sandbox never attached, or whose namespace is gone, as done', async () => {
    await cni.del({ containerId: `never-${suffix}`, netnsPath: join(dir, 'netns', 'missing') });
    const pod = await createNetns(join(dir, 'netns'), `c-${suffix}`);
    await cni.add({ containerId: `sc-${suffix}`, netnsPath: pod });
    await deleteNetns(pod);
    await cni.del({ containerId: `sc-${suffix}`, netnsPath: pod });
    assert.equal(await cni.status(`sc-${suffix}`), undefined);
  });

  it('undoes a failed ADD and says what went wrong', async () => {
    await assert.rejects(
      cni.add({ containerId: `bad-${suffix}`, netnsPath: join(dir, 'netns', 'does-not-exist') }),
      /CNI bridge ADD for bad-.* failed: .*(no such file|does not exist|failed to open)/i,
    );
    assert.equal(await cni.status(`bad-${suffix}`), undefined);
  });
});
