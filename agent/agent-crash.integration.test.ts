// kill -9 of a real agent process: a new agent on the same state dir adopts
// the running containers (same PIDs, nothing started twice) and removes what
// belongs to a pod force-deleted while no agent was running.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startApiServer, type RunningApiServer } from '../apiserver/index.js';
import type { Pod, PodStatus } from '../lib/api/generated/types.js';
import { ApiClient } from '../lib/client/api-client.js';
import { createLogger } from '../lib/logging.js';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { startRegistry, type TestRegistry } from '../lib/testing/registry.js';
import type { NodeAgentOptions } from './agent.js';
import { RuncRuntime } from './runtime/runc.js';
import { startTestNode, type TestNode } from './sandbox/test-node.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const AGENT_PROCESS = join(HERE, 'testing', 'agent-process.js');

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
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
    await sleep(200);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('agent killed with SIGKILL', { timeout: 300_000 }, () => {
  let node: TestNode;
  let etcd: EtcdServer | undefined;
  let api: RunningApiServer | undefined;
  let registry: TestRegistry | undefined;
  let client: ApiClient;
  let opts: NodeAgentOptions;
  const children: ChildProcess[] = [];

  before(async () => {
    node = await startTestNode({ network: true });
    etcd = await startEtcd();
    api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
    client = new ApiClient(api.address);
    registry = await startRegistry();
    await run(process.execPath, [join(ROOT, 'scripts/images/build-busybox.mjs'), registry.address]);
    opts = {
      server: api.address,
      nodeName: node.name,
      stateDir: node.stateDir,
      cgroupParent: node.cgroupParent,
      podCIDR: node.podCidr!,
      cniBridge: node.bridge!,
      cniNetworkName: `tugtest-${node.name}`,
      hostNetns: node.nodeNetns!,
      address: '192.0.2.10',
      defaultRegistry: registry.address,
      statusIntervalMs: 1000,
      resyncIntervalMs: 1000,
      orphanGraceSeconds: 1,
    };
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await node?.cleanup();
    client?.close();
    await registry?.stop();
    await api?.stop();
    await etcd?.stop();
  });

  async function startAgentProcess(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [AGENT_PROCESS, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`agent process exited (${code}) before it was ready`)));
    });
    return child;
  }

  const status = async (name: string): Promise<PodStatus> => (await client.get('Pod', 'default', name)).status ?? {};
  const createPod = (name: string) =>
    client.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: node.name,
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'a', image: 'busybox', command: ['sleep', '3600'] },
          { name: 'b', image: 'busybox', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] },
        ],
      },
    });

  it('leaves the same containers running after kill -9 and a restart, and cleans up a pod deleted meanwhile', async () => {
    const first = await startAgentProcess();
    await createPod('keep');
    await createPod('doomed');
    for (const p of ['keep', 'doomed']) {
      await eventually(`${p} Running`, async () => {
        const s = await status(p);
        return s.phase === 'Running' && s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      });
    }
    const runtime = new RuncRuntime({ stateDir: node.stateDir });
    const before = new Map((await runtime.listContainers()).map((c) => [c.id, c.pid]));
    assert.equal(before.size, 6, 'two pods: two pause and four containers');
    const doomed = await client.get('Pod', 'default', 'doomed');
    const doomedUid = doomed.metadata!.uid!;

    first.kill('SIGKILL');
    await eventually('the agent process to die', async () => first.signalCode === 'SIGKILL');
    // While no agent runs, a pod is force-deleted: only the node itself can clean up after it.
    await client.delete('Pod', 'default', 'doomed', { gracePeriodSeconds: 0 });
    for (const pid of before.values()) assert.ok(pid && alive(pid), 'containers outlive their agent');

    const second = await startAgentProcess();
    await eventually('the doomed pod removed from the node', async () => (await runtime.listContainers()).every((c) => !c.id.startsWith(doomedUid)), 30_000);
    await sleep(4000); // several syncs of the surviving pod
    const after = await runtime.listContainers();
    const keepUid = (await client.get('Pod', 'default', 'keep')).metadata!.uid!;
    assert.deepEqual(after.map((c) => c.id).sort(), [...before.keys()].filter((id) => id.startsWith(keepUid)).sort(), 'no container was added');
    for (const c of after) assert.equal(c.pid, before.get(c.id), `${c.id} kept its pid`);
    for (const c of (await status('keep')).containerStatuses ?? []) assert.equal(c.restartCount, 0);
    await assert.rejects(stat(join(node.stateDir, 'pods', doomedUid)), 'the doomed pod dir is gone');
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountinfo.includes(doomedUid), 'nothing of the doomed pod is mounted');

    second.kill('SIGTERM');
    await eventually('the agent process to stop', async () => second.exitCode !== null);
    assert.equal(second.exitCode, 0);
  });
});
