// The built `tug` binary against a real etcd and apiserver: apply
// (created / unchanged / configured), get, broken input that stores nothing,
// per-document reporting, delete, and the other everyday commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type EtcdServer } from '../lib/testing/etcd.js';
import { startApiServer, type RunningApiServer } from '../apiserver/index.js';
import { ApiClient } from '../lib/client/api-client.js';
import { isNotFound } from '../lib/errors.js';
import { createLogger } from '../lib/logging.js';
import type * as T from '../lib/api/generated/types.js';

const TUG = fileURLToPath(new URL('./main.js', import.meta.url));

let etcd: EtcdServer | undefined;
let server: RunningApiServer | undefined;
let client: ApiClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tug-cli-'));
  etcd = await startEtcd();
  server = await startApiServer({ etcdServers: [etcd.endpoint], listen: '127.0.0.1:0', log: createLogger('apiserver', 'warn') });
  client = new ApiClient(server.address);
});
after(async () => {
  client?.close();
  await server?.stop();
  await etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would. Asynchronous, since the apiserver lives in this process. */
function tug(args: string[], opts: { stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TUG, '--server', server!.address, ...args], {
      // keep the developer's own config and server out of the test
      env: { ...process.env, TUG_SERVER: '', TUG_CONFIG: join(dir, 'no-config.yaml') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function createNamespace(name: string): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function exists(kind: 'Deployment' | 'Service' | 'ConfigMap', ns: string, name: string): Promise<boolean> {
  try {
    await client.get(kind, ns, name);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

// From the Kubernetes documentation (Concepts › Workloads › Deployments, and
// Concepts › Services), unchanged.
const DOCS_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`;
const DOCS_SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
`;
const APP = `${DOCS_DEPLOYMENT}---\n${DOCS_SERVICE}`;

test('apply of a Deployment and a Service from the docs: created, then unchanged, then configured', async () => {
  await createNamespace('cli-apply');
  const app = file('app.yaml', APP);

  const first = await tug(['apply', '-f', app, '-n', 'cli-apply']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, 'deployment.apps/nginx-deployment created\nservice/my-service created\n');

  const second = await tug(['apply', '-f', app, '-n', 'cli-apply']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'deployment.apps/nginx-deployment unchanged\nservice/my-service unchanged\n');

  const changed = file('app-v2.yaml', APP.replace('nginx:1.14.2', 'nginx:1.16.1').replace('replicas: 3', 'replicas: 2'));
  const third = await tug(['apply', '-f', changed, '-n', 'cli-apply']);
  assert.equal(third.code, 0, third.stderr);
  assert.equal(third.stdout, 'deployment.apps/nginx-deployment configured\nservice/my-service unchanged\n');
  const dep = await client.get('Deployment', 'cli-apply', 'nginx-deployment');
  assert.equal(dep.spec?.replicas, 2);
  assert.equal(dep.spec?.template?.spec?.containers?.[0]?.image, 'nginx:1.16.1');

  // a label dropped from the file is dropped from the object
  const unlabelled = file('app-v3.yaml', APP.replace('nginx:1.14.2', 'nginx:1.16.1').replace('replicas: 3', 'replicas: 2').replace('  labels:\n    app: nginx\nspec:', 'spec:'));
  const fourth = await tug(['apply', '-f', unlabelled, '-n', 'cli-apply']);
  assert.equal(fourth.code, 0, fourth.stderr);
  assert.match(fourth.stdout, /deployment\.apps\/nginx-deployment configured/);
  assert.equal((await client.get('Deployment', 'cli-apply', 'nginx-deployment')).metadata?.labels?.app, undefined);
});

test('get deploy,svc shows both tables; -o json of one object is the stored object; -o name', async () => {
  await createNamespace('cli-get');
  const applied = await tug(['apply', '-f', file('get.yaml', APP), '-n', 'cli-get']);
  assert.equal(applied.code, 0, applied.stderr);

  const tables = await tug(['get', 'deploy,svc', '-n', 'cli-get']);
  assert.equal(tables.code, 0, tables.stderr);
  const lines = tables.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
  assert.match(lines[1]!, /^deployment\.apps\/nginx-deployment\s+0\/3\s+0\s+0\s+\d+s$/);
  assert.equal(lines[2], '');
  assert.match(lines[3]!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
  assert.match(lines[4]!, /^service\/my-service\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\d+s$/);

  const json = await tug(['get', 'deploy', 'nginx-deployment', '-o', 'json', '-n', 'cli-get']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), await client.get('Deployment', 'cli-get', 'nginx-deployment'));

  const list = await tug(['get', 'deployments', '-o', 'json', '-n', 'cli-get']);
  const parsed = JSON.parse(list.stdout) as { apiVersion: string; kind: string; items: T.Deployment[] };
  assert.equal(parsed.kind, 'List');
  assert.equal(parsed.apiVersion, 'v1');
  assert.deepEqual(parsed.items.map((d) => d.metadata?.name), ['nginx-deployment']);

  const names = await tug(['get', 'deploy,svc', '-o', 'name', '-n', 'cli-get']);
  assert.equal(names.stdout, 'deployment.apps/nginx-deployment\nservice/my-service\n');

  const all = await tug(['get', 'deploy', '-A']);
  assert.match(all.stdout, /^NAMESPACE\s+NAME\s+READY/);
  assert.match(all.stdout, /\ncli-get\s+nginx-deployment\s+0\/3/);
});

test('get: NotFound and empty results read like kubectl', async () => {
  await createNamespace('cli-empty');
  const missing = await tug(['get', 'deploy', 'nope', '-n', 'cli-empty']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): deployments.apps "nope" not found\n');

  const empty = await tug(['get', 'pods', '-n', 'cli-empty']);
  assert.equal(empty.code, 0);
  assert.equal(empty.stdout, '');
  assert.equal(empty.stderr, 'No resources found in cli-empty namespace.\n');

  const unknown = await tug(['get', 'frobs']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /^error: the server doesn't have a resource type "frobs"/);
});

test('broken YAML exits non-zero, says where, and stores nothing', async () => {
  await createNamespace('cli-broken');
  // the Service's metadata is indented one space short
  const broken = file('broken.yaml', APP.replace('metadata:\n  name: my-service', 'metadata:\n  name: my-service\n bad: indent'));
  const r = await tug(['apply', '-f', broken, '-n', 'cli-broken']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^error: .*broken\.yaml \(document 2\): line \d+, column \d+: /);
  assert.equal(r.stdout, 'deployment.apps/nginx-deployment created\n', 'the good document is applied on its own');
  assert.equal(await exists('Service', 'cli-broken', 'my-service'), false);

  const only = file('only-broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "1"\n b: "2"\n');
  const r2 = await tug(['apply', '-f', only, '-n', 'cli-broken']);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /only-broken\.yaml \(document 1\): line 7, column 1: /);
  assert.equal(r2.stdout, '');
  assert.equal((await client.list('ConfigMap', { namespace: 'cli-broken' })).items.length, 0);
});

test('a multi-document file with bad documents applies the good ones, reports each bad one, exits non-zero', async () => {
  await createNamespace('cli-multi');
  const multi = file(
    'multi.yaml',
    [
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good-1\ndata:\n  a: "1"\n',
      'apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: weird\n',
      DOCS_DEPLOYMENT.replace('name: nginx-deployment', 'name: wrong-type').replace('replicas: 3', 'replicas: three'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good-2\ndata:\n  b: "2"\n',
    ].join('---\n'),
  );
  const r = await tug(['apply', '-f', multi, '-n', 'cli-multi']);
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, 'configmap/good-1 created\nconfigmap/good-2 created\n');
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.equal(errors.length, 3, r.stderr);
  assert.match(errors[0]!, /multi\.yaml \(document 2, Frobnicator\/weird\): unknown kind "Frobnicator"; supported kinds: .*Deployment \(apps\/v1\)/);
  assert.match(errors[1]!, /multi\.yaml \(document 3, Deployment\/wrong-type\): Deployment "wrong-type" is invalid:/);
  assert.match(r.stderr, /\* spec\.replicas: /);
  assert.match(errors[2]!, /multi\.yaml \(document 4, ConfigMap\/Bad_Name\): .*invalid/);
  assert.deepEqual((await client.list('ConfigMap', { namespace: 'cli-multi' })).items.map((c) => c.metadata?.name).sort(), ['good-1', 'good-2']);
  assert.equal(await exists('Deployment', 'cli-multi', 'wrong-type'), false);
});

test('apply from stdin; a namespace and its objects in one file', async () => {
  const text = `${DOCS_DEPLOYMENT.replace('  name: nginx-deployment\n', '  name: web\n  namespace: cli-stdin\n')}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cli-stdin\n`;
  const r = await tug(['apply', '-f', '-'], { stdin: text });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'namespace/cli-stdin created\ndeployment.apps/web created\n');
  assert.equal(await exists('Deployment', 'cli-stdin', 'web'), true);
});

test('delete by name and by file', async () => {
  await createNamespace('cli-delete');
  const app = file('del.yaml', APP);
  assert.equal((await tug(['apply', '-f', app, '-n', 'cli-delete'])).code, 0);

  const byName = await tug(['delete', 'deploy', 'nginx-deployment', '-n', 'cli-delete']);
  assert.equal(byName.code, 0, byName.stderr);
  assert.equal(byName.stdout, 'deployments.apps "nginx-deployment" deleted\n');
  assert.equal(await exists('Deployment', 'cli-delete', 'nginx-deployment'), false);

  const byFile = await tug(['delete', '-f', app, '-n', 'cli-delete']);
  assert.equal(byFile.code, 1, 'the deployment is already gone');
  assert.equal(byFile.stdout, 'services "my-service" deleted\n');
  assert.equal(byFile.stderr, 'Error from server (NotFound): deployments.apps "nginx-deployment" not found\n');
  assert.equal(await exists('Service', 'cli-delete', 'my-service'), false);

  const again = await tug(['get', 'deploy', 'nginx-deployment', '-n', 'cli-delete']);
  assert.equal(again.code, 1);
});

test('scale, describe, create namespace, version', async () => {
  const ns = await tug(['create', 'namespace', 'cli-misc']);
  assert.equal(ns.code, 0, ns.stderr);
  assert.equal(ns.stdout, 'namespace/cli-misc created\n');
  const dup = await tug(['create', 'namespace', 'cli-misc']);
  assert.equal(dup.code, 1);
  assert.equal(dup.stderr, 'Error from server (AlreadyExists): namespaces "cli-misc" already exists\n');

  assert.equal((await tug(['apply', '-f', file('misc.yaml', APP), '-n', 'cli-misc'])).code, 0);
  const scaled = await tug(['scale', 'deployment/nginx-deployment', '--replicas', '5', '-n', 'cli-misc']);
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.equal(scaled.stdout, 'deployment.apps/nginx-deployment scaled\n');
  assert.equal((await client.get('Deployment', 'cli-misc', 'nginx-deployment')).spec?.replicas, 5);

  const desc = await tug(['describe', 'deploy', 'nginx-deployment', '-n', 'cli-misc']);
  assert.equal(desc.code, 0, desc.stderr);
  assert.match(desc.stdout, /^Name:\s+nginx-deployment$/m);
  assert.match(desc.stdout, /^Namespace:\s+cli-misc$/m);
  assert.match(desc.stdout, /^Replicas:\s+5 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
  assert.match(desc.stdout, /^ {6}Image:\s+nginx:1\.14\.2$/m);
  assert.match(desc.stdout, /^Events:\s+<none>$/m);

  const v = await tug(['version']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^Client Version: v\d+\.\d+\.\d+\nServer Version: v?\S+/);
});

test('expose makes a Service selecting the deployment\'s pods; get svc shows its cluster IP and node port', async () => {
  assert.equal((await tug(['create', 'namespace', 'cli-expose'])).code, 0);
  assert.equal((await tug(['apply', '-f', file('expose.yaml', APP), '-n', 'cli-expose'])).code, 0);
  const exposed = await tug(['expose', 'deployment/nginx-deployment', '--port', '8080', '--target-port', '80', '--type', 'NodePort', '-n', 'cli-expose']);
  assert.equal(exposed.code, 0, exposed.stderr);
  assert.equal(exposed.stdout, 'service/nginx-deployment exposed\n');
  const svc = await client.get('Service', 'cli-expose', 'nginx-deployment');
  assert.deepEqual(svc.spec?.selector, { app: 'nginx' });
  assert.equal(svc.spec?.ports?.[0]?.targetPort, 80);
  const np = svc.spec?.ports?.[0]?.nodePort;
  assert.ok(np && np >= 30000 && np <= 32767);
  const got = await tug(['get', 'svc', '-n', 'cli-expose']);
  assert.match(got.stdout, new RegExp(`nginx-deployment\\s+NodePort\\s+${svc.spec!.clusterIP!.replace(/\./g, '\\.')}\\s+<none>\\s+8080:${np}/TCP`));
  const missing = await tug(['expose', 'deployment/nope', '--port', '80', '-n', 'cli-expose']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /deployments\.apps "nope" not found/);
});

test('an unreachable apiserver is a clear error and a non-zero exit', async () => {
  const child = spawn(process.execPath, [TUG, '--server', '127.0.0.1:1', 'get', 'pods'], {
    env: { ...process.env, TUG_SERVER: '', TUG_CONFIG: join(dir, 'no-config.yaml') },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 1);
  assert.match(stderr, /^error: the apiserver is unreachable/);
});
