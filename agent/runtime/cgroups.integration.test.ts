// cgroups on this machine's real hierarchies: node parent, pod groups with
// limits, read-back, and removal of a subtree that still has processes in it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cgroupExists,
  cgroupPids,
  controllerDir,
  createCgroup,
  hierarchyRoots,
  podCgroupPath,
  readCgroupLayout,
  readCgroupLimits,
  readOomKillCount,
  removeCgroup,
} from './cgroups.js';
import { podCgroupResources } from './resources.js';

describe('cgroups', { timeout: 60_000 }, () => {
  const parent = `/tugtest-cg-${randomBytes(5).toString('hex')}`;
  const stray: number[] = [];

  after(async () => {
    const layout = await readCgroupLayout();
    await removeCgroup(layout, parent);
    for (const pid of stray) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  it('creates the node parent and a pod group in every hierarchy, with limits that read back', async () => {
    const layout = await readCgroupLayout();
    await createCgroup(layout, parent);
    const pod = podCgroupPath(parent, 'u1');
    const resources = podCgroupResources([
      { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 << 20 },
      { cpuRequestMillis: 250, cpuLimitMillis: 250, memoryLimitBytes: 32 << 20 },
    ], 200);
    await createCgroup(layout, pod, resources);
    for (const root of hierarchyRoots(layout, false)) await stat(join(root, pod));
    const limits = await readCgroupLimits(layout, pod);
    assert.equal(limits?.memoryLimitBytes, 96 << 20);
    assert.equal(limits?.pidsLimit, 200);
    assert.equal(limits?.cpuQuotaUs, 75_000);
    if (layout.mode === 'v2') {
      assert.equal(limits?.cpuWeight, 20);
    } else {
      assert.equal(limits?.cpuShares, 512);
      assert.equal((await readFile(join(controllerDir(layout, 'cpu', pod), 'cpu.cfs_quota_us'), 'utf8')).trim(), '75000');
    }
    assert.equal(await readOomKillCount(layout, pod), 0);
    // Creating again updates limits in place.
    await createCgroup(layout, pod, { cpuShares: 2 });
    const after = await readCgroupLimits(layout, pod);
    assert.equal(after?.memoryLimitBytes, undefined);
    assert.equal(after?.cpuQuotaUs, undefined);
    assert.equal(await readCgroupLimits(layout, `${parent}/nope`), undefined);
    assert.equal(await readOomKillCount(layout, `${parent}/nope`), undefined);
  });

  it('removes a subtree that still holds processes by killing them first', async () => {
    const layout = await readCgroupLayout();
    const leaf = `${podCgroupPath(parent, 'u2')}/leftover`;
    await createCgroup(layout, leaf);
    const child = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
    child.unref();
    stray.push(child.pid!);
    const exited = new Promise((r) => child.once('exit', r));
    for (const root of hierarchyRoots(layout, false)) await writeFile(join(root, leaf, 'cgroup.procs'), String(child.pid));
    assert.deepEqual(await cgroupPids(layout, podCgroupPath(parent, 'u2')), [child.pid]);

    await removeCgroup(layout, podCgroupPath(parent, 'u2'));
    await exited;
    assert.equal(await cgroupExists(layout, podCgroupPath(parent, 'u2')), false);
    for (const root of hierarchyRoots(layout, true)) await assert.rejects(stat(join(root, podCgroupPath(parent, 'u2'))));
    // Removing what is gone is fine; the parent and its other pods stay.
    await removeCgroup(layout, podCgroupPath(parent, 'u2'));
    assert.equal(await cgroupExists(layout, podCgroupPath(parent, 'u1')), true);
  });
});
