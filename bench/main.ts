#!/usr/bin/env node
// `npm run bench` (full) and `npm run bench -- --quick` (smaller counts, same
// figures): runs the benchmarks of issue 8 one after another on loopback,
// prints a table and writes BENCHMARKS.md at the repository root.
//   --quick             small counts, a few minutes on a 2-core machine
//   --only api,scheduling   run only these (the others are left out of the table)
//   --out FILE          where to write the report (default BENCHMARKS.md)
//   --cpu-prof          run the apiserver, scheduler and controller-manager under
//                       node --cpu-prof and add a summary of where their CPU went
//                       (the profiler slows them: figures of such a run are not comparable)
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runApiBench, type ApiBenchResult } from './api.js';
import { bareNodeRss, footprintRows } from './footprint.js';
import { podStartRows } from './pod-start.js';
import { formatSummary, summariseProfiles } from './profile.js';
import { DIST } from './procs.js';
import { fmtCores, fmtMB, fmtMs, fmtRate, fmtRatio, machine, markdown, textTable, type BenchReport, type Row, type TargetRow } from './report.js';
import { runSchedulingBench, type SchedulingBenchResult } from './scheduling.js';
import { ratio } from './stats.js';

const BENCHES = ['api', 'scheduling'] as const;
type Bench = (typeof BENCHES)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: join(DIST, '..', 'BENCHMARKS.md') },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const quick = values.quick!;
const only = new Set<Bench>((values.only?.split(',') ?? [...BENCHES]).map((s) => {
  if (!BENCHES.includes(s as Bench)) {
    process.stderr.write(`bench: --only takes ${BENCHES.join(', ')}; got "${s}"\n`);
    process.exit(2);
  }
  return s as Bench;
}));

// An interrupted run must not leave etcd or components behind: exiting runs
// the exit handlers that kill every child (and the children also have a
// parent-death signal).
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

const SCALE = quick
  ? {
      api: { concurrency: [1, 16, 64], opsPerCell: 320, runs: 3, watchers: 100, watchWrites: 20, payloadBytes: 1024 },
      sched: { nodes: 100, pods: 1000, rounds: 3, memoryRuns: 3, createConcurrency: 32, fleets: 1, roundTimeoutMs: 180_000 },
    }
  : {
      api: { concurrency: [1, 16, 64], opsPerCell: 2000, runs: 5, watchers: 100, watchWrites: 100, payloadBytes: 1024 },
      sched: { nodes: 1000, pods: 10_000, rounds: 3, memoryRuns: 5, createConcurrency: 64, fleets: 2, roundTimeoutMs: 900_000 },
    };
const FULL_SCALE = { nodes: 1000, pods: 10_000 };

const profileRoot = values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'tug-bench-profiles-')) : undefined;
const started = Date.now();
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const m = machine();
const rows: Row[] = [...podStartRows()];
const targets: TargetRow[] = [];
const notes: string[] = [];

log(`${quick ? 'quick' : 'full'} run on ${m.cpu}, ${m.cores} cores, load ${m.loadAtStart}`);
const bare = await bareNodeRss();

let api: ApiBenchResult | undefined;
if (only.has('api')) {
  log('api: starting etcd and the apiserver process');
  api = await runApiBench({ ...SCALE.api, log, profileDir: profileRoot && join(profileRoot, 'api') });
  rows.push(...api.rows);
}

let sched: SchedulingBenchResult | undefined;
let cp: ReturnType<typeof footprintRows> | undefined;
if (only.has('scheduling')) {
  log(`scheduling: ${SCALE.sched.nodes} hollow nodes, ${SCALE.sched.pods} pods`);
  sched = await runSchedulingBench({ ...SCALE.sched, log, profileDir: profileRoot && join(profileRoot, 'scheduling') });
  rows.push(...sched.rows);
  cp = footprintRows(sched, bare, `${SCALE.sched.nodes} nodes / ${SCALE.sched.pods} pods`);
  rows.push(...cp.rows);
}

// ---- targets of issue 8 ----
const atScale = SCALE.sched.nodes >= FULL_SCALE.nodes && SCALE.sched.pods >= FULL_SCALE.pods;
const state = (met: boolean, scaled = true): TargetRow['state'] => (scaled && !atScale ? (met ? 'met at quick scale' : 'missed at quick scale') : met ? 'met' : 'missed');
const busiest = (cpu: Map<string, number>) => [...cpu].filter(([n]) => n !== 'bench' && n !== 'others').sort((a, b) => b[1] - a[1])[0];
const cpuBound = (cpu: Map<string, number>) => {
  const total = [...cpu.values()].reduce((a, b) => a + b, 0);
  const [name, cores] = busiest(cpu) ?? ['?', 0];
  const parts = [`cores used: ${fmtCores(cpu)} (sum ${total.toFixed(2)} of ${m.cores})`];
  if (cores >= 0.85) parts.push(`${name} is near one full core: its single JavaScript thread is the limit`);
  const others = cpu.get('others') ?? 0;
  if (total >= m.cores * 0.85) parts.push(`the machine's ${m.cores} cores were all busy${others >= 0.3 ? `, ${others.toFixed(2)} of them with work outside this benchmark` : ''}: the processes wait for CPU`);
  return parts.join('; ');
};

targets.push(
  { target: 'pod start p50 ≤ 300 ms and p99 ≤ 1 s, 30 pods at once on one node', measured: 'not measured yet', state: 'not measured yet' },
  { target: 'pod start faster than `podman kube play` of the same pods', measured: 'not measured yet', state: 'not measured yet' },
);
if (sched) {
  const e = sched.endToEnd;
  const last = e.rounds.find((r) => r.complete) ?? e.rounds[0];
  targets.push(
    {
      target: '≥ 1,000 pods/s bound end to end, 1,000 nodes / 10,000 pods',
      measured: `${fmtRate(e.boundPerSecond)} at ${SCALE.sched.nodes} nodes / ${SCALE.sched.pods} pods`,
      state: state(e.boundPerSecond >= 1000),
      bound:
        e.boundPerSecond >= 1000
          ? undefined
          : `pods were created at ${fmtRate(e.createdPerSecond)} (${fmtRatio(ratio(e.boundPerSecond, e.createdPerSecond))} of that was bound); ${last ? cpuBound(last.cpu) : ''}`,
    },
    {
      target: '≥ 10,000 scheduling decisions/s in memory',
      measured: `${fmtRate(sched.memory.sameWorkload)} at ${SCALE.sched.nodes} nodes / ${SCALE.sched.pods} pods`,
      state: state(sched.memory.sameWorkload >= 10_000),
      bound: sched.memory.sameWorkload >= 10_000 ? undefined : 'the decision loop itself: see a --cpu-prof of benchmarkScheduling',
    },
  );
}
if (api) {
  for (const c of api.cells.filter((x) => x.op === 'create')) {
    const r = ratio(c.api.perSecond, c.raw.perSecond);
    targets.push({
      target: `API create throughput ≥ 50 % of raw etcd put, ${c.concurrency} client(s)`,
      measured: `${fmtRate(c.api.perSecond)} vs ${fmtRate(c.raw.perSecond)} = ${r === undefined ? 'n/a' : `${(r * 100).toFixed(0)} %`}`,
      state: r !== undefined && r >= 0.5 ? 'met' : 'missed',
      bound: r !== undefined && r >= 0.5 ? undefined : cpuBound(c.cpu),
    });
  }
  const c16 = api.cells.find((x) => x.op === 'create' && x.concurrency === 16);
  if (c16) {
    targets.push({
      target: 'single-object create p99 ≤ 50 ms at 16 clients',
      measured: `p99 ${fmtMs(c16.api.latency.p99)} (raw etcd put p99 ${fmtMs(c16.raw.latency.p99)})`,
      state: c16.api.latency.p99 <= 50 ? 'met' : 'missed',
      bound: c16.api.latency.p99 <= 50 ? undefined : cpuBound(c16.cpu),
    });
  }
}
if (cp && sched) {
  targets.push({
    target: 'control plane (apiserver + controller-manager + scheduler) ≤ 250 MB RSS, 1,000 nodes / 10,000 pods',
    measured: `peak ${fmtMB(cp.controlPlanePeak)}, after ${fmtMB(cp.controlPlaneAfter)} at ${SCALE.sched.nodes} nodes / ${SCALE.sched.pods} pods`,
    state: state(cp.controlPlanePeak <= 250e6),
    bound: cp.controlPlanePeak <= 250e6 ? undefined : `per process (peak): ${['apiserver', 'controller-manager', 'scheduler'].map((n) => `${n} ${fmtMB(sched!.rssPeak.get(n))}`).join(', ')}; an empty Node.js process is ${fmtMB(bare)}`,
  });
}
targets.push(
  { target: 'agent ≤ 80 MB RSS with 30 pods', measured: `not measured yet (hollow agent, 0 pods: ${fmtMB(sched?.idleHollowAgentRss)})`, state: 'not measured yet' },
  { target: '≤ 3 MB per pod outside the containers', measured: 'not measured yet', state: 'not measured yet' },
);

// ---- the report ----
notes.push(
  'Processes: etcd is the Debian etcd 3.4 binary started by lib/testing/etcd.ts (single member, data dir on the local disk, so every write waits for an fsync). ' +
    'The apiserver, scheduler and controller-manager run as separate processes (`node dist/<component>/main.js`) with TUG_LOG_LEVEL=warn, so their RSS and CPU are read from /proc and the load generator does not share their event loop. ' +
    'The load generator, the watchers and the timing run in the bench process; everything shares the same cores.',
  'API: ConfigMaps in namespace default; create/update/get run as closed loops of N workers (N = clients), each with its own client object. The raw reference does the same with `etcd3` put/get of a value of exactly the bytes the apiserver stores for one object. API create is a put-if-absent transaction and update a compare-and-swap on the revision; the raw reference is a plain put.',
  'Watch: each write waits until all watchers have its event before the next goes; the latency is from the write\'s response in the writer to the event\'s arrival at each watcher (all in this process).',
  `Scheduling: hollow nodes (agent/hollow, a test tool that reports pods Running without running anything) run many to a process sharing one client (bench/hollow-fleet.ts); nodes of ${'4/8Gi, 8/16Gi, 16/64Gi'} cpu/memory, pods requesting 100m/128Mi to 1/1Gi, no owners. Each round creates all pods, waits until a watch has seen every one bound, then deletes them (grace 0) before the next.`,
  `The machine was not idle: other work may have run at the same time (load average at start ${m.loadAtStart}).`,
);
if (profileRoot) {
  notes.push(`This run was profiled (--cpu-prof): the profiler slows the components, so its figures are not comparable with an unprofiled run. Profiles: ${profileRoot}`);
  for (const bench of readdirSync(profileRoot)) {
    for (const comp of readdirSync(join(profileRoot, bench))) {
      for (const sum of summariseProfiles(join(profileRoot, bench, comp), 6)) {
        notes.push(`CPU profile, ${bench} benchmark, ${comp}: ${formatSummary(sum).replace(/\n\s*/g, '; ')}`);
      }
    }
  }
}
const report: BenchReport = {
  mode: quick ? 'quick' : 'full',
  date: new Date().toISOString(),
  durationS: (Date.now() - started) / 1000,
  machine: m,
  commands: [
    `npm run bench${quick ? ' -- --quick' : ''}${values.only ? ` -- --only ${values.only}` : ''}  (= npm run build && node dist/bench/main.js)`,
    'etcd: /usr/bin/etcd on two free loopback ports with a temporary data dir (lib/testing/etcd.ts startEtcd)',
    'node dist/apiserver/main.js --etcd-servers http://127.0.0.1:PORT --listen 127.0.0.1:PORT',
    'node dist/scheduler/main.js --server 127.0.0.1:PORT',
    'node dist/controllers/main.js --server 127.0.0.1:PORT',
    `node dist/bench/hollow-fleet.js --server 127.0.0.1:PORT --first I --count N  (${SCALE.sched.fleets} process(es))`,
    'node dist/agent/main.js --hollow --node-name idle-agent --cpus 4 --memory 8Gi --server 127.0.0.1:PORT',
  ],
  scale: [
    `API: ${SCALE.api.concurrency.join(', ')} concurrent clients; ${SCALE.api.opsPerCell} requests per operation per run; ${SCALE.api.runs} runs; ${SCALE.api.payloadBytes} B of ConfigMap data; ${SCALE.api.watchers} watchers, ${SCALE.api.watchWrites} timed writes per run`,
    `Scheduling: ${SCALE.sched.nodes} hollow nodes, ${SCALE.sched.pods} pods per round, ${SCALE.sched.rounds} rounds, ${SCALE.sched.createConcurrency} creates in flight; in memory ${SCALE.sched.memoryRuns} runs` +
      (atScale ? '' : ` — quick scale; the issue's targets are stated for ${FULL_SCALE.nodes} nodes / ${FULL_SCALE.pods} pods (\`npm run bench\`)`),
    ...(only.size < BENCHES.length ? [`Only ${[...only].join(', ')} ran (--only).`] : []),
  ],
  rows,
  targets,
  notes,
};
process.stdout.write(`\n${textTable(rows)}\n\nTargets:\n${targets.map((t) => `  [${t.state}] ${t.target}: ${t.measured}${t.bound ? ` — ${t.bound}` : ''}`).join('\n')}\n`);
writeFileSync(values.out!, markdown(report));
log(`wrote ${values.out}`);
process.exit(0);
