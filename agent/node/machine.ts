// What the node is: cpus and memory (the machine's, or fewer when the agent's
// own cgroup is limited), kernel, OS, runc version, ids, and its address.
// Parsers are pure; readMachineInfo does the reading.
import { availableParallelism, hostname, networkInterfaces, release, totalmem } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupLayout } from '../runtime/cgroups.js';
import { runCommand } from '../runtime/command.js';

export interface MachineInfo {
  /** Usable cpus in millicores. */
  cpuMillis: number;
  memoryBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  machineID: string;
  bootID: string;
  /** e.g. `1.1.5+ds1`, or `unknown`. */
  runcVersion: string;
  hostname: string;
}

/** /proc/self/cgroup → controller (or "" for the v2 tree) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

/** Number of cpus in a cpuset list such as `0-3,6`. */
export function cpuListCount(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isFinite(a)) continue;
    n += b !== undefined && Number.isFinite(b) ? b - a + 1 : 1;
  }
  return n;
}

/** Millicores allowed by a CFS quota; undefined when unlimited. */
export function quotaMillis(quotaUs: number | undefined, periodUs: number | undefined): number | undefined {
  if (!quotaUs || quotaUs <= 0 || !periodUs || periodUs <= 0) return undefined;
  return Math.floor((quotaUs * 1000) / periodUs);
}

/** v1 "no limit" is a page-aligned LONG_MAX; v2 says "max". */
export function parseMemoryLimit(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && n > 0 && n < 2 ** 62 ? n : undefined;
}

/** `PRETTY_NAME` of /etc/os-release. */
export function parseOsRelease(text: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  return m ? m[1]!.trim().replace(/^"(.*)"$/, '$1') : 'Linux';
}

/** `runc version 1.1.5+ds1` → `1.1.5+ds1`. */
export function parseRuncVersion(text: string): string {
  return /^runc version (\S+)/m.exec(text)?.[1] ?? 'unknown';
}

/** The first IPv4 address that is not loopback, from `ip -o -4 addr show` output. */
export function firstAddressFromIp(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (m && !m[1]!.startsWith('127.')) return m[1];
  }
  return undefined;
}

async function read(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/** Ancestors of a cgroup path, itself first: /a/b → [/a/b, /a, /]. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = path.replace(/\/+$/, '') || '/';
  for (;;) {
    out.push(p);
    if (p === '/') return out;
    p = p.slice(0, p.lastIndexOf('/')) || '/';
  }
}

/** The tightest cpu and memory limits on the agent's own cgroup and its ancestors. */
export async function ownCgroupLimits(layout: CgroupLayout): Promise<{ cpuMillis?: number; memoryBytes?: number }> {
  const own = parseProcCgroup((await read('/proc/self/cgroup')) ?? '');
  let cpu: number | undefined;
  let mem: number | undefined;
  const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  if (layout.mode === 'v2' && layout.unified) {
    for (const p of ancestors(own.get('') ?? '/')) {
      const dir = join(layout.unified, p);
      const [q, period] = ((await read(join(dir, 'cpu.max'))) ?? '').trim().split(/\s+/);
      cpu = min(cpu, quotaMillis(q === 'max' ? undefined : Number(q), Number(period)));
      mem = min(mem, parseMemoryLimit(await read(join(dir, 'memory.max'))));
    }
  } else {
    const cpuRoot = layout.v1.cpu;
    if (cpuRoot) {
      for (const p of ancestors(own.get('cpu') ?? '/')) {
        const q = Number((await read(join(cpuRoot, p, 'cpu.cfs_quota_us')))?.trim());
        const period = Number((await read(join(cpuRoot, p, 'cpu.cfs_period_us')))?.trim());
        cpu = min(cpu, quotaMillis(q, period));
      }
    }
    const cpusetRoot = layout.v1.cpuset;
    if (cpusetRoot) {
      const list = await read(join(cpusetRoot, own.get('cpuset') ?? '/', 'cpuset.cpus'));
      const n = list ? cpuListCount(list) : 0;
      if (n > 0) cpu = min(cpu, n * 1000);
    }
    const memRoot = layout.v1.memory;
    if (memRoot) {
      for (const p of ancestors(own.get('memory') ?? '/')) mem = min(mem, parseMemoryLimit(await read(join(memRoot, p, 'memory.limit_in_bytes'))));
    }
  }
  return { ...(cpu !== undefined ? { cpuMillis: cpu } : {}), ...(mem !== undefined ? { memoryBytes: mem } : {}) };
}

function goArch(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

export async function readMachineInfo(o: { cgroups: CgroupLayout; runc?: string }): Promise<MachineInfo> {
  const limits = await ownCgroupLimits(o.cgroups);
  const machineCpu = availableParallelism() * 1000;
  const runc = await runCommand(o.runc ?? '/usr/sbin/runc', ['--version']).catch(() => undefined);
  return {
    cpuMillis: Math.min(machineCpu, limits.cpuMillis ?? machineCpu),
    memoryBytes: Math.min(totalmem(), limits.memoryBytes ?? totalmem()),
    kernelVersion: release(),
    osImage: parseOsRelease((await read('/etc/os-release')) ?? ''),
    architecture: goArch(process.arch),
    machineID: ((await read('/etc/machine-id')) ?? '').trim(),
    bootID: ((await read('/proc/sys/kernel/random/boot_id')) ?? '').trim(),
    runcVersion: runc && runc.code === 0 ? parseRuncVersion(runc.stdout) : 'unknown',
    hostname: hostname(),
  };
}

/**
 * The node's address: the first non-loopback IPv4 of the network namespace
 * the node lives in (`hostNetns` when the agent runs outside it), or undefined.
 */
export async function detectAddress(hostNetns?: string): Promise<string | undefined> {
  if (hostNetns) {
    const r = await runCommand('nsenter', [`--net=${hostNetns}`, '--', 'ip', '-o', '-4', 'addr', 'show']).catch(() => undefined);
    return r && r.code === 0 ? firstAddressFromIp(r.stdout) : undefined;
  }
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
