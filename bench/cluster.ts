// A control plane for a benchmark: a real etcd and the components as separate
// processes built from dist/, so each one's memory and CPU can be read from /proc.
import { join } from 'node:path';
import { ApiClient } from '../lib/client/api-client.js';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { freePort } from '../lib/testing/ports.js';
import { ProcessSet, type BenchProc } from './procs.js';

export type Component = 'scheduler' | 'controller-manager';

export interface BenchCluster {
  etcd: EtcdServer;
  /** apiserver host:port */
  server: string;
  client: ApiClient;
  procs: ProcessSet;
  apiserver: BenchProc;
  components: Map<Component, BenchProc>;
  /** name → pid of everything measured: etcd, apiserver, components */
  pids(): Map<string, number>;
  stop(): Promise<void>;
}

const SCRIPTS: Record<Component, string> = {
  scheduler: 'scheduler/main.js',
  'controller-manager': 'controllers/main.js',
};

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** With profileDir, each component runs under --cpu-prof and writes its profile to profileDir/<component>/ on exit. */
export async function startBenchCluster(opts: { name: string; components?: Component[]; profileDir?: string }): Promise<BenchCluster> {
  const nodeArgs = (comp: string) => (opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(opts.profileDir, comp)] : []);
  const procs = new ProcessSet();
  const etcd = await startEtcd();
  let client: ApiClient | undefined;
  try {
    const server = `127.0.0.1:${await freePort()}`;
    const apiserver = procs.node(`${opts.name}-apiserver`, 'apiserver/main.js', ['--etcd-servers', etcd.endpoint, '--listen', server], { nodeArgs: nodeArgs('apiserver') });
    client = new ApiClient(server, { timeoutMs: 60_000 });
    const c = client;
    await waitUntil('the apiserver to answer', async () => {
      if (apiserver.child.exitCode !== null) throw new Error(`apiserver exited:\n${apiserver.tail()}`);
      return c.version().then(() => true);
    }, 30_000, 200);
    const components = new Map<Component, BenchProc>();
    for (const comp of opts.components ?? []) {
      components.set(comp, procs.node(`${opts.name}-${comp}`, SCRIPTS[comp], ['--server', server], { nodeArgs: nodeArgs(comp) }));
    }
    return {
      etcd,
      server,
      client,
      procs,
      apiserver,
      components,
      pids: () => new Map([['etcd', etcd.pid], ['apiserver', apiserver.pid], ...[...components].map(([n, p]) => [n, p.pid] as [string, number])]),
      async stop() {
        c.close();
        await procs.stopAll();
        await etcd.stop();
      },
    };
  } catch (err) {
    client?.close();
    await procs.stopAll();
    await etcd.stop();
    throw err;
  }
}
