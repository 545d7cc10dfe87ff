import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDoc, docWhere, isRejected, parseManifest, readSources, type CheckedDoc, type RejectedDoc } from './manifest.js';

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
`;

const opts = { namespace: 'default', namespaceFromFlag: false };
const ok = (r: CheckedDoc | RejectedDoc): CheckedDoc => {
  assert.ok(!isRejected(r), isRejected(r) ? r.problem.message : '');
  return r as CheckedDoc;
};
const bad = (r: CheckedDoc | RejectedDoc): RejectedDoc => {
  assert.ok(isRejected(r), 'expected the document to be rejected');
  return r as RejectedDoc;
};

test('multi-document YAML: one entry per non-empty document, numbered from 1', () => {
  const docs = parseManifest({ name: 'a.yaml', text: `---\n${DEPLOY}---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n` });
  assert.equal(docs.length, 2);
  assert.deepEqual(docs.map((d) => d.index), [1, 2]);
  assert.equal((docs[1]!.value as { kind: string }).kind, 'Service');
});

test('malformed YAML: the document carries line and column; the others still parse', () => {
  const docs = parseManifest({ name: 'b.yaml', text: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n bad: 1\n---\n${DEPLOY}` });
  assert.equal(docs.length, 2);
  assert.match(docs[0]!.error!, /^line 5, column 1: /);
  assert.equal(docs[1]!.error, undefined);
  const r = bad(checkDoc(docs[0]!, opts));
  assert.equal(docWhere(r.doc), 'b.yaml (document 1)');
  assert.match(r.problem.message, /line 5, column 1/);
});

test('JSON, and a JSON List standing for its items', () => {
  const one = parseManifest({ name: 'c.json', text: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}' });
  assert.equal(one.length, 1);
  const list = parseManifest({
    name: 'l.json',
    text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }] }),
  });
  assert.deepEqual(list.map((d) => d.item), [1, 2]);
  assert.equal(docWhere(list[1]!), 'l.json (document 1, item 2, ConfigMap/b)');
});

test('a document of a served kind is accepted with its namespace filled in and server fields dropped', () => {
  const [doc] = parseManifest({ name: 'd.yaml', text: DEPLOY.replace('  name: web\n', '  name: web\n  uid: abc\n  resourceVersion: "5"\n') });
  const c = ok(checkDoc(doc!, opts));
  assert.equal(c.info.kind, 'Deployment');
  assert.equal(c.obj.metadata?.namespace, 'default');
  assert.equal(c.obj.metadata?.uid, undefined);
  assert.equal(c.obj.metadata?.resourceVersion, undefined);
});

test('unknown kind and wrong apiVersion are rejected with the supported kinds listed', () => {
  const [k] = parseManifest({ name: 'e.yaml', text: 'apiVersion: v1\nkind: Frob\nmetadata: {name: x}\n' });
  const rk = bad(checkDoc(k!, opts));
  assert.match(rk.problem.message, /unknown kind "Frob".*Deployment \(apps\/v1\)/);
  assert.equal(docWhere(rk.doc), 'e.yaml (document 1, Frob/x)');
  const [v] = parseManifest({ name: 'e.yaml', text: DEPLOY.replace('apps/v1', 'extensions/v1beta1') });
  assert.match(bad(checkDoc(v!, opts)).problem.message, /served as apiVersion "apps\/v1", not "extensions\/v1beta1"/);
  const [m] = parseManifest({ name: 'e.yaml', text: 'kind: Pod\nmetadata: {name: x}\n' });
  assert.match(bad(checkDoc(m!, opts)).problem.message, /"apiVersion" is missing/);
});

test('fields of the wrong shape are rejected as Invalid with every cause', () => {
  const [doc] = parseManifest({ name: 'f.yaml', text: DEPLOY.replace('replicas: 2', 'replicas: two').replace('image: nginx', 'image: nginx\n        bogus: 1') });
  const r = bad(checkDoc(doc!, opts));
  assert.equal(r.problem.code, 'Invalid');
  const fields = r.problem.causes.map((c) => c.field).sort();
  assert.deepEqual(fields, ['spec.replicas', 'spec.template.spec.containers[0].bogus']);
});

test('a missing name is rejected; a document that is not an object is rejected', () => {
  const [doc] = parseManifest({ name: 'g.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' });
  assert.match(bad(checkDoc(doc!, opts)).problem.message, /metadata\.name: is required/);
  const [list] = parseManifest({ name: 'g.yaml', text: '- 1\n- 2\n' });
  assert.match(bad(checkDoc(list!, opts)).problem.message, /expected an object/);
});

test('namespaces: -n fills in; a different namespace in the file is refused under -n; cluster kinds have none', () => {
  const [doc] = parseManifest({ name: 'h.yaml', text: DEPLOY });
  assert.equal(ok(checkDoc(doc!, { namespace: 'dev', namespaceFromFlag: true })).obj.metadata?.namespace, 'dev');
  const [own] = parseManifest({ name: 'h.yaml', text: DEPLOY.replace('  name: web\n', '  name: web\n  namespace: prod\n') });
  assert.equal(ok(checkDoc(own!, opts)).obj.metadata?.namespace, 'prod');
  assert.match(bad(checkDoc(own!, { namespace: 'dev', namespaceFromFlag: true })).problem.message, /does not match the namespace "dev"/);
  const [node] = parseManifest({ name: 'h.yaml', text: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1, namespace: x}\n' });
  assert.equal(ok(checkDoc(node!, opts)).obj.metadata?.namespace, undefined);
});

test('readSources: files, directories (manifest files only, sorted), stdin, and a clear error for a missing path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tug-manifest-'));
  try {
    writeFileSync(join(dir, 'b.yaml'), 'b: 1\n');
    writeFileSync(join(dir, 'a.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'c.yml'), 'c: 1\n');
    assert.deepEqual(readSources([dir]).map((s) => s.name), [join(dir, 'a.json'), join(dir, 'b.yaml')]);
    assert.deepEqual(readSources([dir], { recursive: true }).map((s) => s.name), [join(dir, 'a.json'), join(dir, 'b.yaml'), join(dir, 'sub', 'c.yml')]);
    assert.deepEqual(readSources(['-'], { stdin: () => 'x: 1' }), [{ name: '<stdin>', text: 'x: 1' }]);
    assert.throws(() => readSources([join(dir, 'nope.yaml')]), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
