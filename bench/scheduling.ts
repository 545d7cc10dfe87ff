// Item 2 of issue 8: pods bound per second end to end — hollow nodes, the
// real scheduler, controller-manager and apiserver processes over a real etcd,
// pods created as fast as a bounded number of workers can — beside the
// scheduler's in-memory decisions per second for the same nodes and pods.
// Item 4 (footprint) is read from the same processes while this runs.
import { Etcd3 } from 'etcd3';
import type { Pod } from '../lib/api/generated/types.js';
import { kindInfo } from '../lib/api/kinds.js';
import { decode } from '../lib/api/schema.js';
import { ApiClient, type Watch } from '../lib/client/api-client.js';
import { SchedulingCore, benchmarkScheduling, runSchedulingLoop, syntheticNode, syntheticPod } from '../scheduler/index.js';
import { startBenchCluster, waitUntil, type BenchCluster } from './cluster.js';
import { closedLoop } from './load.js';
import { CpuMeter, RssSampler, rssBytes, type BenchProc } from './procs.js';
import { fmtCores, fmtMs, fmtRate, fmtRatio, type Row } from './report.js';
import { median, medianByKey, percentiles, ratio, type Percentiles } from './stats.js';
import { benchPod, MAX_PODS_PER_NODE, nodeName, nodeSize, podShape } from './workload.js';

export interface SchedulingBenchOptions {
  nodes: number;
  pods: number;
  /** end-to-end rounds (pods deleted between rounds) */
  rounds: number;
  /** in-memory runs */
  memoryRuns: number;
  /** also run the in-memory loop at this scale (cheap), when the run itself is smaller */
  memoryTargetScale?: { nodes: number; pods: number };
  /** pod creates in flight at once */
  createConcurrency: number;
  /** processes the hollow nodes are spread over */
  fleets: number;
  roundTimeoutMs: number;
  /** run the components under --cpu-prof, writing here */
  profileDir?: string;
  log: (line: string) => void;
}

export interface RoundResult {
  pods: number;
  bound: number;
  createdPerSecond: number;
  boundPerSecond: number;
  createToBound: Percentiles;
  /** create request → the pod's first event at the bench's own apiserver watch of all pods */
  watchLag: Percentiles;
  /** the same, seen by a raw etcd3 watch on the pods' keys: the reference for watchLag */
  etcdWatchLag: Percentiles;
  /** bound per second and create → bound, by when the binding was committed in etcd (seen by the raw watch) */
  etcdBoundPerSecond: number;
  etcdCreateToBound: Percentiles;
  cpu: Map<string, number>;
  complete: boolean;
}

export interface SchedulingBenchResult {
  rows: Row[];
  memory: { sameWorkload: number; withOwners: number; atTargetScale?: number };
  endToEnd: {
    boundPerSecond: number;
    createdPerSecond: number;
    rounds: RoundResult[];
    /** medians over the complete rounds */
    cpu: Map<string, number>;
    watchLagP50: number;
    etcdWatchLagP50: number;
    etcdBoundPerSecond: number;
  };
  /** process name → bytes, right after the control plane started (no nodes, no pods) */
  rssStart: Map<string, number>;
  /** process name → bytes */
  rssPeak: Map<string, number>;
  rssAfter: Map<string, number>;
  idleHollowAgentRss?: number;
  hollowNodesPerFleet: number;
}

const NS = 'default';

/** The scheduler's loop in memory over exactly the nodes and pods the end-to-end run uses. */
export function sameWorkloadInMemory(nodes: number, pods: number): { decisions: number; scheduled: number; perSecond: number } {
  const core = new SchedulingCore({});
  for (let i = 0; i < nodes; i++) {
    const s = nodeSize(i);
    core.cache.addNode(syntheticNode(nodeName(i), s.cpus, s.memory, MAX_PODS_PER_NODE));
  }
  for (let i = 0; i < pods; i++) {
    const s = podShape(i);
    core.queue.add(syntheticPod(`pod-${i}`, s.cpu, s.memory));
  }
  const t0 = performance.now();
  const r = runSchedulingLoop(core);
  const ms = performance.now() - t0;
  return { decisions: r.decisions, scheduled: r.placements.size, perSecond: (r.decisions * 1000) / ms };
}

export async function runSchedulingBench(opts: SchedulingBenchOptions): Promise<SchedulingBenchResult> {
  // In memory first, while nothing else of this run competes for the CPU.
  const same: number[] = [];
  const owners: number[] = [];
  let scheduledInMemory = 0;
  for (let run = 0; run < opts.memoryRuns; run++) {
    const r = sameWorkloadInMemory(opts.nodes, opts.pods);
    scheduledInMemory = r.scheduled;
    same.push(r.perSecond);
    owners.push(benchmarkScheduling({ nodes: opts.nodes, pods: opts.pods }).decisionsPerSecond);
  }
  const target = opts.memoryTargetScale;
  const atTarget: number[] = [];
  if (target && (target.nodes !== opts.nodes || target.pods !== opts.pods)) {
    for (let run = 0; run < opts.memoryRuns; run++) atTarget.push(sameWorkloadInMemory(target.nodes, target.pods).perSecond);
  }
  const memory = { sameWorkload: median(same), withOwners: median(owners), atTargetScale: atTarget.length ? median(atTarget) : undefined };
  opts.log(`scheduling: in memory ${fmtRate(memory.sameWorkload)} decisions (${scheduledInMemory}/${opts.pods} placed)` + (memory.atTargetScale ? `; ${fmtRate(memory.atTargetScale)} at ${target!.nodes} nodes / ${target!.pods} pods` : ''));

  const cluster = await startBenchCluster({ name: 'sched', components: ['scheduler', 'controller-manager'], profileDir: opts.profileDir });
  const fleets: BenchProc[] = [];
  let idle: BenchProc | undefined;
  const creators = Array.from({ length: 4 }, () => new ApiClient(cluster.server, { timeoutMs: 120_000 }));
  let watch: Watch<Pod> | undefined;
  let rawEtcd: Etcd3 | undefined;
  let pump: Promise<void> | undefined;
  try {
    await sleep(2000);
    const rssStart = new Map([...cluster.pids()].map(([n, pid]) => [n, rssBytes(pid) ?? Number.NaN] as [string, number]));
    const perFleet = Math.ceil(opts.nodes / opts.fleets);
    const t0 = performance.now();
    for (let f = 0; f * perFleet < opts.nodes; f++) {
      const count = Math.min(perFleet, opts.nodes - f * perFleet);
      fleets.push(cluster.procs.node(`hollow-fleet-${f}`, 'bench/hollow-fleet.js', ['--server', cluster.server, '--first', String(f * perFleet), '--count', String(count)], { stdout: true }));
    }
    await Promise.all(fleets.map((p) => fleetReady(p)));
    await waitUntil(`${opts.nodes} Ready nodes`, async () => {
      const { items } = await cluster.client.list('Node');
      return items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= opts.nodes;
    }, 120_000, 500);
    opts.log(`scheduling: ${opts.nodes} hollow nodes Ready in ${fmtMs(performance.now() - t0)}`);
    // Let the scheduler's node informer catch up with the last registrations.
    await sleep(2000);

    const pids = new Map([...cluster.pids(), ...fleets.map((f) => [f.name, f.pid] as [string, number]), ['bench', process.pid]]);
    const sampler = new RssSampler(pids).start();

    // One watch sees every pod event for the whole run.
    const bound = new Map<string, number>();
    const seen = new Map<string, number>();
    const running = new Set<string>();
    const etcdSeen = new Map<string, number>();
    rawEtcd = new Etcd3({ hosts: cluster.etcd.endpoint });
    const rawWatch = await rawEtcd.watch().prefix(`/registry/pods/${NS}/`).create();
    const etcdBound = new Map<string, number>();
    const podMessage = kindInfo('Pod').message;
    rawWatch.on('put', (kv) => {
      const name = kv.key.toString().slice(`/registry/pods/${NS}/`.length);
      const t = performance.now();
      if (!etcdSeen.has(name)) etcdSeen.set(name, t);
      if (!etcdBound.has(name) && decode<Pod>(podMessage, kv.value).spec?.nodeName) etcdBound.set(name, t);
    });
    const gone = new Set<string>();
    let watchError: unknown;
    const { resourceVersion } = await cluster.client.list('Pod', { namespace: NS });
    watch = cluster.client.watch('Pod', { namespace: NS, resourceVersion });
    const w = watch;
    pump = (async () => {
      for await (const ev of w) {
        const name = ev.object?.metadata?.name;
        if (!name) continue;
        if (!seen.has(name)) seen.set(name, performance.now());
        if (ev.type === 'DELETED') gone.add(name);
        else {
          if (ev.object.spec?.nodeName && !bound.has(name)) bound.set(name, performance.now());
          if (ev.object.status?.phase === 'Running') running.add(name);
        }
      }
    })().catch((err) => (watchError = err));

    const rounds: RoundResult[] = [];
    let lastNames: string[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const names = Array.from({ length: opts.pods }, (_, i) => `pod-r${round}-${i}`);
      const created = new Map<string, number>();
      const meter = new CpuMeter(pids).start();
      const start = performance.now();
      const load = await closedLoop(opts.createConcurrency, opts.pods, async (wk, i) => {
        created.set(names[i]!, performance.now());
        await creators[wk % creators.length]!.create(benchPod(names[i]!, i, NS));
      });
      const createdPerSecond = load.perSecond;
      if (load.errors) opts.log(`scheduling: ${load.errors} creates failed (${load.firstError})`);
      let complete = true;
      try {
        await waitUntil(`${opts.pods} pods bound`, () => {
          if (watchError) throw watchError;
          return names.every((n) => bound.has(n));
        }, opts.roundTimeoutMs, 20);
      } catch (err) {
        complete = false;
        opts.log(`scheduling: round ${round} incomplete: ${(err as Error).message}`);
      }
      const cpu = meter.read();
      const boundTimes = names.map((n) => bound.get(n)).filter((t): t is number => t !== undefined);
      const end = boundTimes.length ? Math.max(...boundTimes) : performance.now();
      const etcdBoundTimes = names.map((n) => etcdBound.get(n)).filter((t): t is number => t !== undefined);
      const etcdEnd = etcdBoundTimes.length ? Math.max(...etcdBoundTimes) : performance.now();
      const r: RoundResult = {
        etcdBoundPerSecond: (etcdBoundTimes.length * 1000) / (etcdEnd - start),
        etcdCreateToBound: percentiles(names.filter((n) => etcdBound.has(n)).map((n) => etcdBound.get(n)! - created.get(n)!)),
        pods: opts.pods,
        bound: boundTimes.length,
        createdPerSecond,
        boundPerSecond: (boundTimes.length * 1000) / (end - start),
        createToBound: percentiles(names.filter((n) => bound.has(n)).map((n) => bound.get(n)! - created.get(n)!)),
        watchLag: percentiles(names.filter((n) => seen.has(n)).map((n) => seen.get(n)! - created.get(n)!)),
        etcdWatchLag: percentiles(names.filter((n) => etcdSeen.has(n)).map((n) => etcdSeen.get(n)! - created.get(n)!)),
        cpu,
        complete,
      };
      rounds.push(r);
      opts.log(`scheduling: round ${round + 1}/${opts.rounds}: ${r.bound}/${r.pods} bound, ${fmtRate(r.boundPerSecond)} end to end (${fmtRate(r.etcdBoundPerSecond)} committed in etcd; created ${fmtRate(createdPerSecond)}); create→bound p50 ${fmtMs(r.createToBound.p50)}; create→event at an apiserver watch p50 ${fmtMs(r.watchLag.p50)} (raw etcd watch ${fmtMs(r.etcdWatchLag.p50)}); cores ${fmtCores(cpu)}`);
      lastNames = names;
      if (!complete) break;
      if (round < opts.rounds - 1) {
        // Empty the nodes for the next round; grace 0 removes a bound pod at once.
        await closedLoop(opts.createConcurrency, names.length, (wk, i) => creators[wk % creators.length]!.delete('Pod', NS, names[i]!, { gracePeriodSeconds: 0 }).catch(() => undefined));
        await waitUntil('deleted pods gone from the watch', () => names.every((n) => gone.has(n)), opts.roundTimeoutMs, 50);
        await sleep(2000);
      }
    }

    // Footprint "after": the hollow nodes have reported the last pods Running and the control plane settled.
    await waitUntil('the last pods Running', () => lastNames.every((n) => running.has(n)), opts.roundTimeoutMs, 200).catch((err) =>
      opts.log(`scheduling: ${(err as Error).message}`),
    );
    await sleep(3000);
    const rss = sampler.stop();

    // A hollow agent process with no pods (the real agent comes with the pod-start benchmark).
    idle = cluster.procs.node('hollow-agent-idle', 'agent/main.js', ['--hollow', '--node-name', 'idle-agent', '--cpus', '4', '--memory', '8Gi', '--server', cluster.server]);
    const idleProc = idle;
    await waitUntil('the idle hollow agent to register', async () => {
      if (idleProc.child.exitCode !== null) throw new Error(`hollow agent exited:\n${idleProc.tail()}`);
      const n = await cluster.client.get('Node', undefined, 'idle-agent').catch(() => undefined);
      return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 60_000, 200);
    await sleep(3000);
    const idleSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const v = rssBytes(idle.pid);
      if (v !== undefined) idleSamples.push(v);
      await sleep(500);
    }
    const idleHollowAgentRss = idleSamples.length ? median(idleSamples) : undefined;

    const done = rounds.filter((r) => r.complete);
    const use = done.length ? done : rounds;
    const endToEnd = {
      boundPerSecond: median(use.map((r) => r.boundPerSecond)),
      createdPerSecond: median(use.map((r) => r.createdPerSecond)),
      rounds,
      cpu: medianByKey(use.map((r) => r.cpu)),
      watchLagP50: median(use.map((r) => r.watchLag.p50)),
      etcdWatchLagP50: median(use.map((r) => r.etcdWatchLag.p50)),
      etcdBoundPerSecond: median(use.map((r) => r.etcdBoundPerSecond)),
    };
    const latency = {
      p50: median(use.map((r) => r.createToBound.p50)),
      p99: median(use.map((r) => r.createToBound.p99)),
    };
    const cpu = endToEnd.cpu;
    const lag = { api50: median(use.map((r) => r.watchLag.p50)), api99: median(use.map((r) => r.watchLag.p99)), raw50: median(use.map((r) => r.etcdWatchLag.p50)), raw99: median(use.map((r) => r.etcdWatchLag.p99)) };
    const scale = `${opts.nodes} hollow nodes, ${opts.pods} pods`;
    const rows: Row[] = [
      {
        section: 'Scheduling',
        figure: `pods bound per second end to end (create → bound, seen by a watch), ${scale}`,
        value: `${fmtRate(endToEnd.boundPerSecond)}; create → bound p50 ${fmtMs(latency.p50)}, p99 ${fmtMs(latency.p99)}`,
        reference: `pods created per second in the same rounds (${opts.createConcurrency} creates in flight): ${fmtRate(endToEnd.createdPerSecond)}`,
        ratio: fmtRatio(ratio(endToEnd.boundPerSecond, endToEnd.createdPerSecond)),
        note:
          `bound as committed in etcd (a raw etcd3 watch of the pods' keys): ${fmtRate(endToEnd.etcdBoundPerSecond)}, create → bound p50 ${fmtMs(median(use.map((r) => r.etcdCreateToBound.p50)))}; ` +
          `median of ${use.length} round(s)${done.length < rounds.length ? ` (${rounds.length - done.length} incomplete: ${rounds.map((r) => `${r.bound}/${r.pods}`).join(', ')})` : ''}; ` +
          `hollow nodes in ${fleets.length} process(es); cores used: ${fmtCores(cpu)}`,
      },
      {
        section: 'Scheduling',
        figure: 'pod create request → the pod\'s first event at an apiserver watch of all pods, during the rounds',
        value: `p50 ${fmtMs(lag.api50)}, p99 ${fmtMs(lag.api99)}`,
        reference: `raw etcd3 watch of the same keys, same pods: p50 ${fmtMs(lag.raw50)}, p99 ${fmtMs(lag.raw99)}`,
        ratio: `${fmtRatio(ratio(lag.api50, lag.raw50))} p50, ${fmtRatio(ratio(lag.api99, lag.raw99))} p99`,
        note: 'what a watcher of all pods (the scheduler\'s informer, here the bench\'s) waits for news of a new pod while the cluster is busy; the gap to etcd is time spent inside the apiserver',
      },
      {
        section: 'Scheduling',
        figure: `scheduler decisions per second in memory, the same ${scale}`,
        value: fmtRate(memory.sameWorkload),
        reference: `end to end above: ${fmtRate(endToEnd.boundPerSecond)}`,
        ratio: fmtRatio(ratio(memory.sameWorkload, endToEnd.boundPerSecond)),
        note: `median of ${opts.memoryRuns} runs of the scheduler's own loop (SchedulingCore + runSchedulingLoop), binds assumed instant; ${scheduledInMemory}/${opts.pods} placed`,
      },
      ...(memory.atTargetScale === undefined
        ? []
        : [
            {
              section: 'Scheduling' as const,
              figure: `scheduler decisions per second in memory at the target's scale, ${target!.nodes} nodes, ${target!.pods} pods`,
              value: fmtRate(memory.atTargetScale),
              reference: `${opts.nodes} nodes, ${opts.pods} pods above: ${fmtRate(memory.sameWorkload)}`,
              ratio: fmtRatio(ratio(memory.atTargetScale, memory.sameWorkload)),
              note: `median of ${opts.memoryRuns} runs; in memory only (no cluster at this scale in this run)`,
            },
          ]),
      {
        section: 'Scheduling',
        figure: `benchmarkScheduling({nodes: ${opts.nodes}, pods: ${opts.pods}}) (pods owned by ReplicaSets of 10, so spreading scores too)`,
        value: fmtRate(memory.withOwners),
        reference: `same workload without owners: ${fmtRate(memory.sameWorkload)}`,
        ratio: fmtRatio(ratio(memory.withOwners, memory.sameWorkload)),
        note: `median of ${opts.memoryRuns} runs`,
      },
    ];
    return { rows, memory, endToEnd, rssStart, rssPeak: rss.peak, rssAfter: rss.last, idleHollowAgentRss, hollowNodesPerFleet: perFleet };
  } finally {
    watch?.stop();
    await pump;
    rawEtcd?.close();
    for (const c of creators) c.close();
    await idle?.stop();
    await Promise.all(fleets.map((f) => f.stop(30_000)));
    await cluster.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when a hollow-fleet process prints {"ready":N}; rejects when it fails or exits first. */
function fleetReady(p: BenchProc): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const line = buf.split('\n').find((l) => l.trim().startsWith('{'));
      if (!line) return;
      const msg = JSON.parse(line) as { ready?: number; error?: string };
      if (msg.error) reject(new Error(`${p.name}: ${msg.error}\n${p.tail()}`));
      else resolve(msg.ready ?? 0);
    };
    p.child.stdout!.on('data', onData);
    void p.exited.then((code) => reject(new Error(`${p.name} exited with ${code} before its nodes were ready:\n${p.tail()}`)));
  });
}
