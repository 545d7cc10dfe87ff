// Validation of API objects before anything is written: every problem is
// listed, each with its field path and a message saying what is allowed, in
// the words Kubernetes uses ("Required value", "Invalid value: ...",
// "Unsupported value: ...: supported values: ...").
import type { FieldCause } from '../../lib/errors.js';
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import type * as T from '../../lib/api/generated/types.js';
import { semanticEqual } from '../../lib/api/equality.js';
import { labelSelectorProblems, selectorFromLabelSelector, validateLabelKey, validateLabelValue } from '../../lib/labels.js';
import { isQuantity, parseQuantity } from '../../lib/quantity.js';
import {
  validateCIDR,
  validateConfigMapKey,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateEndpointIP,
  validateEnvVarName,
  validateGenerateName,
  validateIanaSvcName,
  validateIP,
  validateObjectName,
  validatePortNumber,
} from './names.js';

// ---- causes ----

function show(v: unknown): string {
  if (v === undefined) return '""';
  return JSON.stringify(v) ?? String(v);
}

/** Collects causes; one method per kind of problem so messages stay uniform. */
class Causes {
  readonly list: FieldCause[] = [];
  private add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  required(field: string, detail = ''): void {
    this.add(field, detail ? `Required value: ${detail}` : 'Required value');
  }
  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, `Invalid value: ${show(value)}: ${detail}`);
  }
  /** one cause per problem sentence */
  invalidEach(field: string, value: unknown, problems: string[]): void {
    for (const p of problems) this.invalid(field, value, p);
  }
  unsupported(field: string, value: unknown, allowed: readonly string[]): void {
    this.add(field, `Unsupported value: ${show(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  duplicate(field: string, value: unknown): void {
    this.add(field, `Duplicate value: ${show(value)}`);
  }
  forbidden(field: string, detail: string): void {
    this.add(field, `Forbidden: ${detail}`);
  }
  notFound(field: string, value: unknown, detail = ''): void {
    this.add(field, `Not found: ${show(value)}${detail ? `: ${detail}` : ''}`);
  }
  tooLong(field: string, max: number): void {
    this.add(field, `Too long: must have at most ${max} bytes`);
  }
  /** An enum field: empty is left to defaulting, anything else must be listed. */
  oneOf(field: string, value: string | undefined, allowed: readonly string[]): void {
    if (value && !allowed.includes(value)) this.unsupported(field, value, allowed);
  }
  nonNegative(field: string, value: number | undefined): void {
    if (value !== undefined && value < 0) this.invalid(field, value, 'must be greater than or equal to 0');
  }
}

const idx = (path: string, i: number): string => `${path}[${i}]`;

// ---- enums ----

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const TOLERATION_OPERATORS = ['Equal', 'Exists'] as const;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;
const URI_SCHEMES = ['HTTP', 'HTTPS'] as const;
const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;
const STORAGE_MEDIA = ['', 'Memory'] as const;
const STRATEGY_TYPES = ['RollingUpdate', 'Recreate'] as const;
const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const SESSION_AFFINITIES = ['None', 'ClientIP'] as const;
const TRAFFIC_POLICIES = ['Cluster', 'Local'] as const;
const IP_FAMILIES = ['IPv4', 'IPv6'] as const;
const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const;
const EVENT_TYPES = ['Normal', 'Warning'] as const;
const NAMESPACE_PHASES = ['Active', 'Terminating'] as const;
const STANDARD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const FIELD_REF_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.labels',
  'metadata.annotations',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.podIP',
  'status.podIPs',
];
const RESOURCE_FIELD_REFS = [
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
];

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
const ANNOTATIONS_MAX_BYTES = 256 * 1024;
const CONFIG_DATA_MAX_BYTES = 1024 * 1024;

// ---- metadata ----

function validateLabels(c: Causes, path: string, labels: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    c.invalidEach(path, k, validateLabelKey(k));
    c.invalidEach(path, v, validateLabelValue(v));
  }
}

function validateAnnotations(c: Causes, path: string, annotations: Record<string, string> | undefined): void {
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    c.invalidEach(path, k, validateLabelKey(k.toLowerCase()));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > ANNOTATIONS_MAX_BYTES) c.tooLong(path, ANNOTATIONS_MAX_BYTES);
}

function validateObjectMeta(c: Causes, md: T.ObjectMeta | undefined, info: KindInfo): void {
  const m = md ?? {};
  if (!m.name) {
    if (!m.generateName) c.required('metadata.name', 'name or generateName is required');
  } else {
    c.invalidEach('metadata.name', m.name, validateObjectName(info.kind, m.name));
  }
  if (m.generateName) c.invalidEach('metadata.generateName', m.generateName, validateGenerateName(info.kind, m.generateName));
  if (info.namespaced) {
    if (!m.namespace) c.required('metadata.namespace');
    else c.invalidEach('metadata.namespace', m.namespace, validateDns1123Label(m.namespace));
  } else if (m.namespace) {
    c.forbidden('metadata.namespace', `not allowed on this type: ${info.kind} is not namespaced`);
  }
  validateLabels(c, 'metadata.labels', m.labels);
  validateAnnotations(c, 'metadata.annotations', m.annotations);
  let controllers = 0;
  (m.ownerReferences ?? []).forEach((r, i) => {
    const p = idx('metadata.ownerReferences', i);
    if (!r.apiVersion) c.required(`${p}.apiVersion`, 'version must not be empty');
    if (!r.kind) c.required(`${p}.kind`, 'kind must not be empty');
    if (!r.name) c.required(`${p}.name`, 'name must not be empty');
    if (!r.uid) c.required(`${p}.uid`, 'uid must not be empty');
    if (r.controller) controllers++;
  });
  if (controllers > 1) c.forbidden('metadata.ownerReferences', 'only one reference can have controller set to true');
  const seen = new Set<string>();
  (m.finalizers ?? []).forEach((f, i) => {
    const p = idx('metadata.finalizers', i);
    c.invalidEach(p, f, validateLabelKey(f));
    if (seen.has(f)) c.duplicate(p, f);
    seen.add(f);
  });
}

// ---- pods ----

function validateNamedOrNumberedPort(c: Causes, path: string, port: number | string | undefined): void {
  if (port === undefined || port === '' || port === 0) {
    c.required(path, 'a port number (1-65535) or a container port name');
  } else if (typeof port === 'number') {
    c.invalidEach(path, port, validatePortNumber(port));
  } else {
    c.invalidEach(path, port, validateIanaSvcName(port));
  }
}

function validateHttpGet(c: Causes, path: string, h: T.HTTPGetAction): void {
  validateNamedOrNumberedPort(c, `${path}.port`, h.port);
  c.oneOf(`${path}.scheme`, h.scheme, URI_SCHEMES);
  (h.httpHeaders ?? []).forEach((hh, i) => {
    if (!hh.name) c.required(`${idx(`${path}.httpHeaders`, i)}.name`);
  });
}

/** exec, httpGet or tcpSocket: exactly one, in probes and lifecycle hooks. */
function validateHandler(c: Causes, path: string, h: T.LifecycleHandler | T.Probe): void {
  const set = [h.exec && 'exec', h.httpGet && 'httpGet', h.tcpSocket && 'tcpSocket'].filter(Boolean);
  if (set.length === 0) c.required(path, 'must specify a handler type: exec, httpGet or tcpSocket');
  if (set.length > 1) c.forbidden(`${path}.${set[1]}`, `may not specify more than 1 handler type (found ${set.join(', ')})`);
  if (h.exec && !(h.exec.command ?? []).length) c.required(`${path}.exec.command`);
  if (h.httpGet) validateHttpGet(c, `${path}.httpGet`, h.httpGet);
  if (h.tcpSocket) validateNamedOrNumberedPort(c, `${path}.tcpSocket.port`, h.tcpSocket.port);
}

function validateProbe(c: Causes, path: string, p: T.Probe | undefined, successMustBeOne: boolean): void {
  if (!p) return;
  validateHandler(c, path, p);
  c.nonNegative(`${path}.initialDelaySeconds`, p.initialDelaySeconds);
  c.nonNegative(`${path}.timeoutSeconds`, p.timeoutSeconds);
  c.nonNegative(`${path}.periodSeconds`, p.periodSeconds);
  c.nonNegative(`${path}.successThreshold`, p.successThreshold);
  c.nonNegative(`${path}.failureThreshold`, p.failureThreshold);
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    c.invalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0');
  }
  if (successMustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1) {
    c.invalid(`${path}.successThreshold`, p.successThreshold, 'must be 1');
  }
}

function validateResourceName(c: Causes, path: string, name: string): void {
  if (name.includes('/')) {
    c.invalidEach(path, name, validateLabelKey(name));
  } else if (!STANDARD_RESOURCES.includes(name) && !name.startsWith('hugepages-')) {
    c.invalid(
      path,
      name,
      `must be a standard resource type (${STANDARD_RESOURCES.join(', ')}, hugepages-<size>) or fully qualified (e.g. example.com/gpu)`,
    );
  }
}

function validateResources(c: Causes, path: string, r: T.ResourceRequirements | undefined): void {
  if (!r) return;
  const parsed: Record<'limits' | 'requests', Map<string, number>> = { limits: new Map(), requests: new Map() };
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, q] of Object.entries(r[kind] ?? {})) {
      const p = `${path}.${kind}[${name}]`;
      validateResourceName(c, `${path}.${kind}`, name);
      if (!isQuantity(q)) {
        c.invalid(p, q, 'quantities must match the regular expression of a number with an optional suffix (e.g. 250m, 1.5, 128Mi, 1G)');
        continue;
      }
      const v = parseQuantity(q);
      if (v < 0) c.invalid(p, q, 'must be greater than or equal to 0');
      else if (name.includes('/') && !name.startsWith('kubernetes.io/') && !Number.isInteger(v)) c.invalid(p, q, 'must be a whole number for an extended resource');
      parsed[kind].set(name, v);
    }
  }
  for (const [name, req] of parsed.requests) {
    const lim = parsed.limits.get(name);
    if (lim !== undefined && req > lim) {
      c.invalid(`${path}.requests[${name}]`, r.requests![name], `must be less than or equal to ${name} limit of ${r.limits![name]}`);
    }
  }
}

function validateEnv(c: Causes, path: string, env: T.EnvVar[] | undefined): void {
  (env ?? []).forEach((e, i) => {
    const p = idx(path, i);
    if (!e.name) c.required(`${p}.name`);
    else c.invalidEach(`${p}.name`, e.name, validateEnvVarName(e.name));
    const from = e.valueFrom;
    if (!from) return;
    if (e.value) c.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty');
    const sources = [from.fieldRef && 'fieldRef', from.resourceFieldRef && 'resourceFieldRef', from.configMapKeyRef && 'configMapKeyRef', from.secretKeyRef && 'secretKeyRef'].filter(Boolean);
    if (sources.length === 0) c.invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
    if (sources.length > 1) c.invalid(`${p}.valueFrom`, '', `may not have more than one field specified at a time (found ${sources.join(', ')})`);
    if (from.fieldRef) {
      const fp = from.fieldRef.fieldPath ?? '';
      const base = fp.replace(/\[.*\]$/, '');
      if (!fp) c.required(`${p}.valueFrom.fieldRef.fieldPath`);
      else if (!FIELD_REF_PATHS.includes(base)) c.unsupported(`${p}.valueFrom.fieldRef.fieldPath`, fp, FIELD_REF_PATHS);
    }
    if (from.resourceFieldRef) {
      const res = from.resourceFieldRef.resource ?? '';
      if (!res) c.required(`${p}.valueFrom.resourceFieldRef.resource`);
      else c.oneOf(`${p}.valueFrom.resourceFieldRef.resource`, res, RESOURCE_FIELD_REFS);
    }
    for (const [key, ref] of [['configMapKeyRef', from.configMapKeyRef], ['secretKeyRef', from.secretKeyRef]] as const) {
      if (!ref) continue;
      if (!ref.name) c.required(`${p}.valueFrom.${key}.name`);
      if (!ref.key) c.required(`${p}.valueFrom.${key}.key`);
      else c.invalidEach(`${p}.valueFrom.${key}.key`, ref.key, validateConfigMapKey(ref.key));
    }
  });
}

function validateEnvFrom(c: Causes, path: string, envFrom: T.EnvFromSource[] | undefined): void {
  (envFrom ?? []).forEach((e, i) => {
    const p = idx(path, i);
    if (e.prefix) c.invalidEach(`${p}.prefix`, e.prefix, validateEnvVarName(e.prefix));
    const sources = [e.configMapRef && 'configMapRef', e.secretRef && 'secretRef'].filter(Boolean);
    if (sources.length !== 1) c.invalid(p, '', 'must specify exactly one of: `configMapRef` or `secretRef`');
    if (e.configMapRef && !e.configMapRef.name) c.required(`${p}.configMapRef.name`);
    if (e.secretRef && !e.secretRef.name) c.required(`${p}.secretRef.name`);
  });
}

function validateRelativePath(c: Causes, path: string, v: string): void {
  if (v.startsWith('/')) c.invalid(path, v, 'must be a relative path');
  if (v.split('/').includes('..')) c.invalid(path, v, "must not contain '..'");
}

interface PodContext {
  /** within a Deployment or ReplicaSet template: only restartPolicy Always */
  template: boolean;
}

function validateContainer(
  c: Causes,
  path: string,
  ctr: T.Container,
  volumes: Set<string>,
  hostNetwork: boolean,
  init: boolean,
): void {
  if (!ctr.name) c.required(`${path}.name`);
  else c.invalidEach(`${path}.name`, ctr.name, validateDns1123Label(ctr.name));
  if (!ctr.image) c.required(`${path}.image`, 'the container image to run, e.g. "nginx:1.25"');
  else if (ctr.image.trim() !== ctr.image) c.invalid(`${path}.image`, ctr.image, 'must not have leading or trailing whitespace');
  c.oneOf(`${path}.imagePullPolicy`, ctr.imagePullPolicy, PULL_POLICIES);
  c.oneOf(`${path}.terminationMessagePolicy`, ctr.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES);

  const portNames = new Set<string>();
  (ctr.ports ?? []).forEach((port, i) => {
    const p = idx(`${path}.ports`, i);
    if (port.name) {
      c.invalidEach(`${p}.name`, port.name, validateIanaSvcName(port.name));
      if (portNames.has(port.name)) c.duplicate(`${p}.name`, port.name);
      portNames.add(port.name);
    }
    if (!port.containerPort) c.required(`${p}.containerPort`, 'a port number between 1 and 65535');
    else c.invalidEach(`${p}.containerPort`, port.containerPort, validatePortNumber(port.containerPort));
    if (port.hostPort) {
      c.invalidEach(`${p}.hostPort`, port.hostPort, validatePortNumber(port.hostPort));
      if (hostNetwork && port.containerPort && port.hostPort !== port.containerPort) {
        c.invalid(`${p}.hostPort`, port.hostPort, 'must match `containerPort` when `hostNetwork` is true');
      }
    }
    c.oneOf(`${p}.protocol`, port.protocol, PROTOCOLS);
    if (port.hostIP) c.invalidEach(`${p}.hostIP`, port.hostIP, validateIP(port.hostIP));
  });

  validateEnv(c, `${path}.env`, ctr.env);
  validateEnvFrom(c, `${path}.envFrom`, ctr.envFrom);
  validateResources(c, `${path}.resources`, ctr.resources);

  const mountPaths = new Set<string>();
  (ctr.volumeMounts ?? []).forEach((m, i) => {
    const p = idx(`${path}.volumeMounts`, i);
    if (!m.name) c.required(`${p}.name`);
    else if (!volumes.has(m.name)) c.notFound(`${p}.name`, m.name, 'no volume of that name in spec.volumes');
    if (!m.mountPath) c.required(`${p}.mountPath`);
    else if (mountPaths.has(m.mountPath)) c.invalid(`${p}.mountPath`, m.mountPath, 'must be unique');
    if (m.mountPath) mountPaths.add(m.mountPath);
    if (m.subPath) validateRelativePath(c, `${p}.subPath`, m.subPath);
  });

  if (init) {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (ctr[probe]) c.forbidden(`${path}.${probe}`, 'may not be set for init containers');
    }
  } else {
    validateProbe(c, `${path}.livenessProbe`, ctr.livenessProbe, true);
    validateProbe(c, `${path}.readinessProbe`, ctr.readinessProbe, false);
    validateProbe(c, `${path}.startupProbe`, ctr.startupProbe, true);
  }
  if (ctr.lifecycle?.postStart) validateHandler(c, `${path}.lifecycle.postStart`, ctr.lifecycle.postStart);
  if (ctr.lifecycle?.preStop) validateHandler(c, `${path}.lifecycle.preStop`, ctr.lifecycle.preStop);
}

function validateVolumes(c: Causes, path: string, volumes: T.Volume[] | undefined): Set<string> {
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const p = idx(path, i);
    if (!v.name) c.required(`${p}.name`);
    else {
      c.invalidEach(`${p}.name`, v.name, validateDns1123Label(v.name));
      if (names.has(v.name)) c.duplicate(`${p}.name`, v.name);
      names.add(v.name);
    }
    const sources = [v.emptyDir && 'emptyDir', v.hostPath && 'hostPath', v.configMap && 'configMap', v.secret && 'secret'].filter(Boolean);
    if (sources.length === 0) c.required(p, 'must specify a volume type: emptyDir, hostPath, configMap or secret');
    if (sources.length > 1) c.forbidden(`${p}.${sources[1]}`, `may not specify more than 1 volume type (found ${sources.join(', ')})`);
    if (v.emptyDir) {
      c.oneOf(`${p}.emptyDir.medium`, v.emptyDir.medium, STORAGE_MEDIA);
      const sl = v.emptyDir.sizeLimit;
      if (sl !== undefined && sl !== '' && !isQuantity(sl)) c.invalid(`${p}.emptyDir.sizeLimit`, sl, 'must be a quantity such as 1Gi');
    }
    if (v.hostPath) {
      if (!v.hostPath.path) c.required(`${p}.hostPath.path`);
      c.oneOf(`${p}.hostPath.type`, v.hostPath.type, HOST_PATH_TYPES);
    }
    const items = (src: { items?: T.KeyToPath[]; defaultMode?: number } , sp: string) => {
      if (src.defaultMode !== undefined && (src.defaultMode < 0 || src.defaultMode > 0o777)) {
        c.invalid(`${sp}.defaultMode`, src.defaultMode, 'must be a number between 0 and 0777 (octal), both inclusive');
      }
      (src.items ?? []).forEach((it, j) => {
        const ip = idx(`${sp}.items`, j);
        if (!it.key) c.required(`${ip}.key`);
        if (!it.path) c.required(`${ip}.path`);
        else validateRelativePath(c, `${ip}.path`, it.path);
        if (it.mode !== undefined && (it.mode < 0 || it.mode > 0o777)) c.invalid(`${ip}.mode`, it.mode, 'must be a number between 0 and 0777 (octal), both inclusive');
      });
    };
    if (v.configMap) {
      if (!v.configMap.name) c.required(`${p}.configMap.name`);
      items(v.configMap, `${p}.configMap`);
    }
    if (v.secret) {
      if (!v.secret.secretName) c.required(`${p}.secret.secretName`);
      items(v.secret, `${p}.secret`);
    }
  });
  return names;
}

function validateTolerations(c: Causes, path: string, tolerations: T.Toleration[] | undefined): void {
  (tolerations ?? []).forEach((t, i) => {
    const p = idx(path, i);
    const op = t.operator || 'Equal';
    if (t.key) c.invalidEach(`${p}.key`, t.key, validateLabelKey(t.key));
    if (t.operator && !(TOLERATION_OPERATORS as readonly string[]).includes(t.operator)) {
      c.unsupported(`${p}.operator`, t.operator, TOLERATION_OPERATORS);
    } else if (!t.key && op !== 'Exists') {
      c.invalid(`${p}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"');
    }
    if (op === 'Exists' && t.value) c.invalid(`${p}.value`, t.value, "value must be empty when `operator` is 'Exists'");
    if (op === 'Equal' && t.value) c.invalidEach(`${p}.value`, t.value, validateLabelValue(t.value));
    c.oneOf(`${p}.effect`, t.effect, TAINT_EFFECTS);
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      c.invalid(`${p}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
  });
}

function validateNodeSelectorTerm(c: Causes, path: string, term: T.NodeSelectorTerm): void {
  (term.matchExpressions ?? []).forEach((r, i) => {
    const p = idx(`${path}.matchExpressions`, i);
    const values = r.values ?? [];
    if (!r.key) c.required(`${p}.key`);
    else c.invalidEach(`${p}.key`, r.key, validateLabelKey(r.key));
    const op = r.operator ?? '';
    if (!(NODE_SELECTOR_OPERATORS as readonly string[]).includes(op)) {
      c.unsupported(`${p}.operator`, op, NODE_SELECTOR_OPERATORS);
    } else if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      c.required(`${p}.values`, `must be specified when \`operator\` is '${op}'`);
    } else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      c.forbidden(`${p}.values`, `may not be specified when \`operator\` is '${op}'`);
    } else if (op === 'Gt' || op === 'Lt') {
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!)) {
        c.required(`${p}.values`, `must be specified single value when \`operator\` is '${op}', and it must be an integer`);
      }
    }
    if (op !== 'Gt' && op !== 'Lt') values.forEach((v, j) => c.invalidEach(idx(`${p}.values`, j), v, validateLabelValue(v)));
  });
  (term.matchFields ?? []).forEach((r, i) => {
    const p = idx(`${path}.matchFields`, i);
    if (r.key !== 'metadata.name') c.unsupported(`${p}.key`, r.key ?? '', ['metadata.name']);
    if (r.operator !== 'In' && r.operator !== 'NotIn') c.unsupported(`${p}.operator`, r.operator ?? '', ['In', 'NotIn']);
    if ((r.values ?? []).length !== 1) c.required(`${p}.values`, 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector');
  });
}

function validateAffinity(c: Causes, path: string, a: T.Affinity | undefined): void {
  const na = a?.nodeAffinity;
  if (!na) return;
  const req = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const rp = `${path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    if (!(req.nodeSelectorTerms ?? []).length) c.required(rp, 'must have at least one node selector term');
    (req.nodeSelectorTerms ?? []).forEach((t, i) => validateNodeSelectorTerm(c, idx(rp, i), t));
  }
  (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
    const p = idx(`${path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`, i);
    if (t.weight === undefined || t.weight < 1 || t.weight > 100) c.invalid(`${p}.weight`, t.weight ?? 0, 'must be in the range 1-100');
    validateNodeSelectorTerm(c, `${p}.preference`, t.preference ?? {});
  });
}

function validatePodSpec(c: Causes, path: string, spec: T.PodSpec | undefined, ctx: PodContext): void {
  const s = spec ?? {};
  const volumes = validateVolumes(c, `${path}.volumes`, s.volumes);
  const containers = s.containers ?? [];
  if (containers.length === 0) c.required(`${path}.containers`, 'a pod needs at least one container');
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  const each = (list: T.Container[], field: string, init: boolean) =>
    list.forEach((ctr, i) => {
      const p = idx(`${path}.${field}`, i);
      validateContainer(c, p, ctr, volumes, !!s.hostNetwork, init);
      if (ctr.name) {
        if (names.has(ctr.name)) c.duplicate(`${p}.name`, ctr.name);
        names.add(ctr.name);
      }
      (ctr.ports ?? []).forEach((port, j) => {
        if (!port.hostPort) return;
        const key = `${port.protocol || 'TCP'}/${port.hostIP || ''}/${port.hostPort}`;
        if (hostPorts.has(key)) c.duplicate(`${idx(`${p}.ports`, j)}.hostPort`, `${port.hostPort}/${port.protocol || 'TCP'}`);
        hostPorts.add(key);
      });
    });
  each(s.initContainers ?? [], 'initContainers', true);
  each(containers, 'containers', false);

  if (ctx.template) {
    if (s.restartPolicy && s.restartPolicy !== 'Always') c.unsupported(`${path}.restartPolicy`, s.restartPolicy, ['Always']);
  } else {
    c.oneOf(`${path}.restartPolicy`, s.restartPolicy, RESTART_POLICIES);
  }
  c.oneOf(`${path}.dnsPolicy`, s.dnsPolicy, DNS_POLICIES);
  c.nonNegative(`${path}.terminationGracePeriodSeconds`, s.terminationGracePeriodSeconds);
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds < 1) {
    c.invalid(`${path}.activeDeadlineSeconds`, s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive');
  }
  validateLabels(c, `${path}.nodeSelector`, s.nodeSelector);
  if (s.nodeName) c.invalidEach(`${path}.nodeName`, s.nodeName, validateDns1123Subdomain(s.nodeName));
  if (s.serviceAccountName) c.invalidEach(`${path}.serviceAccountName`, s.serviceAccountName, validateDns1123Subdomain(s.serviceAccountName));
  if (s.hostname) c.invalidEach(`${path}.hostname`, s.hostname, validateDns1123Label(s.hostname));
  if (s.subdomain) c.invalidEach(`${path}.subdomain`, s.subdomain, validateDns1123Label(s.subdomain));
  validateTolerations(c, `${path}.tolerations`, s.tolerations);
  validateAffinity(c, `${path}.affinity`, s.affinity);
}

function validateTemplate(c: Causes, path: string, t: T.PodTemplateSpec | undefined): void {
  validateLabels(c, `${path}.metadata.labels`, t?.metadata?.labels);
  validateAnnotations(c, `${path}.metadata.annotations`, t?.metadata?.annotations);
  validatePodSpec(c, `${path}.spec`, t?.spec, { template: true });
}

// ---- workloads ----

/** selector present, non-empty, valid, and matching the template's labels. */
function validateSelectorAndTemplate(c: Causes, kind: string, spec: T.ReplicaSetSpec | T.DeploymentSpec): void {
  const sel = spec.selector;
  if (!sel) {
    c.required('spec.selector', 'a label selector matching spec.template.metadata.labels, e.g. matchLabels: {app: web}');
  } else {
    const problems = labelSelectorProblems(sel);
    for (const p of problems) c.list.push({ field: `spec.selector.${p.field}`, message: p.message });
    const empty = !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length;
    if (empty) c.invalid('spec.selector', sel, `empty selector is invalid for ${kind.toLowerCase()}`);
    if (!problems.length && !empty) {
      const labels = spec.template?.metadata?.labels ?? {};
      if (!selectorFromLabelSelector(sel).matches(labels)) {
        c.invalid('spec.template.metadata.labels', labels, 'selector does not match template labels');
      }
    }
  }
  validateTemplate(c, 'spec.template', spec.template);
}

function validateReplicaCounts(c: Causes, spec: { replicas?: number; minReadySeconds?: number }): void {
  c.nonNegative('spec.replicas', spec.replicas);
  c.nonNegative('spec.minReadySeconds', spec.minReadySeconds);
}

const PERCENT = /^(\d+)%$/;

/** An IntOrString that is a count or a percentage; its value as {n, percent} or undefined if malformed. */
function validateIntOrPercent(c: Causes, path: string, v: number | string | undefined): { n: number; percent: boolean } | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (v < 0) {
      c.invalid(path, v, 'must be greater than or equal to 0');
      return undefined;
    }
    return { n: v, percent: false };
  }
  const m = PERCENT.exec(v);
  if (!m) {
    c.invalid(path, v, "must be an integer or percentage (e.g. '5%')");
    return undefined;
  }
  return { n: Number(m[1]), percent: true };
}

function validateDeploymentStrategy(c: Causes, s: T.DeploymentStrategy | undefined): void {
  if (!s) return;
  c.oneOf('spec.strategy.type', s.type, STRATEGY_TYPES);
  if (s.type === 'Recreate' && s.rollingUpdate) {
    c.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'");
  }
  if (s.type !== 'Recreate' && s.rollingUpdate) {
    const ru = s.rollingUpdate;
    const surge = validateIntOrPercent(c, 'spec.strategy.rollingUpdate.maxSurge', ru.maxSurge);
    const unavailable = validateIntOrPercent(c, 'spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable);
    if (unavailable?.percent && unavailable.n > 100) {
      c.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%');
    }
    if (surge && unavailable && surge.n === 0 && unavailable.n === 0) {
      c.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0');
    }
  }
}

function validateDeployment(c: Causes, d: T.Deployment): void {
  const spec = d.spec ?? {};
  validateReplicaCounts(c, spec);
  validateSelectorAndTemplate(c, 'Deployment', spec);
  validateDeploymentStrategy(c, spec.strategy);
  c.nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  if (spec.progressDeadlineSeconds !== undefined) {
    c.nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds);
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      c.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds');
    }
  }
}

function validateReplicaSet(c: Causes, rs: T.ReplicaSet): void {
  const spec = rs.spec ?? {};
  validateReplicaCounts(c, spec);
  validateSelectorAndTemplate(c, 'ReplicaSet', spec);
}

// ---- services and endpoints ----

function validateService(c: Causes, svc: T.Service): void {
  const spec = svc.spec ?? {};
  const type = spec.type || 'ClusterIP';
  c.oneOf('spec.type', spec.type, SERVICE_TYPES);
  const headless = spec.clusterIP === 'None';
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') {
    c.required('spec.ports', 'at least one port, e.g. {port: 80, targetPort: 8080}; only headless services (clusterIP: None) may have none');
  }
  const usesNodePorts = type === 'NodePort' || type === 'LoadBalancer';
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePortKeys = new Set<string>();
  ports.forEach((port, i) => {
    const p = idx('spec.ports', i);
    if (!port.name) {
      if (ports.length > 1) c.required(`${p}.name`, 'every port needs a name when a service has more than one');
    } else {
      c.invalidEach(`${p}.name`, port.name, validateDns1123Label(port.name));
      if (names.has(port.name)) c.duplicate(`${p}.name`, port.name);
      names.add(port.name);
    }
    if (!port.port) c.required(`${p}.port`, 'a port number between 1 and 65535');
    else c.invalidEach(`${p}.port`, port.port, validatePortNumber(port.port));
    c.oneOf(`${p}.protocol`, port.protocol, PROTOCOLS);
    if (port.targetPort !== undefined && port.targetPort !== 0 && port.targetPort !== '') {
      if (typeof port.targetPort === 'number') c.invalidEach(`${p}.targetPort`, port.targetPort, validatePortNumber(port.targetPort));
      else c.invalidEach(`${p}.targetPort`, port.targetPort, validateIanaSvcName(port.targetPort));
    }
    const key = `${port.port ?? 0}/${port.protocol || 'TCP'}`;
    if (port.port && portKeys.has(key)) c.duplicate(p, { port: port.port, protocol: port.protocol || 'TCP' });
    portKeys.add(key);
    if (port.nodePort) {
      if (!usesNodePorts) {
        c.forbidden(`${p}.nodePort`, `may not be used when \`type\` is '${type}'; use type NodePort or LoadBalancer`);
      } else if (port.nodePort < NODE_PORT_MIN || port.nodePort > NODE_PORT_MAX) {
        c.invalid(`${p}.nodePort`, port.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`);
      }
      const nk = `${port.nodePort}/${port.protocol || 'TCP'}`;
      if (nodePortKeys.has(nk)) c.duplicate(`${p}.nodePort`, port.nodePort);
      nodePortKeys.add(nk);
    }
  });
  if (spec.clusterIP && !headless) c.invalidEach('spec.clusterIP', spec.clusterIP, validateIP(spec.clusterIP));
  if (headless && type !== 'ClusterIP' && type !== 'ExternalName') {
    c.invalid('spec.clusterIP', spec.clusterIP, `may not be set to 'None' for ${type} services`);
  }
  if (type === 'ExternalName' && spec.clusterIP && !headless) {
    c.forbidden('spec.clusterIP', 'may not be set for ExternalName services');
  }
  (spec.clusterIPs ?? []).forEach((ip, i) => {
    if (i === 0 && spec.clusterIP && ip !== spec.clusterIP) c.invalid(idx('spec.clusterIPs', 0), ip, 'must match `clusterIP`');
    if (ip !== 'None') c.invalidEach(idx('spec.clusterIPs', i), ip, validateIP(ip));
  });
  (spec.externalIPs ?? []).forEach((ip, i) => c.invalidEach(idx('spec.externalIPs', i), ip, validateIP(ip)));
  c.oneOf('spec.sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES);
  c.oneOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES);
  if (spec.externalTrafficPolicy) {
    if (!usesNodePorts) c.forbidden('spec.externalTrafficPolicy', "may only be set when `type` is 'NodePort' or 'LoadBalancer'");
    else c.oneOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES);
  }
  (spec.ipFamilies ?? []).forEach((f, i) => c.oneOf(idx('spec.ipFamilies', i), f, IP_FAMILIES));
  c.oneOf('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES);
  validateLabels(c, 'spec.selector', spec.selector);
}

function validateEndpoints(c: Causes, ep: T.Endpoints): void {
  (ep.subsets ?? []).forEach((s, i) => {
    const sp = idx('subsets', i);
    for (const field of ['addresses', 'notReadyAddresses'] as const) {
      (s[field] ?? []).forEach((a, j) => {
        const p = idx(`${sp}.${field}`, j);
        if (!a.ip) c.required(`${p}.ip`);
        else c.invalidEach(`${p}.ip`, a.ip, validateEndpointIP(a.ip));
        if (a.hostname) c.invalidEach(`${p}.hostname`, a.hostname, validateDns1123Label(a.hostname));
        if (a.nodeName) c.invalidEach(`${p}.nodeName`, a.nodeName, validateDns1123Subdomain(a.nodeName));
      });
    }
    const ports = s.ports ?? [];
    const names = new Set<string>();
    ports.forEach((port, j) => {
      const p = idx(`${sp}.ports`, j);
      if (!port.name) {
        if (ports.length > 1) c.required(`${p}.name`, 'every port needs a name when there is more than one');
      } else {
        c.invalidEach(`${p}.name`, port.name, validateDns1123Label(port.name));
        if (names.has(port.name)) c.duplicate(`${p}.name`, port.name);
        names.add(port.name);
      }
      if (!port.port) c.required(`${p}.port`, 'a port number between 1 and 65535');
      else c.invalidEach(`${p}.port`, port.port, validatePortNumber(port.port));
      c.oneOf(`${p}.protocol`, port.protocol, PROTOCOLS);
    });
  });
}

// ---- the rest ----

function validateNode(c: Causes, n: T.Node): void {
  const spec = n.spec ?? {};
  const seen = new Set<string>();
  (spec.taints ?? []).forEach((t, i) => {
    const p = idx('spec.taints', i);
    if (!t.key) c.required(`${p}.key`);
    else c.invalidEach(`${p}.key`, t.key, validateLabelKey(t.key));
    if (t.value) c.invalidEach(`${p}.value`, t.value, validateLabelValue(t.value));
    if (!t.effect) c.required(`${p}.effect`, `one of ${TAINT_EFFECTS.map((e) => `"${e}"`).join(', ')}`);
    else c.oneOf(`${p}.effect`, t.effect, TAINT_EFFECTS);
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) c.duplicate(p, { key: t.key, effect: t.effect });
    seen.add(key);
  });
  if (spec.podCIDR) c.invalidEach('spec.podCIDR', spec.podCIDR, validateCIDR(spec.podCIDR));
  (spec.podCIDRs ?? []).forEach((cidr, i) => c.invalidEach(idx('spec.podCIDRs', i), cidr, validateCIDR(cidr)));
  for (const field of ['capacity', 'allocatable'] as const) {
    for (const [name, q] of Object.entries(n.status?.[field] ?? {})) {
      const p = `status.${field}[${name}]`;
      if (!isQuantity(q)) c.invalid(p, q, 'must be a quantity such as 2, 500m or 8Gi');
      else if (parseQuantity(q) < 0) c.invalid(p, q, 'must be greater than or equal to 0');
    }
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validateDataKeys(c: Causes, path: string, data: Record<string, string> | undefined, base64: boolean): number {
  let size = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    c.invalidEach(path, k, validateConfigMapKey(k));
    if (base64 && !BASE64.test(v)) c.invalid(`${path}[${k}]`, '<value omitted>', 'must be base64-encoded (standard alphabet, with padding)');
    size += Buffer.byteLength(k) + (base64 ? Math.floor((v.length * 3) / 4) : Buffer.byteLength(v));
  }
  return size;
}

function validateConfigMap(c: Causes, cm: T.ConfigMap): void {
  let size = validateDataKeys(c, 'data', cm.data, false);
  size += validateDataKeys(c, 'binaryData', cm.binaryData, true);
  for (const k of Object.keys(cm.binaryData ?? {})) {
    if (cm.data && Object.prototype.hasOwnProperty.call(cm.data, k)) c.invalid('data', k, 'duplicate of key present in binaryData');
  }
  if (size > CONFIG_DATA_MAX_BYTES) c.tooLong('data', CONFIG_DATA_MAX_BYTES);
}

// Secrets of these types must carry these keys, as in Kubernetes.
const SECRET_REQUIRED_KEYS: Record<string, string[][]> = {
  'kubernetes.io/tls': [['tls.crt'], ['tls.key']],
  'kubernetes.io/dockerconfigjson': [['.dockerconfigjson']],
  'kubernetes.io/dockercfg': [['.dockercfg']],
  'kubernetes.io/basic-auth': [['username', 'password']],
  'kubernetes.io/ssh-auth': [['ssh-privatekey']],
};

function validateSecret(c: Causes, s: T.Secret): void {
  const size = validateDataKeys(c, 'data', s.data, true);
  for (const k of Object.keys(s.stringData ?? {})) c.invalidEach('stringData', k, validateConfigMapKey(k));
  if (size > CONFIG_DATA_MAX_BYTES) c.tooLong('data', CONFIG_DATA_MAX_BYTES);
  const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
  for (const anyOf of SECRET_REQUIRED_KEYS[s.type ?? ''] ?? []) {
    if (!anyOf.some((k) => keys.has(k))) {
      c.required(`data[${anyOf[0]}]`, `a ${s.type} secret needs ${anyOf.map((k) => `"${k}"`).join(' or ')}`);
    }
  }
}

const isTime = (v: string) => !Number.isNaN(Date.parse(v));

function validateLease(c: Causes, l: T.Lease): void {
  const spec = l.spec ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    c.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0');
  }
  c.nonNegative('spec.leaseTransitions', spec.leaseTransitions);
  for (const f of ['acquireTime', 'renewTime'] as const) {
    const v = spec[f];
    if (v && !isTime(v)) c.invalid(`spec.${f}`, v, 'must be an RFC 3339 time such as 2024-01-02T03:04:05.000000Z');
  }
}

function validateEvent(c: Causes, e: T.Event): void {
  const io = e.involvedObject;
  if (!io?.kind) c.required('involvedObject.kind', 'the kind of object the event is about');
  if (!io?.name) c.required('involvedObject.name', 'the name of the object the event is about');
  if (io?.namespace && e.metadata?.namespace && io.namespace !== e.metadata.namespace) {
    c.invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace');
  }
  c.oneOf('type', e.type, EVENT_TYPES);
  c.nonNegative('count', e.count);
}

function validateNamespace(c: Causes, ns: T.Namespace): void {
  (ns.spec?.finalizers ?? []).forEach((f, i) => c.invalidEach(idx('spec.finalizers', i), f, validateLabelKey(f)));
  c.oneOf('status.phase', ns.status?.phase, NAMESPACE_PHASES);
}

// ---- updates ----

/** Paths (up to `limit`) where two JSON values differ, in protobuf's sense of equal. */
function differences(a: unknown, b: unknown, path: string, out: string[], limit = 5): void {
  if (out.length >= limit || semanticEqual(a, b)) return;
  const isObj = (v: unknown) => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => differences(x, b[i], idx(path, i), out, limit));
  } else if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) differences(ao[k], bo[k], `${path}.${k}`, out, limit);
  } else {
    out.push(path);
  }
}

const POD_MUTABLE =
  'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, ' +
  '`spec.activeDeadlineSeconds` or `spec.tolerations` (only additions to existing tolerations)';

function validatePodUpdate(c: Causes, pod: T.Pod, old: T.Pod): void {
  const next = structuredClone(pod.spec ?? {});
  const was = old.spec ?? {};
  // Images may change: compare everything else by taking the old images over.
  for (const field of ['containers', 'initContainers'] as const) {
    const a = next[field] ?? [];
    const b = was[field] ?? [];
    if (a.length === b.length) a.forEach((ctr, i) => (ctr.image = b[i]!.image));
  }
  if (next.activeDeadlineSeconds !== was.activeDeadlineSeconds) {
    if (was.activeDeadlineSeconds !== undefined && (next.activeDeadlineSeconds === undefined || next.activeDeadlineSeconds > was.activeDeadlineSeconds)) {
      c.invalid('spec.activeDeadlineSeconds', next.activeDeadlineSeconds ?? null, `must be less than or equal to the previous value (${was.activeDeadlineSeconds})`);
    }
    next.activeDeadlineSeconds = was.activeDeadlineSeconds;
  }
  const oldTolerations = was.tolerations ?? [];
  const newTolerations = next.tolerations ?? [];
  const kept = oldTolerations.every((t) => newTolerations.some((u) => semanticEqual(t, u)));
  if (!kept) c.forbidden('spec.tolerations', 'existing tolerations may not be changed or removed, only new ones added');
  next.tolerations = was.tolerations;
  const changed: string[] = [];
  differences(next, was, 'spec', changed);
  if (changed.length) c.forbidden('spec', `${POD_MUTABLE}; changed: ${changed.join(', ')}`);
}

function validateUpdate(c: Causes, obj: AnyObject, old: AnyObject, info: KindInfo): void {
  const m = obj.metadata ?? {};
  const o = old.metadata ?? {};
  if ((m.name ?? '') !== (o.name ?? '')) c.invalid('metadata.name', m.name ?? '', 'field is immutable');
  if (info.namespaced && (m.namespace ?? '') !== (o.namespace ?? '')) c.invalid('metadata.namespace', m.namespace ?? '', 'field is immutable');
  if (m.uid && o.uid && m.uid !== o.uid) c.invalid('metadata.uid', m.uid, 'field is immutable');

  switch (info.kind) {
    case 'Deployment':
    case 'ReplicaSet': {
      const sel = (obj as T.Deployment).spec?.selector;
      if (!semanticEqual(sel, (old as T.Deployment).spec?.selector)) c.invalid('spec.selector', sel ?? null, 'field is immutable');
      break;
    }
    case 'Pod':
      validatePodUpdate(c, obj as T.Pod, old as T.Pod);
      break;
    case 'Service': {
      const spec = (obj as T.Service).spec ?? {};
      const was = (old as T.Service).spec ?? {};
      // Switching to ExternalName gives the cluster IP back, as in Kubernetes.
      if (was.clusterIP && spec.type !== 'ExternalName' && spec.clusterIP !== was.clusterIP) {
        c.invalid('spec.clusterIP', spec.clusterIP ?? '', 'field is immutable');
      }
      break;
    }
    case 'ConfigMap':
    case 'Secret': {
      const cur = obj as T.ConfigMap & T.Secret;
      const was = old as T.ConfigMap & T.Secret;
      if (info.kind === 'Secret' && (was.type ?? '') !== (cur.type ?? '')) c.invalid('type', cur.type ?? '', 'field is immutable');
      if (was.immutable) {
        if (!cur.immutable) c.forbidden('immutable', 'field is immutable when `immutable` is set');
        if (!semanticEqual(cur.data, was.data)) c.forbidden('data', 'field is immutable when `immutable` is set');
        if (!semanticEqual(cur.binaryData, was.binaryData)) c.forbidden('binaryData', 'field is immutable when `immutable` is set');
      }
      break;
    }
    case 'Node': {
      const spec = (obj as T.Node).spec ?? {};
      const was = (old as T.Node).spec ?? {};
      if (was.podCIDR && spec.podCIDR !== was.podCIDR) c.forbidden('spec.podCIDR', 'may not change once set');
      break;
    }
    default:
      break;
  }
}

// ---- entry point ----

/**
 * Every problem with `obj` as a `info.kind` (after defaulting), each with its
 * field path and what is allowed; with `old`, also the changes an update may
 * not make. [] when the object may be stored.
 */
export function validate(obj: AnyObject, info: KindInfo, old?: AnyObject): FieldCause[] {
  const c = new Causes();
  validateObjectMeta(c, obj.metadata, info);
  switch (info.kind) {
    case 'Pod':
      validatePodSpec(c, 'spec', (obj as T.Pod).spec, { template: false });
      break;
    case 'ReplicaSet':
      validateReplicaSet(c, obj as T.ReplicaSet);
      break;
    case 'Deployment':
      validateDeployment(c, obj as T.Deployment);
      break;
    case 'Service':
      validateService(c, obj as T.Service);
      break;
    case 'Endpoints':
      validateEndpoints(c, obj as T.Endpoints);
      break;
    case 'Node':
      validateNode(c, obj as T.Node);
      break;
    case 'ConfigMap':
      validateConfigMap(c, obj as T.ConfigMap);
      break;
    case 'Secret':
      validateSecret(c, obj as T.Secret);
      break;
    case 'Lease':
      validateLease(c, obj as T.Lease);
      break;
    case 'Event':
      validateEvent(c, obj as T.Event);
      break;
    case 'Namespace':
      validateNamespace(c, obj as T.Namespace);
      break;
  }
  if (old) validateUpdate(c, obj, old, info);
  return c.list;
}
