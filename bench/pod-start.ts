// Item 1 of issue 8 — pod start on real nodes — and the real agent's share of
// item 4 (its memory, and memory per pod outside the containers).
//
// A cluster made the way a user makes one (`tug cluster up`, real agents in
// their own network namespaces and cgroups, etcd of its own), the image warmed
// onto every node by a first pod, then N pods created at once; each is timed
// from its create request to the first watch event that shows it Running.
// Beside it in the same run, on the same machine: bare `runc run -d` of the
// same image and command (the floor) and `podman kube play` of the same
// manifest (a peer), N at once each.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from '../lib/api/generated/types.js';
import type { Watch } from '../lib/client/api-client.js';
import { startE2eCluster, type E2eCluster } from '../e2e/harness/cluster.js';
import { waitUntil } from './cluster.js';
import { nodeProcesses, perPodOverhead, totalsByRole, type NodeProcess, type NodeProcessRole, type RoleTotals } from './node-memory.js';
import { prepareFloor, preparePeer, podProcess, type FloorBench, type PeerBench } from './pod-start-refs.js';
import { CpuMeter, RssSampler, rssBytes } from './procs.js';
import { fmtCores, fmtMB, fmtMs, fmtRatio, type Row } from './report.js';
import { median, medianByKey, medianPercentiles, percentiles, ratio, type Percentiles } from './stats.js';

export interface PodStartScale {
  /** pods created at once per run */
  pods: number;
  /** runs on the 1-node cluster, each beside a floor run */
  oneNodeRuns: number;
  /** runs on the 3-node cluster */
  threeNodeRuns: number;
  /** podman kube play runs (each removes 30 pods afterwards, which takes podman a while) */
  peerRuns: number;
  /** how long one run may take before it counts as failed */
  runTimeoutMs: number;
}

export const NAMESPACE = 'default';
const IMAGE_PATH = 'busybox:latest';

/**
 * The pod every system is given: one busybox container sleeping, small
 * requests so 30 fit a 1-cpu node, the image already on the node
 * (IfNotPresent: `:latest` would otherwise mean a registry round trip per pod
 * for the agent), and a short grace so deletion between runs is quick
 * (`sleep` as PID 1 ignores SIGTERM).
 */
export function podStartManifest(name: string, image: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'pod-start-bench' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      restartPolicy: 'Always',
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['/bin/sleep', '3600'],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

/** CPU seconds a cgroup has used (v1 cpuacct, else v2 cpu.stat); undefined when neither is readable. */
export function cgroupCpuSeconds(path: string): number | undefined {
  for (const dir of ['cpuacct', 'cpu,cpuacct']) {
    try {
      return Number(readFileSync(join('/sys/fs/cgroup', dir, path, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
    } catch {
      // not v1 here
    }
  }
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    try {
      const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(root, path, 'cpu.stat'), 'utf8'));
      if (m) return Number(m[1]) / 1e6;
    } catch {
      // try the next root
    }
  }
  return undefined;
}

interface PodEvents {
  running: Map<string, number>;
  gone: Set<string>;
  nodeOf: Map<string, string>;
  error: unknown;
}

/** One watch of the namespace for the whole cluster's life: first time each pod is seen Running, and its removal. */
async function watchPods(c: E2eCluster): Promise<{ events: PodEvents; watch: Watch<Pod> }> {
  const events: PodEvents = { running: new Map(), gone: new Set(), nodeOf: new Map(), error: undefined };
  const { resourceVersion } = await c.client.list('Pod', { namespace: NAMESPACE });
  const watch = c.client.watch('Pod', { namespace: NAMESPACE, resourceVersion });
  void (async () => {
    for await (const ev of watch) {
      const name = ev.object?.metadata?.name;
      if (!name) continue;
      const t = performance.now();
      if (ev.type === 'DELETED') {
        events.gone.add(name);
        continue;
      }
      if (ev.object.spec?.nodeName) events.nodeOf.set(name, ev.object.spec.nodeName);
      if (ev.object.status?.phase === 'Running' && !events.running.has(name)) events.running.set(name, t);
    }
  })().catch((err: unknown) => (events.error = err));
  return { events, watch };
}

const AGENT = 'agent processes';
const CHILDREN = 'programs they run (runc, conmon, CNI, mount)';
const PODS = 'pod cgroups (runc init, pause, the containers)';

interface TugRun {
  latency: Percentiles;
  /** pods per node */
  placement: Map<string, number>;
  /** cores used meanwhile: agent process(es), their cgroups' children, components */
  cpu: Map<string, number>;
  /** CPU ms per pod on the node(s): the agent process, what it runs, the pod cgroups */
  cpuPerPod: Map<string, number>;
}

interface ClusterRunOptions {
  nodes: number;
  runs: number;
  scale: PodStartScale;
  log: (line: string) => void;
  /** called between runs with the run number, e.g. to run a reference beside it */
  beside?: (run: number, cluster: E2eCluster, image: string) => Promise<void>;
  /** before the cluster goes: what the references need from it (its registry) */
  prepare?: (cluster: E2eCluster, image: string) => Promise<void>;
  /** measure the agent's memory (1-node cluster) */
  footprint?: boolean;
}

export interface AgentFootprint {
  rss0: number;
  rssN: number;
  peak: number;
  helpers: Record<NodeProcessRole, RoleTotals>;
  perPod: number;
  pods: number;
}

interface ClusterResult {
  runs: TugRun[];
  /** one pod alone on an idle node, its image present: create → Running */
  single: number[];
  footprint?: AgentFootprint;
  upMs: number;
}

async function measureCluster(o: ClusterRunOptions): Promise<ClusterResult> {
  const { log, scale } = o;
  const cores = cpus().length;
  log(`pod-start: tug cluster up --nodes ${o.nodes}`);
  const cluster = await startE2eCluster({
    prefix: 'ps',
    nodes: o.nodes,
    etcd: 'embedded',
    // The node's cgroup quota must not be what bounds the starts: each node may use every core.
    cpusPerNode: String(cores),
    memoryPerNode: '4Gi',
    log: (l) => log(`pod-start: ${l}`),
  });
  let watch: Watch<Pod> | undefined;
  try {
    const image = `${cluster.plan.registry.address}/${IMAGE_PATH}`;
    const w = await watchPods(cluster);
    watch = w.watch;
    const ev = w.events;
    const check = () => {
      if (ev.error) throw ev.error;
    };
    const agentPid = (node: string) => cluster.component(`agent-${node}`)?.pid;
    const nodes = cluster.plan.nodes.map((n) => n.name);

    /** One pod pinned to a node, created, Running, deleted and gone; returns create → Running. */
    const onePod = async (name: string, node: string) => {
      const pod = podStartManifest(name, image);
      pod.spec!.nodeName = node;
      const t0 = performance.now();
      await cluster.client.create(pod);
      await waitUntil(`${name} Running`, () => (check(), ev.running.has(name)), scale.runTimeoutMs, 10);
      const ms = ev.running.get(name)! - t0;
      await cluster.client.delete('Pod', NAMESPACE, name);
      await waitUntil(`${name} removed`, () => (check(), ev.gone.has(name)), scale.runTimeoutMs, 50);
      return ms;
    };
    // Warm-up: the image onto every node (and the agents' code paths warm), one pod per node.
    const pulls: number[] = [];
    for (const node of nodes) pulls.push(await onePod(`warm-${node}`, node));
    // Then one pod alone with its image present: the latency without company.
    const single = [await onePod('alone', nodes[0]!)];
    log(`pod-start: image on ${nodes.length} node(s) (first pods, pulling it: ${pulls.map((s) => fmtMs(s)).join(', ')}); one pod alone then: ${fmtMs(single[0])}`);
    await o.prepare?.(cluster, image);

    let rss0 = Number.NaN;
    const agentPids = new Map(nodes.map((n) => [`agent ${n}`, agentPid(n)] as [string, number | undefined]).filter((e): e is [string, number] => e[1] !== undefined));
    if (o.footprint) {
      await sleep(2000);
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const v = rssBytes(agentPid(nodes[0]!) ?? -1);
        if (v !== undefined) samples.push(v);
        await sleep(200);
      }
      rss0 = median(samples);
    }
    const sampler = new RssSampler(agentPids).start();
    const componentPids = new Map<string, number>([...agentPids]);
    for (const comp of ['apiserver', 'scheduler', 'controller-manager', 'etcd']) {
      const pid = cluster.component(comp)?.pid;
      if (pid) componentPids.set(comp, pid);
    }

    const runs: TugRun[] = [];
    let footprint: AgentFootprint | undefined;
    for (let r = 0; r < o.runs; r++) {
      const names = Array.from({ length: scale.pods }, (_, i) => `ps-${o.nodes}n-${r}-${i}`);
      const created = new Map<string, number>();
      const meter = new CpuMeter(componentPids).start();
      const agentCg = cluster.plan.nodes.map((n) => cgroupCpuSeconds(n.agentCgroupPath) ?? Number.NaN);
      const podsCg = cluster.plan.nodes.map((n) => cgroupCpuSeconds(n.cgroupPath) ?? Number.NaN);
      const t0 = performance.now();
      await Promise.all(
        names.map(async (n) => {
          created.set(n, performance.now());
          await cluster.client.create(podStartManifest(n, image));
        }),
      );
      await waitUntil(`${scale.pods} pods Running (run ${r + 1})`, () => (check(), names.every((n) => ev.running.has(n))), scale.runTimeoutMs, 10);
      const wall = (performance.now() - t0) / 1000;
      const cpu = meter.read();
      // The agent's cgroup holds the agent and what it forks (runc, conmon, CNI plugins, mount); the node's also the pods.
      const agentTree = cluster.plan.nodes.reduce((s, n, i) => s + ((cgroupCpuSeconds(n.agentCgroupPath) ?? Number.NaN) - agentCg[i]!), 0) / wall;
      const nodeTotal = cluster.plan.nodes.reduce((s, n, i) => s + ((cgroupCpuSeconds(n.cgroupPath) ?? Number.NaN) - podsCg[i]!), 0) / wall;
      const agentProc = [...agentPids.keys()].reduce((s, k) => s + (cpu.get(k) ?? 0), 0);
      for (const k of agentPids.keys()) cpu.delete(k);
      const summary = new Map<string, number>([[AGENT, agentProc]]);
      // CpuMeter's "others" is the machine minus the pids it knows, so the agents' children and the pods are in it: take them out.
      let others = cpu.get('others') ?? 0;
      if (Number.isFinite(agentTree)) {
        summary.set(CHILDREN, agentTree - agentProc);
        others -= agentTree - agentProc;
        if (Number.isFinite(nodeTotal)) {
          summary.set(PODS, nodeTotal - agentTree);
          others -= nodeTotal - agentTree;
        }
      }
      cpu.delete('others');
      for (const [k, v] of cpu) summary.set(k, v);
      summary.set('others', Math.max(0, others));
      const latency = percentiles(names.map((n) => ev.running.get(n)! - created.get(n)!));
      const placement = new Map<string, number>();
      for (const n of names) placement.set(ev.nodeOf.get(n) ?? '?', (placement.get(ev.nodeOf.get(n) ?? '?') ?? 0) + 1);
      const cpuPerPod = new Map([AGENT, CHILDREN, PODS].filter((k) => summary.has(k)).map((k) => [k, (summary.get(k)! * wall * 1000) / scale.pods] as [string, number]));
      runs.push({ latency, placement, cpu: summary, cpuPerPod });
      log(`pod-start: ${o.nodes} node(s), run ${r + 1}/${o.runs}: create → Running p50 ${fmtMs(latency.p50)}, p90 ${fmtMs(latency.p90)}, p99 ${fmtMs(latency.p99)}; cores ${fmtCores(summary)}`);

      if (o.footprint && r === o.runs - 1) {
        await sleep(3000);
        const rssN = rssBytes(agentPid(nodes[0]!) ?? -1) ?? Number.NaN;
        const node = cluster.plan.nodes[0]!;
        const procs: NodeProcess[] = nodeProcesses({ cgroupPath: node.cgroupPath, stateDir: node.stateDir });
        const helpers = totalsByRole(procs);
        footprint = { rss0, rssN, peak: 0, helpers, perPod: perPodOverhead({ agentRss0: rss0, agentRssN: rssN, helpers, pods: scale.pods }), pods: scale.pods };
        log(`pod-start: agent RSS ${fmtMB(rss0)} with 0 pods, ${fmtMB(rssN)} with ${scale.pods}; ${helpers.conmon.count} conmon PSS ${fmtMB(helpers.conmon.pss)}, ${helpers.pause.count} pause processes PSS ${fmtMB(helpers.pause.pss)}`);
      }
      const td = performance.now();
      await Promise.all(names.map((n) => cluster.client.delete('Pod', NAMESPACE, n)));
      await waitUntil(`${scale.pods} pods removed (run ${r + 1})`, () => (check(), names.every((n) => ev.gone.has(n))), scale.runTimeoutMs, 50);
      log(`pod-start: ${scale.pods} pods stopped and removed in ${fmtMs(performance.now() - td)}`);
      await sleep(1000);
      await o.beside?.(r, cluster, image);
    }
    const peaks = sampler.stop().peak;
    if (footprint) footprint.peak = peaks.get(`agent ${nodes[0]}`) ?? Number.NaN;
    return { runs, single, upMs: cluster.upMs, ...(footprint ? { footprint } : {}) };
  } finally {
    watch?.stop();
    log(`pod-start: tug cluster down (${cluster.name})`);
    await cluster.stop();
  }
}

export interface PodStartResult {
  rows: Row[];
  footprintRows: Row[];
  oneNode?: Percentiles;
  threeNodes?: Percentiles;
  floor?: Percentiles;
  peer?: Percentiles;
  footprint?: AgentFootprint;
  /** podman's own per-pod helpers (conmon ×2, infra), PSS per pod */
  peerPerPod?: number;
  /** the cores used during the 1-node runs (median per part) */
  oneNodeCpu?: Map<string, number>;
  /** CPU ms per pod during the 1-node runs, by part (median per part) */
  oneNodeCpuPerPod?: Map<string, number>;
  /** CPU ms per bare `runc run` (median of the runs) */
  floorCpuMs?: number;
  problems: string[];
}

/** `250 ms (agent processes 80 ms, …)` */
export function fmtCpuPerPod(m: Map<string, number> | undefined): string {
  if (!m?.size) return 'n/a';
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  return `${fmtMs(total)} (${[...m].map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ')})`;
}

export const fmtPercentiles = (p: Percentiles | undefined) => (p ? `p50 ${fmtMs(p.p50)}, p90 ${fmtMs(p.p90)}, p99 ${fmtMs(p.p99)}` : 'n/a');

/** `p50 3.1× runc, 0.8× podman; p99 …` */
export function latencyRatios(v: Percentiles | undefined, refs: { name: string; p: Percentiles | undefined }[]): string {
  if (!v) return 'n/a';
  const part = (k: 'p50' | 'p99') => `${k} ${refs.map((r) => `${fmtRatio(ratio(v[k], r.p?.[k]))} ${r.name}`).join(', ')}`;
  return `${part('p50')}; ${part('p99')}`;
}

export async function runPodStartBench(o: { scale: PodStartScale; log: (line: string) => void; bareNodeRss: number | undefined; workDir: string }): Promise<PodStartResult> {
  const { scale, log } = o;
  const problems: string[] = [];
  const floorRuns: Percentiles[] = [];
  const floorCpu: number[] = [];
  const peerRuns: Percentiles[] = [];
  let floor: FloorBench | undefined;
  let peer: PeerBench | undefined;
  let peerPerPod: number | undefined;
  let one: ClusterResult | undefined;
  let three: ClusterResult | undefined;
  const manifest = (image: string) => (name: string) => podStartManifest(name, image);

  try {
    one = await measureCluster({
      nodes: 1,
      runs: scale.oneNodeRuns,
      scale,
      log,
      footprint: true,
      prepare: async (_c, image) => {
        const { args } = podProcess(podStartManifest('x', image));
        try {
          floor = await prepareFloor({ dir: join(o.workDir, 'floor'), registryImage: image, args, pods: scale.pods });
        } catch (err) {
          problems.push(`bare runc: ${(err as Error).message}`);
        }
        try {
          peer = await preparePeer({ dir: join(o.workDir, 'podman'), registryImage: image, pods: scale.pods, manifest: manifest(image), log });
        } catch (err) {
          problems.push(`podman kube play: ${(err as Error).message}`);
        }
      },
      // Each reference runs right after a tugboat run, on the same (now idle) machine, so drifting load hits all three alike.
      beside: async (run) => {
        if (floor) {
          try {
            const f = await floor.run();
            floorRuns.push(f.latency);
            if (f.cpuMsPerContainer !== undefined) floorCpu.push(f.cpuMsPerContainer);
            log(`pod-start: bare runc run -d, ${scale.pods} at once: ${fmtPercentiles(f.latency)}` + (f.cpuMsPerContainer !== undefined ? `; ${f.cpuMsPerContainer.toFixed(0)} ms of CPU per container` : ''));
          } catch (err) {
            problems.push(`bare runc: ${(err as Error).message}`);
            floor = undefined;
          }
        }
        if (peer && run < scale.peerRuns) {
          try {
            const r = await peer.run({ measureHelpers: run === 0 });
            peerRuns.push(r.latency);
            if (r.perPod !== undefined) peerPerPod = r.perPod;
            log(`pod-start: podman kube play, ${scale.pods} at once: ${fmtPercentiles(r.latency)}` + (r.perPod !== undefined ? `; conmon + infra per pod ${fmtMB(r.perPod)} (PSS)` : ''));
          } catch (err) {
            problems.push(`podman kube play: ${(err as Error).message}`);
            peer = undefined;
          }
        }
      },
    });
  } catch (err) {
    problems.push(`1-node cluster: ${(err as Error).message}`);
  } finally {
    await floor?.cleanup().catch((err: unknown) => problems.push(`bare runc cleanup: ${(err as Error).message}`));
    await peer?.cleanup().catch((err: unknown) => problems.push(`podman cleanup: ${(err as Error).message}`));
  }
  try {
    three = await measureCluster({ nodes: 3, runs: scale.threeNodeRuns, scale, log });
  } catch (err) {
    problems.push(`3-node cluster: ${(err as Error).message}`);
  }

  const floorP = floorRuns.length ? medianPercentiles(floorRuns) : undefined;
  const peerP = peerRuns.length ? medianPercentiles(peerRuns) : undefined;
  const oneP = one?.runs.length ? medianPercentiles(one.runs.map((r) => r.latency)) : undefined;
  const threeP = three?.runs.length ? medianPercentiles(three.runs.map((r) => r.latency)) : undefined;
  const refs = [
    { name: 'runc', p: floorP },
    { name: 'podman', p: peerP },
  ];
  const reference =
    `bare \`runc run -d\`, ${scale.pods} at once: ${floorRuns.length ? fmtPercentiles(floorP) : 'not measured'}; ` +
    `\`podman kube play\`, ${scale.pods} at once: ${peerRuns.length ? fmtPercentiles(peerP) : 'not measured'}`;
  const cpuOf = (c: ClusterResult | undefined) => (c?.runs.length ? medianByKey(c.runs.map((r) => r.cpu)) : undefined);
  const oneCpu = cpuOf(one);
  const threeCpu = cpuOf(three);
  const rows: Row[] = [
    {
      section: 'Pod start',
      figure: `${scale.pods} pods at once, 1 real node: create → Running p50/p90/p99`,
      value: oneP ? fmtPercentiles(oneP) : 'not measured',
      reference,
      ratio: latencyRatios(oneP, refs),
      note:
        `median of ${one?.runs.length ?? 0} run(s) of each percentile (p99 of ${scale.pods} is the slowest pod); references: ${floorRuns.length} runc run(s), ${peerRuns.length} podman run(s), each right after a tugboat run; ` +
        `one pod alone on the idle node, image present: ${one ? one.single.map((s) => fmtMs(s)).join(', ') : 'n/a'}; ` +
        (oneCpu ? `cores used while the pods started: ${fmtCores(oneCpu)}; ` : '') +
        `CPU per pod: ${fmtCpuPerPod(one?.runs.length ? medianByKey(one.runs.map((r) => r.cpuPerPod)) : undefined)}; per bare \`runc run\`: ${floorCpu.length ? fmtMs(median(floorCpu)) : 'n/a'}`,
    },
    {
      section: 'Pod start',
      figure: `${scale.pods} pods at once, 3-node cluster: create → Running p50/p90/p99`,
      value: threeP ? fmtPercentiles(threeP) : 'not measured',
      reference,
      ratio: latencyRatios(threeP, refs),
      note:
        `median of ${three?.runs.length ?? 0} run(s); placed by the scheduler: ${three?.runs.length ? [...three.runs.at(-1)!.placement].map(([n, c]) => `${n} ${c}`).join(', ') : 'n/a'}; ` +
        `the three nodes share the machine's ${cpus().length} cores; ` +
        (threeCpu ? `cores used while the pods started: ${fmtCores(threeCpu)}` : ''),
    },
  ];

  const f = one?.footprint;
  const bare = o.bareNodeRss;
  const footprintRows: Row[] = [
    {
      section: 'Footprint',
      figure: 'real agent RSS with 0 pods',
      value: fmtMB(f?.rss0),
      reference: `empty Node.js process ${fmtMB(bare)}`,
      ratio: fmtRatio(ratio(f?.rss0, bare)),
      note: 'the agent process alone (VmRSS), on a 1-node cluster once its first pods were removed: running agent, proxy, DNS and the pod workers\' code loaded',
    },
    {
      section: 'Footprint',
      figure: `real agent RSS with ${scale.pods} pods`,
      value: f ? `${fmtMB(f.rssN)} (peak while starting them ${fmtMB(f.peak)})` : 'not measured',
      reference: `empty Node.js process ${fmtMB(bare)}`,
      ratio: fmtRatio(ratio(f?.rssN, bare)),
      note: `the agent process alone, 3 s after the last of ${scale.pods} pods was Running; conmon monitors and pause processes are not in it (see the next row); peak: sampled every 250 ms during all runs`,
    },
    {
      section: 'Footprint',
      figure: 'memory per pod outside the containers',
      value: f ? fmtMB(f.perPod) : 'not measured',
      reference: peerPerPod !== undefined ? `podman, same pods: ${fmtMB(peerPerPod)} (its conmons and infra process, PSS)` : 'podman: not measured',
      ratio: fmtRatio(ratio(f?.perPod, peerPerPod)),
      note: f
        ? `(agent RSS with ${f.pods} pods − with 0) + PSS of the node's ${f.helpers.conmon.count} conmon processes (${fmtMB(f.helpers.conmon.pss)}, RSS ${fmtMB(f.helpers.conmon.rss)}) and ${f.helpers.pause.count} pause-container processes (${fmtMB(f.helpers.pause.pss)}, RSS ${fmtMB(f.helpers.pause.rss)}), / ${f.pods}; ` +
          `PSS splits pages shared by many processes (the conmon binary and libraries) among them; kernel memory (network namespace, veth, overlay and tmpfs mounts, cgroups) is not counted. The containers' own processes (${f.helpers.container.count}, PSS ${fmtMB(f.helpers.container.pss)}) are left out`
        : '',
    },
  ];
  return {
    rows,
    footprintRows,
    ...(oneP ? { oneNode: oneP } : {}),
    ...(threeP ? { threeNodes: threeP } : {}),
    ...(floorP ? { floor: floorP } : {}),
    ...(peerP ? { peer: peerP } : {}),
    ...(f ? { footprint: f } : {}),
    ...(peerPerPod !== undefined ? { peerPerPod } : {}),
    ...(oneCpu ? { oneNodeCpu: oneCpu } : {}),
    ...(one?.runs.length ? { oneNodeCpuPerPod: medianByKey(one.runs.map((r) => r.cpuPerPod)) } : {}),
    ...(floorCpu.length ? { floorCpuMs: median(floorCpu) } : {}),
    problems,
  };
}
