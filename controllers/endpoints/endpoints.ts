// What a Service's Endpoints should hold, computed from the Service and the
// pods its selector matches: pure functions, no I/O. The controller feeds
// them from its caches and writes the result.
import type { ContainerPort, EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from '../../lib/api/generated/types.js';
import { labelsMatch } from '../../lib/labels.js';
import { isPodReady } from '../util/pod.js';

/** Label Kubernetes puts on the Endpoints of a headless Service (clusterIP: None). */
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';

/**
 * Whether the controller manages this Service's Endpoints. A Service without
 * a selector gets its Endpoints from its user, so they are left alone. An
 * empty selector counts as none: on the wire it cannot be told from an absent one.
 */
export function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** The pods of `pods` in the Service's namespace that its selector matches. */
export function selectedPods(svc: Service, pods: Pod[]): Pod[] {
  if (!hasSelector(svc)) return [];
  const ns = svc.metadata?.namespace ?? '';
  return pods.filter((p) => (p.metadata?.namespace ?? '') === ns && labelsMatch(svc.spec?.selector, p.metadata?.labels));
}

export function podIP(pod: Pod): string | undefined {
  return pod.status?.podIP || pod.status?.podIPs?.find((i) => i.ip)?.ip || undefined;
}

/** Succeeded and Failed pods will never serve again. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Whether a pod appears in Endpoints at all (ready or not): it must have an
 * IP, must not have finished, and must not be terminating unless the Service
 * publishes not-ready addresses (Kubernetes lets such Services, typically
 * behind StatefulSets, keep pods that are shutting down discoverable).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating = false): boolean {
  if (isPodTerminal(pod)) return false;
  if (!podIP(pod)) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

const protocolOf = (p: { protocol?: string }): string => p.protocol || 'TCP';

/**
 * The port on this pod that a Service port sends traffic to: a numeric
 * targetPort as is (an absent one means the Service's own port), a named one
 * looked up among the pod's container ports with the same protocol.
 * undefined when the name is not declared by the pod, so that pod is left out
 * for this port only.
 */
export function resolveTargetPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort;
  if (target === undefined || target === 0 || target === '') return port.port || undefined;
  if (typeof target === 'number') return target;
  const proto = protocolOf(port);
  const containers = pod.spec?.containers ?? [];
  // Init containers never serve, so only regular containers are searched.
  for (const c of containers) {
    const found = (c.ports ?? []).find((cp: ContainerPort) => cp.name === target && protocolOf(cp) === proto);
    if (found?.containerPort) return found.containerPort;
  }
  return undefined;
}

/** The address a pod contributes to a Service's Endpoints. */
export function podEndpointAddress(pod: Pod, svc: Service): EndpointAddress {
  const addr: EndpointAddress = {
    ip: podIP(pod),
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  // The pod gets a DNS name under the Service only when it asked for one there.
  const hostname = pod.spec?.hostname;
  if (hostname && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace) {
    addr.hostname = hostname;
  }
  return addr;
}

function endpointPort(port: ServicePort, number: number): EndpointPort {
  const ep: EndpointPort = { port: number, protocol: protocolOf(port) };
  if (port.name) ep.name = port.name;
  if (port.appProtocol) ep.appProtocol = port.appProtocol;
  return ep;
}

/**
 * The subsets of the Endpoints for svc given the pods in its namespace
 * (those the selector does not match are ignored), repacked and sorted.
 * Ready pods go to `addresses`, the others to `notReadyAddresses`, unless
 * the Service publishes not-ready addresses, in which case all are ready.
 */
export function computeEndpointSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const ports = svc.spec?.ports ?? [];
  const headless = svc.spec?.clusterIP === 'None';
  const raw: EndpointSubset[] = [];
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podEndpointAddress(pod, svc);
    const ready = publishNotReady || isPodReady(pod);
    const place = (epPorts: EndpointPort[]) => raw.push(ready ? { addresses: [addr], ports: epPorts } : { notReadyAddresses: [addr], ports: epPorts });
    if (ports.length === 0) {
      // A headless Service without ports still names its pods (DNS); any
      // other Service without ports has nothing to send traffic to.
      if (headless) place([]);
      continue;
    }
    for (const port of ports) {
      const n = resolveTargetPort(pod, port);
      if (n !== undefined) place([endpointPort(port, n)]);
    }
  }
  return repackSubsets(raw);
}

// ---- repacking ----

const addressKey = (a: EndpointAddress): string => `${a.ip ?? ''}\u0000${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort): string => `${p.name ?? ''}\u0000${p.port ?? 0}\u0000${protocolOf(p)}\u0000${p.appProtocol ?? ''}`;
/** Stands for "no ports" so portless subsets (headless Services) survive repacking. */
const NO_PORT = '\u0001none';

/**
 * Rewrites subsets into the one canonical form, as Kubernetes does: every
 * (address, port) pair appears once; ports served by exactly the same
 * addresses (with the same readiness) share a subset; an address listed as
 * both ready and not ready for a port counts as not ready. Everything is
 * sorted, so equal content always gives equal output.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  /** port key → address key → ready */
  const byPort = new Map<string, Map<string, boolean>>();
  const note = (pk: string, a: EndpointAddress, ready: boolean) => {
    const ak = addressKey(a);
    if (!addrs.has(ak)) addrs.set(ak, a);
    let m = byPort.get(pk);
    if (!m) byPort.set(pk, (m = new Map()));
    if (m.get(ak) !== false) m.set(ak, ready);
  };
  for (const s of subsets) {
    const list = s.ports?.length ? s.ports.map((p) => ({ ...p, protocol: protocolOf(p) })) : [undefined];
    for (const p of list) {
      const pk = p ? portKey(p) : NO_PORT;
      if (p) ports.set(pk, p);
      for (const a of s.addresses ?? []) note(pk, a, true);
      for (const a of s.notReadyAddresses ?? []) note(pk, a, false);
    }
  }
  // Group ports by the exact set of (address, readiness) serving them.
  const groups = new Map<string, { members: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const [pk, members] of byPort) {
    const sig = [...members].map(([ak, r]) => `${ak}\u0000${r ? 1 : 0}`).sort().join('\u0002');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { members, ports: [] }));
    const p = ports.get(pk);
    if (p) g.ports.push(p);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.members) (r ? ready : notReady).push(addrs.get(ak)!);
    const s: EndpointSubset = {};
    if (ready.length) s.addresses = ready.sort(compareAddresses);
    if (notReady.length) s.notReadyAddresses = notReady.sort(compareAddresses);
    if (g.ports.length) s.ports = g.ports.sort(comparePorts);
    out.push(s);
  }
  return out.sort(compareSubsets);
}

/** IPv4 addresses in numeric order (10.0.0.9 before 10.0.0.10), others as text. */
function ipSortKey(ip: string | undefined): string {
  if (ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip.split('.').map((o) => o.padStart(3, '0')).join('.');
  return `~${ip ?? ''}`;
}

function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return (
    cmp(ipSortKey(a.ip), ipSortKey(b.ip)) ||
    cmp(a.targetRef?.namespace ?? '', b.targetRef?.namespace ?? '') ||
    cmp(a.targetRef?.name ?? '', b.targetRef?.name ?? '') ||
    cmp(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '')
  );
}

export function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return cmp(a.name ?? '', b.name ?? '') || cmp(a.port ?? 0, b.port ?? 0) || cmp(protocolOf(a), protocolOf(b)) || cmp(a.appProtocol ?? '', b.appProtocol ?? '');
}

function compareLists<T>(a: T[] | undefined, b: T[] | undefined, by: (x: T, y: T) => number): number {
  const x = a ?? [];
  const y = b ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = by(x[i]!, y[i]!);
    if (c) return c;
  }
  return x.length - y.length;
}

function compareSubsets(a: EndpointSubset, b: EndpointSubset): number {
  return (
    compareLists(a.ports, b.ports, comparePorts) ||
    compareLists(a.addresses, b.addresses, compareAddresses) ||
    compareLists(a.notReadyAddresses, b.notReadyAddresses, compareAddresses)
  );
}

// ---- comparing and planning ----

/** The labels a Service's Endpoints carry: the Service's own, plus the headless marker. */
export function endpointsLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_SERVICE_LABEL] = '';
  return labels;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && y[k] === x[k]);
}

/**
 * Whether two lists of subsets say the same thing: the same (address,
 * readiness, port) facts, however they are grouped or ordered, and the same
 * address details (hostname, node, pod).
 */
export function subsetsEquivalent(a: EndpointSubset[] | undefined, b: EndpointSubset[] | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Subsets repacked and stripped of what the wire would not keep, for comparing. */
function canonical(subsets: EndpointSubset[] | undefined): unknown {
  const addr = (a: EndpointAddress) => [
    a.ip ?? '',
    a.hostname ?? '',
    a.nodeName ?? '',
    a.targetRef?.kind ?? '',
    a.targetRef?.namespace ?? '',
    a.targetRef?.name ?? '',
    a.targetRef?.uid ?? '',
  ];
  return repackSubsets(subsets ?? []).map((s) => [
    (s.addresses ?? []).map(addr),
    (s.notReadyAddresses ?? []).map(addr),
    (s.ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, protocolOf(p), p.appProtocol ?? '']),
  ]);
}

export type EndpointsPlan =
  | { action: 'none' }
  | { action: 'create'; endpoints: Endpoints }
  | { action: 'update'; endpoints: Endpoints };

/**
 * What to write for a Service that has a selector, given its current
 * Endpoints (if any) and the pods in its namespace: nothing when the current
 * object already says the same, else the object to create or update. An
 * update keeps the current metadata (resourceVersion for compare-and-swap,
 * annotations others put there) and replaces labels and subsets.
 */
export function planEndpoints(svc: Service, current: Endpoints | undefined, pods: Pod[]): EndpointsPlan {
  const subsets = computeEndpointSubsets(svc, pods);
  const labels = endpointsLabels(svc);
  if (!current) {
    return {
      action: 'create',
      endpoints: {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: svc.metadata?.name, namespace: svc.metadata?.namespace, labels },
        subsets,
      },
    };
  }
  if (subsetsEquivalent(current.subsets, subsets) && sameLabels(current.metadata?.labels, labels)) return { action: 'none' };
  return {
    action: 'update',
    endpoints: { ...current, apiVersion: 'v1', kind: 'Endpoints', metadata: { ...current.metadata, labels }, subsets },
  };
}

// ---- which pod changes matter ----

/**
 * Whether a pod update can change any Endpoints: its labels (which Services
 * select it), or anything its address or readiness is made of.
 */
export function podChangeAffectsEndpoints(old: Pod, pod: Pod): { labels: boolean; address: boolean } {
  const labels = !sameLabels(old.metadata?.labels, pod.metadata?.labels);
  const facts = (p: Pod) =>
    [
      podIP(p) ?? '',
      isPodReady(p),
      !!p.metadata?.deletionTimestamp,
      isPodTerminal(p),
      p.spec?.nodeName ?? '',
      p.spec?.hostname ?? '',
      p.spec?.subdomain ?? '',
      p.metadata?.uid ?? '',
    ].join('\u0000');
  return { labels, address: facts(old) !== facts(pod) };
}

// ---- finding the Services that select a pod ----

/** Name of the Service-informer index used to find the Services selecting a pod. */
export const SELECTOR_INDEX = 'endpoints.selectorPair';

const pairKey = (ns: string, k: string, v: string) => `${ns}/${k}=${v}`;

/**
 * Files a Service under one pair of its selector ("ns/key=value", the
 * smallest key): any pod it selects carries that pair, so looking up each of
 * a pod's labels finds every candidate, and each Service is found once.
 * Services without a selector are filed nowhere.
 */
export function selectorIndexKeys(svc: Service): string[] {
  const sel = svc.spec?.selector ?? {};
  const keys = Object.keys(sel).sort();
  if (!keys.length) return [];
  const k = keys[0]!;
  return [pairKey(svc.metadata?.namespace ?? '', k, sel[k]!)];
}

/** The Services (from an index built with selectorIndexKeys) whose selector matches the pod. */
export function servicesSelectingPod(byIndex: (value: string) => Service[], pod: Pod): Service[] {
  const ns = pod.metadata?.namespace ?? '';
  const labels = pod.metadata?.labels ?? {};
  const out: Service[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const svc of byIndex(pairKey(ns, k, v))) if (labelsMatch(svc.spec?.selector, labels)) out.push(svc);
  }
  return out;
}
