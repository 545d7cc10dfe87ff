// A throwaway "node" for integration tests against real runc: its own state
// dir, runc root and cgroup parent, and optionally its own network namespace
// acting as the node's host, with a CNI bridge inside it. Everything is named
// with a random suffix so parallel runs never collide, and cleanup() removes
// all of it, whatever state a failed test left behind.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxRootfs, mountOverlay, type BusyboxRootfs, type Overlay } from '../../lib/testing/rootfs.js';
import { bridgeConfList, CniNetwork } from '../network/cni.js';
import { createNetns, deleteNetns, listNetns, mountPoints } from '../network/netns.js';
import { readCgroupLayout, removeCgroup, type CgroupLayout } from '../runtime/cgroups.js';
import { runCommand } from '../runtime/command.js';
import { RuncRuntime } from '../runtime/runc.js';
import { SandboxManager } from './sandbox.js';

export interface TestNodeOptions {
  /** Give the node a network namespace with a CNI bridge network for pods. */
  network?: boolean;
  /** The node's pod CIDR; default a random 10.244.N.0/24 (private to the node's namespace anyway). */
  podCidr?: string;
}

export interface TestNode {
  /** Unique per node: `t<12 hex>`. */
  readonly name: string;
  readonly stateDir: string;
  readonly cgroupParent: string;
  readonly cgroups: CgroupLayout;
  readonly runtime: RuncRuntime;
  readonly sandboxes: SandboxManager;
  /** A busybox rootfs to layer containers on. */
  readonly rootfs: BusyboxRootfs;
  readonly nodeNetns?: string;
  readonly network?: CniNetwork;
  readonly podCidr?: string;
  readonly bridge?: string;
  /** A writable overlay over the busybox rootfs for one container; removed by cleanup(). */
  overlay(name: string): Promise<Overlay>;
  /** Removes every container, sandbox, namespace, mount, cgroup and file of this node. Safe to call twice. */
  cleanup(): Promise<void>;
}

export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const suffix = randomBytes(6).toString('hex');
  const name = `t${suffix}`;
  const stateDir = await mkdtemp(join(tmpdir(), `tug-node-${name}-`));
  const cgroupParent = `/tugtest-${name}`;
  const cgroups = await readCgroupLayout();
  const runtime = new RuncRuntime({ stateDir, cgroups });
  const overlays: Overlay[] = [];
  let rootfs: BusyboxRootfs | undefined;
  let nodeNetns: string | undefined;
  let network: CniNetwork | undefined;
  let podCidr: string | undefined;
  let bridge: string | undefined;
  let sandboxes: SandboxManager | undefined;

  const cleanup = async () => {
    const errors: string[] = [];
    const step = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push((err as Error).message);
      }
    };
    if (sandboxes) {
      for (const s of await sandboxes.list().catch(() => [])) await step(() => sandboxes!.teardown(s.podUid, 0));
    }
    for (const c of await runtime.listContainers().catch(() => [])) await step(() => runtime.delete(c.id));
    for (const o of overlays.splice(0)) await step(() => o.remove());
    for (const ns of await listNetns(join(stateDir, 'netns'))) await step(() => deleteNetns(join(stateDir, 'netns', ns)));
    if (nodeNetns) await step(() => deleteNetns(nodeNetns!));
    await step(() => removeCgroup(cgroups, cgroupParent));
    await step(async () => {
      const below = mountPoints(await readFile('/proc/self/mountinfo', 'utf8'))
        .filter((m) => m.startsWith(`${stateDir}/`))
        .sort((a, b) => b.length - a.length);
      for (const m of below) await runCommand('umount', ['-l', m]);
    });
    await step(() => rm(stateDir, { recursive: true, force: true }));
    if (rootfs) await step(() => rootfs!.remove());
    if (errors.length) throw new Error(`test node ${name} cleanup: ${errors.join('; ')}`);
  };

  try {
    rootfs = await buildBusyboxRootfs({ dir: join(stateDir, 'busybox-rootfs') });
    if (options.network) {
      nodeNetns = await createNetns(join(stateDir, 'node-netns'), name);
      await runCommand('nsenter', [`--net=${nodeNetns}`, '--', 'ip', 'link', 'set', 'lo', 'up']);
      podCidr = options.podCidr ?? `10.244.${1 + (parseInt(suffix.slice(0, 2), 16) % 250)}.0/24`;
      bridge = `tb${suffix.slice(0, 10)}`;
      network = new CniNetwork({
        conflist: bridgeConfList({ name: `tugtest-${name}`, bridge, subnet: podCidr, dataDir: join(stateDir, 'cni', 'ipam'), ipMasq: true }),
        cacheDir: join(stateDir, 'cni', 'cache'),
        hostNetns: nodeNetns,
      });
    }
    sandboxes = new SandboxManager({ runtime, cgroups, cgroupParent, stateDir, network, nodeResolvConf: 'nameserver 127.0.0.1\n' });
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  return {
    name,
    stateDir,
    cgroupParent,
    cgroups,
    runtime,
    sandboxes,
    rootfs,
    nodeNetns,
    network,
    podCidr,
    bridge,
    async overlay(containerName: string) {
      const o = await mountOverlay(rootfs!.path, join(stateDir, 'overlays', containerName));
      overlays.push(o);
      return o;
    },
    cleanup,
  };
}
