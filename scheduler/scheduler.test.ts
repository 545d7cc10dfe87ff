// The acting layer against in-memory stand-ins for the informers and the
// client: wiring only, no network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../lib/api/generated/types.js';
import { ApiError } from '../lib/errors.js';
import { createLogger } from '../lib/logging.js';
import type { EventType } from './events.js';
import { Scheduler, withUnschedulableCondition, type ObjectSource, type SchedulerClient } from './scheduler.js';
import { syntheticNode, syntheticPod } from './simulate.js';

class FakeSource<O extends { metadata?: { name?: string; namespace?: string } }> implements ObjectSource<O> {
  readonly items = new Map<string, O>();
  private add: ((o: O) => void)[] = [];
  private upd: ((a: O, b: O) => void)[] = [];
  private del: ((o: O) => void)[] = [];
  constructor(private readonly namespaced: boolean) {}
  key(o: O): string {
    return this.namespaced ? `${o.metadata?.namespace ?? ''}/${o.metadata?.name}` : o.metadata?.name ?? '';
  }
  onAdd(fn: (o: O) => void) { this.add.push(fn); }
  onUpdate(fn: (a: O, b: O) => void) { this.upd.push(fn); }
  onDelete(fn: (o: O) => void) { this.del.push(fn); }
  private started = false;
  /** like an informer: what exists at start arrives as adds */
  async start() {
    this.started = true;
    for (const o of this.items.values()) for (const f of this.add) f(o);
  }
  stop() {}
  get(key: string) { return this.items.get(key); }
  put(o: O) {
    const old = this.items.get(this.key(o));
    this.items.set(this.key(o), o);
    if (!this.started) return;
    if (old) for (const f of this.upd) f(old, o);
    else for (const f of this.add) f(o);
  }
  remove(o: O) {
    this.items.delete(this.key(o));
    for (const f of this.del) f(o);
  }
}

function harness(opts: { failBinds?: number; maxBindsInFlight?: number; holdBinds?: Promise<void> } = {}) {
  const nodes = new FakeSource<Node>(false);
  const pods = new FakeSource<Pod>(true);
  const binds: string[] = [];
  const statuses: Pod[] = [];
  const events: { type: EventType; reason: string; message: string; pod: string }[] = [];
  let failBinds = opts.failBinds ?? 0;
  let bindsActive = 0;
  const bindStats = { maxActive: 0 };
  const client: SchedulerClient = {
    async bind(ns, name, nodeName) {
      bindsActive++;
      bindStats.maxActive = Math.max(bindStats.maxActive, bindsActive);
      try {
        await opts.holdBinds;
      } finally {
        bindsActive--;
      }
      if (failBinds > 0) {
        failBinds--;
        throw new ApiError('Unavailable', 'apiserver hiccup');
      }
      binds.push(`${name}->${nodeName}`);
      const cur = pods.get(`${ns}/${name}`)!;
      const bound = { ...cur, spec: { ...cur.spec, nodeName } };
      // the informer sees the binding a moment later
      setImmediate(() => pods.put(bound));
      return bound;
    },
    async updateStatus(obj) {
      statuses.push(obj as Pod);
      setImmediate(() => pods.put(obj as Pod));
      return obj;
    },
    async get(_kind, ns, name) {
      return pods.get(`${ns}/${name}`)! as never;
    },
  };
  const sched = new Scheduler({
    client,
    nodes,
    pods,
    events: { event: (p, type, reason, message) => events.push({ type, reason, message, pod: p.metadata!.name! }) },
    log: createLogger('scheduler-test', 'silent'),
    tickMs: 10,
    queue: { initialBackoffMs: 10, maxBackoffMs: 20 },
    maxBindsInFlight: opts.maxBindsInFlight,
  });
  return { nodes, pods, binds, statuses, events, sched, bindStats };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('pending pods of ours are bound to a node that fits; others are left alone', async () => {
  const h = harness();
  h.nodes.put(syntheticNode('small', '1', '1Gi'));
  h.nodes.put(syntheticNode('big', '4', '4Gi'));
  h.pods.put(syntheticPod('fits-big', '2', '1Gi'));
  const foreign = syntheticPod('foreign', '1m', '1Mi');
  foreign.spec!.schedulerName = 'other-scheduler';
  h.pods.put(foreign);
  await h.sched.start();
  try {
    await until('bind', () => h.binds.length === 1);
    assert.deepEqual(h.binds, ['fits-big->big']);
    await until('event', () => h.events.length === 1);
    assert.deepEqual(h.events[0], { type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/fits-big to big', pod: 'fits-big' });
    await until('confirmation', () => !h.sched.core.cache.isAssumed('default/fits-big'));
    assert.equal(h.sched.core.cache.nodeInfo('big')!.requested.milliCpu, 2000);
  } finally {
    await h.sched.stop();
  }
  assert.equal(h.binds.includes('foreign->small') || h.binds.includes('foreign->big'), false);
});

test('a pod that fits nowhere gets PodScheduled=False and a FailedScheduling event, then lands when a node is added', async () => {
  const h = harness();
  h.nodes.put(syntheticNode('n1', '1', '1Gi'));
  await h.sched.start();
  try {
    h.pods.put(syntheticPod('huge', '3', '1Gi'));
    await until('status', () => h.statuses.length === 1);
    const cond = h.statuses[0]!.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, '0/1 nodes are available: 1 Insufficient cpu.');
    assert.ok(h.events.some((e) => e.type === 'Warning' && e.reason === 'FailedScheduling' && e.message === cond.message));
    // our own status write must not retry the pod
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.sched.core.queue.where('default/huge'), 'unschedulable');
    h.nodes.put(syntheticNode('n2', '4', '4Gi'));
    await until('bind after node add', () => h.binds.length === 1);
    assert.deepEqual(h.binds, ['huge->n2']);
  } finally {
    await h.sched.stop();
  }
});

test('a failed bind forgets the assumption and retries after backoff', async () => {
  const h = harness({ failBinds: 1 });
  h.nodes.put(syntheticNode('n1', '2', '2Gi'));
  await h.sched.start();
  try {
    h.pods.put(syntheticPod('p', '2', '1Gi'));
    await until('bind', () => h.binds.length === 1);
    assert.deepEqual(h.binds, ['p->n1']);
    assert.ok(h.events.some((e) => e.reason === 'FailedScheduling' && /Binding rejected: apiserver hiccup/.test(e.message)));
    await until('confirmation', () => h.sched.core.cache.nodeOf('default/p') === 'n1' && !h.sched.core.cache.isAssumed('default/p'));
    assert.equal(h.sched.core.cache.nodeInfo('n1')!.requested.milliCpu, 2000, 'counted once');
  } finally {
    await h.sched.stop();
  }
});

test('deleting a bound pod frees room for a parked one', async () => {
  const h = harness();
  h.nodes.put(syntheticNode('n1', '2', '2Gi'));
  const holder = syntheticPod('holder', '2', '1Gi');
  holder.spec!.nodeName = 'n1';
  h.pods.put(holder);
  await h.sched.start();
  try {
    h.pods.put(syntheticPod('waiting', '2', '1Gi'));
    await until('parked', () => h.sched.core.queue.where('default/waiting') === 'unschedulable');
    h.pods.remove(holder);
    await until('bind', () => h.binds.length === 1);
    assert.deepEqual(h.binds, ['waiting->n1']);
  } finally {
    await h.sched.stop();
  }
});

test('a burst never overcommits: every bind fits allocatable', async () => {
  const h = harness();
  h.nodes.put(syntheticNode('a', '1', '4Gi'));
  h.nodes.put(syntheticNode('b', '2', '4Gi'));
  for (let i = 0; i < 20; i++) h.pods.put(syntheticPod(`p${i}`, '250m', '64Mi', { owner: 'rs' }));
  await h.sched.start();
  try {
    await until('12 binds', () => h.binds.length === 12);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.binds.length, 12, '3 cores of 250m pods is 12');
    const perNode = (n: string) => h.binds.filter((b) => b.endsWith(`->${n}`)).length;
    assert.equal(perNode('a'), 4);
    assert.equal(perNode('b'), 8);
  } finally {
    await h.sched.stop();
  }
});

test('binds wait for a slot while decisions go on: at most maxBindsInFlight at once, every pod bound', async () => {
  let release!: () => void;
  const hold = new Promise<void>((r) => (release = r));
  const h = harness({ maxBindsInFlight: 3, holdBinds: hold });
  h.nodes.put(syntheticNode('n1', '8', '8Gi'));
  for (let i = 0; i < 10; i++) h.pods.put(syntheticPod(`p${i}`, '100m', '64Mi'));
  await h.sched.start();
  try {
    await until('every pod decided', () => h.sched.core.cache.assumedCount === 10);
    assert.equal(h.bindStats.maxActive, 3);
    release();
    await until('10 binds', () => h.binds.length === 10);
    assert.equal(h.bindStats.maxActive, 3);
  } finally {
    release();
    await h.sched.stop();
  }
});

test('withUnschedulableCondition sets the condition once and keeps the first transition time', () => {
  const p = syntheticPod('p', '1', '1Gi');
  const t1 = new Date('2024-01-01T00:00:00Z');
  const a = withUnschedulableCondition(p, 'msg one', t1)!;
  assert.deepEqual(a.status!.conditions, [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'msg one', lastProbeTime: undefined, lastTransitionTime: t1.toISOString() }]);
  assert.equal(withUnschedulableCondition(a, 'msg one', new Date()), undefined, 'unchanged: no write');
  const b = withUnschedulableCondition(a, 'msg two', new Date('2024-02-01T00:00:00Z'))!;
  assert.equal(b.status!.conditions!.length, 1);
  assert.equal(b.status!.conditions![0]!.message, 'msg two');
  assert.equal(b.status!.conditions![0]!.lastTransitionTime, t1.toISOString());
});
