import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { defaultIdentity, leaderElectionConfig, leaderElectionConfigProblems } from './config.js';
import { addLeaderElectionFlags, leaderElectionFromFlags, type LeaderElectionFlags } from './flags.js';

function parse(args: string[]): LeaderElectionFlags {
  const cmd = addLeaderElectionFlags(new Command('x').exitOverride(), 'tug-x');
  cmd.parse(args, { from: 'user' });
  return cmd.opts<LeaderElectionFlags>();
}

test('defaults are Kubernetes\': on, 15s / 10s / 2s, kube-system', () => {
  const c = leaderElectionFromFlags(parse([]), 'me')!;
  assert.deepEqual(c, {
    namespace: 'kube-system',
    name: 'tug-x',
    identity: 'me',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  });
});

test('flags set every value; --leader-elect=false turns it off', () => {
  const c = leaderElectionFromFlags(parse([
    '--leader-elect-lease-duration', '4s',
    '--leader-elect-renew-deadline', '3s',
    '--leader-elect-retry-period', '500ms',
    '--leader-elect-resource-name', 'other',
    '--leader-elect-resource-namespace', 'ns',
  ]), 'me')!;
  assert.equal(c.leaseDurationMs, 4000);
  assert.equal(c.renewDeadlineMs, 3000);
  assert.equal(c.retryPeriodMs, 500);
  assert.equal(c.name, 'other');
  assert.equal(c.namespace, 'ns');
  assert.equal(leaderElectionFromFlags(parse(['--leader-elect=false'])), undefined);
  assert.equal(leaderElectionFromFlags(parse(['--leader-elect', 'false'])), undefined);
  assert.ok(leaderElectionFromFlags(parse(['--leader-elect'])));
});

test('bad values name the flag and what to change', () => {
  assert.throws(() => leaderElectionFromFlags(parse(['--leader-elect-retry-period', 'soon'])), /--leader-elect-retry-period: "soon" is not a duration/);
  assert.throws(() => leaderElectionFromFlags(parse(['--leader-elect=maybe'])), /--leader-elect takes true or false/);
  assert.throws(
    () => leaderElectionFromFlags(parse(['--leader-elect-lease-duration', '10s'])),
    /renew deadline \(10000 ms\) must be shorter than the lease duration \(10000 ms\)/,
  );
});

test('config rules: retry < renew deadline < lease duration, lease at least a second', () => {
  assert.deepEqual(leaderElectionConfigProblems(leaderElectionConfig('a')), []);
  const bad = leaderElectionConfigProblems(leaderElectionConfig('', { leaseDurationMs: 500, renewDeadlineMs: 2000, retryPeriodMs: 2000, identity: '' }));
  assert.equal(bad.length, 5, bad.join('\n'));
});

test('identities are unique per process start and name the host and pid', () => {
  const a = defaultIdentity();
  assert.notEqual(a, defaultIdentity());
  assert.ok(a.includes(`_${process.pid}_`), a);
});
