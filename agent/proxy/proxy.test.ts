// The proxy's sync loop against a fake kernel and fake apiserver: rules are
// applied at start, re-applied only when they change, chains of deleted
// services are deleted, and stop({cleanup}) leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindName, KindTypes } from '../../lib/api/kinds.js';
import type { Endpoints, Service } from '../../lib/api/generated/types.js';
import type { ListOptions, WatchOptions } from '../../lib/client/api-client.js';
import { FakeListerWatcher } from '../../lib/informer/fake-lister-watcher.js';
import { InformerFactory, type ListerWatcher } from '../../lib/informer/index.js';
import { createLogger } from '../../lib/logging.js';
import type { NetfilterHost } from './iptables.js';
import type { StaleFlow } from './model.js';
import { JUMP_RULES, type JumpRule, type Table } from './ruleset.js';
import { startServiceProxy } from './proxy.js';

/** Keeps just enough kernel state to check what the proxy did: chains per table, jump rules, sysctls. */
class FakeNetfilter implements NetfilterHost {
  readonly chains: Record<Table, Set<string>> = { nat: new Set(), filter: new Set() };
  readonly rules: Record<Table, string[]> = { nat: [], filter: [] };
  readonly jumps = new Set<string>();
  readonly sysctls = new Map<string, string>();
  readonly flows: StaleFlow[] = [];
  restores = 0;
  failNextRestore = false;

  async save(table: Table): Promise<string> {
    return [`*${table}`, ...Array.from(this.chains[table], (c) => `:${c} - [0:0]`), ...this.rules[table], 'COMMIT'].join('\n');
  }

  async restore(input: string): Promise<void> {
    if (this.failNextRestore) {
      this.failNextRestore = false;
      throw new Error('iptables-restore: line 3 failed');
    }
    this.restores++;
    let table: Table = 'nat';
    for (const line of input.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1) as Table;
      else if (line.startsWith(':')) {
        const c = line.slice(1).split(' ')[0]!;
        this.chains[table].add(c);
        this.rules[table] = this.rules[table].filter((r) => !r.startsWith(`-A ${c} `));
      } else if (line.startsWith('-A ')) this.rules[table].push(line);
      else if (line.startsWith('-X ')) {
        const c = line.slice(3);
        assert.ok(!this.rules[table].some((r) => r.endsWith(`-j ${c}`)), `chain ${c} deleted while still referenced`);
        this.chains[table].delete(c);
      }
    }
  }

  async ensureJump(rule: JumpRule): Promise<void> {
    this.jumps.add(jumpKey(rule));
  }

  async removeJump(rule: JumpRule): Promise<void> {
    this.jumps.delete(jumpKey(rule));
  }

  async setSysctl(key: string, value: string): Promise<void> {
    this.sysctls.set(key, value);
  }

  async clearFlows(flow: StaleFlow): Promise<boolean> {
    this.flows.push(flow);
    return true;
  }
}

function jumpKey(r: JumpRule): string {
  return `${r.table} ${r.chain} ${r.args.join(' ')}`;
}

/** A fake apiserver holding Services and Endpoints, one FakeListerWatcher per kind. */
function fakeServer() {
  const kinds: Partial<Record<KindName, FakeListerWatcher>> = { Service: new FakeListerWatcher(), Endpoints: new FakeListerWatcher() };
  const of = (k: KindName) => {
    const f = kinds[k];
    if (!f) throw new Error(`unexpected kind ${k}`);
    return f;
  };
  const client: ListerWatcher = {
    list: <K extends KindName>(k: K, o?: ListOptions) => of(k).list<K>(k, o),
    watch: <K extends KindName>(k: K, o?: WatchOptions) => of(k).watch<K>(k, o),
  };
  return { client, services: kinds.Service!, endpoints: kinds.Endpoints! };
}

const silent = createLogger('proxy-test', 'silent');

function service(name: string, ip: string, type?: string, nodePort?: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { clusterIP: ip, ...(type ? { type } : {}), ports: [{ port: 80, protocol: 'UDP', ...(nodePort ? { nodePort } : {}) }] },
  };
}

function endpoints(name: string, ips: string[]): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default' },
    subsets: ips.length ? [{ addresses: ips.map((ip) => ({ ip })), ports: [{ port: 8080, protocol: 'UDP' }] }] : [],
  };
}

async function eventually(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('applies at start, follows changes, skips unchanged states, deletes chains of deleted services, cleans up', async () => {
  const server = fakeServer();
  server.services.create(service('a', '10.96.0.1'));
  server.endpoints.create(endpoints('a', ['10.244.1.2', '10.244.1.3']));
  const nf = new FakeNetfilter();
  const proxy = await startServiceProxy({ client: server.client, nodeName: 'n1', netfilter: nf, log: silent, minSyncIntervalMs: 10 });
  try {
    assert.equal(nf.restores, 1, 'rules are in place when startServiceProxy resolves');
    assert.equal(nf.sysctls.get('net.ipv4.ip_forward'), '1');
    assert.equal(nf.sysctls.get('net.bridge.bridge-nf-call-iptables'), '1');
    assert.deepEqual(new Set(nf.jumps), new Set(JUMP_RULES.map(jumpKey)));
    const svcChains = () => Array.from(nf.chains.nat).filter((c) => c.startsWith('TUG-SVC-'));
    const sepChains = () => Array.from(nf.chains.nat).filter((c) => c.startsWith('TUG-SEP-'));
    assert.equal(svcChains().length, 1);
    assert.equal(sepChains().length, 2);

    await proxy.syncNow();
    assert.equal(nf.restores, 1, 'an unchanged state is not applied again');

    // An endpoint leaves: its chain goes and UDP flows to it are cleared.
    server.endpoints.update(endpoints('a', ['10.244.1.3']));
    await eventually('endpoint chain removed', () => sepChains().length === 1);
    assert.deepEqual(nf.flows, [{ protocol: 'UDP', origDst: '10.96.0.1', origPort: 80, dnatTo: '10.244.1.2' }]);

    // No endpoints at all: the service is rejected in the filter table, its NAT chains go.
    server.endpoints.update(endpoints('a', []));
    await eventually('reject rule', () => nf.rules.filter.some((r) => r.includes('default/a: has no endpoints')));
    assert.equal(svcChains().length, 0);

    // A second service with a node port, then deletion of both.
    server.services.create(service('b', '10.96.0.2', 'NodePort', 30001));
    server.endpoints.create(endpoints('b', ['10.244.1.9']));
    await eventually('node port rule', () => nf.rules.nat.some((r) => r.includes('--dport 30001')));
    server.services.delete('default/a');
    server.services.delete('default/b');
    await eventually('all service rules gone', () => svcChains().length === 0 && sepChains().length === 0 && !nf.rules.filter.some((r) => r.includes('REJECT')));
    assert.ok(!nf.rules.nat.some((r) => r.includes('default/')), nf.rules.nat.join('\n'));
  } finally {
    await proxy.stop({ cleanup: true });
  }
  assert.equal(nf.jumps.size, 0);
  assert.deepEqual([...nf.chains.nat, ...nf.chains.filter], []);
});

test('a failed apply is retried and start fails loudly when the first apply fails', async () => {
  const server = fakeServer();
  server.services.create(service('a', '10.96.0.1'));
  const broken = new FakeNetfilter();
  broken.failNextRestore = true;
  await assert.rejects(
    startServiceProxy({ client: server.client, nodeName: 'n1', netfilter: broken, log: silent }),
    /iptables-restore: line 3 failed/,
  );

  const nf = new FakeNetfilter();
  const proxy = await startServiceProxy({ client: server.client, nodeName: 'n1', netfilter: nf, log: silent, minSyncIntervalMs: 10 });
  try {
    nf.failNextRestore = true;
    server.endpoints.create(endpoints('a', ['10.244.1.2']));
    await eventually('applied after a retry', () => Array.from(nf.chains.nat).some((c) => c.startsWith('TUG-SEP-')));
    assert.equal(nf.restores, 2);
  } finally {
    await proxy.stop();
  }
  assert.ok(nf.chains.nat.size > 0, 'stop() without cleanup leaves the rules (a restarting agent keeps services working)');
});

test('needs a client or informers', async () => {
  await assert.rejects(startServiceProxy({ nodeName: 'n1', netfilter: new FakeNetfilter(), log: silent }), /needs a client/);
});

test('works from a shared InformerFactory and leaves it running on stop', async () => {
  const server = fakeServer();
  server.services.create(service('a', '10.96.0.1'));
  server.endpoints.create(endpoints('a', ['10.244.1.2']));
  const factory = new InformerFactory(server.client, { log: silent });
  const nf = new FakeNetfilter();
  try {
    const proxy = await startServiceProxy({ informers: factory, nodeName: 'n1', netfilter: nf, log: silent, minSyncIntervalMs: 10 });
    assert.ok(Array.from(nf.chains.nat).some((c) => c.startsWith('TUG-SEP-')));
    await proxy.stop();
    assert.ok(factory.list().every((i) => i.state !== 'stopped'), 'the agent owns the factory');
    const restores = nf.restores;
    server.endpoints.update(endpoints('a', []));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(nf.restores, restores, 'a stopped proxy applies nothing');
  } finally {
    await factory.stop();
  }
});
