// Test support: a miniature node made of network namespaces, for testing the
// service proxy and DNS with real packets. A "node" namespace holds a bridge
// (the pod network's gateway) and an uplink to an "outside" namespace (where
// NodePort clients come from); each "pod" is a namespace with a veth on the
// bridge. Everything lives under a temp dir and in namespaces this creates,
// so the host's own interfaces and iptables are never touched; cleanup()
// removes all of it, processes included.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, deleteNetns, inNetns } from '../network/netns.js';
import { mustRun, runCommand, type CommandResult } from '../runtime/command.js';

export interface TestPod {
  name: string;
  netns: string;
  ip: string;
}

export interface TestTopology {
  dir: string;
  /** the node's namespace (where the proxy's rules go) */
  nodeNetns: string;
  /** the node's address on its uplink, where NodePorts are reached from outside */
  nodeIP: string;
  /** the pod network's gateway (the bridge's address in the node) */
  gateway: string;
  podCidr: string;
  outside: TestPod;
  pods: Map<string, TestPod>;
  /** runs argv inside a namespace; never throws for a non-zero exit */
  exec(netns: string, argv: string[], timeoutMs?: number): Promise<CommandResult>;
  /** `wget -q -O- url` from a namespace, bounded by `timeout` (busybox wget -T is broken) */
  fetch(netns: string, url: string, seconds?: number): Promise<CommandResult>;
  /** starts busybox httpd in a pod on port, answering `body` at /; resolves once it answers */
  serve(pod: string, port: number, body: string): Promise<void>;
  cleanup(): Promise<void>;
}

export interface TopologyOptions {
  pods: string[];
  /** /24 prefix of the pod network, default 10.244.7 */
  podNet?: string;
  /** /24 prefix of the uplink, default 192.168.77 */
  uplinkNet?: string;
}

const BUSYBOX = '/bin/busybox';

export async function createTestTopology(opts: TopologyOptions): Promise<TestTopology> {
  const podNet = opts.podNet ?? '10.244.7';
  const uplinkNet = opts.uplinkNet ?? '192.168.77';
  const dir = await mkdtemp(join(tmpdir(), 'tug-topology-'));
  const nsDir = join(dir, 'netns');
  const made: string[] = [];
  const children: ChildProcess[] = [];
  const pods = new Map<string, TestPod>();

  const inNs = (netns: string, argv: string[]) => {
    const [file, ...args] = inNetns(netns, argv);
    return mustRun(file!, args);
  };
  const exec = (netns: string, argv: string[], timeoutMs = 30_000) => {
    const [file, ...args] = inNetns(netns, argv);
    return runCommand(file!, args, { timeoutMs });
  };
  const fetch = (netns: string, url: string, seconds = 5) => exec(netns, ['timeout', String(seconds), BUSYBOX, 'wget', '-q', '-O-', url]);

  const cleanup = async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
    }
    // Deleting the namespaces deletes every interface, route and rule in them.
    for (const ns of made.splice(0).reverse()) await deleteNetns(ns).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  const newNs = async (name: string) => {
    const p = await createNetns(nsDir, name);
    made.push(p);
    await inNs(p, ['ip', 'link', 'set', 'lo', 'up']);
    return p;
  };

  try {
    const nodeNetns = await newNs('node');
    const gateway = `${podNet}.1`;
    await inNs(nodeNetns, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
    await inNs(nodeNetns, ['ip', 'addr', 'add', `${gateway}/24`, 'dev', 'cni0']);
    await inNs(nodeNetns, ['ip', 'link', 'set', 'cni0', 'up']);

    let n = 2;
    for (const name of opts.pods) {
      const netns = await newNs(name);
      const ip = `${podNet}.${n}`;
      const host = `veth${n}`;
      await inNs(nodeNetns, ['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await inNs(nodeNetns, ['ip', 'link', 'set', host, 'master', 'cni0']);
      // What the CNI bridge plugin's hairpinMode does: a pod may reach itself through a service.
      await inNs(nodeNetns, ['ip', 'link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on']);
      await inNs(nodeNetns, ['ip', 'link', 'set', host, 'up']);
      await inNs(netns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await inNs(netns, ['ip', 'link', 'set', 'eth0', 'up']);
      await inNs(netns, ['ip', 'route', 'add', 'default', 'via', gateway]);
      pods.set(name, { name, netns, ip });
      n++;
    }

    const outsideNs = await newNs('outside');
    const nodeIP = `${uplinkNet}.1`;
    const outsideIP = `${uplinkNet}.2`;
    await inNs(nodeNetns, ['ip', 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outsideNs]);
    await inNs(nodeNetns, ['ip', 'addr', 'add', `${nodeIP}/24`, 'dev', 'uplink']);
    await inNs(nodeNetns, ['ip', 'link', 'set', 'uplink', 'up']);
    // A node has a default route; packets for a service without endpoints follow it until the proxy refuses them.
    await inNs(nodeNetns, ['ip', 'route', 'add', 'default', 'via', outsideIP]);
    await inNs(outsideNs, ['ip', 'addr', 'add', `${outsideIP}/24`, 'dev', 'eth0']);
    await inNs(outsideNs, ['ip', 'link', 'set', 'eth0', 'up']);
    await inNs(outsideNs, ['ip', 'route', 'add', 'default', 'via', nodeIP]);

    const topo: TestTopology = {
      dir,
      nodeNetns,
      nodeIP,
      gateway,
      podCidr: `${podNet}.0/24`,
      outside: { name: 'outside', netns: outsideNs, ip: outsideIP },
      pods,
      exec,
      fetch,
      async serve(podName, port, body) {
        const pod = pods.get(podName);
        if (!pod) throw new Error(`no pod ${podName} in this topology`);
        const www = join(dir, 'www', `${podName}-${port}`);
        await mkdir(www, { recursive: true });
        await writeFile(join(www, 'index.html'), body);
        const [file, ...args] = inNetns(pod.netns, [BUSYBOX, 'httpd', '-f', '-p', `0.0.0.0:${port}`, '-h', www]);
        const child = spawn(file!, args, { stdio: 'ignore' });
        children.push(child);
        // Ask from the pod itself, so neither the proxy nor the bridge is involved yet.
        for (let i = 0; ; i++) {
          const r = await fetch(pod.netns, `http://${pod.ip}:${port}/`, 2);
          if (r.code === 0 && r.stdout === body) return;
          if (child.exitCode !== null || i > 100) throw new Error(`busybox httpd in ${podName} does not answer on ${port}: ${r.stderr}`);
          await new Promise((res) => setTimeout(res, 50));
        }
      },
      cleanup,
    };
    return topo;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
