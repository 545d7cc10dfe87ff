import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeaningfulPodUpdate, SchedulingQueue } from './queue.js';
import { syntheticPod } from './simulate.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const popAll = (q: SchedulingQueue): string[] => {
  const out: string[] = [];
  for (let qp = q.pop(); qp; qp = q.pop()) {
    out.push(qp.pod.metadata!.name!);
    q.done(qp.key);
  }
  return out;
};

test('active pods come out by priority (highest first), then creation time, then name', () => {
  const q = new SchedulingQueue();
  q.add(syntheticPod('old-low', '1m', '1Mi', { created: '2024-01-01T00:00:00Z' }));
  q.add(syntheticPod('new-high', '1m', '1Mi', { created: '2024-01-03T00:00:00Z', priority: 1000 }));
  q.add(syntheticPod('newer-low', '1m', '1Mi', { created: '2024-01-02T00:00:00Z' }));
  q.add(syntheticPod('old-high', '1m', '1Mi', { created: '2024-01-01T00:00:00Z', priority: 1000 }));
  q.add(syntheticPod('b-same', '1m', '1Mi', { created: '2024-01-01T00:00:00Z' }));
  q.add(syntheticPod('negative', '1m', '1Mi', { created: '2023-01-01T00:00:00Z', priority: -5 }));
  assert.deepEqual(popAll(q), ['old-high', 'new-high', 'b-same', 'old-low', 'newer-low', 'negative']);
});

test('an update that raises priority reorders; a deleted pod never comes out', () => {
  const q = new SchedulingQueue();
  q.add(syntheticPod('a', '1m', '1Mi', { created: '2024-01-01T00:00:00Z' }));
  q.add(syntheticPod('b', '1m', '1Mi', { created: '2024-01-02T00:00:00Z' }));
  q.add(syntheticPod('c', '1m', '1Mi', { created: '2024-01-03T00:00:00Z' }));
  q.update(undefined, syntheticPod('c', '1m', '1Mi', { created: '2024-01-03T00:00:00Z', priority: 10 }));
  q.delete('default/a');
  assert.deepEqual(popAll(q), ['c', 'b']);
  assert.equal(q.pop(), undefined);
});

test('an unschedulable pod is parked until the cluster changes, then retried after its backoff', () => {
  const c = clock();
  const q = new SchedulingQueue({ now: c.now, initialBackoffMs: 1000, maxBackoffMs: 10_000 });
  q.add(syntheticPod('p', '1m', '1Mi'));
  const qp = q.pop()!;
  q.addUnschedulable(qp);
  assert.equal(q.where('default/p'), 'unschedulable');
  c.t += 5000;
  assert.equal(q.flushBackoffCompleted(), 0);
  assert.equal(q.pop(), undefined, 'nothing changed: stays parked');

  q.moveAllToActiveOrBackoff();
  assert.equal(q.where('default/p'), 'active', 'its 1s backoff is long over');
  const again = q.pop()!;
  assert.equal(again.attempts, 2);
  q.addUnschedulable(again);
  q.moveAllToActiveOrBackoff(); // a change right after the second failure
  assert.equal(q.where('default/p'), 'backoff', 'second failure backs off 2s');
  c.t += 1999;
  q.flushBackoffCompleted();
  assert.equal(q.where('default/p'), 'backoff');
  c.t += 1;
  q.flushBackoffCompleted();
  assert.equal(q.where('default/p'), 'active');
});

test('a cluster change while a pod is being decided on keeps it from being parked', () => {
  const c = clock();
  const q = new SchedulingQueue({ now: c.now });
  q.add(syntheticPod('p', '1m', '1Mi'));
  const qp = q.pop()!;
  q.moveAllToActiveOrBackoff(); // e.g. a node was added mid-decision
  q.addUnschedulable(qp);
  assert.equal(q.where('default/p'), 'backoff');
  // without a change in between it is parked
  q.add(syntheticPod('r', '1m', '1Mi'));
  const qr = q.pop()!;
  q.addUnschedulable(qr);
  assert.equal(q.where('default/r'), 'unschedulable');
});

test('parked pods are retried after maxUnschedulableMs even without a change', () => {
  const c = clock();
  const q = new SchedulingQueue({ now: c.now, maxUnschedulableMs: 30_000 });
  q.add(syntheticPod('p', '1m', '1Mi'));
  q.addUnschedulable(q.pop()!);
  c.t += 29_999;
  assert.equal(q.flushUnschedulableLeftover(), 0);
  c.t += 1;
  assert.equal(q.flushUnschedulableLeftover(), 1);
  assert.equal(q.where('default/p'), 'active');
});

test('a spec change to a parked pod retries it; a status-only change does not', () => {
  const c = clock();
  const q = new SchedulingQueue({ now: c.now });
  const p = syntheticPod('p', '8', '1Mi');
  q.add(p);
  q.addUnschedulable(q.pop()!);
  const statusOnly = { ...p, metadata: { ...p.metadata, resourceVersion: '42' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } };
  q.update(p, statusOnly);
  assert.equal(q.where('default/p'), 'unschedulable');
  const smaller = syntheticPod('p', '1', '1Mi');
  c.t += 60_000;
  q.update(statusOnly, smaller);
  assert.equal(q.where('default/p'), 'active');
  assert.equal(q.pop()!.pod.spec!.containers![0]!.resources!.requests!['cpu'], '1', 'the newest version is tried');
});

test('isMeaningfulPodUpdate ignores resourceVersion and status', () => {
  const p = syntheticPod('p', '1', '1Mi');
  assert.equal(isMeaningfulPodUpdate(p, { ...p, metadata: { ...p.metadata, resourceVersion: '9' }, status: { phase: 'Pending' } }), false);
  assert.equal(isMeaningfulPodUpdate(p, { ...p, metadata: { ...p.metadata, labels: { a: 'b' } } }), true);
  assert.equal(isMeaningfulPodUpdate(undefined, p), true);
});

test('a failed bind backs off exponentially up to the maximum', () => {
  const c = clock();
  const q = new SchedulingQueue({ now: c.now, initialBackoffMs: 1000, maxBackoffMs: 4000 });
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((n) => q.backoffDuration(n)), [0, 1000, 2000, 4000, 4000, 4000]);
  q.add(syntheticPod('p', '1m', '1Mi'));
  const qp = q.pop()!;
  q.addBackoff(qp);
  assert.equal(q.where('default/p'), 'backoff');
  assert.equal(q.pop(), undefined);
  c.t += 1000;
  q.flushBackoffCompleted();
  assert.equal(q.pop()?.key, 'default/p');
});

test('a pod deleted while in flight is dropped when its attempt ends; an update in flight is kept', () => {
  const q = new SchedulingQueue();
  q.add(syntheticPod('gone', '1m', '1Mi'));
  const g = q.pop()!;
  q.delete('default/gone');
  q.addUnschedulable(g);
  assert.equal(q.where('default/gone'), undefined);

  q.add(syntheticPod('changed', '8', '1Mi'));
  const c = q.pop()!;
  q.update(c.pod, syntheticPod('changed', '1', '1Mi'));
  q.addUnschedulable(c);
  assert.notEqual(q.where('default/changed'), 'unschedulable', 'the change may have made it fit');
  assert.equal(c.pod.spec!.containers![0]!.resources!.requests!['cpu'], '1');
});

test('adding a pod the queue already holds does not duplicate it', () => {
  const q = new SchedulingQueue();
  q.add(syntheticPod('p', '1m', '1Mi'));
  q.add(syntheticPod('p', '1m', '1Mi'));
  assert.deepEqual(popAll(q), ['p']);
});

test('next() waits for a pod and ends on close', async () => {
  const q = new SchedulingQueue();
  const waiting = q.next();
  q.add(syntheticPod('late', '1m', '1Mi'));
  assert.equal((await waiting)?.key, 'default/late');
  const ended = q.next();
  q.close();
  assert.equal(await ended, undefined);
});
