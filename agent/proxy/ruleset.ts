// The iptables rules of the service proxy, rendered as iptables-restore input.
// Pure: from the service model (and the chains that exist now, so the ones
// of deleted services can be removed) to text. The whole set of chains the
// proxy owns is rewritten in one restore, which the kernel applies as one
// transaction, so a connection never meets a half-written rule set.
//
// Packet paths:
//   nat PREROUTING/OUTPUT -> TUG-SERVICES: cluster IP:port -> TUG-SVC-x;
//     then, for local destinations, TUG-NODEPORTS: node port -> mark, TUG-SVC-x
//   TUG-SVC-x: random choice among endpoints, rule i with probability 1/(n-i) -> TUG-SEP-y
//   TUG-SEP-y: mark if the pod talks to itself (hairpin), DNAT to ip:port
//   nat POSTROUTING -> TUG-POSTROUTING: MASQUERADE what was marked
//   filter OUTPUT/FORWARD -> TUG-SERVICES: REJECT cluster IPs with no endpoints
//   filter INPUT/FORWARD -> TUG-EXTERNAL-SERVICES: REJECT node ports with no endpoints
//   filter FORWARD -> TUG-FORWARD: accept service traffic even under a DROP policy
import { createHash } from 'node:crypto';
import type { Endpoint, ServicePortEntry } from './model.js';

export const CHAIN = {
  services: 'TUG-SERVICES',
  nodePorts: 'TUG-NODEPORTS',
  postrouting: 'TUG-POSTROUTING',
  markMasq: 'TUG-MARK-MASQ',
  externalServices: 'TUG-EXTERNAL-SERVICES',
  forward: 'TUG-FORWARD',
} as const;

export const CHAIN_PREFIX = 'TUG-';
export const SERVICE_CHAIN_PREFIX = 'TUG-SVC-';
export const ENDPOINT_CHAIN_PREFIX = 'TUG-SEP-';

export type Table = 'nat' | 'filter';
export const TABLES: readonly Table[] = ['nat', 'filter'];

/** The packet mark bit that asks TUG-POSTROUTING to masquerade (kube-proxy's is 0x4000 too; the bit is ours in our namespace). */
export const DEFAULT_MASQUERADE_MARK = 0x4000;

export interface RulesetOptions {
  /**
   * Pod CIDR of the whole cluster. When given, traffic to a cluster IP from
   * outside it (node processes, other hosts) is masqueraded, so replies from
   * a pod on another node come back through this node.
   */
  clusterCidr?: string;
  /**
   * Addresses on which node ports answer. Empty or absent: every local
   * address of the namespace except loopback (addrtype LOCAL).
   */
  nodePortAddresses?: string[];
  masqueradeMark?: number;
}

/** The rules of one table: the chains the proxy owns there and their rules, in order. */
export interface TableRules {
  chains: string[];
  rules: string[];
}

export interface Ruleset {
  nat: TableRules;
  filter: TableRules;
}

/** A rule in a built-in chain that sends packets into the proxy's chains; kept outside the restore so other owners' rules there stay. */
export interface JumpRule {
  table: Table;
  chain: 'PREROUTING' | 'OUTPUT' | 'POSTROUTING' | 'INPUT' | 'FORWARD';
  args: string[];
}

export const JUMP_RULES: readonly JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'tug service portals', '-j', CHAIN.services] },
  { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'tug service portals', '-j', CHAIN.services] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'tug postrouting rules', '-j', CHAIN.postrouting] },
  { table: 'filter', chain: 'INPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'tug external services', '-j', CHAIN.externalServices] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'tug service portals', '-j', CHAIN.services] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'tug external services', '-j', CHAIN.externalServices] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'tug forwarding rules', '-j', CHAIN.forward] },
  { table: 'filter', chain: 'OUTPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'tug service portals', '-j', CHAIN.services] },
];

function hash16(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16).toUpperCase();
}

/** Chain of one service port; stable across restarts, 24 characters (iptables allows 28). */
export function serviceChain(e: Pick<ServicePortEntry, 'id' | 'protocol'>): string {
  return SERVICE_CHAIN_PREFIX + hash16(`${e.id}/${e.protocol}`);
}

export function endpointChain(e: Pick<ServicePortEntry, 'id' | 'protocol'>, ep: Endpoint): string {
  return ENDPOINT_CHAIN_PREFIX + hash16(`${e.id}/${e.protocol}/${ep.ip}:${ep.port}`);
}

/** Probability for rule i of n so that each endpoint gets 1/n of new connections overall. */
export function probability(i: number, n: number): string {
  return (1 / (n - i)).toFixed(10);
}

function comment(text: string): string {
  // Service names are DNS labels, so a quoted comment never needs escaping.
  return `-m comment --comment "${text}"`;
}

export function buildRuleset(model: ServicePortEntry[], opts: RulesetOptions = {}): Ruleset {
  const mark = `0x${(opts.masqueradeMark ?? DEFAULT_MASQUERADE_MARK).toString(16)}`;
  const nat: TableRules = {
    chains: [CHAIN.services, CHAIN.nodePorts, CHAIN.postrouting, CHAIN.markMasq],
    rules: [
      `-A ${CHAIN.postrouting} -m mark ! --mark ${mark}/${mark} -j RETURN`,
      // Clear the bit so a packet re-entering netfilter (e.g. bridged after routing) is not masqueraded twice.
      `-A ${CHAIN.postrouting} -j MARK --xor-mark ${mark}`,
      `-A ${CHAIN.postrouting} ${comment('tug service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
      `-A ${CHAIN.markMasq} -j MARK --or-mark ${mark}`,
    ],
  };
  const filter: TableRules = {
    chains: [CHAIN.services, CHAIN.externalServices, CHAIN.forward],
    rules: [
      `-A ${CHAIN.forward} -m mark --mark ${mark}/${mark} ${comment('tug forwarding rules')} -j ACCEPT`,
      `-A ${CHAIN.forward} -m conntrack --ctstate RELATED,ESTABLISHED ${comment('tug forwarding conntrack rule')} -j ACCEPT`,
    ],
  };
  const serviceRules: string[] = [];
  const nodePortRules: string[] = [];
  const chainRules: string[] = [];

  for (const e of model) {
    const proto = e.protocol.toLowerCase();
    const match = `-p ${proto}`;
    if (e.endpoints.length === 0) {
      // No ready endpoint: refuse at once instead of letting the client's SYN (or datagram) vanish.
      const how = e.protocol === 'TCP' ? 'tcp-reset' : 'icmp-port-unreachable';
      filter.rules.push(`-A ${CHAIN.services} ${comment(`${e.id} has no endpoints`)} -d ${e.clusterIP}/32 ${match} --dport ${e.port} -j REJECT --reject-with ${how}`);
      if (e.nodePort) {
        filter.rules.push(
          `-A ${CHAIN.externalServices} ${comment(`${e.id} has no endpoints`)} -m addrtype --dst-type LOCAL ${match} --dport ${e.nodePort} -j REJECT --reject-with ${how}`,
        );
      }
      continue;
    }
    const svc = serviceChain(e);
    nat.chains.push(svc);
    serviceRules.push(`-A ${CHAIN.services} ${comment(`${e.id} cluster IP`)} -d ${e.clusterIP}/32 ${match} --dport ${e.port} -j ${svc}`);
    if (opts.clusterCidr) {
      chainRules.push(`-A ${svc} ${comment(`${e.id} cluster IP`)} ! -s ${opts.clusterCidr} -d ${e.clusterIP}/32 ${match} --dport ${e.port} -j ${CHAIN.markMasq}`);
    }
    if (e.nodePort) {
      // Traffic from outside must come back through this node: masquerade it (externalTrafficPolicy Cluster).
      nodePortRules.push(`-A ${CHAIN.nodePorts} ${comment(`${e.id} node port`)} ${match} --dport ${e.nodePort} -j ${CHAIN.markMasq}`);
      nodePortRules.push(`-A ${CHAIN.nodePorts} ${comment(`${e.id} node port`)} ${match} --dport ${e.nodePort} -j ${svc}`);
    }
    const n = e.endpoints.length;
    e.endpoints.forEach((ep, i) => {
      const sep = endpointChain(e, ep);
      nat.chains.push(sep);
      const pick = i < n - 1 ? ` -m statistic --mode random --probability ${probability(i, n)}` : '';
      chainRules.push(`-A ${svc} ${comment(`${e.id} -> ${ep.ip}:${ep.port}`)}${pick} -j ${sep}`);
      // A pod reaching itself through the service: without SNAT its reply would skip the un-DNAT.
      chainRules.push(`-A ${sep} ${comment(e.id)} -s ${ep.ip}/32 -j ${CHAIN.markMasq}`);
      chainRules.push(`-A ${sep} ${comment(e.id)} ${match} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
  }

  // Node ports come last: a cluster IP rule must win over "any local address".
  const addrs = opts.nodePortAddresses ?? [];
  if (addrs.length === 0) {
    serviceRules.push(`-A ${CHAIN.services} ${comment('tug service nodeports; must be last')} ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j ${CHAIN.nodePorts}`);
  } else {
    for (const a of addrs) serviceRules.push(`-A ${CHAIN.services} ${comment('tug service nodeports; must be last')} -d ${a}/32 -j ${CHAIN.nodePorts}`);
  }
  nat.rules.push(...serviceRules, ...nodePortRules, ...chainRules);
  return { nat, filter };
}

/**
 * iptables-restore input (for --noflush) that makes the owned chains exactly
 * `ruleset`: declaring a chain flushes it, and chains that exist but are no
 * longer wanted (of deleted services) are flushed and deleted in the same
 * transaction. Only chains named TUG-* are ever touched.
 */
export function renderRestoreInput(ruleset: Ruleset, existing: Partial<Record<Table, Iterable<string>>> = {}): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    const t = ruleset[table];
    const wanted = new Set(t.chains);
    const stale = Array.from(existing[table] ?? [])
      .filter((c) => c.startsWith(CHAIN_PREFIX) && !wanted.has(c))
      .sort();
    lines.push(`*${table}`);
    for (const c of [...t.chains, ...stale]) lines.push(`:${c} - [0:0]`);
    lines.push(...t.rules);
    for (const c of stale) lines.push(`-X ${c}`);
    lines.push('COMMIT');
  }
  return lines.join('\n') + '\n';
}

/** Input that flushes and deletes every TUG-* chain (after the jump rules into them are gone). */
export function renderCleanupInput(existing: Partial<Record<Table, Iterable<string>>>): string {
  return renderRestoreInput({ nat: { chains: [], rules: [] }, filter: { chains: [], rules: [] } }, existing);
}

/** Names of the chains declared in iptables-save output of one table. */
export function chainsInSave(save: string, prefix = CHAIN_PREFIX): string[] {
  const out: string[] = [];
  for (const line of save.split('\n')) {
    const m = /^:(\S+)\s/.exec(line);
    if (m && m[1]!.startsWith(prefix)) out.push(m[1]!);
  }
  return out;
}
