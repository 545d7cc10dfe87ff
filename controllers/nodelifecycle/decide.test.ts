import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Taint, Toleration } from '../../lib/api/generated/types.js';
import {
  planNodeHealth,
  planEvictions,
  taintsFor,
  tolerates,
  allowedDurationMs,
  markConditionsUnknown,
  podStatusNotReady,
  TAINT_UNREACHABLE,
  TAINT_NOT_READY,
} from './decide.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const GRACE = 40_000;
const EVICT = 300_000;

function node(ready: 'True' | 'False' | 'Unknown' | undefined, taints: Taint[] = []): Node {
  return {
    kind: 'Node',
    metadata: { name: 'n1', uid: 'nu' },
    spec: { taints },
    status: {
      conditions: [
        ...(ready ? [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: iso(T0), lastTransitionTime: iso(T0) }] : []),
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
      ],
    },
  };
}

const pod = (name: string, tolerations: Toleration[] = []): Pod => ({
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `u-${name}` },
  spec: { nodeName: 'n1', tolerations },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

test('a node whose lease was renewed within the grace period is left alone', () => {
  const p = planNodeHealth({ node: node('True'), now: T0 + GRACE, lastRenewObservedAt: T0, gracePeriodMs: GRACE });
  assert.deepEqual(p, { ready: 'True', conditions: undefined, taints: undefined, becameUnreachable: false });
});

test('past the grace period the node goes Unknown and gets the unreachable taints', () => {
  const now = T0 + GRACE + 1;
  const p = planNodeHealth({ node: node('True', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), now, lastRenewObservedAt: T0, gracePeriodMs: GRACE });
  assert.equal(p.ready, 'Unknown');
  assert.equal(p.becameUnreachable, true);
  const ready = p.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'Unknown');
  assert.equal(ready.reason, 'NodeStatusUnknown');
  assert.equal(ready.message, 'Kubelet stopped posting node status.');
  assert.equal(ready.lastTransitionTime, iso(now));
  assert.equal(ready.lastHeartbeatTime, iso(T0), 'the heartbeat stays what the agent last posted');
  assert.equal(p.conditions!.find((c) => c.type === 'MemoryPressure')!.status, 'Unknown');
  assert.deepEqual(p.taints, [
    { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
    { key: TAINT_UNREACHABLE, effect: 'NoSchedule' },
    { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: iso(now) },
  ]);
});

test('an already-Unknown, already-tainted stale node needs no writes (and keeps its taint time)', () => {
  const tainted = taintsFor([], 'Unknown', T0);
  const n = node('Unknown', tainted);
  const p = planNodeHealth({ node: n, now: T0 + 10 * GRACE, lastRenewObservedAt: T0, gracePeriodMs: GRACE });
  assert.equal(p.ready, 'Unknown');
  assert.equal(p.becameUnreachable, false);
  assert.equal(p.taints, undefined);
  // MemoryPressure was still False in the fixture, so that condition changes.
  assert.equal(p.conditions?.every((c) => c.status === 'Unknown'), true);
});

test('when the lease renews but the agent has not set Ready=True yet, the taints stay', () => {
  const n = node('Unknown', taintsFor([], 'Unknown', T0));
  const p = planNodeHealth({ node: n, now: T0 + 100_000, lastRenewObservedAt: T0 + 99_000, gracePeriodMs: GRACE });
  assert.equal(p.conditions, undefined);
  assert.equal(p.taints, undefined);
});

test('once the agent reports Ready=True again the controller removes its taints only', () => {
  const n = node('True', [{ key: 'dedicated', effect: 'NoSchedule' }, ...taintsFor([], 'Unknown', T0)]);
  const p = planNodeHealth({ node: n, now: T0 + 100_000, lastRenewObservedAt: T0 + 99_000, gracePeriodMs: GRACE });
  assert.deepEqual(p.taints, [{ key: 'dedicated', effect: 'NoSchedule' }]);
});

test('a node reporting Ready=False gets the not-ready taints; switching to unreachable swaps them', () => {
  const p = planNodeHealth({ node: node('False'), now: T0, lastRenewObservedAt: T0, gracePeriodMs: GRACE });
  assert.deepEqual(p.taints?.map((t) => `${t.key}:${t.effect}`), [`${TAINT_NOT_READY}:NoSchedule`, `${TAINT_NOT_READY}:NoExecute`]);
  assert.deepEqual(taintsFor(p.taints!, 'Unknown', T0 + 1).map((t) => t.key), [TAINT_UNREACHABLE, TAINT_UNREACHABLE]);
});

test('a node that never reported gets a Ready Unknown condition saying so, after the grace period only', () => {
  const fresh = planNodeHealth({ node: node(undefined), now: T0 + 1000, lastRenewObservedAt: T0, gracePeriodMs: GRACE });
  assert.equal(fresh.ready, undefined);
  assert.equal(fresh.taints, undefined);
  const late = planNodeHealth({ node: node(undefined), now: T0 + GRACE + 1, lastRenewObservedAt: T0, gracePeriodMs: GRACE });
  const ready = late.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'NodeStatusNeverUpdated');
  assert.equal(late.ready, 'Unknown');
  assert.equal(markConditionsUnknown([{ type: 'Ready', status: 'Unknown' }], iso(T0)), undefined);
});

test('tolerations match by key/operator/value/effect', () => {
  const taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
  assert.equal(tolerates({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }, taint), true);
  assert.equal(tolerates({ operator: 'Exists' }, taint), true, 'empty key with Exists tolerates everything');
  assert.equal(tolerates({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoSchedule' }, taint), false);
  assert.equal(tolerates({ key: 'other', operator: 'Exists' }, taint), false);
  assert.equal(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }), true);
  assert.equal(tolerates({ key: 'k', operator: 'Equal', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' }), false);
});

test('allowed time on a tainted node: default timeout, tolerationSeconds, forever, or none for foreign taints', () => {
  const unreachable = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
  assert.equal(allowedDurationMs(pod('a'), unreachable, EVICT), EVICT);
  assert.equal(allowedDurationMs(pod('b', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]), unreachable, EVICT), 30_000);
  assert.equal(allowedDurationMs(pod('c', [{ operator: 'Exists' }]), unreachable, EVICT), Infinity);
  assert.equal(allowedDurationMs(pod('d'), { key: 'example.com/maintenance', effect: 'NoExecute' }, EVICT), 0);
});

test('pods are evicted once the eviction timeout after the taint has passed, and not before', () => {
  const taints = taintsFor([], 'Unknown', T0);
  const n = node('Unknown', taints);
  const pods = [pod('plain'), pod('short', [{ key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 60 }]), pod('forever', [{ operator: 'Exists' }])];

  const early = planEvictions({ node: n, pods, now: T0 + 59_999, defaultEvictionTimeoutMs: EVICT });
  assert.deepEqual(early.evict, []);
  assert.equal(early.nextCheckInMs, 1);

  const mid = planEvictions({ node: n, pods, now: T0 + 60_000, defaultEvictionTimeoutMs: EVICT });
  assert.deepEqual(mid.evict.map((e) => e.pod.metadata?.name), ['short']);
  assert.equal(mid.evict[0]!.since, iso(T0));
  assert.equal(mid.nextCheckInMs, EVICT - 60_000);

  const late = planEvictions({ node: n, pods, now: T0 + EVICT, defaultEvictionTimeoutMs: EVICT });
  assert.deepEqual(late.evict.map((e) => e.pod.metadata?.name).sort(), ['plain', 'short']);
  assert.equal(late.nextCheckInMs, undefined, 'the pod that tolerates forever is never scheduled for eviction');
});

test('no NoExecute taint, no eviction', () => {
  const n = node('True', [{ key: TAINT_UNREACHABLE, effect: 'NoSchedule' }]);
  assert.deepEqual(planEvictions({ node: n, pods: [pod('a')], now: T0 + 10 * EVICT, defaultEvictionTimeoutMs: EVICT }), { evict: [] });
});

test('podStatusNotReady flips Ready to False once', () => {
  const p = pod('a');
  const s = podStatusNotReady(p, iso(T0))!;
  assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
  assert.equal(s.phase, 'Running');
  assert.equal(podStatusNotReady({ ...p, status: s }, iso(T0 + 1)), undefined);
});
