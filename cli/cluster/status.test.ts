import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './cidr.js';
import { formatStatus, type ClusterStatus } from './status.js';
import { parseRequest, planCluster } from './topology.js';
import { crashLooping } from './up.js';

const plan = planCluster(parseRequest({ name: 's', nodes: 1, cpusPerNode: '1', memoryPerNode: '1Gi', stateDir: '/tmp/s' }), parseCidr('10.250.6.0/24'));
const now = Date.parse('2030-01-01T00:10:00Z');
const comp = (name: string, up: boolean, restarts = 0, lastExit?: string) => ({
  name,
  up,
  state: up ? ('running' as const) : ('backoff' as const),
  pid: up ? 100 : undefined,
  restarts,
  ready: up,
  lastExit,
  startedAt: '2030-01-01T00:05:00Z',
  log: `/tmp/s/logs/${name}.log`,
});

test('status lists each component with up/down, pid and restarts', () => {
  const st: ClusterStatus = {
    name: 's',
    stateDir: '/tmp/s',
    plan,
    supervisor: { pid: 42, up: true, phase: 'running' },
    components: [comp('etcd', true), comp('scheduler', false, 4, 'signal SIGKILL')],
  };
  const lines = formatStatus(st, now);
  assert.match(lines[0]!, /cluster "s": running {2}apiserver 10\.250\.6\.1:6443/);
  assert.match(lines[1]!, /supervisor: up, pid 42/);
  assert.match(lines[2]!, /^COMPONENT +STATUS +PID +RESTARTS +UP FOR +LAST EXIT$/);
  assert.match(lines[3]!, /^etcd +up +100 +0 +5m +-$/);
  assert.match(lines[4]!, /^scheduler +down \(backoff\) +- +4 +- +signal SIGKILL$/);
});

test('status of a cluster that is not there says how to start it', () => {
  assert.match(formatStatus({ name: 'q', stateDir: '/x', supervisor: { up: false }, components: [] })[0]!, /not found .* tug cluster up --name q/);
});

test('up gives up on a component that keeps exiting without becoming ready', () => {
  assert.equal(crashLooping([comp('apiserver', false, 2)], undefined), undefined);
  assert.equal(crashLooping([comp('apiserver', false, 3)], undefined)?.name, 'apiserver');
  assert.equal(crashLooping([comp('apiserver', false, 3)], 'etcd'), undefined);
  assert.equal(crashLooping([comp('etcd', true, 5)], undefined), undefined, 'ready again after restarts is fine');
});
