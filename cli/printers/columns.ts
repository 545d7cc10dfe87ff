// The columns `get` prints for each kind, as kubectl prints them. Every
// function here is pure: object (and clock) in, cells out.
import type * as T from '../../lib/api/generated/types.js';
import type { AnyObject, KindName, KindTypes } from '../../lib/api/kinds.js';
import { age } from './age.js';

export interface KindColumns<O> {
  headers: string[];
  wideHeaders?: string[];
  cells(o: O, now: Date): string[];
  wideCells?(o: O, now: Date): string[];
}

const NONE = '<none>';

export function labelsText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : NONE;
}

/** matchLabels and matchExpressions as one kubectl selector string. */
export function selectorText(sel: T.LabelSelector | undefined): string {
  if (!sel) return NONE;
  const parts = Object.entries(sel.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${vals})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${vals})`);
        break;
      case 'Exists':
        parts.push(`${e.key}`);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        parts.push(`${e.key} ${e.operator} (${vals})`);
    }
  }
  return parts.length ? parts.join(',') : NONE;
}

function containersAndImages(spec: T.PodSpec | undefined): string[] {
  const cs = spec?.containers ?? [];
  return [cs.map((c) => c.name ?? '').join(',') || NONE, cs.map((c) => c.image ?? '').join(',') || NONE];
}

const n = (v: number | undefined): string => String(v ?? 0);

// ---- Pod ----

/** kubectl's pod STATUS: the most telling reason among phase, init and app containers. */
export function podStatusText(pod: T.Pod): string {
  const st = pod.status ?? {};
  let reason = st.reason || st.phase || 'Unknown';
  const inits = pod.spec?.initContainers ?? [];
  let initializing = false;
  (st.initContainerStatuses ?? []).some((c, i) => {
    const term = c.state?.terminated;
    if (term && (term.exitCode ?? 0) === 0) return false;
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
    } else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${inits.length}`;
    }
    initializing = true;
    return true;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...(st.containerStatuses ?? [])].reverse()) {
      const s = c.state ?? {};
      if (s.waiting?.reason) reason = s.waiting.reason;
      else if (s.terminated?.reason) reason = s.terminated.reason;
      else if (s.terminated) reason = s.terminated.signal ? `Signal:${s.terminated.signal}` : `ExitCode:${s.terminated.exitCode ?? 0}`;
      else if (s.running && c.ready) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export function podReadyText(pod: T.Pod): string {
  const total = pod.spec?.containers?.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready && c.state?.running).length;
  return `${ready}/${total}`;
}

/** `3` or `3 (2m ago)` when the last restart's time is known. */
export function podRestartsText(pod: T.Pod, now: Date): string {
  let restarts = 0;
  let last: string | undefined;
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    restarts += c.restartCount ?? 0;
    const fin = c.lastState?.terminated?.finishedAt;
    if (fin && (!last || Date.parse(fin) > Date.parse(last))) last = fin;
  }
  return restarts > 0 && last ? `${restarts} (${age(last, now)} ago)` : String(restarts);
}

const pods: KindColumns<T.Pod> = {
  headers: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
  wideHeaders: ['IP', 'NODE'],
  cells: (p, now) => [podReadyText(p), podStatusText(p), podRestartsText(p, now), age(p.metadata?.creationTimestamp, now)],
  wideCells: (p) => [p.status?.podIP || NONE, p.spec?.nodeName || NONE],
};

// ---- Deployment / ReplicaSet ----

const deployments: KindColumns<T.Deployment> = {
  headers: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  cells: (d, now) => [
    `${n(d.status?.readyReplicas)}/${n(d.spec?.replicas)}`,
    n(d.status?.updatedReplicas),
    n(d.status?.availableReplicas),
    age(d.metadata?.creationTimestamp, now),
  ],
  wideCells: (d) => [...containersAndImages(d.spec?.template?.spec), selectorText(d.spec?.selector)],
};

const replicaSets: KindColumns<T.ReplicaSet> = {
  headers: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  cells: (r, now) => [n(r.spec?.replicas), n(r.status?.replicas), n(r.status?.readyReplicas), age(r.metadata?.creationTimestamp, now)],
  wideCells: (r) => [...containersAndImages(r.spec?.template?.spec), selectorText(r.spec?.selector)],
};

// ---- Service / Endpoints ----

export function servicePortsText(svc: T.Service): string {
  const ports = svc.spec?.ports ?? [];
  if (!ports.length) return NONE;
  return ports.map((p) => `${p.port ?? 0}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol || 'TCP'}`).join(',');
}

export function serviceExternalIPText(svc: T.Service): string {
  const type = svc.spec?.type || 'ClusterIP';
  const external = svc.spec?.externalIPs ?? [];
  if (type === 'LoadBalancer') {
    const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
    const all = [...ingress, ...external];
    return all.length ? all.join(',') : '<pending>';
  }
  return external.length ? external.join(',') : NONE;
}

const services: KindColumns<T.Service> = {
  headers: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
  wideHeaders: ['SELECTOR'],
  cells: (s, now) => [s.spec?.type || 'ClusterIP', s.spec?.clusterIP || NONE, serviceExternalIPText(s), servicePortsText(s), age(s.metadata?.creationTimestamp, now)],
  wideCells: (s) => [labelsText(s.spec?.selector)],
};

/** `10.244.1.5:80,10.244.2.3:80 + 2 more...` — ready addresses only, at most three shown. */
export function endpointsText(ep: T.Endpoints, max = 3): string {
  const all: string[] = [];
  for (const ss of ep.subsets ?? []) {
    const addrs = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    for (const a of addrs) {
      if (!ports.length) all.push(a.ip ?? '');
      for (const p of ports) all.push(`${a.ip ?? ''}:${p.port ?? 0}`);
    }
  }
  if (!all.length) return NONE;
  const shown = all.slice(0, max).join(',');
  return all.length > max ? `${shown} + ${all.length - max} more...` : shown;
}

const endpoints: KindColumns<T.Endpoints> = {
  headers: ['ENDPOINTS', 'AGE'],
  cells: (e, now) => [endpointsText(e), age(e.metadata?.creationTimestamp, now)],
};

// ---- Node / Namespace ----

export function nodeStatusText(node: T.Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  // kubectl shows a Ready condition that is False or Unknown as NotReady; no condition at all as Unknown
  const parts = [!ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

export function nodeRolesText(node: T.Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : NONE;
}

export function nodeInternalIP(node: T.Node): string {
  return (node.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address || NONE;
}

const nodes: KindColumns<T.Node> = {
  headers: ['STATUS', 'ROLES', 'AGE', 'VERSION'],
  wideHeaders: ['INTERNAL-IP', 'CPU', 'MEMORY'],
  cells: (o, now) => [nodeStatusText(o), nodeRolesText(o), age(o.metadata?.creationTimestamp, now), o.status?.nodeInfo?.kubeletVersion || NONE],
  wideCells: (o) => [nodeInternalIP(o), o.status?.allocatable?.cpu || NONE, o.status?.allocatable?.memory || NONE],
};

const namespaces: KindColumns<T.Namespace> = {
  headers: ['STATUS', 'AGE'],
  cells: (o, now) => [o.status?.phase || 'Active', age(o.metadata?.creationTimestamp, now)],
};

// ---- Event ----

export function eventLastSeen(e: T.Event): string | undefined {
  return e.lastTimestamp || e.eventTime || e.firstTimestamp || e.metadata?.creationTimestamp;
}

export function eventObjectText(e: T.Event): string {
  const o = e.involvedObject ?? {};
  return `${(o.kind ?? '').toLowerCase()}/${o.name ?? ''}`;
}

const events: KindColumns<T.Event> = {
  headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  wideHeaders: ['SOURCE', 'COUNT', 'FIRST SEEN'],
  cells: (e, now) => [age(eventLastSeen(e), now), e.type || 'Normal', e.reason || '', eventObjectText(e), (e.message ?? '').trim().replace(/\s*\n\s*/g, ' ')],
  wideCells: (e, now) => [eventSourceText(e), String(e.count ?? 1), age(e.firstTimestamp || eventLastSeen(e), now)],
};

export function eventSourceText(e: T.Event): string {
  const component = e.source?.component || e.reportingComponent || '';
  const host = e.source?.host || '';
  return [component, host].filter(Boolean).join(', ') || NONE;
}

// ---- ConfigMap / Secret / Lease ----

const configMaps: KindColumns<T.ConfigMap> = {
  headers: ['DATA', 'AGE'],
  cells: (o, now) => [String(Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length), age(o.metadata?.creationTimestamp, now)],
};

const secrets: KindColumns<T.Secret> = {
  headers: ['TYPE', 'DATA', 'AGE'],
  cells: (o, now) => [o.type || 'Opaque', String(Object.keys(o.data ?? {}).length), age(o.metadata?.creationTimestamp, now)],
};

const leases: KindColumns<T.Lease> = {
  headers: ['HOLDER', 'AGE'],
  cells: (o, now) => [o.spec?.holderIdentity || '', age(o.metadata?.creationTimestamp, now)],
};

export const COLUMNS: { [K in KindName]: KindColumns<KindTypes[K]> } = {
  Pod: pods,
  Deployment: deployments,
  ReplicaSet: replicaSets,
  Service: services,
  Endpoints: endpoints,
  Node: nodes,
  Namespace: namespaces,
  Event: events,
  ConfigMap: configMaps,
  Secret: secrets,
  Lease: leases,
};

export function columnsOf(kind: KindName): KindColumns<AnyObject> {
  return COLUMNS[kind] as KindColumns<AnyObject>;
}
