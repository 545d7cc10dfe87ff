// Lists larger than gRPC's default 4 MiB message: 1,000 Nodes are about that
// much, and a scheduler or controller-manager restarting in such a cluster
// must still be able to list them, from etcd and from a fresh apiserver.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { ApiClient } from '../lib/client/api-client.js';
import { createLogger } from '../lib/logging.js';
import { startApiServer, type RunningApiServer } from './index.js';

const OBJECTS = 7;
const BYTES_EACH = 900 * 1024; // under etcd's 1.5 MiB request limit; 7 of them are over 6 MiB

let etcd: EtcdServer | undefined;
const servers: RunningApiServer[] = [];
const clients: ApiClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop().catch(() => undefined);
  await etcd?.stop();
});

async function apiserver(): Promise<ApiClient> {
  const s = await startApiServer({ etcdServers: [etcd!.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  servers.push(s);
  const c = new ApiClient(s.address);
  clients.push(c);
  return c;
}

test('a list of more than 4 MiB is served, also by an apiserver started after the objects exist', async () => {
  etcd = await startEtcd();
  const first = await apiserver();
  const filler = 'x'.repeat(BYTES_EACH);
  for (let i = 0; i < OBJECTS; i++) {
    await first.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, namespace: 'default' }, data: { filler } });
  }
  const listed = await first.list('ConfigMap', { namespace: 'default' });
  assert.equal(listed.items.filter((c) => c.metadata?.name?.startsWith('big-')).length, OBJECTS);

  const fresh = await apiserver();
  const again = await fresh.list('ConfigMap', { namespace: 'default' });
  assert.equal(again.items.filter((c) => c.metadata?.name?.startsWith('big-')).length, OBJECTS);
  assert.equal(again.items.find((c) => c.metadata?.name === 'big-3')?.data?.filler?.length, BYTES_EACH);
});
