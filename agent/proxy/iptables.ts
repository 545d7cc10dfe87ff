// The proxy's only contact with the kernel: iptables-save/-restore, single
// rule checks, sysctls and conntrack, run either in this process's network
// namespace or in another one through nsenter.
import { ApiError } from '../../lib/errors.js';
import { inNetns } from '../network/netns.js';
import { commandError, runCommand, type CommandResult } from '../runtime/command.js';
import type { JumpRule, Table } from './ruleset.js';
import type { StaleFlow } from './model.js';

export interface NetfilterHost {
  /** iptables-save output of one table */
  save(table: Table): Promise<string>;
  /** iptables-restore --noflush of input; throws with what iptables said */
  restore(input: string): Promise<void>;
  /** adds the jump rule at the top of its chain unless it is there */
  ensureJump(rule: JumpRule): Promise<void>;
  /** removes every copy of the jump rule; no error if absent */
  removeJump(rule: JumpRule): Promise<void>;
  /** sets a sysctl under /proc/sys (key with dots, e.g. net.ipv4.ip_forward) */
  setSysctl(key: string, value: string): Promise<void>;
  /** deletes matching conntrack entries; false if conntrack is not installed */
  clearFlows(flow: StaleFlow): Promise<boolean>;
}

export interface CommandNetfilterOptions {
  /** run everything in this network namespace (a path, e.g. /run/netns/x); default: the current one */
  netns?: string;
  /** per command, ms (default 30 s) */
  timeoutMs?: number;
}

const LOCK_WAIT_SECONDS = '5';

export class CommandNetfilter implements NetfilterHost {
  private conntrackMissing = false;

  constructor(private readonly opts: CommandNetfilterOptions = {}) {}

  private run(argv: string[], input?: string): Promise<CommandResult> {
    const [file, ...args] = inNetns(this.opts.netns, argv);
    return runCommand(file!, args, { timeoutMs: this.opts.timeoutMs ?? 30_000, ...(input !== undefined ? { input } : {}) });
  }

  private async must(argv: string[], input?: string): Promise<string> {
    const r = await this.run(argv, input);
    if (r.code !== 0 || r.signal) throw new ApiError('Internal', `service proxy: ${commandError(argv[0]!, argv.slice(1), r)}`);
    return r.stdout;
  }

  async save(table: Table): Promise<string> {
    return this.must(['iptables-save', '-t', table]);
  }

  async restore(input: string): Promise<void> {
    const r = await this.run(['iptables-restore', '--noflush', '-w', LOCK_WAIT_SECONDS], input);
    if (r.code !== 0 || r.signal) {
      // iptables-restore names the failing line by number; show it, it is what a person needs.
      const at = /line:? (\d+)/i.exec(r.stderr);
      const line = at ? input.split('\n')[Number(at[1]) - 1] : undefined;
      throw new ApiError(
        'Internal',
        `service proxy: iptables-restore refused the rules: ${commandError('iptables-restore', ['--noflush'], r)}${line ? ` (line: ${line})` : ''}`,
      );
    }
  }

  async ensureJump(rule: JumpRule): Promise<void> {
    const check = await this.run(['iptables', '-w', LOCK_WAIT_SECONDS, '-t', rule.table, '-C', rule.chain, ...rule.args]);
    if (check.code === 0) return;
    await this.must(['iptables', '-w', LOCK_WAIT_SECONDS, '-t', rule.table, '-I', rule.chain, '1', ...rule.args]);
  }

  async removeJump(rule: JumpRule): Promise<void> {
    // A rule can have been added twice (e.g. by two agents in turn); delete until none is left.
    for (let i = 0; i < 100; i++) {
      const r = await this.run(['iptables', '-w', LOCK_WAIT_SECONDS, '-t', rule.table, '-D', rule.chain, ...rule.args]);
      if (r.code !== 0) return;
    }
  }

  async setSysctl(key: string, value: string): Promise<void> {
    await this.must(['sysctl', '-q', '-w', `${key}=${value}`]);
  }

  async clearFlows(flow: StaleFlow): Promise<boolean> {
    if (this.conntrackMissing) return false;
    const args = ['conntrack', '-D', '-p', flow.protocol.toLowerCase()];
    if (flow.origDst) args.push('--orig-dst', flow.origDst);
    args.push('--orig-port-dst', String(flow.origPort));
    if (flow.dnatTo) args.push('--dst-nat', flow.dnatTo);
    // Exit 1 with "0 flow entries have been deleted" is the common, harmless case.
    const r = await this.run(args).catch(() => undefined);
    // Not installed: spawn fails here, or nsenter cannot exec it (127).
    if (!r || r.code === 127) {
      this.conntrackMissing = true;
      return false;
    }
    return true;
  }
}
