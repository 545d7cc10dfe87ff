// The node's routing table through iproute2, in the network namespace the
// agent runs in (or the one given). Only routes carrying the agent's
// protocol number are ever changed or removed.
import { ApiError } from '../../lib/errors.js';
import { commandError, runCommand, type CommandResult } from '../runtime/command.js';
import { inNetns } from './netns.js';
import { POD_ROUTE_PROTOCOL, type KernelRoute, type Reachability } from './pod-routes.js';

/** What the pod route sync needs from the kernel; tests may pass their own. */
export interface RouteTable {
  /** IPv4 routes of the main table: the agent's own (by protocol), and all. */
  list(): Promise<{ ours: KernelRoute[]; all: KernelRoute[] }>;
  /** How each address is reached (`ip route get`). */
  reachability(addresses: string[]): Promise<Map<string, Reachability>>;
  /** Adds `dst via via` with the agent's protocol, or changes its gateway. */
  replace(dst: string, via: string): Promise<void>;
  /** Removes the agent's route to dst; a route already gone is fine. */
  remove(dst: string): Promise<void>;
}

export interface IpRouteTableOptions {
  /** path of the network namespace (e.g. /run/netns/NAME); default: the agent's own */
  netns?: string;
  protocol?: number;
  ip?: string;
}

interface IpJsonRoute {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
}

export class IpRouteTable implements RouteTable {
  private readonly protocol: string;
  private readonly ip: string;

  constructor(private readonly opts: IpRouteTableOptions = {}) {
    this.protocol = String(opts.protocol ?? POD_ROUTE_PROTOCOL);
    this.ip = opts.ip ?? 'ip';
  }

  async list(): Promise<{ ours: KernelRoute[]; all: KernelRoute[] }> {
    // One process for both listings: a resync runs every few seconds on every node.
    const out = await this.batch([`route show table main proto ${this.protocol}`, 'route show table main'], false);
    const [ours, all] = parseJsonLines(out.stdout).map((routes) =>
      routes.filter((r) => r.dst).map((r) => ({ dst: r.dst!, ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.dev ? { dev: r.dev } : {}) })),
    );
    if (!ours || !all) throw new ApiError('Internal', `cannot read the routing table: ${out.stderr.trim() || 'ip printed nothing'}`);
    return { ours, all };
  }

  async reachability(addresses: string[]): Promise<Map<string, Reachability>> {
    const out = new Map<string, Reachability>();
    if (!addresses.length) return out;
    // -force goes on past addresses with no route ("Network is unreachable"); those print nothing.
    const r = await this.batch(addresses.map((a) => `route get ${a}`), true);
    for (const [route] of parseJsonLines(r.stdout)) {
      if (!route?.dst) continue;
      out.set(route.dst, route.type === 'local' ? 'local' : route.type && route.type !== 'unicast' ? 'unreachable' : route.gateway ? 'via-router' : 'on-link');
    }
    for (const a of addresses) if (!out.has(a)) out.set(a, 'unreachable');
    return out;
  }

  async replace(dst: string, via: string): Promise<void> {
    await this.run(['-4', 'route', 'replace', dst, 'via', via, 'proto', this.protocol]);
  }

  async remove(dst: string): Promise<void> {
    const argv = inNetns(this.opts.netns, [this.ip, '-4', 'route', 'del', dst, 'proto', this.protocol]);
    const r = await runCommand(argv[0]!, argv.slice(1), { timeoutMs: 10_000 });
    // ESRCH ("No such process"): already gone, e.g. with the link it went through.
    if (r.code !== 0 && !/No such process/.test(r.stderr)) throw new ApiError('Internal', `cannot remove the pod route to ${dst}: ${commandError(argv[0]!, argv.slice(1), r)}`);
  }

  private async run(args: string[]): Promise<string> {
    const argv = inNetns(this.opts.netns, [this.ip, ...args]);
    const r = await runCommand(argv[0]!, argv.slice(1), { timeoutMs: 10_000 });
    if (r.code !== 0) throw new ApiError('Internal', commandError(argv[0]!, argv.slice(1), r));
    return r.stdout;
  }

  private async batch(commands: string[], force: boolean): Promise<CommandResult> {
    const argv = inNetns(this.opts.netns, [this.ip, '-j', '-4', ...(force ? ['-force'] : []), '-batch', '-']);
    const r = await runCommand(argv[0]!, argv.slice(1), { input: commands.join('\n') + '\n', timeoutMs: 10_000 });
    if (r.code !== 0 && !force) throw new ApiError('Internal', commandError(argv[0]!, argv.slice(1), r));
    return r;
  }
}

/** `ip -j -batch` prints one JSON array per command that succeeded, one per line. */
function parseJsonLines(stdout: string): IpJsonRoute[][] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => JSON.parse(l) as IpJsonRoute[]);
}
