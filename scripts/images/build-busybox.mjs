#!/usr/bin/env node
// Builds the `busybox` image the examples and tests use, from Debian's
// busybox-static, and pushes it to a registry. Needs `npm run build` first.
//
//   node scripts/images/build-busybox.mjs REGISTRY [NAME:TAG]
//   node scripts/images/build-busybox.mjs 127.0.0.1:5000              → 127.0.0.1:5000/busybox:latest
//   node scripts/images/build-busybox.mjs 127.0.0.1:5000 busybox:1.35
//
// Environment: TUG_BUSYBOX (default /bin/busybox).
//
// The image: /bin/busybox and a symlink per applet where busybox itself puts
// them (`busybox --list-full`: /bin/sh, /usr/sbin/httpd, /usr/bin/wget, ...),
// /etc/passwd and /etc/group with root and nobody, empty /etc/hosts,
// /etc/resolv.conf and /etc/hostname for the runtime to mount over, a
// world-writable /tmp, /var/www for httpd, and Cmd ["sh"]. Every file is owned by root.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/** Applets the examples and tests rely on: a busybox without one should fail here, not in a container. */
export const REQUIRED_APPLETS = [
  'sh', 'httpd', 'wget', 'nc', 'sleep', 'cat', 'echo', 'ls', 'ps', 'hostname', 'ip', 'timeout', 'head', 'id',
  'env', 'kill', 'mkdir', 'touch', 'grep', 'dd', 'true', 'false', 'test', 'tr', 'pwd', 'ipcalc',
];

/** Writes the busybox root filesystem into `dir` (an existing empty directory). */
export async function writeBusyboxRootfs(dir, busybox = process.env.TUG_BUSYBOX || '/bin/busybox') {
  const { stdout } = await run(busybox, ['--list-full']);
  const paths = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const names = new Set(paths.map((p) => p.split('/').pop()));
  const missing = REQUIRED_APPLETS.filter((a) => !names.has(a));
  if (missing.length) {
    throw new Error(`${busybox} lacks applets ${missing.join(', ')}: install Debian's busybox-static (scripts/install-deps.sh)`);
  }
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var/www', 'proc', 'sys', 'dev', 'run']) {
    await mkdir(join(dir, d), { recursive: true, mode: 0o755 });
  }
  await mkdir(join(dir, 'tmp'));
  await chmod(join(dir, 'tmp'), 0o1777);
  await chmod(join(dir, 'root'), 0o700);
  await copyFile(busybox, join(dir, 'bin/busybox'));
  await chmod(join(dir, 'bin/busybox'), 0o755);
  for (const p of paths) {
    if (p === 'bin/busybox') continue;
    await mkdir(join(dir, dirname(p)), { recursive: true });
    await symlink('/bin/busybox', join(dir, p));
  }
  await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  // The runtime bind-mounts its own over these; they must exist as files.
  for (const f of ['etc/hosts', 'etc/resolv.conf', 'etc/hostname']) await writeFile(join(dir, f), '');
  await writeFile(join(dir, 'var/www/index.html'), 'hello from busybox httpd\n');
}

async function main(argv) {
  const [registry, name = 'busybox:latest'] = argv;
  if (!registry || registry.startsWith('-')) {
    console.error('usage: node scripts/images/build-busybox.mjs REGISTRY [NAME:TAG]   (e.g. 127.0.0.1:5000)');
    return 2;
  }
  const lib = join(ROOT, 'dist/lib/oci/index.js');
  if (!existsSync(lib)) {
    console.error(`build-busybox: ${lib} is missing: run \`npm run build\` first`);
    return 1;
  }
  const { buildImage, pushImage, parseImageReference } = await import(lib);
  const ref = parseImageReference(name, { defaultRegistry: registry });
  const dir = await mkdtemp(join(tmpdir(), 'tug-busybox-rootfs-'));
  try {
    await writeBusyboxRootfs(dir);
    const image = await buildImage({ rootfs: dir, cmd: ['sh'], owner: { uid: 0, gid: 0 } });
    try {
      const pushed = await pushImage(ref, image);
      console.log(`pushed ${pushed.name}@${pushed.digest}`);
    } finally {
      await image.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`build-busybox: ${err.message}`);
      process.exit(1);
    },
  );
}
