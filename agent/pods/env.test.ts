import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigMap, Container, Pod, Secret } from '../../lib/api/generated/types.js';
import { containerArgv, containerEnv, containerWorkingDir, envReferences, expandVars, mergeImageEnv, resolveUser, type EnvSources } from './env.js';
import { ContainerStartError } from './errors.js';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'default', containers: [{ name: 'app', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } }] },
};
const cm: ConfigMap = { metadata: { name: 'settings' }, data: { MODE: 'fast', 'bad key': 'x', LEVEL: '3' } };
const secret: Secret = { metadata: { name: 'creds' }, data: { PASSWORD: Buffer.from('s3cret').toString('base64') } };
const sources: EnvSources = {
  configMap: (n) => (n === 'settings' ? cm : undefined),
  secret: (n) => (n === 'creds' ? secret : undefined),
};
const ctx = { nodeName: 'node-a', hostIP: '192.0.2.1', podIP: '10.244.1.9', nodeAllocatable: { cpuMillis: 2000, memoryBytes: 8 * 2 ** 30 } };
const env = (c: Container) => Object.fromEntries(containerEnv(pod, c, ctx, sources).map((e) => [e.name, e.value]));

describe('containerEnv', () => {
  it('resolves values, field refs, resource refs, ConfigMap and Secret keys, and envFrom with prefixes', () => {
    const c: Container = {
      name: 'app',
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'GREETING', value: 'hello $(CFG_MODE) $$(CFG_MODE) $(NOPE)' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
        { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'LVL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope', optional: true } } },
      ],
    };
    assert.deepEqual(env(c), {
      CFG_MODE: 'fast',
      CFG_LEVEL: '3',
      PASSWORD: 's3cret',
      GREETING: 'hello fast $(CFG_MODE) $(NOPE)',
      POD: 'web',
      NS: 'shop',
      UID: 'u-1',
      IP: '10.244.1.9',
      HOST: '192.0.2.1',
      NODE: 'node-a',
      TIER: 'front',
      LABELS: 'app="web"\ntier="front"',
      MEM_MI: '64',
      CPU_LIMIT: '2',
      CPU_REQ_M: '250',
      LVL: '3',
      PW: 's3cret',
    });
  });

  it('fails with CreateContainerConfigError on a missing ConfigMap, Secret or key', () => {
    const cases: Container[] = [
      { name: 'a', envFrom: [{ configMapRef: { name: 'nope' } }] },
      { name: 'b', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] },
      { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope' } } }] },
    ];
    const messages = cases.map((c) => {
      try {
        env(c);
        return 'no error';
      } catch (e) {
        assert.ok(e instanceof ContainerStartError);
        assert.equal(e.reason, 'CreateContainerConfigError');
        return e.message;
      }
    });
    assert.deepEqual(messages, ['configmap "nope" not found', 'secret "nope" not found', "couldn't find key nope in ConfigMap shop/settings"]);
    assert.deepEqual(env({ name: 'd', envFrom: [{ configMapRef: { name: 'nope', optional: true } }] }), {});
  });

  it('lists the objects a container refers to', () => {
    assert.deepEqual(envReferences({ envFrom: [{ configMapRef: { name: 'a' } }, { secretRef: { name: 's' } }], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'b', key: 'k' } } }] }), {
      configMaps: ['a', 'b'],
      secrets: ['s'],
    });
  });
});

describe('expandVars', () => {
  it('expands defined variables, keeps undefined ones and unterminated references, unescapes $$', () => {
    const vars: Record<string, string> = { A: '1', B: 'two' };
    const x = (s: string) => expandVars(s, (n) => vars[n]);
    assert.equal(x('$(A)-$(B)'), '1-two');
    assert.equal(x('$(C)'), '$(C)');
    assert.equal(x('$$(A)'), '$(A)');
    assert.equal(x('cost: $5 $(A'), 'cost: $5 $(A');
    assert.equal(x('end$'), 'end$');
  });
});

describe('containerArgv', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['default-arg'] };
  it('follows Kubernetes: command replaces Entrypoint and Cmd, args replace Cmd', () => {
    assert.deepEqual(containerArgv({ name: 'a' }, image, []), ['/entry', 'default-arg']);
    assert.deepEqual(containerArgv({ name: 'a', args: ['x'] }, image, []), ['/entry', 'x']);
    assert.deepEqual(containerArgv({ name: 'a', command: ['sh', '-c'] }, image, []), ['sh', '-c']);
    assert.deepEqual(containerArgv({ name: 'a', command: ['echo'], args: ['$(MSG)'] }, image, [{ name: 'MSG', value: 'hi' }]), ['echo', 'hi']);
    assert.throws(() => containerArgv({ name: 'a' }, {}, []), /has no command/);
  });

  it('takes workingDir from the spec, else the image, else /', () => {
    assert.equal(containerWorkingDir({ workingDir: '/work' }, { WorkingDir: '/img' }), '/work');
    assert.equal(containerWorkingDir({}, { WorkingDir: '/img' }), '/img');
    assert.equal(containerWorkingDir({}, {}), '/');
    assert.throws(() => containerWorkingDir({ name: 'a', workingDir: 'rel' }, {}), /absolute/);
  });

  it('puts the image env underneath the container env', () => {
    assert.deepEqual(mergeImageEnv(['PATH=/bin', 'A=image'], [{ name: 'A', value: 'pod' }, { name: 'B', value: 'b' }]), [
      { name: 'PATH', value: '/bin' },
      { name: 'A', value: 'pod' },
      { name: 'B', value: 'b' },
    ]);
  });
});

describe('resolveUser', () => {
  const files = { passwd: 'root:x:0:0::/root:/bin/sh\nwww:x:33:34::/var/www:/bin/false\n', group: 'root:x:0:\nstaff:x:50:\n' };
  it('uses runAsUser/runAsGroup over the image user, and resolves names in the image', () => {
    assert.deepEqual(resolveUser({}, undefined, files, 'c'), { uid: 0, gid: 0 });
    assert.deepEqual(resolveUser({}, 'www', files, 'c'), { uid: 33, gid: 34 });
    assert.deepEqual(resolveUser({}, 'www:staff', files, 'c'), { uid: 33, gid: 50 });
    assert.deepEqual(resolveUser({}, '1000:1000', files, 'c'), { uid: 1000, gid: 1000 });
    assert.deepEqual(resolveUser({ runAsUser: 1234, runAsGroup: 99 }, 'www', files, 'c'), { uid: 1234, gid: 99 });
    assert.throws(() => resolveUser({}, 'ghost', files, 'c'), /not in its \/etc\/passwd/);
    assert.throws(() => resolveUser({ runAsNonRoot: true }, undefined, files, 'c'), /runAsNonRoot/);
  });
});
