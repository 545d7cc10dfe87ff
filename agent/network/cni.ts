// CNI: the reference plugins (bridge + host-local + loopback from Debian's
// containernetworking-plugins) run as binaries, a network configuration list
// on stdin and the CNI_* variables in the environment, as every CNI runtime
// runs them. Config and result handling are pure; `CniNetwork` does the I/O.
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../../lib/errors.js';
import { runCommand } from '../runtime/command.js';
import { inNetns } from './netns.js';

export const DEFAULT_CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
export const CNI_VERSION = '1.0.0';

export interface BridgeNetworkOptions {
  /** Network name; per node (e.g. `tugboat-node-1`), it names iptables chains and the host-local store. */
  name: string;
  /** Linux bridge name, at most 15 characters (e.g. `cni0`; unique per node network namespace). */
  bridge: string;
  /** The node's pod CIDR, e.g. `10.244.1.0/24`. */
  subnet: string;
  /** host-local's allocation store (per node). */
  dataDir: string;
  /** Give the bridge the subnet's gateway address (pods route through it). Default true. */
  isGateway?: boolean;
  /** Masquerade traffic from pods leaving the subnet. Default false. */
  ipMasq?: boolean;
  /** Let a pod reach itself through a Service VIP. Default true. */
  hairpinMode?: boolean;
  mtu?: number;
}

export type CniPluginConf = Record<string, unknown> & { type: string };

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

/** What ADD gave the pod. */
export interface PodNetworkStatus {
  /** The pod IP, e.g. `10.244.1.5`. */
  ip: string;
  /** With prefix length, e.g. `10.244.1.5/24`. */
  cidr: string;
  gateway?: string;
  interfaceName: string;
  mac?: string;
}

interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number; version?: string }[];
  routes?: { dst: string; gw?: string }[];
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The conflist for a node's pod network: bridge with host-local IPAM, then loopback. */
export function bridgeConfList(o: BridgeNetworkOptions): CniConfList {
  if (o.bridge.length === 0 || o.bridge.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(o.bridge)) {
    throw new ApiError('Invalid', `bridge name ${JSON.stringify(o.bridge)} is not valid: Linux interface names are 1-15 characters of letters, digits, "_", ".", "-"`);
  }
  const m = IPV4_CIDR.exec(o.subnet);
  if (!m || m.slice(1, 5).some((x) => Number(x) > 255) || Number(m[5]) > 30) {
    throw new ApiError('Invalid', `pod CIDR ${JSON.stringify(o.subnet)} is not valid: give an IPv4 network with a prefix of at most /30, e.g. 10.244.1.0/24`);
  }
  const bridge: CniPluginConf = {
    type: 'bridge',
    bridge: o.bridge,
    isGateway: o.isGateway ?? true,
    ipMasq: o.ipMasq ?? false,
    hairpinMode: o.hairpinMode ?? true,
    ...(o.mtu ? { mtu: o.mtu } : {}),
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: o.subnet }]],
      // Without this host-local gives the pod no default route.
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: o.dataDir,
    },
  };
  // loopback last: it passes the bridge's result through unchanged.
  return { cniVersion: CNI_VERSION, name: o.name, plugins: [bridge, { type: 'loopback' }] };
}

/** The stdin of one plugin of a list: its conf plus the list's name and version and the previous result. */
export function pluginStdin(list: CniConfList, plugin: CniPluginConf, prevResult?: unknown): string {
  return JSON.stringify({ ...plugin, cniVersion: list.cniVersion, name: list.name, ...(prevResult ? { prevResult } : {}) });
}

/** The pod's address from an ADD result: the IPv4 on the interface inside the sandbox named `ifName`. */
export function podNetworkFromResult(result: unknown, ifName: string): PodNetworkStatus {
  const r = result as CniResult;
  const ifaces = r.interfaces ?? [];
  const idx = ifaces.findIndex((i) => i.name === ifName && i.sandbox);
  const ips = (r.ips ?? []).filter((ip) => /^\d+\.\d+\.\d+\.\d+\//.test(ip.address));
  const chosen = ips.find((ip) => ip.interface === idx) ?? ips[0];
  if (!chosen) {
    throw new ApiError('Internal', `the CNI result has no IPv4 address for ${ifName}: ${JSON.stringify(result).slice(0, 500)}`);
  }
  const iface = ifaces[chosen.interface ?? idx];
  return {
    ip: chosen.address.split('/')[0]!,
    cidr: chosen.address,
    ...(chosen.gateway ? { gateway: chosen.gateway } : {}),
    interfaceName: iface?.name ?? ifName,
    ...(iface?.mac ? { mac: iface.mac } : {}),
  };
}

/** A plugin's error output (`{"code": 7, "msg": "...", "details": "..."}`) as one sentence. */
export function pluginErrorMessage(stdout: string, stderr: string): string {
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (e.msg) return `${e.msg}${e.details ? `: ${e.details}` : ''} (CNI error ${e.code ?? '?'})`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return (stderr.trim() || stdout.trim() || 'no output').slice(0, 1000);
}

/** `K=V;K=V` for CNI_ARGS. IgnoreUnknown lets plugins that do not know K8S_* keys accept them. */
export function cniArgs(args: Record<string, string> | undefined): string | undefined {
  if (!args || Object.keys(args).length === 0) return undefined;
  return ['IgnoreUnknown=1', ...Object.entries(args).map(([k, v]) => `${k}=${v}`)].join(';');
}

export interface CniNetworkOptions {
  conflist: CniConfList;
  /** Where plugin binaries are looked up, in order. */
  pluginDirs?: string[];
  /** ADD results kept for DEL and CHECK (the CNI cache). Per node. */
  cacheDir: string;
  /**
   * The node's network namespace, when the agent itself runs outside it:
   * plugins then run inside it (nsenter), so the bridge and iptables rules land there.
   */
  hostNetns?: string;
}

export interface AttachOptions {
  /** The sandbox id, CNI_CONTAINERID: host-local records the address under it. */
  containerId: string;
  netnsPath: string;
  ifName?: string;
  /** CNI_ARGS such as K8S_POD_NAME / K8S_POD_NAMESPACE. */
  args?: Record<string, string>;
}

interface CacheEntry {
  conflist: CniConfList;
  result: unknown;
  netnsPath: string;
}

/** One CNI network on one node. */
export class CniNetwork {
  private readonly pluginDirs: string[];

  constructor(private readonly opts: CniNetworkOptions) {
    this.pluginDirs = opts.pluginDirs ?? DEFAULT_CNI_PLUGIN_DIRS;
  }

  private cachePath(containerId: string, ifName: string): string {
    return join(this.opts.cacheDir, `${this.opts.conflist.name}-${containerId}-${ifName}.json`);
  }

  private async exec(command: 'ADD' | 'DEL' | 'CHECK', plugin: CniPluginConf, stdin: string, a: AttachOptions): Promise<unknown> {
    const ifName = a.ifName ?? 'eth0';
    if (!/^[A-Za-z0-9_-]+$/.test(plugin.type)) throw new ApiError('Invalid', `CNI plugin type ${JSON.stringify(plugin.type)} is not a plugin name`);
    const binary = await this.findPlugin(plugin.type);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.netnsPath,
      CNI_IFNAME: ifName,
      CNI_PATH: this.pluginDirs.join(':'),
    };
    const extra = cniArgs(a.args);
    if (extra) env.CNI_ARGS = extra;
    const [file, ...args] = inNetns(this.opts.hostNetns, [binary]);
    const r = await runCommand(file!, args, { input: stdin, env, timeoutMs: 60_000 });
    if (r.code !== 0) {
      throw new ApiError('Internal', `CNI ${plugin.type} ${command} for ${a.containerId} failed: ${pluginErrorMessage(r.stdout, r.stderr)}`);
    }
    return r.stdout.trim() ? (JSON.parse(r.stdout) as unknown) : undefined;
  }

  private async findPlugin(type: string): Promise<string> {
    for (const dir of this.pluginDirs) {
      const p = join(dir, type);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        // try the next directory
      }
    }
    throw new ApiError('Unavailable', `CNI plugin ${type} not found in ${this.pluginDirs.join(', ')}; install containernetworking-plugins (scripts/install-deps.sh)`);
  }

  /**
   * Wires the namespace into the network and returns the pod's address. On
   * failure whatever was done is undone (DEL) before the error is thrown.
   */
  async add(a: AttachOptions): Promise<PodNetworkStatus> {
    const ifName = a.ifName ?? 'eth0';
    const list = this.opts.conflist;
    let prev: unknown;
    try {
      for (const plugin of list.plugins) prev = await this.exec('ADD', plugin, pluginStdin(list, plugin, prev), a);
      const status = podNetworkFromResult(prev, ifName);
      await mkdir(this.opts.cacheDir, { recursive: true });
      const entry: CacheEntry = { conflist: list, result: prev, netnsPath: a.netnsPath };
      await writeFile(this.cachePath(a.containerId, ifName), JSON.stringify(entry));
      return status;
    } catch (err) {
      await this.del(a).catch(() => undefined);
      throw err;
    }
  }

  /** The address ADD gave this sandbox, from the cache; undefined if it is not attached. */
  async status(containerId: string, ifName = 'eth0'): Promise<PodNetworkStatus | undefined> {
    const entry = await this.cached(containerId, ifName);
    return entry ? podNetworkFromResult(entry.result, ifName) : undefined;
  }

  private async cached(containerId: string, ifName: string): Promise<CacheEntry | undefined> {
    try {
      return JSON.parse(await readFile(this.cachePath(containerId, ifName), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
  }

  /**
   * Detaches the sandbox: plugins' DEL in reverse order with the cached result.
   * Idempotent: a second DEL, or one for a sandbox never attached, succeeds.
   * Call it before removing the namespace, so the bridge plugin can find the
   * addresses whose masquerade rules it must remove.
   */
  async del(a: AttachOptions): Promise<void> {
    const ifName = a.ifName ?? 'eth0';
    const entry = await this.cached(a.containerId, ifName);
    const list = entry?.conflist ?? this.opts.conflist;
    const errors: string[] = [];
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.exec('DEL', plugin, pluginStdin(list, plugin, entry?.result), a);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length) throw new ApiError('Internal', errors.join('; '));
    await rm(this.cachePath(a.containerId, ifName), { force: true });
  }

  /** CNI CHECK: throws if the plugins find the attachment broken. */
  async check(a: AttachOptions): Promise<void> {
    const ifName = a.ifName ?? 'eth0';
    const entry = await this.cached(a.containerId, ifName);
    if (!entry) throw new ApiError('NotFound', `sandbox ${a.containerId} is not attached to network ${this.opts.conflist.name}`);
    for (const plugin of entry.conflist.plugins) await this.exec('CHECK', plugin, pluginStdin(entry.conflist, plugin, entry.result), a);
  }
}
