// The pure parts of the e2e harness: how runtime listings, request logs and
// workload states are read, and the manifests the scenarios apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Deployment } from '../../lib/api/generated/types.js';
import { REPO_ROOT } from '../../cli/cluster/components.js';
import { parseRuncList, podUidOf } from './host.js';
import { isDeploymentAvailable, loopClientPod, parseLoopLog, placement, readManifests, responders, webDeploymentVariant } from './workloads.js';

const UID = '568516cd-a45e-4a56-b4d3-dfcfdf06887f';

test('runtime containers are tied to their pod by the uid that starts their id', () => {
  assert.equal(podUidOf(`${UID}-httpd-0`), UID);
  assert.equal(podUidOf(`${UID}-pause`), UID);
  assert.equal(podUidOf('c0123456789abcdef0123456789abcdef-3'), undefined);
  assert.deepEqual(parseRuncList('null\n'), []);
  assert.deepEqual(parseRuncList(''), []);
  assert.deepEqual(parseRuncList(JSON.stringify([{ id: `${UID}-httpd-1`, pid: 42, status: 'running', bundle: '/b' }])), [
    { id: `${UID}-httpd-1`, pid: 42, status: 'running', podUid: UID },
  ]);
});

test('request logs: who answered, which requests failed', () => {
  const log = ['ok 1 hello from web-a', 'ok 2 hello from web-b', 'FAIL 3 1 wget: can\'t connect to remote host', 'garbage', 'ok 4 hello from web-a', ''].join('\n');
  assert.deepEqual(
    parseLoopLog(log).map((l) => [l.seq, l.ok]),
    [[1, true], [2, true], [3, false], [4, true]],
  );
  assert.deepEqual(Object.fromEntries(responders(log)), { 'web-a': 2, 'web-b': 1 });
  assert.deepEqual(placement([{ spec: { nodeName: 'node-1' } }, { spec: { nodeName: 'node-1' } }, { spec: {} }]), { 'node-1': 2, '(unscheduled)': 1 });
  const script = loopClientPod('loop', 'node-1', 'http://web/').spec.containers[0].command[2] as string;
  assert.match(script, /echo "ok \$i \$r"/);
  assert.match(script, /echo "FAIL \$i \$\? \$r"/);
  assert.match(script, /timeout 5 wget -q -O- http:\/\/web\//, 'busybox wget -T crashes: timeout(1) bounds it instead');
});

test('a Deployment is available only once its latest generation is fully rolled out', () => {
  const dep = (status: Deployment['status'], generation = 2): Deployment => ({ metadata: { generation }, spec: { replicas: 3 }, status });
  const done = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: [{ type: 'Available', status: 'True' }] };
  assert.ok(isDeploymentAvailable(dep(done)));
  assert.ok(!isDeploymentAvailable(dep(done, 3)), 'the controller has not seen the latest spec');
  assert.ok(!isDeploymentAvailable(dep({ ...done, replicas: 4 })), 'an old pod is still counted');
  assert.ok(!isDeploymentAvailable(dep({ ...done, updatedReplicas: 2 })));
  assert.ok(!isDeploymentAvailable(dep({ ...done, conditions: [{ type: 'Available', status: 'False' }] })));
});

test('the web variant keeps the example and changes only replicas, strategy and the VERSION env', () => {
  const example = readManifests(join(REPO_ROOT, 'examples/web.yaml'));
  const original = structuredClone(example);
  const v2 = webDeploymentVariant(example, { replicas: 4, version: '2' });
  assert.deepEqual(example, original, 'the example is not modified');
  assert.equal(v2.spec.replicas, 4);
  assert.deepEqual(v2.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  assert.deepEqual(v2.spec.template.spec.containers[0].env, [{ name: 'VERSION', value: '2' }]);
  const v1 = webDeploymentVariant(example, { replicas: 4 });
  const exampleDeployment = example.find((d) => d.kind === 'Deployment')!;
  assert.deepEqual(v1.spec.template, exampleDeployment.spec.template, 'without a version the pod template is the example\'s: no rollout');
  assert.deepEqual(v1.spec.template.spec.containers[0].readinessProbe, exampleDeployment.spec.template.spec.containers[0].readinessProbe);
});
