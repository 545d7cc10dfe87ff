// Pure parts of the etcd helper; etcd.integration.test.ts runs the real etcd.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdArgs, isHealthy, sumMetric } from './etcd.js';

test('etcdArgs binds client and peer URLs to loopback and forms a one-member cluster', () => {
  const args = etcdArgs({ name: 'm1', dataDir: '/tmp/d', clientPort: 1111, peerPort: 2222 });
  const flag = (f: string): string | undefined => args[args.indexOf(f) + 1];
  assert.equal(flag('--data-dir'), '/tmp/d');
  assert.equal(flag('--listen-client-urls'), 'http://127.0.0.1:1111');
  assert.equal(flag('--advertise-client-urls'), 'http://127.0.0.1:1111');
  assert.equal(flag('--listen-peer-urls'), 'http://127.0.0.1:2222');
  assert.equal(flag('--initial-cluster'), 'm1=http://127.0.0.1:2222');
  assert.equal(flag('--initial-cluster-state'), 'new');
});

test('isHealthy accepts etcd health answers and nothing else', () => {
  assert.equal(isHealthy('{"health":"true"}'), true);
  assert.equal(isHealthy('{"health":"true","reason":""}'), true);
  assert.equal(isHealthy('{"health":"false","reason":"NOSPACE"}'), false);
  assert.equal(isHealthy('not json'), false);
  assert.equal(isHealthy(''), false);
});

test('sumMetric sums one metric over its label sets and ignores metrics sharing its prefix', () => {
  const text = [
    '# HELP etcd_watchers Total number of watchers.',
    '# TYPE etcd_watchers gauge',
    'etcd_watchers 3',
    'etcd_watchers_total 100',
    'etcd_requests{method="get"} 2',
    'etcd_requests{method="put"} 5',
  ].join('\n');
  assert.equal(sumMetric(text, 'etcd_watchers'), 3);
  assert.equal(sumMetric(text, 'etcd_requests'), 7);
  assert.equal(sumMetric(text, 'etcd_missing'), undefined);
});
