import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../lib/api/generated/types.js';
import {
  resolveFenceposts,
  maxSurge,
  maxUnavailable,
  findNewReplicaSet,
  findOldReplicaSets,
  newReplicaSetReplicas,
  planRollingStep,
  planRecreateStep,
  planScale,
  isScalingEvent,
  planHistoryCleanup,
} from './rollout.js';
import { deployment, replicaSet, template } from './testing.js';

const sizes = (scales: { rs: ReplicaSet; replicas: number }[]) => Object.fromEntries(scales.map((s) => [s.rs.metadata!.name, s.replicas]));

test('fenceposts: counts or percentages, surge rounds up, unavailable down, both zero means one unavailable', () => {
  assert.deepEqual(resolveFenceposts(deployment({ replicas: 10, surge: '25%', unavailable: '25%' })), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts(deployment({ replicas: 10, surge: 2, unavailable: 0 })), { surge: 2, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(deployment({ replicas: 3, surge: 0, unavailable: 0 })), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(deployment({ replicas: 3, surge: '0%', unavailable: '10%' })), { surge: 0, unavailable: 1 });
  assert.equal(maxUnavailable(deployment({ replicas: 2, unavailable: 5 })), 2);
  assert.equal(maxUnavailable(deployment({ replicas: 0 })), 0);
  assert.equal(maxSurge(deployment({ strategy: 'Recreate' })), 0);
  assert.equal(maxUnavailable(deployment({ strategy: 'Recreate' })), 0);
  const defaults: Deployment = { spec: { replicas: 4 } };
  assert.deepEqual(resolveFenceposts(defaults), { surge: 1, unavailable: 1 });
});

test('the new ReplicaSet is the oldest one whose template equals the Deployment\'s', () => {
  const d = deployment({ image: 'nginx:2' });
  const a = replicaSet('a', { image: 'nginx:1', created: 1 });
  const b = replicaSet('b', { image: 'nginx:2', created: 3 });
  const c = replicaSet('c', { image: 'nginx:2', created: 2 });
  b.spec!.template!.metadata!.labels!['pod-template-hash'] = 'b';
  assert.equal(findNewReplicaSet(d, [a, b, c])?.metadata?.name, 'c');
  assert.deepEqual(findOldReplicaSets([a, b, c], c).map((r) => r.metadata!.name), ['a', 'b']);
  assert.equal(findNewReplicaSet(deployment({ image: 'nginx:9' }), [a, b, c]), undefined);
  assert.deepEqual(findOldReplicaSets([a, b], undefined).length, 2);
});

test('a new ReplicaSet grows within surge room; Recreate takes the full size', () => {
  const d = deployment({ replicas: 10, surge: 3 });
  const old = replicaSet('old', { spec: 10 });
  assert.equal(newReplicaSetReplicas(d, [old], undefined), 3);
  const nu = replicaSet('new', { spec: 3 });
  assert.equal(newReplicaSetReplicas(d, [old, nu], nu), 3);
  // An old ReplicaSet ordered down but still holding pods still counts them.
  const shrinking = replicaSet('old', { spec: 8, pods: 10 });
  assert.equal(newReplicaSetReplicas(d, [shrinking, nu], nu), 3);
  const shrunk = replicaSet('old', { spec: 8, pods: 8 });
  assert.equal(newReplicaSetReplicas(d, [shrunk, nu], nu), 5);
  assert.equal(newReplicaSetReplicas(deployment({ replicas: 10, strategy: 'Recreate' }), [old], undefined), 10);
});

test('rolling step: scale the new one up first, then old ones down to the availability floor', () => {
  const d = deployment({ replicas: 4, surge: 1, unavailable: 1 });
  const old = replicaSet('old', { spec: 4, available: 4 });
  let nu = replicaSet('new', { spec: 0 });
  let step = planRollingStep(d, nu, [old]);
  assert.equal(step.kind, 'scale-new');
  assert.deepEqual(sizes(step.scales), { new: 1 });
  nu = replicaSet('new', { spec: 1, available: 0 });
  step = planRollingStep(d, nu, [old]);
  assert.equal(step.kind, 'scale-old');
  assert.deepEqual(sizes(step.scales), { old: 3 });
});

test('rolling step: unhealthy old pods are removed before healthy ones, within what the new set lacks', () => {
  const d = deployment({ replicas: 4, surge: 0, unavailable: 1 });
  const old1 = replicaSet('old1', { spec: 2, available: 0, created: 1 });
  const old2 = replicaSet('old2', { spec: 2, available: 2, created: 2 });
  const nu = replicaSet('new', { spec: 0, created: 3 });
  const step = planRollingStep(d, nu, [old1, old2]);
  // 2 available, floor 3: no healthy pod may go; of the unhealthy ones only as
  // many as keep the pod count at the floor (4 - 3), the rest in later steps.
  assert.deepEqual(sizes(step.scales), { old1: 1 });
});

test('rolling step: nothing to do when complete, and no step below the floor', () => {
  const d = deployment({ replicas: 3, surge: 1, unavailable: 0 });
  assert.equal(planRollingStep(d, replicaSet('new', { spec: 3 }), [replicaSet('old', { spec: 0 })]).kind, 'none');
  const stuck = planRollingStep(d, replicaSet('new', { spec: 1, available: 0 }), [replicaSet('old', { spec: 3, available: 3 })]);
  assert.equal(stuck.kind, 'none');
});

// ---- randomised: no step ever breaks the surge ceiling or the availability floor ----

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)]!;

function randomFencepost(r: () => number): number | string {
  return r() < 0.5 ? int(r, 0, 4) : pick(r, ['0%', '10%', '25%', '33%', '50%', '100%']);
}

/** A ReplicaSet's real state next to what its object says. */
interface Sim {
  rs: ReplicaSet;
  pods: number;
  available: number;
}

function withSpec(rs: ReplicaSet, spec: number): ReplicaSet {
  return { ...rs, spec: { ...rs.spec, replicas: spec } };
}

function observed(s: Sim): ReplicaSet {
  return { ...s.rs, status: { ...s.rs.status, replicas: s.pods, availableReplicas: s.available, readyReplicas: s.available } };
}

/**
 * The worst the cluster can do with a step: every ReplicaSet's pods become its
 * spec (deletions removing unavailable pods first, creations adding
 * unavailable ones), and creations land before deletions.
 */
function outcome(before: Sim[], after: Map<string, number>): { peakPods: number; available: number } {
  let peakPods = 0;
  let available = 0;
  for (const s of before) {
    const spec = after.get(s.rs.metadata!.name!) ?? s.rs.spec!.replicas!;
    peakPods += Math.max(s.pods, spec);
    available += Math.min(s.available, spec);
  }
  return { peakPods, available };
}

test('random states: a rolling step never crosses replicas+maxSurge pods or replicas-maxUnavailable available', () => {
  const r = rng(20240101);
  let scaledSomething = 0;
  for (let iter = 0; iter < 5000; iter++) {
    const replicas = int(r, 0, 12);
    const d = deployment({ replicas, surge: randomFencepost(r), unavailable: randomFencepost(r) });
    const maxTotal = replicas + maxSurge(d);
    const minAvailable = replicas - maxUnavailable(d);
    const sims: Sim[] = [];
    const nOld = int(r, 1, 3);
    for (let i = 0; i < nOld; i++) {
      const pods = int(r, 0, replicas + 2);
      // an old ReplicaSet's spec is at most its pods: scale-downs may still be in flight
      const spec = int(r, 0, pods);
      sims.push({ rs: replicaSet(`old${i}`, { spec, created: i }), pods, available: int(r, 0, pods) });
    }
    const newPods = int(r, 0, replicas);
    const newSpec = int(r, newPods, newPods + 2);
    sims.push({ rs: replicaSet('new', { spec: newSpec, created: 10 }), pods: newPods, available: int(r, 0, newPods) });
    const rses = sims.map(observed);
    const step = planRollingStep(d, rses.at(-1)!, rses.slice(0, -1));

    const after = new Map(step.scales.map((s) => [s.rs.metadata!.name!, s.replicas]));
    const noop = outcome(sims, new Map());
    const res = outcome(sims, after);
    const ctx = JSON.stringify({ replicas, strategy: d.spec!.strategy, sims: sims.map((s) => [s.rs.spec!.replicas, s.pods, s.available]), step: [...after] });
    assert.ok(res.peakPods <= Math.max(maxTotal, noop.peakPods), `surge crossed: ${res.peakPods} > ${maxTotal}; ${ctx}`);
    assert.ok(res.available >= Math.min(minAvailable, noop.available), `floor crossed: ${res.available} < ${minAvailable}; ${ctx}`);
    for (const s of step.scales) {
      const before = s.rs.spec!.replicas!;
      if (s.rs.metadata!.name === 'new') assert.ok(s.replicas > before || s.replicas === replicas, `new shrank: ${ctx}`);
      else assert.ok(s.replicas < before && s.replicas >= 0, `old grew: ${ctx}`);
    }
    if (step.scales.length) scaledSomething++;
  }
  assert.ok(scaledSomething > 1000, 'the random cases exercise real steps');
});

test('random rollouts run to completion without ever crossing the bounds on the way', () => {
  const r = rng(7);
  for (let iter = 0; iter < 300; iter++) {
    const replicas = int(r, 1, 15);
    const d = deployment({ replicas, surge: randomFencepost(r), unavailable: randomFencepost(r), image: 'v2' });
    const maxTotal = replicas + maxSurge(d);
    const minAvailable = replicas - maxUnavailable(d);
    const nOld = int(r, 1, 2);
    // old ReplicaSets share the full size, all available
    let left = replicas;
    const sims: Sim[] = [];
    for (let i = 0; i < nOld; i++) {
      const n = i === nOld - 1 ? left : int(r, 0, left);
      left -= n;
      sims.push({ rs: replicaSet(`old${i}`, { spec: n, created: i, image: `v1-${i}` }), pods: n, available: n });
    }
    const oldSims = [...sims];
    const rsOld = sims.map(observed);
    let nu: Sim = { rs: replicaSet('new', { spec: newReplicaSetReplicas(d, rsOld, undefined), created: 10, image: 'v2' }), pods: 0, available: 0 };
    sims.push(nu);

    let done = false;
    for (let round = 0; round < 500 && !done; round++) {
      // the cluster converges: creations first (checked), then deletions
      const peak = sims.reduce((n, s) => n + Math.max(s.pods, s.rs.spec!.replicas!), 0);
      assert.ok(peak <= maxTotal, `round ${round}: ${peak} pods > ${maxTotal}`);
      for (const s of sims) {
        const spec = s.rs.spec!.replicas!;
        s.available = Math.min(s.available, spec);
        s.pods = spec;
      }
      const avail = sims.reduce((n, s) => n + s.available, 0);
      assert.ok(avail >= minAvailable, `round ${round}: ${avail} available < ${minAvailable}`);
      // some new pods become available
      nu = sims.at(-1)!;
      for (let k = nu.available; k < nu.pods; k++) if (r() < 0.5) nu.available++;

      const rses = sims.map(observed);
      const step = planRollingStep(d, rses.at(-1)!, rses.slice(0, -1));
      for (const sc of step.scales) {
        const s = sims.find((x) => x.rs.metadata!.name === sc.rs.metadata!.name)!;
        s.rs = withSpec(s.rs, sc.replicas);
      }
      done =
        step.kind === 'none' &&
        nu.rs.spec!.replicas === replicas &&
        nu.available === replicas &&
        oldSims.every((s) => s.rs.spec!.replicas === 0 && s.pods === 0);
    }
    assert.ok(done, `rollout of ${replicas} with ${JSON.stringify(d.spec!.strategy)} did not finish`);
  }
});

test('a rollout whose new pods never become available stalls at the floor instead of going below it', () => {
  const d = deployment({ replicas: 4, surge: 1, unavailable: 1 });
  let old = replicaSet('old', { spec: 4, available: 4 });
  let nu = replicaSet('new', { spec: 0 });
  for (let i = 0; i < 20; i++) {
    const step = planRollingStep(d, nu, [old]);
    for (const s of step.scales) {
      const avail = Math.min(s.rs.status!.availableReplicas!, s.replicas);
      const next = { ...withSpec(s.rs, s.replicas), status: { replicas: s.replicas, availableReplicas: s.rs === nu ? 0 : avail } };
      if (s.rs === nu) nu = next;
      else old = next;
    }
  }
  assert.equal(old.spec!.replicas, 3);
  assert.equal(nu.spec!.replicas, 2);
});

test('recreate: old sets to zero, wait for their pods, then the new one at full size', () => {
  const d = deployment({ strategy: 'Recreate', replicas: 3 });
  const old = replicaSet('old', { spec: 3 });
  assert.deepEqual(planRecreateStep(d, undefined, [old], true), { kind: 'scale-down-old', scales: [{ rs: old, replicas: 0 }] });
  const drained = replicaSet('old', { spec: 0, pods: 0 });
  assert.deepEqual(planRecreateStep(d, undefined, [drained], true), { kind: 'wait-for-old-pods' });
  assert.deepEqual(planRecreateStep(d, undefined, [drained], false), { kind: 'scale-new', replicas: 3 });
  assert.deepEqual(planRecreateStep(d, replicaSet('new', { spec: 3 }), [drained], false), { kind: 'none' });
});

test('scaling event: detected from the desired-replicas annotation of active sets', () => {
  const d = deployment({ replicas: 5 });
  assert.ok(isScalingEvent(d, [replicaSet('a', { spec: 3, desired: 3 })]));
  assert.ok(!isScalingEvent(d, [replicaSet('a', { spec: 5, desired: 5 }), replicaSet('b', { spec: 0, desired: 3 })]));
  assert.ok(!isScalingEvent(d, [replicaSet('a', { spec: 3 })]));
});

test('scaling with one active set scales just that one', () => {
  const d = deployment({ replicas: 7 });
  const nu = replicaSet('new', { spec: 3, desired: 3 });
  assert.deepEqual(sizes(planScale(d, nu, [replicaSet('old', { spec: 0 })])), { new: 7 });
  assert.deepEqual(planScale(deployment({ replicas: 3 }), nu, []), []);
  // No active set at all: the new one (or the newest old one) takes the size.
  assert.deepEqual(sizes(planScale(d, undefined, [replicaSet('o1', { created: 1 }), replicaSet('o2', { created: 2 })])), { o2: 7 });
});

test('proportional scaling mid-rollout shares the change by size', () => {
  // 10 replicas, surge 3: old at 8 and new at 5 (13 = 10 + 3); scaled to 15.
  const d = deployment({ replicas: 15, surge: 3, unavailable: 2 });
  const old = replicaSet('old', { spec: 8, desired: 10, max: 13, created: 1 });
  const nu = replicaSet('new', { spec: 5, desired: 10, max: 13, created: 2, available: 0 });
  const s = sizes(planScale(d, nu, [old]));
  assert.deepEqual(s, { old: 11, new: 7 });
  assert.equal(s.old! + s.new!, 15 + 3);
  // and back down to 5: 8 allowed
  const down = sizes(planScale(deployment({ replicas: 5, surge: 3, unavailable: 2 }), nu, [old]));
  assert.equal(down.old! + down.new!, 8);
  assert.deepEqual(down, { old: 5, new: 3 });
  // to zero: everything goes
  assert.deepEqual(sizes(planScale(deployment({ replicas: 0, surge: 3 }), nu, [old])), { old: 0, new: 0 });
});

test('a saturated new set lets every old one go to zero', () => {
  const d = deployment({ replicas: 3 });
  const nu = replicaSet('new', { spec: 3, desired: 3, available: 3 });
  assert.deepEqual(sizes(planScale(d, nu, [replicaSet('old', { spec: 1 })])), { old: 0 });
});

test('history cleanup deletes the lowest revisions beyond the limit, only when empty and settled', () => {
  const d = deployment({ revisionHistoryLimit: 2 });
  const olds = [
    replicaSet('r1', { revision: 1, created: 1 }),
    replicaSet('r2', { revision: 2, created: 2, spec: 1 }),
    replicaSet('r3', { revision: 3, created: 3 }),
    replicaSet('r4', { revision: 4, created: 4 }),
    replicaSet('r5', { revision: 5, created: 5, generation: 2, observedGeneration: 1 }),
  ];
  assert.deepEqual(planHistoryCleanup(d, olds).map((r) => r.metadata!.name), ['r1', 'r3']);
  assert.deepEqual(planHistoryCleanup(deployment(), olds), []);
  assert.deepEqual(planHistoryCleanup(deployment({ revisionHistoryLimit: 0 }), [replicaSet('a', { revision: 1 })]).length, 1);
  assert.ok(template());
});

test('a new ReplicaSet: name from the hash, hash label in selector, template and labels, revision and sizes annotated', async () => {
  const { buildNewReplicaSet, replicaSetName } = await import('./replicasets.js');
  const d = deployment({ replicas: 4, surge: 1 });
  d.metadata!.annotations = { 'kubernetes.io/change-cause': 'v2' };
  const rs = buildNewReplicaSet(d, 'h4sh', 2, 1);
  assert.equal(rs.metadata!.name, 'web-h4sh');
  assert.deepEqual(rs.spec!.selector!.matchLabels, { app: 'web', 'pod-template-hash': 'h4sh' });
  assert.deepEqual(rs.spec!.template!.metadata!.labels, { app: 'web', 'pod-template-hash': 'h4sh' });
  assert.deepEqual(rs.metadata!.labels, { app: 'web', 'pod-template-hash': 'h4sh' });
  assert.equal(rs.spec!.replicas, 1);
  assert.deepEqual(rs.metadata!.annotations, {
    'kubernetes.io/change-cause': 'v2',
    'deployment.kubernetes.io/revision': '2',
    'deployment.kubernetes.io/desired-replicas': '4',
    'deployment.kubernetes.io/max-replicas': '5',
  });
  assert.deepEqual(rs.metadata!.ownerReferences, [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true },
  ]);
  assert.deepEqual(d.spec!.template!.metadata!.labels, { app: 'web' }, 'the Deployment is not modified');
  const long = deployment();
  long.metadata!.name = 'x'.repeat(70);
  assert.ok(replicaSetName(long, 'abcdefg').length <= 57);
});
