// `describe` text per kind, in kubectl's layout. Pure: each describer gets the
// object and whatever related objects it shows (events, pods, ReplicaSets)
// and returns the text.
import type * as T from '../../lib/api/generated/types.js';
import type { AnyObject, KindInfo, KindName } from '../../lib/api/kinds.js';
import { cpuToMillis, memoryToBytes, formatCpuMillis, formatBytes } from '../../lib/quantity.js';
import { stringify } from 'yaml';
import { age, describeTime } from './age.js';
import { alignColumns } from './tabwriter.js';
import { endpointsText, eventLastSeen, eventSourceText, labelsText, nodeRolesText, selectorText, servicePortsText } from './columns.js';

const NONE = '<none>';

/** Lines with tab-separated cells, indented two spaces per level, aligned at the end. */
class Writer {
  private readonly lines: string[] = [];

  line(level: number, ...cells: string[]): this {
    this.lines.push('  '.repeat(level) + cells.join('\t'));
    return this;
  }

  /** `Labels:  a=b` then one `        c=d` line per further entry. */
  map(level: number, title: string, m: Record<string, string> | undefined): this {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (!entries.length) return this.line(level, title, NONE);
    entries.forEach(([k, v], i) => this.line(level, i === 0 ? title : '', `${k}=${v}`));
    return this;
  }

  /** a list under a title, one per line, or `<none>` */
  list(level: number, title: string, items: string[]): this {
    if (!items.length) return this.line(level, title, NONE);
    items.forEach((it, i) => this.line(level, i === 0 ? title : '', it));
    return this;
  }

  table(level: number, header: string[], rows: string[][]): this {
    this.line(level, ...header);
    this.line(level, ...header.map((h) => '-'.repeat(h.length)));
    for (const r of rows) this.line(level, ...r);
    return this;
  }

  text(): string {
    return alignColumns(this.lines, 2).join('\n') + '\n';
  }
}

function meta(w: Writer, obj: AnyObject, opts: { namespace: boolean }): void {
  const m = obj.metadata ?? {};
  w.line(0, 'Name:', m.name ?? '');
  if (opts.namespace) w.line(0, 'Namespace:', m.namespace ?? '');
}

/** Annotations without the last-applied record, which kubectl hides too. */
function shownAnnotations(obj: AnyObject): Record<string, string> {
  const a = { ...(obj.metadata?.annotations ?? {}) };
  delete a['kubectl.kubernetes.io/last-applied-configuration'];
  return a;
}

function controlledBy(obj: AnyObject): string | undefined {
  const c = (obj.metadata?.ownerReferences ?? []).find((o) => o.controller);
  return c ? `${c.kind}/${c.name}` : undefined;
}

function conditionRows(conds: T.Condition[] | undefined, withReason: boolean): string[][] {
  return (conds ?? []).map((c) => (withReason ? [c.type ?? '', c.status ?? '', c.reason ?? ''] : [c.type ?? '', c.status ?? '']));
}

// ---- events ----

/** Events about `obj`, oldest first. */
export function eventsFor(obj: AnyObject, kind: KindName, events: T.Event[]): T.Event[] {
  const m = obj.metadata ?? {};
  return events
    .filter((e) => {
      const o = e.involvedObject ?? {};
      if (o.uid && m.uid) return o.uid === m.uid;
      return o.kind === kind && o.name === m.name && (o.namespace ?? '') === (m.namespace ?? (o.namespace ?? ''));
    })
    .sort((a, b) => (Date.parse(eventLastSeen(a) ?? '') || 0) - (Date.parse(eventLastSeen(b) ?? '') || 0));
}

function eventsSection(w: Writer, events: T.Event[], now: Date): void {
  if (!events.length) {
    w.line(0, 'Events:', NONE);
    return;
  }
  w.line(0, 'Events:');
  w.table(
    1,
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    events.map((e) => {
      const last = age(eventLastSeen(e), now);
      const count = e.count ?? 1;
      const when = count > 1 && e.firstTimestamp ? `${last} (x${count} over ${age(e.firstTimestamp, now)})` : last;
      return [e.type || 'Normal', e.reason ?? '', when, eventSourceText(e), (e.message ?? '').trim()];
    }),
  );
}

// ---- containers and pod templates ----

function portText(p: T.ContainerPort): string {
  return `${p.containerPort ?? 0}/${p.protocol || 'TCP'}`;
}

function stateLines(w: Writer, level: number, title: string, s: T.ContainerState | undefined): void {
  if (s?.running) {
    w.line(level, title, 'Running');
    w.line(level + 1, 'Started:', describeTime(s.running.startedAt));
  } else if (s?.waiting) {
    w.line(level, title, 'Waiting');
    if (s.waiting.reason) w.line(level + 1, 'Reason:', s.waiting.reason);
    if (s.waiting.message) w.line(level + 1, 'Message:', s.waiting.message);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.line(level, title, 'Terminated');
    if (t.reason) w.line(level + 1, 'Reason:', t.reason);
    if (t.message) w.line(level + 1, 'Message:', t.message);
    w.line(level + 1, 'Exit Code:', String(t.exitCode ?? 0));
    if (t.signal) w.line(level + 1, 'Signal:', String(t.signal));
    w.line(level + 1, 'Started:', describeTime(t.startedAt));
    w.line(level + 1, 'Finished:', describeTime(t.finishedAt));
  } else {
    w.line(level, title, 'Waiting');
  }
}

function envText(e: T.EnvVar): string {
  const f = e.valueFrom;
  if (!f) return `${e.name}:\t${e.value ?? ''}`;
  if (f.fieldRef) return `${e.name}:\t (${f.fieldRef.apiVersion || 'v1'}:${f.fieldRef.fieldPath})`;
  if (f.resourceFieldRef) return `${e.name}:\t${f.resourceFieldRef.resource} (limits/requests)`;
  if (f.configMapKeyRef) return `${e.name}:\t<set to the key '${f.configMapKeyRef.key}' of config map '${f.configMapKeyRef.name}'>`;
  if (f.secretKeyRef) return `${e.name}:\t<set to the key '${f.secretKeyRef.key}' in secret '${f.secretKeyRef.name}'>`;
  return `${e.name}:`;
}

function containerLines(w: Writer, level: number, c: T.Container, st: T.ContainerStatus | undefined): void {
  w.line(level, `${c.name}:`);
  const l = level + 1;
  if (st) w.line(l, 'Container ID:', st.containerID ?? '');
  w.line(l, 'Image:', c.image ?? '');
  if (st) w.line(l, 'Image ID:', st.imageID ?? '');
  const ports = c.ports ?? [];
  if (ports.length <= 1) {
    w.line(l, 'Port:', ports[0] ? portText(ports[0]) : NONE);
    w.line(l, 'Host Port:', ports[0] ? `${ports[0].hostPort ?? 0}/${ports[0].protocol || 'TCP'}` : NONE);
  } else {
    w.line(l, 'Ports:', ports.map(portText).join(', '));
    w.line(l, 'Host Ports:', ports.map((p) => `${p.hostPort ?? 0}/${p.protocol || 'TCP'}`).join(', '));
  }
  if (c.command?.length) w.list(l, 'Command:', c.command);
  if (c.args?.length) w.list(l, 'Args:', c.args);
  if (st) {
    stateLines(w, l, 'State:', st.state);
    if (st.lastState && Object.keys(st.lastState).length) stateLines(w, l, 'Last State:', st.lastState);
    w.line(l, 'Ready:', st.ready ? 'True' : 'False');
    w.line(l, 'Restart Count:', String(st.restartCount ?? 0));
  }
  for (const [title, m] of [['Limits:', c.resources?.limits], ['Requests:', c.resources?.requests]] as const) {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (!entries.length) continue;
    w.line(l, title);
    for (const [k, v] of entries) w.line(l + 1, `${k}:`, String(v));
  }
  for (const [title, p] of [['Liveness:', c.livenessProbe], ['Readiness:', c.readinessProbe], ['Startup:', c.startupProbe]] as const) {
    if (p) w.line(l, title, probeText(p));
  }
  const env = c.env ?? [];
  if (!env.length) w.line(l, 'Environment:', NONE);
  else {
    w.line(l, 'Environment:');
    for (const e of env) w.line(l + 1, ...envText(e).split('\t'));
  }
  const mounts = c.volumeMounts ?? [];
  w.list(l, 'Mounts:', mounts.map((m) => `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`));
}

function probeText(p: T.Probe): string {
  let action = 'unknown';
  if (p.httpGet) action = `http-get ${p.httpGet.scheme?.toLowerCase() || 'http'}://${p.httpGet.host || ''}:${p.httpGet.port}${p.httpGet.path || '/'}`;
  else if (p.tcpSocket) action = `tcp-socket ${p.tcpSocket.host || ''}:${p.tcpSocket.port}`;
  else if (p.exec) action = `exec [${(p.exec.command ?? []).join(' ')}]`;
  return `${action} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function volumeLines(w: Writer, level: number, vols: T.Volume[] | undefined): void {
  if (!vols?.length) {
    w.line(level, 'Volumes:', NONE);
    return;
  }
  w.line(level, 'Volumes:');
  for (const v of vols) {
    w.line(level + 1, `${v.name}:`);
    const l = level + 2;
    if (v.emptyDir) {
      w.line(l, 'Type:', 'EmptyDir (a temporary directory that shares a pod\'s lifetime)');
      w.line(l, 'Medium:', v.emptyDir.medium ?? '');
      w.line(l, 'SizeLimit:', v.emptyDir.sizeLimit || '<unset>');
    } else if (v.hostPath) {
      w.line(l, 'Type:', `HostPath (bare host directory volume)`);
      w.line(l, 'Path:', v.hostPath.path ?? '');
    } else if (v.configMap) {
      w.line(l, 'Type:', 'ConfigMap (a volume populated by a ConfigMap)');
      w.line(l, 'Name:', v.configMap.name ?? '');
      w.line(l, 'Optional:', String(!!v.configMap.optional));
    } else if (v.secret) {
      w.line(l, 'Type:', 'Secret (a volume populated by a Secret)');
      w.line(l, 'SecretName:', v.secret.secretName ?? '');
      w.line(l, 'Optional:', String(!!v.secret.optional));
    }
  }
}

function podTemplateLines(w: Writer, level: number, t: T.PodTemplateSpec | undefined): void {
  w.map(level, 'Labels:', t?.metadata?.labels);
  const ann = t?.metadata?.annotations;
  if (ann && Object.keys(ann).length) w.map(level, 'Annotations:', ann);
  const spec = t?.spec ?? {};
  if (spec.initContainers?.length) {
    w.line(level, 'Init Containers:');
    for (const c of spec.initContainers) containerLines(w, level + 1, c, undefined);
  }
  w.line(level, 'Containers:');
  for (const c of spec.containers ?? []) containerLines(w, level + 1, c, undefined);
  volumeLines(w, level, spec.volumes);
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length) w.map(level, 'Node-Selectors:', spec.nodeSelector);
  if (spec.tolerations?.length) w.list(level, 'Tolerations:', spec.tolerations.map(tolerationText));
}

/** Pod template section alone, as `rollout history --revision` prints it. */
export function describePodTemplate(t: T.PodTemplateSpec | undefined): string {
  const w = new Writer();
  w.line(0, 'Pod Template:');
  podTemplateLines(w, 1, t);
  return w.text();
}

function tolerationText(t: T.Toleration): string {
  let s = t.key ?? '';
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  if (t.operator === 'Exists') s += (s ? ' ' : '') + 'op=Exists';
  if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
  return s;
}

function taintText(t: T.Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

// ---- per kind ----

function qosClass(pod: T.Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const cs = pod.spec?.containers ?? [];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function describePod(pod: T.Pod, events: T.Event[], now: Date): string {
  const w = new Writer();
  const s = pod.spec ?? {};
  const st = pod.status ?? {};
  meta(w, pod, { namespace: true });
  if (s.priority !== undefined) w.line(0, 'Priority:', String(s.priority));
  if (s.serviceAccountName) w.line(0, 'Service Account:', s.serviceAccountName);
  w.line(0, 'Node:', s.nodeName ? `${s.nodeName}${st.hostIP ? `/${st.hostIP}` : ''}` : NONE);
  if (st.startTime) w.line(0, 'Start Time:', describeTime(st.startTime));
  w.map(0, 'Labels:', pod.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(pod));
  if (pod.metadata?.deletionTimestamp) {
    w.line(0, 'Status:', `Terminating (lasts ${age(pod.metadata.deletionTimestamp, now)})`);
    w.line(0, 'Termination Grace Period:', `${pod.metadata.deletionGracePeriodSeconds ?? s.terminationGracePeriodSeconds ?? 30}s`);
  } else {
    w.line(0, 'Status:', st.phase ?? 'Unknown');
  }
  if (st.reason) w.line(0, 'Reason:', st.reason);
  if (st.message) w.line(0, 'Message:', st.message);
  w.line(0, 'IP:', st.podIP ?? '');
  const ips = (st.podIPs ?? []).map((p) => p.ip ?? '');
  w.list(0, 'IPs:', ips.length ? ips.map((ip) => `IP:  ${ip}`) : []);
  const owner = controlledBy(pod);
  if (owner) w.line(0, 'Controlled By:', owner);
  if (s.initContainers?.length) {
    w.line(0, 'Init Containers:');
    for (const c of s.initContainers) containerLines(w, 1, c, (st.initContainerStatuses ?? []).find((x) => x.name === c.name) ?? {});
  }
  w.line(0, 'Containers:');
  for (const c of s.containers ?? []) containerLines(w, 1, c, (st.containerStatuses ?? []).find((x) => x.name === c.name) ?? {});
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.table(1, ['Type', 'Status'], conditionRows(st.conditions, false));
  }
  volumeLines(w, 0, s.volumes);
  w.line(0, 'QoS Class:', qosClass(pod));
  w.map(0, 'Node-Selectors:', s.nodeSelector);
  w.list(0, 'Tolerations:', (s.tolerations ?? []).map(tolerationText));
  eventsSection(w, events, now);
  return w.text();
}

const REVISION = 'deployment.kubernetes.io/revision';

function rsSummary(rs: T.ReplicaSet): string {
  return `${rs.metadata?.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
}

/** The deployment's current ReplicaSet: the owned one whose template matches, else the newest revision. */
export function splitReplicaSets(d: T.Deployment, owned: T.ReplicaSet[]): { newRS?: T.ReplicaSet; oldRSs: T.ReplicaSet[] } {
  const rev = (rs: T.ReplicaSet) => Number(rs.metadata?.annotations?.[REVISION] ?? 0);
  const sorted = [...owned].sort((a, b) => rev(b) - rev(a));
  const dRev = d.metadata?.annotations?.[REVISION];
  const newRS = (dRev && sorted.find((rs) => rs.metadata?.annotations?.[REVISION] === dRev)) || sorted[0];
  return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS && (rs.spec?.replicas ?? 0) + (rs.status?.replicas ?? 0) > 0) };
}

export function describeDeployment(d: T.Deployment, owned: T.ReplicaSet[], events: T.Event[], now: Date): string {
  const w = new Writer();
  const s = d.spec ?? {};
  const st = d.status ?? {};
  meta(w, d, { namespace: true });
  w.line(0, 'CreationTimestamp:', describeTime(d.metadata?.creationTimestamp));
  w.map(0, 'Labels:', d.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(d));
  w.line(0, 'Selector:', selectorText(s.selector));
  w.line(
    0,
    'Replicas:',
    `${s.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
  );
  const type = s.strategy?.type || 'RollingUpdate';
  w.line(0, 'StrategyType:', type);
  w.line(0, 'MinReadySeconds:', String(s.minReadySeconds ?? 0));
  if (type === 'RollingUpdate') {
    const ru = s.strategy?.rollingUpdate ?? {};
    w.line(0, 'RollingUpdateStrategy:', `${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge`);
  }
  if (s.paused) w.line(0, 'Paused:', 'true');
  w.line(0, 'Pod Template:');
  podTemplateLines(w, 1, s.template);
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.table(1, ['Type', 'Status', 'Reason'], conditionRows(st.conditions, true));
  }
  const { newRS, oldRSs } = splitReplicaSets(d, owned);
  w.line(0, 'OldReplicaSets:', oldRSs.length ? oldRSs.map(rsSummary).join(', ') : NONE);
  w.line(0, 'NewReplicaSet:', newRS ? rsSummary(newRS) : NONE);
  eventsSection(w, events, now);
  return w.text();
}

export function describeReplicaSet(rs: T.ReplicaSet, pods: T.Pod[], events: T.Event[], now: Date): string {
  const w = new Writer();
  meta(w, rs, { namespace: true });
  w.line(0, 'Selector:', selectorText(rs.spec?.selector));
  w.map(0, 'Labels:', rs.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(rs));
  const owner = controlledBy(rs);
  if (owner) w.line(0, 'Controlled By:', owner);
  w.line(0, 'Replicas:', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired`);
  const count = (phase: string) => pods.filter((p) => (p.status?.phase ?? 'Pending') === phase).length;
  w.line(0, 'Pods Status:', `${count('Running')} Running / ${count('Pending')} Waiting / ${count('Succeeded')} Succeeded / ${count('Failed')} Failed`);
  w.line(0, 'Pod Template:');
  podTemplateLines(w, 1, rs.spec?.template);
  if (rs.status?.conditions?.length) {
    w.line(0, 'Conditions:');
    w.table(1, ['Type', 'Status', 'Reason'], conditionRows(rs.status.conditions, true));
  }
  eventsSection(w, events, now);
  return w.text();
}

export function describeService(svc: T.Service, ep: T.Endpoints | undefined, events: T.Event[], now: Date): string {
  const w = new Writer();
  const s = svc.spec ?? {};
  meta(w, svc, { namespace: true });
  w.map(0, 'Labels:', svc.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(svc));
  w.line(0, 'Selector:', labelsText(s.selector));
  w.line(0, 'Type:', s.type || 'ClusterIP');
  w.line(0, 'IP:', s.clusterIP || NONE);
  if (s.clusterIPs?.length) w.line(0, 'IPs:', s.clusterIPs.join(','));
  if (s.externalIPs?.length) w.line(0, 'External IPs:', s.externalIPs.join(','));
  for (const p of s.ports ?? []) {
    const proto = p.protocol || 'TCP';
    w.line(0, 'Port:', `${p.name || '<unset>'}  ${p.port ?? 0}/${proto}`);
    w.line(0, 'TargetPort:', `${p.targetPort ?? p.port ?? 0}/${proto}`);
    if (p.nodePort) w.line(0, 'NodePort:', `${p.name || '<unset>'}  ${p.nodePort}/${proto}`);
  }
  if (!s.ports?.length) w.line(0, 'Port:', servicePortsText(svc));
  w.line(0, 'Endpoints:', ep ? endpointsText(ep, 100) : NONE);
  w.line(0, 'Session Affinity:', s.sessionAffinity || 'None');
  eventsSection(w, events, now);
  return w.text();
}

/** A pod's summed container requests and limits, in millicores and bytes. */
export function podResources(pod: T.Pod): { cpuReq: number; cpuLim: number; memReq: number; memLim: number } {
  const r = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  for (const c of pod.spec?.containers ?? []) {
    r.cpuReq += cpuToMillis(c.resources?.requests?.cpu);
    r.cpuLim += cpuToMillis(c.resources?.limits?.cpu);
    r.memReq += memoryToBytes(c.resources?.requests?.memory);
    r.memLim += memoryToBytes(c.resources?.limits?.memory);
  }
  return r;
}

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.floor((part / whole) * 100)}%` : '0%');

export function describeNode(node: T.Node, pods: T.Pod[], events: T.Event[], now: Date): string {
  const w = new Writer();
  const st = node.status ?? {};
  meta(w, node, { namespace: false });
  w.line(0, 'Roles:', nodeRolesText(node));
  w.map(0, 'Labels:', node.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(node));
  w.line(0, 'CreationTimestamp:', describeTime(node.metadata?.creationTimestamp));
  w.list(0, 'Taints:', (node.spec?.taints ?? []).map(taintText));
  w.line(0, 'Unschedulable:', String(!!node.spec?.unschedulable));
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.table(
      1,
      ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'],
      st.conditions.map((c) => [c.type ?? '', c.status ?? '', describeTime(c.lastHeartbeatTime), describeTime(c.lastTransitionTime), c.reason ?? '', c.message ?? '']),
    );
  } else {
    w.line(0, 'Conditions:', NONE);
  }
  w.line(0, 'Addresses:');
  for (const a of st.addresses ?? []) w.line(1, `${a.type}:`, a.address ?? '');
  for (const [title, m] of [['Capacity:', st.capacity], ['Allocatable:', st.allocatable]] as const) {
    w.line(0, title);
    for (const [k, v] of Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b))) w.line(1, `${k}:`, String(v));
  }
  const info = st.nodeInfo;
  if (info) {
    w.line(0, 'System Info:');
    const rows: [string, string | undefined][] = [
      ['Machine ID:', info.machineID],
      ['Boot ID:', info.bootID],
      ['Kernel Version:', info.kernelVersion],
      ['OS Image:', info.osImage],
      ['Operating System:', info.operatingSystem],
      ['Architecture:', info.architecture],
      ['Container Runtime Version:', info.containerRuntimeVersion],
      ['Kubelet Version:', info.kubeletVersion],
    ];
    for (const [k, v] of rows) w.line(1, k, v ?? '');
  }
  if (node.spec?.podCIDR) w.line(0, 'PodCIDR:', node.spec.podCIDR);
  if (node.spec?.podCIDRs?.length) w.line(0, 'PodCIDRs:', node.spec.podCIDRs.join(','));
  const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const allocCpu = cpuToMillis(st.allocatable?.cpu);
  const allocMem = memoryToBytes(st.allocatable?.memory);
  w.line(0, 'Non-terminated Pods:', `(${running.length} in total)`);
  const totals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  const rows = running.map((p) => {
    const r = podResources(p);
    totals.cpuReq += r.cpuReq;
    totals.cpuLim += r.cpuLim;
    totals.memReq += r.memReq;
    totals.memLim += r.memLim;
    return [
      p.metadata?.namespace ?? '',
      p.metadata?.name ?? '',
      `${formatCpuMillis(r.cpuReq)} (${pct(r.cpuReq, allocCpu)})`,
      `${formatCpuMillis(r.cpuLim)} (${pct(r.cpuLim, allocCpu)})`,
      `${formatBytes(r.memReq)} (${pct(r.memReq, allocMem)})`,
      `${formatBytes(r.memLim)} (${pct(r.memLim, allocMem)})`,
      age(p.metadata?.creationTimestamp, now),
    ];
  });
  if (rows.length) w.table(1, ['Namespace', 'Name', 'CPU Requests', 'CPU Limits', 'Memory Requests', 'Memory Limits', 'Age'], rows);
  w.line(0, 'Allocated resources:');
  w.line(1, '(Total limits may be over 100 percent, i.e., overcommitted.)');
  w.table(1, ['Resource', 'Requests', 'Limits'], [
    ['cpu', `${formatCpuMillis(totals.cpuReq)} (${pct(totals.cpuReq, allocCpu)})`, `${formatCpuMillis(totals.cpuLim)} (${pct(totals.cpuLim, allocCpu)})`],
    ['memory', `${formatBytes(totals.memReq)} (${pct(totals.memReq, allocMem)})`, `${formatBytes(totals.memLim)} (${pct(totals.memLim, allocMem)})`],
    ['pods', `${running.length} (${pct(running.length, Number(st.allocatable?.pods ?? 0))})`, ''],
  ]);
  eventsSection(w, events, now);
  return w.text();
}

export function describeNamespace(ns: T.Namespace, events: T.Event[], now: Date): string {
  const w = new Writer();
  meta(w, ns, { namespace: false });
  w.map(0, 'Labels:', ns.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(ns));
  w.line(0, 'Status:', ns.status?.phase || 'Active');
  eventsSection(w, events, now);
  return w.text();
}

export function describeEndpoints(ep: T.Endpoints, events: T.Event[], now: Date): string {
  const w = new Writer();
  meta(w, ep, { namespace: true });
  w.map(0, 'Labels:', ep.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(ep));
  if (!ep.subsets?.length) w.line(0, 'Subsets:', NONE);
  else {
    w.line(0, 'Subsets:');
    for (const ss of ep.subsets) {
      w.line(1, 'Addresses:', (ss.addresses ?? []).map((a) => a.ip).join(',') || NONE);
      w.line(1, 'NotReadyAddresses:', (ss.notReadyAddresses ?? []).map((a) => a.ip).join(',') || NONE);
      w.line(1, 'Ports:');
      w.table(2, ['Name', 'Port', 'Protocol'], (ss.ports ?? []).map((p) => [p.name || '<unset>', String(p.port ?? 0), p.protocol || 'TCP']));
    }
  }
  eventsSection(w, events, now);
  return w.text();
}

export function describeConfigMap(cm: T.ConfigMap, events: T.Event[], now: Date): string {
  const w = new Writer();
  meta(w, cm, { namespace: true });
  w.map(0, 'Labels:', cm.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(cm));
  const out = [w.text().trimEnd(), '', 'Data', '===='];
  for (const [k, v] of Object.entries(cm.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) out.push(`${k}:`, '----', v.replace(/\n$/, ''), '');
  if (cm.binaryData && Object.keys(cm.binaryData).length) {
    out.push('', 'BinaryData', '====');
    for (const [k, v] of Object.entries(cm.binaryData)) out.push(`${k}: ${Buffer.from(v, 'base64').length} bytes`);
  }
  const ev = new Writer();
  eventsSection(ev, events, now);
  return out.join('\n') + '\n' + ev.text();
}

export function describeSecret(sec: T.Secret, events: T.Event[], now: Date): string {
  const w = new Writer();
  meta(w, sec, { namespace: true });
  w.map(0, 'Labels:', sec.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(sec));
  w.line(0, 'Type:', sec.type || 'Opaque');
  w.line(0, 'Data');
  w.line(0, '====');
  // values stay hidden, as in kubectl: only their sizes are shown
  for (const [k, v] of Object.entries(sec.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) w.line(0, `${k}:`, `${Buffer.from(v, 'base64').length} bytes`);
  eventsSection(w, events, now);
  return w.text();
}

/** Kinds without their own layout: metadata, then the rest as YAML. */
export function describeGeneric(info: KindInfo, obj: AnyObject, events: T.Event[], now: Date): string {
  const w = new Writer();
  meta(w, obj, { namespace: info.namespaced });
  w.map(0, 'Labels:', obj.metadata?.labels);
  w.map(0, 'Annotations:', shownAnnotations(obj));
  w.line(0, 'API Version:', info.apiVersion);
  w.line(0, 'Kind:', info.kind);
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = obj as AnyObject & Record<string, unknown>;
  const body = Object.keys(rest).length ? stringify(rest, { indentSeq: false, lineWidth: 0 }).trimEnd() : '';
  const head = w.text();
  const ev = new Writer();
  eventsSection(ev, events, now);
  return head + (body ? body + '\n' : '') + ev.text();
}

