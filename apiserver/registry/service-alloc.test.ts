import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../lib/errors.js';
import type { Service } from '../../lib/api/generated/types.js';
import { intToIp, ipToInt, parseCidr, planAllocation, reservationKeys, DEFAULT_SERVICE_RANGES } from './service-alloc.js';

const none = () => ({ ips: new Set<string>(), ports: new Set<string>() });
const svc = (spec: Service['spec']): Service => ({ metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec } });

test('cidr and ip arithmetic', () => {
  assert.equal(intToIp(ipToInt('10.96.3.4')), '10.96.3.4');
  assert.deepEqual(parseCidr('10.96.7.9/16'), { base: ipToInt('10.96.0.0'), size: 65536, text: '10.96.7.9/16' });
  assert.throws(() => parseCidr('10.96.0.0'), /CIDR/);
});

test('an IP is chosen inside the range, never the network or broadcast address, never a taken one', () => {
  const ranges = { ...DEFAULT_SERVICE_RANGES, clusterIPRange: '10.96.0.0/29' };
  const taken = { ips: new Set(['10.96.0.1', '10.96.0.2', '10.96.0.3', '10.96.0.4', '10.96.0.5']), ports: new Set<string>() };
  for (let i = 0; i < 50; i++) {
    const plan = planAllocation(svc({}), undefined, taken, ranges);
    assert.equal(plan.svc.spec?.clusterIP, '10.96.0.6');
    assert.deepEqual(plan.svc.spec?.clusterIPs, ['10.96.0.6']);
    assert.deepEqual(plan.side.reserve, { '/registry/ranges/serviceips/10.96.0.6': 'default/s' });
  }
  taken.ips.add('10.96.0.6');
  assert.throws(() => planAllocation(svc({}), undefined, taken, ranges), (e: unknown) => e instanceof ApiError && /no free IP/.test(e.message));
});

test('an explicit IP is honoured, or refused when outside the range or taken', () => {
  const ok = planAllocation(svc({ clusterIP: '10.96.0.10' }), undefined, none(), DEFAULT_SERVICE_RANGES);
  assert.equal(ok.svc.spec?.clusterIP, '10.96.0.10');
  assert.throws(() => planAllocation(svc({ clusterIP: '10.0.0.1' }), undefined, none(), DEFAULT_SERVICE_RANGES), /not in the valid range/);
  const taken = { ips: new Set(['10.96.0.10']), ports: new Set<string>() };
  assert.throws(() => planAllocation(svc({ clusterIP: '10.96.0.10' }), undefined, taken, DEFAULT_SERVICE_RANGES), /already allocated/);
  // the Service that holds it keeps it on update
  const old = ok.svc;
  const again = planAllocation(svc({ clusterIP: '10.96.0.10' }), old, taken, DEFAULT_SERVICE_RANGES);
  assert.deepEqual(again.side, { reserve: {}, release: [] });
});

test('headless and ExternalName services get no IP', () => {
  assert.deepEqual(planAllocation(svc({ clusterIP: 'None' }), undefined, none(), DEFAULT_SERVICE_RANGES).side, { reserve: {}, release: [] });
  assert.equal(planAllocation(svc({ type: 'ExternalName' }), undefined, none(), DEFAULT_SERVICE_RANGES).svc.spec?.clusterIP, undefined);
});

test('node ports: allocated per port, explicit ones checked, released when the type no longer uses them', () => {
  const two = svc({ type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP', nodePort: 30080 }] });
  const plan = planAllocation(two, undefined, none(), DEFAULT_SERVICE_RANGES);
  const [a, b] = plan.svc.spec!.ports!;
  assert.ok(a!.nodePort! >= 30000 && a!.nodePort! <= 32767);
  assert.equal(b!.nodePort, 30080);
  assert.equal(Object.keys(plan.side.reserve!).filter((k) => k.includes('nodeports')).length, 2);
  assert.throws(
    () => planAllocation(two, undefined, { ips: new Set(), ports: new Set(['30080/TCP']) }, DEFAULT_SERVICE_RANGES),
    (e: unknown) => e instanceof ApiError && e.causes.some((c) => c.field === 'spec.ports[1].nodePort'),
  );
  const back = planAllocation({ ...plan.svc, spec: { ...plan.svc.spec, type: 'ClusterIP', ports: [{ port: 80 }, { port: 81 }] } }, plan.svc, none(), DEFAULT_SERVICE_RANGES);
  assert.deepEqual(back.side.release!.sort(), reservationKeys(plan.svc).filter((k) => k.includes('nodeports')).sort());
});
