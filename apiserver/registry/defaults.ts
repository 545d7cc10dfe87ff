// Defaulting: the values Kubernetes fills in when a field is left out, applied
// in place before validation so that stored objects say what will happen.
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import type * as T from '../../lib/api/generated/types.js';

const DEFAULT_SURGE = '25%';
const DEFAULT_UNAVAILABLE = '25%';

/** Kubernetes pulls on every start only when the tag can move: ":latest" or no tag at all. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent'; // pinned by digest
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: T.Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  if (p.httpGet) p.httpGet.scheme ||= 'HTTP';
}

function defaultHandler(h: T.LifecycleHandler | undefined): void {
  if (h?.httpGet) h.httpGet.scheme ||= 'HTTP';
}

function defaultContainer(c: T.Container): void {
  if (!c.imagePullPolicy && c.image) c.imagePullPolicy = defaultPullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const p of c.ports ?? []) p.protocol ||= 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHandler(c.lifecycle?.postStart);
  defaultHandler(c.lifecycle?.preStop);
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ||= 'v1';
  }
}

function defaultVolume(v: T.Volume): void {
  // An object without a source is left alone: validation names it.
  if (v.configMap) v.configMap.defaultMode ??= 0o644;
  if (v.secret) v.secret.defaultMode ??= 0o644;
}

/** Defaults of a pod spec, wherever it appears (Pods and pod templates). */
export function defaultPodSpec(spec: T.PodSpec): void {
  spec.restartPolicy ||= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.schedulerName ||= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

function defaultTemplate(t: T.PodTemplateSpec | undefined): void {
  if (t?.spec) defaultPodSpec(t.spec);
}

/**
 * A pod's requests default to its limits, resource by resource, as in
 * Kubernetes: a container that says only "at most 1 cpu" is scheduled as
 * needing 1 cpu. Only real Pods get this, not templates, like Kubernetes.
 */
function defaultRequestsFromLimits(c: T.Container): void {
  const limits = c.resources?.limits;
  if (!limits) return;
  const requests = { ...(c.resources!.requests ?? {}) };
  let changed = false;
  for (const [k, v] of Object.entries(limits)) {
    if (requests[k] === undefined) {
      requests[k] = v;
      changed = true;
    }
  }
  if (changed) c.resources!.requests = requests;
}

function defaultDeployment(d: T.Deployment): void {
  const spec = (d.spec ??= {});
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  const strategy = (spec.strategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxSurge ??= DEFAULT_SURGE;
    ru.maxUnavailable ??= DEFAULT_UNAVAILABLE;
  }
  defaultTemplate(spec.template);
}

function defaultReplicaSet(rs: T.ReplicaSet): void {
  const spec = (rs.spec ??= {});
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

function defaultService(s: T.Service): void {
  const spec = (s.spec ??= {});
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  spec.internalTrafficPolicy ||= 'Cluster';
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  for (const p of spec.ports ?? []) {
    p.protocol ||= 'TCP';
    // 0 and "" are what an absent targetPort decodes to.
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') {
      if (p.port !== undefined) p.targetPort = p.port;
    }
  }
}

function defaultSecret(s: T.Secret): void {
  s.type ||= 'Opaque';
  if (s.stringData && Object.keys(s.stringData).length) {
    const data = { ...(s.data ?? {}) };
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    s.data = data;
  }
  // stringData is write-only: it never reaches storage.
  delete s.stringData;
}

function defaultEndpoints(e: T.Endpoints): void {
  for (const subset of e.subsets ?? []) for (const p of subset.ports ?? []) p.protocol ||= 'TCP';
}

/**
 * Fields the system assigned after creation (a pod's node, a service's
 * cluster IP and node ports, a node's pod CIDR) that an update leaves out
 * because the user's file never had them: taken from the stored object, as
 * Kubernetes does, so that re-applying a file neither fails nor clears them.
 */
export function preserveAssignedFields(obj: AnyObject, old: AnyObject, info: KindInfo): void {
  switch (info.kind) {
    case 'Pod': {
      const spec = ((obj as T.Pod).spec ??= {});
      const was = (old as T.Pod).spec;
      if (!spec.nodeName && was?.nodeName) spec.nodeName = was.nodeName;
      break;
    }
    case 'Service': {
      const spec = ((obj as T.Service).spec ??= {});
      const was = (old as T.Service).spec ?? {};
      const usesClusterIP = (t: string | undefined) => (t || 'ClusterIP') !== 'ExternalName';
      if (usesClusterIP(spec.type) && usesClusterIP(was.type)) {
        if (!spec.clusterIP && was.clusterIP) spec.clusterIP = was.clusterIP;
        if (!spec.clusterIPs?.length && was.clusterIPs?.length && spec.clusterIP === was.clusterIP) spec.clusterIPs = [...was.clusterIPs];
      }
      const usesNodePorts = (t: string | undefined) => t === 'NodePort' || t === 'LoadBalancer';
      if (usesNodePorts(spec.type) && usesNodePorts(was.type)) {
        for (const p of spec.ports ?? []) {
          if (p.nodePort) continue;
          const match = (was.ports ?? []).find(
            (q) => (q.port === p.port && (q.protocol || 'TCP') === (p.protocol || 'TCP')) || (!!p.name && q.name === p.name),
          );
          if (match?.nodePort) p.nodePort = match.nodePort;
        }
      }
      break;
    }
    case 'Node': {
      const spec = ((obj as T.Node).spec ??= {});
      const was = (old as T.Node).spec;
      if (!spec.podCIDR && was?.podCIDR) spec.podCIDR = was.podCIDR;
      if (!spec.podCIDRs?.length && was?.podCIDRs?.length) spec.podCIDRs = [...was.podCIDRs];
      break;
    }
    default:
      break;
  }
}

/**
 * Fills in, in place, what Kubernetes fills in: apiVersion/kind from the
 * kind, the "default" namespace, and per kind the defaults of Deployments
 * (1 replica, RollingUpdate 25%/25%, history 10, deadline 600s), ReplicaSets,
 * pod specs (also inside templates), Services, Secrets (stringData folded into
 * data) and Namespaces (phase Active). With `old` (an update), fields the
 * system assigned are first carried over from it (see preserveAssignedFields).
 */
export function applyDefaults(obj: AnyObject, info: KindInfo, old?: AnyObject): void {
  obj.apiVersion = info.apiVersion;
  obj.kind = info.kind;
  const md = (obj.metadata ??= {});
  if (info.namespaced) md.namespace ||= 'default';
  if (old) preserveAssignedFields(obj, old, info);
  switch (info.kind) {
    case 'Pod': {
      const pod = obj as T.Pod;
      const spec = (pod.spec ??= {});
      defaultPodSpec(spec);
      for (const c of spec.initContainers ?? []) defaultRequestsFromLimits(c);
      for (const c of spec.containers ?? []) defaultRequestsFromLimits(c);
      break;
    }
    case 'Deployment':
      defaultDeployment(obj as T.Deployment);
      break;
    case 'ReplicaSet':
      defaultReplicaSet(obj as T.ReplicaSet);
      break;
    case 'Service':
      defaultService(obj as T.Service);
      break;
    case 'Secret':
      defaultSecret(obj as T.Secret);
      break;
    case 'Namespace': {
      const ns = obj as T.Namespace;
      const status = (ns.status ??= {});
      status.phase ||= 'Active';
      break;
    }
    case 'Endpoints':
      defaultEndpoints(obj as T.Endpoints);
      break;
    default:
      break;
  }
}
