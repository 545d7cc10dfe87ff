// The runtime against real runc + conmon on this machine: processes, cgroups,
// OOM kills, graceful stop, exec, hardening, and containers outliving the
// process that started them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestNode, type TestNode } from '../sandbox/test-node.js';
import { cgroupExists, containerCgroupPath, controllerDir, createCgroup, podCgroupPath, readCgroupLimits } from './cgroups.js';
import { runCommand } from './command.js';
import type { RuncState } from './container-state.js';
import { criLogLines } from './crilog.js';
import { readRuncState } from './runc-state.js';
import { buildSpec, type ContainerConfig } from './spec.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runc runtime', { timeout: 300_000 }, () => {
  let node: TestNode;
  const podUid = `u${Math.random().toString(16).slice(2, 10)}`;
  let seq = 0;

  before(async () => {
    node = await startTestNode();
    await createCgroup(node.cgroups, podCgroupPath(node.cgroupParent, podUid));
  });
  after(async () => {
    await node?.cleanup();
  });

  /** A container config on a fresh overlay with its own cgroup under the test pod. */
  async function config(args: string[], extra: Partial<ContainerConfig> = {}): Promise<{ id: string; cfg: ContainerConfig; log: string }> {
    const id = `c${++seq}-${podUid}`;
    const rootfs = await node.overlay(id);
    return {
      id,
      log: join(node.stateDir, 'logs', `${id}.log`),
      cfg: { rootfs: rootfs.target, args, cgroupsPath: containerCgroupPath(node.cgroupParent, podUid, id), ...extra },
    };
  }

  async function run(args: string[], extra: Partial<ContainerConfig> = {}) {
    const { id, cfg, log } = await config(args, extra);
    await node.runtime.create(id, buildSpec(cfg), { logPath: log });
    await node.runtime.start(id);
    return { id, log, cgroupsPath: cfg.cgroupsPath };
  }

  async function runToEnd(args: string[], extra: Partial<ContainerConfig> = {}) {
    const c = await run(args, extra);
    assert.ok(await node.runtime.waitForExit(c.id, 60_000), `${c.id} exits`);
    const info = (await node.runtime.state(c.id))!;
    const log = criLogLines(await readFile(c.log, 'utf8'));
    return { ...c, info, lines: log };
  }

  it('honours args, env and working directory, and logs stdout and stderr in CRI format', async () => {
    const r = await runToEnd(['sh', '-c', 'echo "arg=$1 greeting=$GREETING"; pwd; echo oops >&2; exit 3', 'sh', 'first'], {
      env: [{ name: 'GREETING', value: 'hello world' }],
      cwd: '/etc',
    });
    assert.equal(r.info.status, 'stopped');
    assert.equal(r.info.exitCode, 3);
    assert.equal(r.info.reason, 'Error');
    assert.deepEqual(r.lines, ['arg=first greeting=hello world', '/etc', 'oops']);
    const stderr = criLogLines(await readFile(r.log, 'utf8'), 'stderr');
    assert.deepEqual(stderr, ['oops']);
    const ok = await runToEnd(['true']);
    assert.equal(ok.info.exitCode, 0);
    assert.equal(ok.info.reason, 'Completed');
  });

  it('writes cpu and memory limits into the container cgroup', async () => {
    const c = await run(['sleep', '300'], { resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 100 } });
    const limits = await readCgroupLimits(node.cgroups, c.cgroupsPath);
    if (node.cgroups.mode === 'v2') {
      assert.equal(limits?.cpuQuotaUs, 50_000);
    } else {
      assert.equal(limits?.cpuShares, 256);
      assert.equal(limits?.cpuQuotaUs, 50_000);
      assert.equal(limits?.cpuPeriodUs, 100_000);
      // The raw file, as a person would check it.
      const quota = await readFile(join(controllerDir(node.cgroups, 'cpu', c.cgroupsPath), 'cpu.cfs_quota_us'), 'utf8');
      assert.equal(quota.trim(), '50000');
    }
    assert.equal(limits?.memoryLimitBytes, 64 * 1024 * 1024);
    assert.equal(limits?.pidsLimit, 100);
    // The container's process is in that group.
    const info = (await node.runtime.state(c.id))!;
    const procs = await readFile(join(controllerDir(node.cgroups, 'memory', c.cgroupsPath), 'cgroup.procs'), 'utf8');
    assert.ok(procs.split('\n').includes(String(info.pid)));
    await node.runtime.delete(c.id);
    assert.equal(await cgroupExists(node.cgroups, c.cgroupsPath), false, 'delete removes the container cgroup');
  });

  it('reports a container killed for exceeding its memory limit as OOMKilled', async () => {
    // The shell (the container's PID 1) itself holds the growing string, so it is the one killed.
    const r = await runToEnd(['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived ${#x}'], {
      resources: { memoryLimitBytes: 32 * 1024 * 1024 },
    });
    assert.equal(r.info.exitCode, 137);
    assert.equal(r.info.reason, 'OOMKilled');
    assert.ok(!r.lines.some((l) => l.startsWith('survived')));
    // A plain SIGKILL without memory pressure is not an OOM kill.
    const k = await run(['sleep', '300'], { resources: { memoryLimitBytes: 32 * 1024 * 1024 } });
    await node.runtime.kill(k.id, 'KILL');
    assert.ok(await node.runtime.waitForExit(k.id, 10_000));
    const killed = (await node.runtime.state(k.id))!;
    assert.equal(killed.exitCode, 137);
    assert.equal(killed.reason, 'Error');
  });

  it('stops gracefully with SIGTERM, and with SIGKILL after the grace period', async () => {
    const polite = await run(['sh', '-c', 'trap "echo got-term; exit 0" TERM; while :; do sleep 1 & wait $!; done']);
    await assertRunning(polite.id);
    const p = await node.runtime.stop(polite.id, 30);
    assert.equal(p?.exitCode, 0);
    assert.equal(p?.reason, 'Completed');
    assert.ok(criLogLines(await readFile(polite.log, 'utf8')).includes('got-term'));

    // PID 1 without a TERM handler ignores TERM: only the SIGKILL after the grace ends it.
    const stubborn = await run(['sleep', '300']);
    await assertRunning(stubborn.id);
    const s = await node.runtime.stop(stubborn.id, 1);
    assert.equal(s?.exitCode, 137);
    assert.equal(s?.status, 'stopped');
  });

  async function assertRunning(id: string) {
    const s = await node.runtime.state(id);
    assert.equal(s?.status, 'running');
  }

  it('execs in a running container and passes back exit code, output, stdin and a tty', async () => {
    const c = await run(['sleep', '300']);
    const r = await node.runtime.exec(c.id, ['sh', '-c', 'echo out; echo err >&2; exit 42']);
    assert.deepEqual(r, { exitCode: 42, stdout: 'out\n', stderr: 'err\n' });
    const fed = await node.runtime.exec(c.id, ['sh', '-c', 'read line; echo "got $line from $PWD as $X"'], {
      stdin: 'abc\n',
      cwd: '/tmp',
      env: [{ name: 'X', value: 'x1' }],
    });
    assert.equal(fed.stdout, 'got abc from /tmp as x1\n');
    const killed = await node.runtime.exec(c.id, ['sh', '-c', 'kill -9 $$']);
    assert.equal(killed.exitCode, 137);
    const tty = await node.runtime.exec(c.id, ['sh', '-c', 'tty; exit 5'], { tty: true });
    assert.equal(tty.exitCode, 5);
    assert.match(tty.stdout, /^\/dev\/pts\/\d+\r?\n$/);
    // Its own PID namespace: the exec'd shell sees the container's init as PID 1.
    const ps = await node.runtime.exec(c.id, ['ps', '-o', 'pid,args']);
    assert.match(ps.stdout, /^\s*1\s+sleep 300$/m);
  });

  it('applies default capabilities, no_new_privs, seccomp, masked and read-only paths', async () => {
    const c = await run(['sleep', '300']);
    const status = (await node.runtime.exec(c.id, ['cat', '/proc/self/status'])).stdout;
    // Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
    assert.match(status, /^CapBnd:\s+00000000a80425fb$/m);
    assert.match(status, /^CapEff:\s+00000000a80425fb$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^Seccomp:\s+2$/m);
    // Masked paths that this kernel has (runc skips missing ones such as /proc/kcore on some VMs).
    const hostTimerList = (await readFile('/proc/timer_list', 'utf8')).length;
    const timerList = await node.runtime.exec(c.id, ['sh', '-c', 'wc -c < /proc/timer_list']);
    assert.ok(hostTimerList > 0);
    assert.equal(timerList.stdout.trim(), '0', '/proc/timer_list is masked');
    const firmware = await node.runtime.exec(c.id, ['ls', '-A', '/sys/firmware']);
    assert.equal(firmware.stdout.trim(), '', '/sys/firmware is masked');
    const sysrq = await node.runtime.exec(c.id, ['sh', '-c', 'echo 0 > /proc/sys/kernel/sysrq']);
    assert.notEqual(sysrq.exitCode, 0, '/proc/sys is read-only');
    const mount = await node.runtime.exec(c.id, ['mount', '-t', 'tmpfs', 'x', '/mnt']);
    assert.notEqual(mount.exitCode, 0, 'mount is refused');

    // With SYS_ADMIN added, the capability no longer stands in the way, so the
    // error tells seccomp (EPERM) from the kernel (EINVAL: an empty file is no swap area).
    const filtered = await run(['sleep', '300'], { capabilities: { add: ['SYS_ADMIN'] } });
    const open = await run(['sleep', '300'], { capabilities: { add: ['SYS_ADMIN'] }, seccomp: 'unconfined' });
    const swapon = ['sh', '-c', 'touch /swapfile && swapon /swapfile'];
    const denied = await node.runtime.exec(filtered.id, swapon);
    const allowed = await node.runtime.exec(open.id, swapon);
    assert.match(denied.stderr, /swapon: \/swapfile: Operation not permitted/);
    assert.match(allowed.stderr, /swapon: \/swapfile: Invalid argument/);
    // Without SYS_ADMIN, making namespaces is refused; with it, the profile lets unshare through.
    assert.match((await node.runtime.exec(c.id, ['unshare', '-n', 'true'])).stderr, /Operation not permitted/);
    assert.equal((await node.runtime.exec(filtered.id, ['unshare', '-n', 'true'])).exitCode, 0);
  });

  it('keeps containers running when the process that started them dies, and a new runtime adopts them', async () => {
    const a = await config(['sleep', '300']);
    const b = await config(['sh', '-c', 'sleep 2; exit 7']);
    // A separate "agent" process creates and starts both, then is SIGKILLed.
    const here = fileURLToPath(new URL('.', import.meta.url));
    const script = `
      const { RuncRuntime } = await import(${JSON.stringify(join(here, 'runc.js'))});
      const { buildSpec } = await import(${JSON.stringify(join(here, 'spec.js'))});
      const rt = new RuncRuntime({ stateDir: ${JSON.stringify(node.stateDir)} });
      const out = {};
      for (const c of ${JSON.stringify([a, b])}) {
        await rt.create(c.id, buildSpec(c.cfg), { logPath: c.log });
        await rt.start(c.id);
        out[c.id] = (await rt.state(c.id)).pid;
      }
      process.stdout.write(JSON.stringify(out) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const pids = await new Promise<Record<string, number>>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as Record<string, number>);
      });
      child.once('exit', (code) => reject(new Error(`agent process exited ${code} early: ${stderr}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const listed = await node.runtime.listContainers();
    const la = listed.find((c) => c.id === a.id);
    assert.equal(la?.status, 'running');
    assert.equal(la?.pid, pids[a.id], 'same process, not a new one');
    assert.ok(alive(pids[a.id]!));
    assert.ok(la?.conmonPid && alive(la.conmonPid), 'its conmon still monitors it');
    assert.equal(la?.logPath, a.log);

    // b exits while no agent watches; its exit code is still recorded.
    assert.ok(await node.runtime.waitForExit(b.id, 30_000));
    const lb = (await node.runtime.listContainers()).find((c) => c.id === b.id);
    assert.equal(lb?.status, 'stopped');
    assert.equal(lb?.exitCode, 7);

    // Nothing was started twice.
    assert.equal((await node.runtime.listContainers()).filter((c) => c.id === a.id || c.id === b.id).length, 2);
  });

  it('fails create with runc\'s reason and leaves nothing behind; deletes a never-started container', async () => {
    const bad = await config(['/no/such/program']);
    await assert.rejects(node.runtime.create(bad.id, buildSpec(bad.cfg), { logPath: bad.log }), /no such file or directory|not found/i);
    assert.equal(await node.runtime.state(bad.id), undefined);
    await assert.rejects(stat(node.runtime.bundleDir(bad.id)));
    assert.equal(await cgroupExists(node.cgroups, bad.cfg.cgroupsPath), false);

    const idle = await config(['sleep', '300']);
    const created = await node.runtime.create(idle.id, buildSpec(idle.cfg), { logPath: idle.log });
    assert.equal(created.status, 'created');
    assert.ok(created.pid && alive(created.pid));
    await assert.rejects(node.runtime.create(idle.id, buildSpec(idle.cfg), { logPath: idle.log }), /already exists/);
    await node.runtime.delete(idle.id);
    assert.equal(await node.runtime.state(idle.id), undefined);
    assert.equal(await cgroupExists(node.cgroups, idle.cfg.cgroupsPath), false);
  });

  it('reads from runc\'s files exactly the state `runc state` reports: created, running, paused, stopped, gone', async () => {
    const runcSays = async (id: string) => {
      const r = await runCommand('/usr/sbin/runc', [`--root=${node.runtime.runcRoot}`, 'state', id]);
      return r.code === 0 ? (JSON.parse(r.stdout) as RuncState) : undefined;
    };
    const same = async (id: string, status: string | undefined) => {
      const fromFiles = await readRuncState(node.runtime.runcRoot, id);
      const fromRunc = await runcSays(id);
      assert.equal(fromRunc?.status, status, `runc says ${id} is ${fromRunc?.status}`);
      assert.deepEqual(
        fromFiles,
        fromRunc && { id: fromRunc.id, pid: fromRunc.pid, status: fromRunc.status, bundle: fromRunc.bundle, created: fromRunc.created, annotations: fromRunc.annotations ?? {} },
      );
    };
    const { id, cfg, log } = await config(['sleep', '300'], { annotations: { 'tugboat.test': 'yes=really' } });
    await node.runtime.create(id, buildSpec(cfg), { logPath: log });
    await same(id, 'created');
    await node.runtime.start(id);
    await same(id, 'running');
    await runCommand('/usr/sbin/runc', [`--root=${node.runtime.runcRoot}`, 'pause', id]);
    await same(id, 'paused');
    await runCommand('/usr/sbin/runc', [`--root=${node.runtime.runcRoot}`, 'resume', id]);
    await node.runtime.kill(id, 'SIGKILL');
    assert.ok(await node.runtime.waitForExit(id, 10_000));
    await same(id, 'stopped');
    await node.runtime.delete(id);
    await same(id, undefined);
  });

  it('deletes a container with everything the runtime made for it', async () => {
    const c = await run(['sleep', '300']);
    const info = (await node.runtime.state(c.id))!;
    const last = await node.runtime.delete(c.id);
    assert.equal(last?.status, 'stopped');
    assert.ok(!alive(info.pid!) || (await readFile(`/proc/${info.pid}/stat`, 'utf8').catch(() => 'x x Z')).split(' ')[2] === 'Z');
    assert.equal(await node.runtime.state(c.id), undefined);
    await assert.rejects(stat(node.runtime.bundleDir(c.id)));
    await assert.rejects(stat(join(node.runtime.exitDir, c.id)));
    assert.equal(await cgroupExists(node.cgroups, c.cgroupsPath), false);
    // The log stays for `logs --previous`.
    await stat(c.log);
    // Deleting again is a no-op.
    assert.equal(await node.runtime.delete(c.id), undefined);
  });
});
