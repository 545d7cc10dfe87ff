import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyObject } from '../../lib/api/kinds.js';
import { ApiError } from '../../lib/errors.js';
import { planExpose } from './expose.js';

const deploy = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }] }] } },
  },
} as AnyObject;

test('a deployment is exposed by its selector, on the given port and target port', () => {
  const svc = planExpose(deploy, { port: '80', targetPort: '8080' });
  assert.deepEqual(svc.metadata, { name: 'web', namespace: 'shop', labels: { team: 'a' } });
  assert.deepEqual(svc.spec, { selector: { app: 'web' }, type: 'ClusterIP', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
  assert.equal(planExpose(deploy, { port: '80', targetPort: 'http' }).spec?.ports?.[0]?.targetPort, 'http');
});

test('without --port the container ports are used; NodePort and a name are honoured', () => {
  const svc = planExpose(deploy, { type: 'NodePort', name: 'web-np' });
  assert.equal(svc.metadata?.name, 'web-np');
  assert.equal(svc.spec?.type, 'NodePort');
  assert.deepEqual(svc.spec?.ports, [{ port: 8080, targetPort: 8080, protocol: 'TCP' }]);
});

test('bad input says what is wrong', () => {
  const bad = (o: AnyObject, opts: object, re: RegExp) => assert.throws(() => planExpose(o, opts), (e: unknown) => e instanceof ApiError && re.test(e.message));
  bad(deploy, { port: '0' }, /--port must be a port number/);
  bad(deploy, { port: '80', type: 'External' }, /--type must be one of/);
  bad({ ...deploy, spec: { ...(deploy as { spec: object }).spec, selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } } } as AnyObject, { port: '80' }, /matchExpressions/);
  bad({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } } as AnyObject, { port: '80' }, /no labels/);
  bad({ kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } } as AnyObject, {}, /give --port/);
});
