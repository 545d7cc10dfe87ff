// Leader election against a real etcd and apiserver: of several candidates
// exactly one leads; a leader that stops gracefully hands over at once; one
// that vanishes without a word is replaced only after its lease duration; a
// leader that sees another holder, or cannot renew, stops leading.
//
// Durations are short so the tests are quick; where a test shows that
// something happened "at once" it uses a lease duration much longer than its
// wait, so only the described behaviour can pass it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../client/api-client.js';
import { createLogger } from '../logging.js';
import { startEtcd, type EtcdServer } from '../testing/etcd.js';
import { waitFor } from '../testing/processes.js';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { leaderElectionConfig, type LeaderElectionConfig } from './config.js';
import { LeaderElector, type ElectionOutcome } from './elector.js';

let etcd: EtcdServer | undefined;
let api: RunningApiServer | undefined;
let admin: ApiClient;
const candidates: Candidate[] = [];
const log = createLogger('leaderelection-test', process.env.TUG_TEST_LOG_LEVEL ?? 'warn');

interface Candidate {
  identity: string;
  elector: LeaderElector;
  client: ApiClient;
  /** set while onStartedLeading's signal is not aborted */
  leading: boolean;
  startedLeading: number;
  stoppedLeading: number;
  newLeaders: string[];
  outcome: Promise<ElectionOutcome>;
  stop(): Promise<ElectionOutcome>;
}

function candidate(identity: string, over: Partial<LeaderElectionConfig>): Candidate {
  const client = new ApiClient(api!.address, { timeoutMs: 2_000 });
  const config = leaderElectionConfig(over.name ?? 'test', { identity, ...over });
  const ctl = new AbortController();
  const c = { identity, client, leading: false, startedLeading: 0, stoppedLeading: 0, newLeaders: [] as string[] } as Candidate;
  c.elector = new LeaderElector(client, config, {
    onStartedLeading(signal) {
      c.startedLeading++;
      c.leading = true;
      signal.addEventListener('abort', () => (c.leading = false));
    },
    onStoppedLeading: () => void c.stoppedLeading++,
    onNewLeader: (id) => void c.newLeaders.push(id),
  }, log);
  c.outcome = c.elector.run(ctl.signal);
  c.stop = async () => {
    ctl.abort();
    return c.outcome;
  };
  candidates.push(c);
  return c;
}

/** The promise's value, or a failure naming `what` after ms. */
async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const leaders = (cs: Candidate[]) => cs.filter((c) => c.leading);
const lease = (name: string) => admin.get('Lease', 'kube-system', name);

before(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  admin = new ApiClient(api.address);
});

after(async () => {
  await Promise.all(candidates.map((c) => c.stop()));
  for (const c of candidates) c.client.close();
  admin?.close();
  await api?.stop();
  await etcd?.stop();
});

test('of three candidates started together exactly one leads, and the others see it', async () => {
  const name = 'three';
  const cs = ['a', 'b', 'c'].map((id) => candidate(id, { name, leaseDurationMs: 10_000, renewDeadlineMs: 6_000, retryPeriodMs: 200 }));
  const [leader] = await waitFor('a leader', () => leaders(cs).length > 0 && leaders(cs), 20_000, 20);
  // Several renewals later, still exactly the one.
  await sleep(1_500);
  assert.deepEqual(leaders(cs).map((c) => c.identity), [leader!.identity]);
  for (const c of cs) {
    assert.equal(c.elector.isLeader(), c === leader, c.identity);
    assert.equal(c.elector.leader(), leader!.identity, `${c.identity} sees the leader`);
    assert.deepEqual(c.newLeaders, [leader!.identity], `${c.identity} was told of the leader once`);
  }
  const spec = (await lease(name)).spec!;
  assert.equal(spec.holderIdentity, leader!.identity);
  assert.equal(spec.leaseDurationSeconds, 10);
  assert.equal(spec.leaseTransitions ?? 0, 0, 'created by its first holder');
  assert.ok(spec.acquireTime && spec.renewTime && Date.parse(spec.renewTime) >= Date.parse(spec.acquireTime));
  await Promise.all(cs.map((c) => c.stop()));
});

test('a leader stopping gracefully releases the lease and a standby takes over at once', async () => {
  const name = 'graceful';
  // Without the release, the standby would wait 60 s: far longer than the wait below.
  const opts = { name, leaseDurationMs: 60_000, renewDeadlineMs: 8_000, retryPeriodMs: 200 };
  const first = candidate('first', opts);
  await waitFor('first to lead', () => first.leading, 20_000, 20);
  const second = candidate('second', opts);
  await waitFor('second to see the leader', () => second.newLeaders.includes('first'), 20_000, 20);
  assert.equal(second.leading, false);

  assert.equal(await first.stop(), 'cancelled');
  assert.equal(first.leading, false);
  assert.equal(first.stoppedLeading, 1);
  await waitFor('second to lead', () => second.leading, 15_000, 20);
  const spec = (await lease(name)).spec!;
  assert.equal(spec.holderIdentity, 'second');
  assert.equal(spec.leaseTransitions, 1);
  await second.stop();
  const released = (await lease(name)).spec!;
  assert.equal(released.holderIdentity ?? '', '', 'released on stop');
  assert.equal(released.leaseTransitions, 1, 'a release is not a transition');
});

test('a leader that vanishes without releasing is replaced only once its lease duration has passed', async () => {
  const name = 'vanished';
  const opts = { name, leaseDurationMs: 5_000, renewDeadlineMs: 4_000, retryPeriodMs: 200 };
  // releaseOnCancel false: stopping it is like SIGKILL, the lease stays as last renewed.
  const first = candidate('first', { ...opts, releaseOnCancel: false });
  await waitFor('first to lead', () => first.leading, 20_000, 20);
  const second = candidate('second', opts);
  await waitFor('second to see the leader', () => second.newLeaders.includes('first'), 20_000, 20);
  await first.stop();
  assert.equal((await lease(name)).spec?.holderIdentity, 'first', 'not released');
  // The standby saw a renewal within the last retry period, so for most of
  // the 5 s lease it must keep waiting.
  await sleep(1_000);
  assert.equal(second.leading, false, 'took over before the lease duration had passed');
  await waitFor('second to lead', () => second.leading, 20_000, 20);
  const spec = (await lease(name)).spec!;
  assert.equal(spec.holderIdentity, 'second');
  assert.equal(spec.leaseTransitions, 1);
  await second.stop();
});

test('a leader that sees another holder in the lease stops leading', async () => {
  const name = 'stolen';
  const c = candidate('owner', { name, leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 200 });
  await waitFor('owner to lead', () => c.leading, 20_000, 20);
  // Someone overwrites the lease (compare-and-swap against what it read, like any writer).
  await waitFor('the lease overwritten', async () => {
    const l = await lease(name);
    await admin.update({ ...l, spec: { ...l.spec, holderIdentity: 'intruder' } });
    return true;
  }, 10_000, 20);
  // Well before the 20 s renew deadline: it read the lease and stepped down.
  assert.equal(await within('the owner to stop', c.outcome, 10_000), 'lost');
  assert.equal(c.leading, false);
  assert.equal(c.stoppedLeading, 1);
  assert.equal((await lease(name)).spec?.holderIdentity, 'intruder', 'a lost leader writes nothing more');
});

test('a leader whose renewals fail stops leading at its renew deadline', async () => {
  const name = 'cut-off';
  const c = candidate('alone', { name, leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 200 });
  await waitFor('alone to lead', () => c.leading, 20_000, 20);
  // The apiserver goes away (last test: nothing after needs it).
  await api!.stop();
  api = undefined;
  assert.equal(await within('the leader to give up', c.outcome, 30_000), 'lost');
  assert.equal(c.leading, false);
  assert.equal(c.stoppedLeading, 1);
  assert.equal(c.elector.isLeader(), false);
});
