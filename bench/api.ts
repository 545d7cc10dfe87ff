// Item 3 of issue 8: API create/update/get throughput and latency at several
// concurrencies beside raw etcd3 puts/gets of the same bytes against the same
// etcd, and watch delivery latency with many watchers beside raw etcd watches.
//
// The apiserver runs as its own process (node dist/apiserver/main.js), so the
// load generator in this process does not share its event loop and its CPU
// and memory can be read from /proc.
import { Etcd3, type Watcher } from 'etcd3';
import type { ConfigMap } from '../lib/api/generated/types.js';
import { ApiClient, type Watch } from '../lib/client/api-client.js';
import { startBenchCluster, waitUntil } from './cluster.js';
import { closedLoop, type LoadResult } from './load.js';
import { CpuMeter } from './procs.js';
import { fmtCores, fmtMs, fmtRate, fmtRatio, type Row } from './report.js';
import { median, medianByKey, medianPercentiles, percentiles, ratio, type Percentiles } from './stats.js';

export interface ApiBenchOptions {
  concurrency: number[];
  /** requests per operation, per concurrency, per run */
  opsPerCell: number;
  runs: number;
  watchers: number;
  /** writes whose delivery to every watcher is timed, per run */
  watchWrites: number;
  /** bytes of ConfigMap data */
  payloadBytes: number;
  /** run the apiserver under --cpu-prof, writing here */
  profileDir?: string;
  log: (line: string) => void;
}

export type Op = 'create' | 'update' | 'get';
export interface Cell {
  op: Op;
  concurrency: number;
  api: { perSecond: number; latency: Percentiles; errors: number; firstError?: string };
  raw: { perSecond: number; latency: Percentiles; errors: number; firstError?: string };
  /** cores used while the API side ran (median over runs) */
  cpu: Map<string, number>;
}

export interface WatchResult {
  /** write request sent → event at a watcher, ms */
  api: Percentiles;
  raw: Percentiles;
  missed: number;
  /** share of deliveries that arrived before the writer had its response */
  apiBeforeResponse: number;
  rawBeforeResponse: number;
}

export interface ApiBenchResult {
  rows: Row[];
  cells: Cell[];
  storedBytes: number;
  watch: WatchResult;
}

const NAMESPACE = 'default';
const WATCH_NAMESPACE = 'bench-watch';
const RAW_PREFIX = '/bench/raw/';
const RAW_OPS: Record<Op, string> = { create: 'raw etcd put (new key)', update: 'raw etcd put (existing key)', get: 'raw etcd get' };

function configMap(name: string, namespace: string, payloadBytes: number, fill: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: 'bench', tier: 'api' } },
    data: { payload: fill.repeat(payloadBytes) },
  };
}

function summarise(results: LoadResult[]): Cell['api'] {
  return {
    perSecond: median(results.map((r) => r.perSecond)),
    latency: medianPercentiles(results.map((r) => r.latency)),
    errors: results.reduce((n, r) => n + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

export async function runApiBench(opts: ApiBenchOptions): Promise<ApiBenchResult> {
  const cluster = await startBenchCluster({ name: 'api', profileDir: opts.profileDir });
  const raws: Etcd3[] = [];
  const clients: ApiClient[] = [];
  try {
    const pids = new Map([...cluster.pids(), ['bench', process.pid]]);
    const maxC = Math.max(...opts.concurrency);
    // One client per concurrent worker on both sides. (grpc-js may still share
    // one HTTP/2 connection among clients of the same target: it does so for both.)
    for (let i = 0; i < maxC; i++) {
      clients.push(new ApiClient(cluster.server, { timeoutMs: 60_000 }));
      raws.push(new Etcd3({ hosts: cluster.etcd.endpoint }));
    }

    // The raw reference writes exactly as many bytes as the apiserver stores for one object.
    const probe = await cluster.client.create(configMap('bench-probe', NAMESPACE, opts.payloadBytes, 'a'));
    const stored = await raws[0]!.get(`/registry/configmaps/${NAMESPACE}/${probe.metadata?.name}`).buffer();
    if (!stored) throw new Error('the probe ConfigMap is not where the apiserver stores ConfigMaps (/registry/configmaps/default/bench-probe)');
    const storedBytes = stored.length;
    const rawValue = Buffer.alloc(storedBytes, 'x');
    const rawValue2 = Buffer.alloc(storedBytes, 'y');

    const results = new Map<string, LoadResult[]>();
    const cpus = new Map<string, Map<string, number>[]>();
    const record = (key: string, r: LoadResult, cpu?: Map<string, number>) => {
      results.set(key, [...(results.get(key) ?? []), r]);
      if (cpu) cpus.set(key, [...(cpus.get(key) ?? []), cpu]);
    };
    const measured = async (key: string, fn: () => Promise<LoadResult>) => {
      const meter = new CpuMeter(pids).start();
      const r = await fn();
      record(key, r, meter.read());
    };

    for (const c of opts.concurrency) {
      for (let run = 0; run < opts.runs; run++) {
        const n = opts.opsPerCell;
        const name = (i: number) => `b-c${c}-r${run}-${i}`;
        const rawKey = (i: number) => `${RAW_PREFIX}c${c}-r${run}/${i}`;
        const rv: string[] = [];
        // API and raw alternate so both see the same machine conditions.
        await measured(`create:api:${c}`, () =>
          closedLoop(c, n, async (w, i) => {
            const o = await clients[w]!.create(configMap(name(i), NAMESPACE, opts.payloadBytes, 'a'));
            rv[i] = o.metadata?.resourceVersion ?? '';
          }),
        );
        await measured(`create:raw:${c}`, () => closedLoop(c, n, (w, i) => raws[w]!.put(rawKey(i)).value(rawValue).exec()));
        await measured(`update:api:${c}`, () =>
          closedLoop(c, n, async (w, i) => {
            const cm = configMap(name(i), NAMESPACE, opts.payloadBytes, 'b');
            await clients[w]!.update({ ...cm, metadata: { ...cm.metadata, resourceVersion: rv[i] } });
          }),
        );
        await measured(`update:raw:${c}`, () => closedLoop(c, n, (w, i) => raws[w]!.put(rawKey(i)).value(rawValue2).exec()));
        await measured(`get:api:${c}`, () => closedLoop(c, n, (w, i) => clients[w]!.get('ConfigMap', NAMESPACE, name(i))));
        await measured(`get:raw:${c}`, () =>
          closedLoop(c, n, async (w, i) => {
            if (!(await raws[w]!.get(rawKey(i)).buffer())) throw new Error(`raw key ${rawKey(i)} missing`);
          }),
        );
      }
      const cr = results.get(`create:api:${c}`)!;
      opts.log(`api: ${c} clients done (create ${fmtRate(median(cr.map((r) => r.perSecond)))})`);
    }

    const cells: Cell[] = [];
    for (const c of opts.concurrency) {
      for (const op of ['create', 'update', 'get'] as Op[]) {
        cells.push({
          op,
          concurrency: c,
          api: summarise(results.get(`${op}:api:${c}`)!),
          raw: summarise(results.get(`${op}:raw:${c}`)!),
          cpu: medianByKey(cpus.get(`${op}:api:${c}`) ?? []),
        });
      }
    }

    const watch = await watchLatency(cluster.server, cluster.etcd.endpoint, opts, storedBytes);
    opts.log(`api: watch delivery p50 ${fmtMs(watch.api.p50)} p99 ${fmtMs(watch.api.p99)} (raw ${fmtMs(watch.raw.p50)} / ${fmtMs(watch.raw.p99)})`);

    const rows: Row[] = cells.map((cell) => {
      const clients = cell.concurrency === 1 ? '1 client' : `${cell.concurrency} clients`;
      const errs = cell.api.errors + cell.raw.errors;
      return {
        section: 'API',
        figure: `${cell.op}, ${clients}`,
        value: `${fmtRate(cell.api.perSecond)}; p50 ${fmtMs(cell.api.latency.p50)}, p99 ${fmtMs(cell.api.latency.p99)}`,
        reference: `${RAW_OPS[cell.op]} ${fmtRate(cell.raw.perSecond)}; p50 ${fmtMs(cell.raw.latency.p50)}, p99 ${fmtMs(cell.raw.latency.p99)}`,
        ratio: `${fmtRatio(ratio(cell.api.perSecond, cell.raw.perSecond))} throughput, ${fmtRatio(ratio(cell.api.latency.p99, cell.raw.latency.p99))} p99`,
        note:
          `${opts.opsPerCell} requests × ${opts.runs} runs, ${storedBytes} B objects; cores used: ${fmtCores(cell.cpu)}` +
          (errs ? `; ${errs} errors (${cell.api.firstError ?? cell.raw.firstError})` : ''),
      };
    });
    rows.push({
      section: 'API',
      figure: `watch delivery, ${opts.watchers} watchers (write request → event at each watcher)`,
      value: `p50 ${fmtMs(watch.api.p50)}, p99 ${fmtMs(watch.api.p99)}`,
      reference: `raw etcd3 watch, ${opts.watchers} watchers: p50 ${fmtMs(watch.raw.p50)}, p99 ${fmtMs(watch.raw.p99)}`,
      ratio: `${fmtRatio(ratio(watch.api.p50, watch.raw.p50))} p50, ${fmtRatio(ratio(watch.api.p99, watch.raw.p99))} p99`,
      note:
        `${opts.watchWrites} writes × ${opts.runs} runs, one at a time, each timed at all ${opts.watchers} watchers (${watch.api.count} deliveries); ` +
        `${(watch.apiBeforeResponse * 100).toFixed(0)} % of API deliveries (${(watch.rawBeforeResponse * 100).toFixed(0)} % raw) arrived before the writer had its response, so the figure is timed from the request` +
        (watch.missed ? `; ${watch.missed} deliveries never arrived within 10 s` : ''),
    });
    return { rows, cells, storedBytes, watch };
  } finally {
    for (const c of clients) c.close();
    for (const r of raws) r.close();
    await cluster.stop();
  }
}

/**
 * One write at a time; each is timed from its response to its arrival at
 * every watcher, then the next write goes. Watchers live in this process,
 * the apiserver and etcd in theirs.
 */
async function watchLatency(server: string, etcdEndpoint: string, opts: ApiBenchOptions, storedBytes: number): Promise<WatchResult> {
  const apiRuns: Percentiles[] = [];
  const rawRuns: Percentiles[] = [];
  let missed = 0;
  const admin = new ApiClient(server);
  const wclients = Array.from({ length: Math.max(1, Math.ceil(opts.watchers / 10)) }, () => new ApiClient(server));
  const rawClient = new Etcd3({ hosts: etcdEndpoint });
  const rawWriter = new Etcd3({ hosts: etcdEndpoint });
  // name → arrival time at each watcher
  const arrivals = new Map<string, number[]>();
  const arrived = (name: string | undefined) => {
    if (!name) return;
    const t = performance.now();
    const a = arrivals.get(name);
    if (a) a.push(t);
    else arrivals.set(name, [t]);
  };
  const watches: Watch<ConfigMap>[] = [];
  const rawWatchers: Watcher[] = [];
  const pumps: Promise<void>[] = [];
  try {
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: WATCH_NAMESPACE } });
    const { resourceVersion } = await admin.list('ConfigMap', { namespace: WATCH_NAMESPACE });
    for (let i = 0; i < opts.watchers; i++) {
      const w = wclients[i % wclients.length]!.watch('ConfigMap', { namespace: WATCH_NAMESPACE, resourceVersion });
      watches.push(w);
      pumps.push(
        (async () => {
          for await (const ev of w) arrived(ev.object?.metadata?.name);
        })().catch(() => undefined),
      );
    }
    for (let i = 0; i < opts.watchers; i++) {
      const w = await rawClient.watch().prefix('/bench/watch/').create();
      w.on('put', (kv) => arrived(kv.key.toString().slice('/bench/watch/'.length)));
      rawWatchers.push(w);
    }

    // Timed from the write's request: the apiserver often delivers the event
    // before the writer has its response, so "from the response" is mostly 0.
    const timeOne = async (name: string, write: () => Promise<unknown>): Promise<{ fromRequest: number[]; beforeResponse: number }> => {
      const t0 = performance.now();
      await write();
      const t1 = performance.now();
      try {
        await waitUntil(`${name} at all watchers`, () => (arrivals.get(name)?.length ?? 0) >= opts.watchers, 10_000, 1);
      } catch {
        missed += opts.watchers - (arrivals.get(name)?.length ?? 0);
      }
      const times = arrivals.get(name) ?? [];
      return { fromRequest: times.map((t) => t - t0), beforeResponse: times.filter((t) => t < t1).length };
    };
    // Warm-up: every watch is established and has delivered once.
    await timeOne('warm-up', () => admin.create(configMap('warm-up', WATCH_NAMESPACE, opts.payloadBytes, 'w')));
    await timeOne('raw-warm-up', () => rawWriter.put('/bench/watch/raw-warm-up').value('w').exec());
    missed = 0;

    let apiEarly = 0;
    let rawEarly = 0;
    for (let run = 0; run < opts.runs; run++) {
      const api: number[] = [];
      const raw: number[] = [];
      for (let k = 0; k < opts.watchWrites; k++) {
        const a = await timeOne(`w-${run}-${k}`, () => admin.create(configMap(`w-${run}-${k}`, WATCH_NAMESPACE, opts.payloadBytes, 'w')));
        api.push(...a.fromRequest);
        apiEarly += a.beforeResponse;
        const r = await timeOne(`raw-${run}-${k}`, () => rawWriter.put(`/bench/watch/raw-${run}-${k}`).value(Buffer.alloc(storedBytes, 'w')).exec());
        raw.push(...r.fromRequest);
        rawEarly += r.beforeResponse;
      }
      apiRuns.push(percentiles(api));
      rawRuns.push(percentiles(raw));
    }
    const api = medianPercentiles(apiRuns);
    const raw = medianPercentiles(rawRuns);
    return { api, raw, missed, apiBeforeResponse: apiEarly / Math.max(1, api.count), rawBeforeResponse: rawEarly / Math.max(1, raw.count) };
  } finally {
    for (const w of watches) w.stop();
    await Promise.all(pumps);
    for (const w of rawWatchers) await w.cancel().catch(() => undefined);
    rawClient.close();
    rawWriter.close();
    for (const c of wclients) c.close();
    admin.close();
  }
}
