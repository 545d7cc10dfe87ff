// `tug image push` as the CLI runs it, against a real registry.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RegistryClient } from '../../lib/oci/registry-client.js';
import { startRegistry, type TestRegistry } from '../../lib/testing/registry.js';
import { imageCommand } from './image-push.js';

let registry: TestRegistry;
let tmp: string;
before(async () => {
  registry = await startRegistry();
  tmp = await mkdtemp(join(tmpdir(), 'tug-image-push-cli-test-'));
});
after(async () => {
  await registry?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function tug(args: string[], env: NodeJS.ProcessEnv): Promise<{ out: string[]; err: string[]; exitCode: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    const cmd = imageCommand({ out: (t) => void out.push(t), err: (t) => void err.push(t) }, env).exitOverride();
    await cmd.parseAsync(args, { from: 'user' });
    return { out, err, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before;
  }
}

test('tug image push SRC NAME:TAG builds from a directory and pushes to the default registry', async () => {
  const src = join(tmp, 'site');
  await mkdir(join(src, 'www'), { recursive: true });
  await writeFile(join(src, 'www/index.html'), 'hi');
  const res = await tug(
    ['push', src, 'site:v1', '--entrypoint', '/bin/httpd', '--cmd', '["-f","-p","8080"]', '--env', 'A=1', '-e', 'B=two words', '--workdir', '/www', '--user', '1000'],
    { TUG_REGISTRY: registry.address },
  );
  assert.deepEqual(res.err, []);
  assert.equal(res.exitCode, 0);
  assert.equal(res.out.length, 1);
  const m = new RegExp(`^pushed ${registry.address}/site:v1@(sha256:[0-9a-f]{64})$`).exec(res.out[0]!);
  assert.ok(m, res.out[0]);

  const client = new RegistryClient(registry.address);
  const resolved = await client.resolveImage('site', 'v1');
  assert.equal(resolved.manifestDigest, m[1]);
  const config = JSON.parse((await client.getBlob('site', resolved.manifest.config)).toString()) as { config: Record<string, unknown> };
  assert.deepEqual(config.config.Entrypoint, ['/bin/httpd']);
  assert.deepEqual(config.config.Cmd, ['-f', '-p', '8080']);
  assert.deepEqual((config.config.Env as string[]).slice(1), ['A=1', 'B=two words']);
  assert.equal(config.config.WorkingDir, '/www');
  assert.equal(config.config.User, '1000');
});

test('--registry and a host in the name choose the registry; failures print an error line and exit 1', async () => {
  const src = join(tmp, 'tiny');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'f'), 'f');
  const viaFlag = await tug(['push', src, 'tiny:1', '--registry', registry.address], { TUG_REGISTRY: '127.0.0.1:1' });
  assert.match(viaFlag.out[0] ?? '', new RegExp(`^pushed ${registry.address}/tiny:1@`));
  const viaName = await tug(['push', src, `${registry.address}/tiny:2`], {});
  assert.match(viaName.out[0] ?? '', new RegExp(`^pushed ${registry.address}/tiny:2@`));

  const missing = await tug(['push', join(tmp, 'nope'), 'x:1', '--registry', registry.address], {});
  assert.equal(missing.exitCode, 1);
  assert.match(missing.err[0] ?? '', /^error: root filesystem .*nope does not exist/);
  const badName = await tug(['push', src, 'Bad:1', '--registry', registry.address], {});
  assert.match(badName.err[0] ?? '', /^error: invalid image reference "Bad:1": .*lowercase/);
  const badEnv = await tug(['push', src, 'x:1', '--registry', registry.address, '--env', 'NOEQUALS'], {});
  assert.match(badEnv.err[0] ?? '', /^error: environment entries must look like KEY=value: "NOEQUALS"/);
  const deadRegistry = await tug(['push', src, 'x:1', '--registry', '127.0.0.1:1'], {});
  assert.match(deadRegistry.err[0] ?? '', /^error: registry 127\.0\.0\.1:1 is unreachable/);
});
