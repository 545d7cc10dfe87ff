// Routes to other nodes' pods, host-gw style (as flannel's host-gw backend):
// for every other Node with a pod CIDR and an InternalIP, the route
// `podCIDR via InternalIP` in this node's own network namespace. Only works
// when the nodes share a link (the gateway is on-link); otherwise the route
// is left out and reported, never forced.
//
// This file decides (pure, unit-tested); route-table.ts acts with `ip route`.
// Every route the agent makes carries its own protocol number, so it only
// ever sees, changes and removes its own routes, and a restarted agent finds
// them again.
import type { Node } from '../../lib/api/generated/types.js';
import { formatCidr, overlaps, tryParseCidr } from '../../lib/ipv4.js';

/**
 * The `proto` of the agent's routes (`ip route ... proto 116`): unassigned in
 * iproute2's rt_protos, so no routing daemon claims it.
 */
export const POD_ROUTE_PROTOCOL = 116;

/** What the agent needs of a Node to route to its pods. */
export interface NodeRouteInfo {
  name: string;
  podCIDR?: string;
  internalIP?: string;
}

/** A route in the node's main table, as `ip -j route` shows it. */
export interface KernelRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** How the node reaches an address (`ip route get`): directly, through a router, it is its own, or not at all. */
export type Reachability = 'on-link' | 'via-router' | 'local' | 'unreachable';

export interface PodRoute {
  /** the other node's pod CIDR */
  dst: string;
  /** its InternalIP */
  via: string;
  node: string;
}

export type SkipReason =
  /** not yet: the control plane has not assigned one */
  | 'no-pod-cidr'
  /** not yet: its agent has not reported an InternalIP */
  | 'no-address'
  | 'bad-pod-cidr'
  | 'overlaps-own-pod-cidr'
  | 'overlaps-other-node'
  | 'not-on-link'
  | 'own-address'
  | 'foreign-route';

export interface SkippedNode {
  node: string;
  reason: SkipReason;
  podCIDR?: string;
  via?: string;
  /** for people: what is wrong and what to do */
  message: string;
}

export interface PodRoutePlanInput {
  self: string;
  nodes: NodeRouteInfo[];
  /** routes made by the agent (protocol POD_ROUTE_PROTOCOL) */
  ours: KernelRoute[];
  /** every route in the main table, the agent's included */
  all: KernelRoute[];
  /** answers for the addresses gatewaysToCheck() named */
  reach: ReadonlyMap<string, Reachability>;
}

export interface PodRoutePlan {
  /** every route that should exist */
  desired: PodRoute[];
  /** to add, or to change in place (`ip route replace`) */
  replace: PodRoute[];
  /** the agent's routes no Node wants any more */
  remove: KernelRoute[];
  skipped: SkippedNode[];
}

/** Reasons that only mean "not yet" (the Node is still registering), not a problem worth a warning. */
export const WAITING_REASONS: ReadonlySet<SkipReason> = new Set(['no-pod-cidr', 'no-address']);

export function nodeRouteInfo(n: Node): NodeRouteInfo {
  const podCIDR = n.spec?.podCIDR || n.spec?.podCIDRs?.[0];
  const internalIP = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return { name: n.metadata?.name ?? '', ...(podCIDR ? { podCIDR } : {}), ...(internalIP ? { internalIP } : {}) };
}

/** The other nodes' addresses whose reachability the plan needs. */
export function gatewaysToCheck(self: string, nodes: NodeRouteInfo[]): string[] {
  const out = new Set<string>();
  for (const n of nodes) if (n.name !== self && n.podCIDR && n.internalIP) out.add(n.internalIP);
  return [...out].sort();
}

const normal = (dst: string) => {
  const c = tryParseCidr(dst === 'default' ? '0.0.0.0/0' : dst);
  return c ? formatCidr(c) : dst;
};

export function planPodRoutes(input: PodRoutePlanInput): PodRoutePlan {
  const skipped: SkippedNode[] = [];
  const desired: PodRoute[] = [];
  const self = input.nodes.find((n) => n.name === input.self);
  const own = tryParseCidr(self?.podCIDR);
  const ours = new Set(input.ours.map((r) => `${normal(r.dst)} ${r.gateway ?? ''}`));
  const oursDst = new Set(input.ours.map((r) => normal(r.dst)));
  const foreign = new Map<string, KernelRoute>();
  for (const r of input.all) {
    const dst = normal(r.dst);
    if (!oursDst.has(dst)) foreign.set(dst, r);
  }

  const others = input.nodes.filter((n) => n.name !== input.self).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const n of others) {
    const skip = (reason: SkipReason, message: string) =>
      skipped.push({ node: n.name, reason, ...(n.podCIDR ? { podCIDR: n.podCIDR } : {}), ...(n.internalIP ? { via: n.internalIP } : {}), message });
    if (!n.podCIDR) {
      skip('no-pod-cidr', `node ${n.name} has no pod CIDR yet`);
      continue;
    }
    if (!n.internalIP) {
      skip('no-address', `node ${n.name} has no InternalIP yet`);
      continue;
    }
    const cidr = tryParseCidr(n.podCIDR);
    if (!cidr || !n.podCIDR.includes('/')) {
      skip('bad-pod-cidr', `node ${n.name} has pod CIDR "${n.podCIDR}", which is not an IPv4 prefix; no route to its pods`);
      continue;
    }
    const dst = formatCidr(cidr);
    if (own && overlaps(own, cidr)) {
      skip('overlaps-own-pod-cidr', `node ${n.name}'s pod CIDR ${dst} overlaps this node's own ${self!.podCIDR}; no route to its pods (give the nodes distinct pod CIDRs)`);
      continue;
    }
    const clash = desired.find((d) => overlaps(tryParseCidr(d.dst)!, cidr));
    if (clash) {
      skip('overlaps-other-node', `node ${n.name}'s pod CIDR ${dst} overlaps ${clash.dst} of node ${clash.node}; routing only to ${clash.node} (give the nodes distinct pod CIDRs)`);
      continue;
    }
    const reach = input.reach.get(n.internalIP) ?? 'unreachable';
    if (reach === 'local') {
      skip('own-address', `node ${n.name} reports InternalIP ${n.internalIP}, an address of this node; no route to its pods`);
      continue;
    }
    if (reach !== 'on-link') {
      skip(
        'not-on-link',
        `node ${n.name}'s InternalIP ${n.internalIP} is ${reach === 'via-router' ? 'behind a router' : 'unreachable'} from this node, so its pods (${dst}) cannot be routed host-gw style; ` +
          'put the nodes on one link (subnet), or route the pod CIDRs some other way',
      );
      continue;
    }
    const other = foreign.get(dst);
    if (other) {
      if (other.gateway !== n.internalIP) {
        skip('foreign-route', `a route to ${dst} that the agent did not make is in the way (via ${other.gateway ?? other.dev ?? '?'}); pods of node ${n.name} are reached through it, not via ${n.internalIP} (delete it to let the agent route)`);
      }
      continue;
    }
    desired.push({ dst, via: n.internalIP, node: n.name });
  }

  const want = new Set(desired.map((d) => d.dst));
  return {
    desired,
    replace: desired.filter((d) => !ours.has(`${d.dst} ${d.via}`)),
    remove: input.ours.filter((r) => !want.has(normal(r.dst))),
    skipped,
  };
}
