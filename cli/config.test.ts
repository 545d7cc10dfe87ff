import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, resolveServer, resolveNamespace, normaliseServer, configPath, DEFAULT_SERVER } from './config.js';

test('server comes from the flag, then TUG_SERVER, then the config file, then the default', () => {
  const config = { server: 'cfg:1' };
  assert.equal(resolveServer('flag:1', { TUG_SERVER: 'env:1' }, config), 'flag:1');
  assert.equal(resolveServer(undefined, { TUG_SERVER: 'env:1' }, config), 'env:1');
  assert.equal(resolveServer(undefined, {}, config), 'cfg:1');
  assert.equal(resolveServer(undefined, {}, {}), DEFAULT_SERVER);
  assert.equal(DEFAULT_SERVER, '127.0.0.1:6443');
});

test('namespace comes from the flag, then the config file, then default', () => {
  assert.equal(resolveNamespace('a', { namespace: 'b' }), 'a');
  assert.equal(resolveNamespace(undefined, { namespace: 'b' }), 'b');
  assert.equal(resolveNamespace(undefined, {}), 'default');
});

test('a URL with a scheme is reduced to host:port', () => {
  assert.equal(normaliseServer('http://10.0.0.1:6443/'), '10.0.0.1:6443');
  assert.equal(normaliseServer('10.0.0.1:6443'), '10.0.0.1:6443');
});

test('config file: server and namespace are read; wrong shapes are errors naming the file', () => {
  assert.deepEqual(parseConfig('server: h:1\nnamespace: dev\n', 'c.yaml'), { server: 'h:1', namespace: 'dev' });
  assert.deepEqual(parseConfig('', 'c.yaml'), {});
  assert.throws(() => parseConfig('- a\n- b\n', 'c.yaml'), /c\.yaml must be a YAML map/);
  assert.throws(() => parseConfig('server: 5\n', 'c.yaml'), /"server" must be a non-empty string/);
  assert.throws(() => parseConfig('server: [\n', 'c.yaml'), /c\.yaml is not valid YAML/);
});

test('config path: TUG_CONFIG, else ~/.tug/config.yaml', () => {
  assert.equal(configPath({ TUG_CONFIG: '/x/y.yaml' }), '/x/y.yaml');
  assert.match(configPath({}), /\.tug\/config\.yaml$/);
});
