// The proxy's rules from Services and Endpoints, without a kernel: which
// chains and rules exist, their probabilities, rejects for empty services,
// node ports, and what happens to chains of deleted services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from '../../lib/api/generated/types.js';
import { buildServiceModel, staleUdpFlows } from './model.js';
import { buildRuleset, chainsInSave, endpointChain, probability, renderCleanupInput, renderRestoreInput, serviceChain, CHAIN } from './ruleset.js';

function svc(name: string, spec: Service['spec'], namespace = 'default'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

function eps(name: string, subsets: Endpoints['subsets'], namespace = 'default'): Endpoints {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace }, subsets };
}

function model(services: Service[], endpoints: Endpoints[]) {
  const byKey = new Map(endpoints.map((e) => [`${e.metadata!.namespace}/${e.metadata!.name}`, e]));
  return buildServiceModel(services, (k) => byKey.get(k));
}

const web = svc('web', { clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 8080 }] });
const webEps = eps('web', [
  {
    addresses: [{ ip: '10.244.2.7' }, { ip: '10.244.1.5' }, { ip: '10.244.1.6' }],
    notReadyAddresses: [{ ip: '10.244.3.9' }],
    ports: [{ port: 8080, protocol: 'TCP' }],
  },
]);

test('a ClusterIP service balances over its ready endpoints with probabilities 1/n, 1/(n-1), ..., then the rest', () => {
  const m = model([web], [webEps]);
  assert.equal(m.length, 1);
  assert.deepEqual(
    m[0]!.endpoints.map((e) => `${e.ip}:${e.port}`),
    ['10.244.1.5:8080', '10.244.1.6:8080', '10.244.2.7:8080'],
    'ready endpoints only, sorted by address; the not-ready one is left out',
  );
  const rs = buildRuleset(m);
  const svcChain = serviceChain(m[0]!);
  assert.match(svcChain, /^TUG-SVC-[0-9A-F]{16}$/);
  assert.ok(rs.nat.chains.includes(svcChain));
  assert.ok(
    rs.nat.rules.includes(`-A TUG-SERVICES -m comment --comment "default/web: cluster IP" -d 10.96.0.10/32 -p tcp --dport 80 -j ${svcChain}`),
    rs.nat.rules.join('\n'),
  );
  const picks = rs.nat.rules.filter((r) => r.startsWith(`-A ${svcChain} `));
  assert.equal(picks.length, 3);
  assert.match(picks[0]!, /--mode random --probability 0\.3333333333 -j TUG-SEP-/);
  assert.match(picks[1]!, /--mode random --probability 0\.5000000000 -j TUG-SEP-/);
  assert.doesNotMatch(picks[2]!, /statistic/, 'the last endpoint takes whatever is left');
  // Each endpoint chain DNATs to its pod and marks the hairpin case for masquerade.
  for (const ep of m[0]!.endpoints) {
    const sep = endpointChain(m[0]!, ep);
    assert.ok(rs.nat.rules.includes(`-A ${sep} -m comment --comment "default/web:" -s ${ep.ip}/32 -j TUG-MARK-MASQ`));
    assert.ok(rs.nat.rules.includes(`-A ${sep} -m comment --comment "default/web:" -p tcp -j DNAT --to-destination ${ep.ip}:8080`));
  }
  assert.equal(rs.filter.rules.filter((r) => r.includes('REJECT')).length, 0, 'nothing rejected when endpoints exist');
});

test('probability() spreads evenly', () => {
  assert.equal(probability(0, 2), '0.5000000000');
  assert.equal(probability(0, 4), '0.2500000000');
  assert.equal(probability(2, 4), '0.5000000000');
  // Overall share of endpoint i: prod_{j<i}(1 - p_j) * p_i must be 1/n for every i.
  const n = 5;
  let left = 1;
  for (let i = 0; i < n; i++) {
    const p = i < n - 1 ? Number(probability(i, n)) : 1;
    assert.ok(Math.abs(left * p - 1 / n) < 1e-9, `endpoint ${i}`);
    left *= 1 - p;
  }
});

test('a service without ready endpoints is rejected at once (tcp-reset for TCP, port-unreachable for UDP) and has no NAT chain', () => {
  const dns = svc('dns', {
    clusterIP: '10.96.0.53',
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  });
  const m = model([dns], [eps('dns', [{ notReadyAddresses: [{ ip: '10.244.1.2' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }])]);
  assert.equal(m.length, 2);
  assert.ok(m.every((e) => e.endpoints.length === 0));
  const rs = buildRuleset(m);
  assert.deepEqual(
    rs.filter.rules.filter((r) => r.includes('REJECT')),
    [
      '-A TUG-SERVICES -m comment --comment "default/dns:dns has no endpoints" -d 10.96.0.53/32 -p udp --dport 53 -j REJECT --reject-with icmp-port-unreachable',
      '-A TUG-SERVICES -m comment --comment "default/dns:dns-tcp has no endpoints" -d 10.96.0.53/32 -p tcp --dport 53 -j REJECT --reject-with tcp-reset',
    ],
  );
  assert.ok(!rs.nat.chains.some((c) => c.startsWith('TUG-SVC-')));
  assert.ok(!rs.nat.rules.some((r) => r.includes('10.96.0.53')));
  // A service whose Endpoints object does not exist yet is equally empty.
  assert.equal(model([web], [])[0]!.endpoints.length, 0);
});

test('node ports: mark for masquerade then balance, on every local address; rejected on the node port when empty', () => {
  const np = svc('np', { type: 'NodePort', clusterIP: '10.96.1.1', ports: [{ port: 80, nodePort: 30080 }] });
  const full = model([np], [eps('np', [{ addresses: [{ ip: '10.244.1.2' }], ports: [{ port: 80 }] }])]);
  const rs = buildRuleset(full);
  const svcChain = serviceChain(full[0]!);
  const nodePortRules = rs.nat.rules.filter((r) => r.startsWith('-A TUG-NODEPORTS '));
  assert.deepEqual(nodePortRules, [
    '-A TUG-NODEPORTS -m comment --comment "default/np: node port" -p tcp --dport 30080 -j TUG-MARK-MASQ',
    `-A TUG-NODEPORTS -m comment --comment "default/np: node port" -p tcp --dport 30080 -j ${svcChain}`,
  ]);
  const serviceRules = rs.nat.rules.filter((r) => r.startsWith('-A TUG-SERVICES '));
  assert.equal(
    serviceRules.at(-1),
    '-A TUG-SERVICES -m comment --comment "tug service nodeports; must be last" ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j TUG-NODEPORTS',
  );
  const only = buildRuleset(full, { nodePortAddresses: ['192.168.5.2'] }).nat.rules.filter((r) => r.endsWith('-j TUG-NODEPORTS'));
  assert.deepEqual(only, ['-A TUG-SERVICES -m comment --comment "tug service nodeports; must be last" -d 192.168.5.2/32 -j TUG-NODEPORTS']);

  const empty = buildRuleset(model([np], []));
  assert.ok(
    empty.filter.rules.includes(
      '-A TUG-EXTERNAL-SERVICES -m comment --comment "default/np: has no endpoints" -m addrtype --dst-type LOCAL -p tcp --dport 30080 -j REJECT --reject-with tcp-reset',
    ),
  );
  assert.ok(!empty.nat.rules.some((r) => r.startsWith('-A TUG-NODEPORTS ')));
  // nodePort on a ClusterIP service (not allowed by validation anyway) is ignored.
  const plain = model([svc('c', { clusterIP: '10.96.1.2', ports: [{ port: 80, nodePort: 30081 }] })], []);
  assert.equal(plain[0]!.nodePort, undefined);
});

test('headless, ExternalName, unallocated and IPv6 services get no rules', () => {
  const m = model(
    [
      svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
      svc('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
      svc('pending', { ports: [{ port: 80 }] }),
      svc('six', { clusterIP: 'fd00::10', ports: [{ port: 80 }] }),
    ],
    [eps('headless', [{ addresses: [{ ip: '10.244.1.2' }], ports: [{ port: 80 }] }])],
  );
  assert.deepEqual(m, []);
  const rs = buildRuleset(m);
  assert.deepEqual(rs.nat.chains, [CHAIN.services, CHAIN.nodePorts, CHAIN.postrouting, CHAIN.markMasq]);
});

test('several ports and named targetPorts: each service port takes the endpoint port of the same name, per pod', () => {
  const multi = svc('multi', {
    clusterIP: '10.96.2.2',
    ports: [
      { name: 'http', port: 80, targetPort: 'web' },
      { name: 'metrics', port: 9100, targetPort: 9100 },
    ],
  });
  // Two groups of pods whose container port named "web" differs (8080 vs 8081): two subsets.
  const m = model(
    [multi],
    [
      eps('multi', [
        { addresses: [{ ip: '10.244.1.2' }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] },
        { addresses: [{ ip: '10.244.1.3' }], ports: [{ name: 'http', port: 8081 }, { name: 'metrics', port: 9100 }] },
      ]),
    ],
  );
  assert.deepEqual(
    m.map((e) => [e.id, e.port, e.endpoints.map((x) => `${x.ip}:${x.port}`)]),
    [
      ['default/multi:http', 80, ['10.244.1.2:8080', '10.244.1.3:8081']],
      ['default/multi:metrics', 9100, ['10.244.1.2:9100', '10.244.1.3:9100']],
    ],
  );
  const rs = buildRuleset(m);
  const text = rs.nat.rules.join('\n');
  assert.match(text, /-p tcp -j DNAT --to-destination 10\.244\.1\.3:8081/);
  assert.match(text, /-d 10\.96\.2\.2\/32 -p tcp --dport 9100 -j TUG-SVC-/);
  assert.notEqual(serviceChain(m[0]!), serviceChain(m[1]!));
  // A protocol mismatch does not count as an endpoint.
  const udp = model([svc('u', { clusterIP: '10.96.2.3', ports: [{ port: 53, protocol: 'UDP' }] })], [eps('u', [{ addresses: [{ ip: '10.244.1.4' }], ports: [{ port: 53 }] }])]);
  assert.equal(udp[0]!.endpoints.length, 0);
});

test('clusterCidr masquerades cluster-IP traffic from outside the pod network', () => {
  const rs = buildRuleset(model([web], [webEps]), { clusterCidr: '10.244.0.0/16' });
  const svcChain = serviceChain(model([web], [webEps])[0]!);
  const first = rs.nat.rules.find((r) => r.startsWith(`-A ${svcChain} `));
  assert.equal(first, `-A ${svcChain} -m comment --comment "default/web: cluster IP" ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp --dport 80 -j TUG-MARK-MASQ`);
});

test('restore input declares (and so flushes) every owned chain and deletes chains of services that are gone', () => {
  const rs = buildRuleset(model([web], [webEps]));
  const gone = 'TUG-SVC-0123456789ABCDEF';
  const input = renderRestoreInput(rs, { nat: [...rs.nat.chains, gone, 'KUBE-SERVICES', 'CNI-abc'], filter: ['TUG-SERVICES'] });
  const lines = input.trimEnd().split('\n');
  assert.equal(lines[0], '*nat');
  assert.ok(lines.includes(`:${gone} - [0:0]`));
  assert.ok(lines.includes(`-X ${gone}`));
  assert.ok(lines.indexOf(`-X ${gone}`) > lines.indexOf(`:${gone} - [0:0]`));
  assert.ok(!input.includes('KUBE-SERVICES') && !input.includes('CNI-abc'), 'chains of other owners are never touched');
  assert.ok(!input.includes(':PREROUTING'), 'built-in chains are never flushed');
  assert.equal(lines.filter((l) => l === 'COMMIT').length, 2);
  assert.deepEqual(
    lines.filter((l) => l.startsWith('*')),
    ['*nat', '*filter'],
  );
  // The same state renders the same text, so an unchanged state is never reapplied.
  assert.equal(renderRestoreInput(buildRuleset(model([web], [webEps]))), renderRestoreInput(rs));

  const cleanup = renderCleanupInput({ nat: ['TUG-SERVICES', gone, 'KUBE-X'], filter: ['TUG-FORWARD'] });
  assert.equal(
    cleanup,
    ['*nat', ':TUG-SERVICES - [0:0]', `:${gone} - [0:0]`, '-X TUG-SERVICES', `-X ${gone}`, 'COMMIT', '*filter', ':TUG-FORWARD - [0:0]', '-X TUG-FORWARD', 'COMMIT', ''].join('\n'),
  );
});

test('chainsInSave reads the chains of iptables-save output', () => {
  const save = [
    '# Generated by iptables-save v1.8.9 (nf_tables)',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':TUG-SERVICES - [0:0]',
    ':TUG-SEP-ABC - [0:0]',
    ':CNI-1 - [0:0]',
    '-A TUG-SERVICES -j TUG-SEP-ABC',
    'COMMIT',
  ].join('\n');
  assert.deepEqual(chainsInSave(save), ['TUG-SERVICES', 'TUG-SEP-ABC']);
});

test('staleUdpFlows: endpoints that left a UDP service, and services that got their first endpoint', () => {
  const dns = svc('dns', { type: 'NodePort', clusterIP: '10.96.0.53', ports: [{ port: 53, protocol: 'UDP', nodePort: 30053 }] });
  const two = model([dns], [eps('dns', [{ addresses: [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }], ports: [{ port: 53, protocol: 'UDP' }] }])]);
  const one = model([dns], [eps('dns', [{ addresses: [{ ip: '10.244.1.3' }], ports: [{ port: 53, protocol: 'UDP' }] }])]);
  const none = model([dns], []);
  assert.deepEqual(staleUdpFlows(two, one), [
    { protocol: 'UDP', origDst: '10.96.0.53', origPort: 53, dnatTo: '10.244.1.2' },
    { protocol: 'UDP', origPort: 30053, dnatTo: '10.244.1.2' },
  ]);
  assert.deepEqual(staleUdpFlows(none, one), [
    { protocol: 'UDP', origDst: '10.96.0.53', origPort: 53 },
    { protocol: 'UDP', origPort: 30053 },
  ]);
  assert.deepEqual(staleUdpFlows(one, one), []);
  assert.equal(staleUdpFlows(one, []).length, 2, 'a deleted service leaves no flows behind');
  // TCP is left alone: its connections get reset by the endpoint or time out.
  assert.deepEqual(staleUdpFlows(model([web], [webEps]), model([web], [])), []);
});
