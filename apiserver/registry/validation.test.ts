// One case per validation rule: each starts from a valid object, breaks one
// thing, and expects a cause on that field whose message says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindInfo, type AnyObject, type KindName } from '../../lib/api/kinds.js';
import type { FieldCause } from '../../lib/errors.js';
import { validate } from './validation.js';
import { applyDefaults } from './defaults.js';

type Obj = any;

const podSpec = (): Obj => ({
  restartPolicy: 'Always',
  dnsPolicy: 'ClusterFirst',
  terminationGracePeriodSeconds: 30,
  volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'a', path: 'a.conf' }] } }],
  containers: [
    {
      name: 'web',
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      env: [{ name: 'MODE', value: 'prod' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/app' }],
      livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 10, successThreshold: 1 },
      readinessProbe: { tcpSocket: { port: 80 } },
    },
  ],
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }],
    },
  },
});

const meta = (name = 'web', namespace: string | undefined = 'default'): Obj => ({ name, namespace, labels: { app: 'web' } });

const BASE: Record<KindName, () => Obj> = {
  Pod: () => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(), spec: podSpec() }),
  Deployment: () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: podSpec() },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  }),
  ReplicaSet: () => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta(),
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: podSpec() },
    },
  }),
  Service: () => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(),
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      selector: { app: 'web' },
      sessionAffinity: 'None',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
      ],
    },
  }),
  Node: () => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
    spec: { podCIDR: '10.244.1.0/24', taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] },
    status: { capacity: { cpu: '2', memory: '8Gi', pods: '110' }, allocatable: { cpu: '1900m', memory: '7Gi' } },
  }),
  Namespace: () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }),
  ConfigMap: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings'), data: { 'app.conf': 'x=1', KEY_2: 'y' }, binaryData: { 'logo.png': 'iVBORw0=' } }),
  Secret: () => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta('creds'), type: 'Opaque', data: { password: 'cGFzcw==' } }),
  Lease: () => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: meta('node-1', 'kube-node-lease'),
    spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2024-01-02T03:04:05.000000Z', leaseTransitions: 0 },
  }),
  Event: () => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('web.17a'),
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
    reason: 'Scheduled',
    type: 'Normal',
    count: 1,
  }),
  Endpoints: () => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: meta(),
    subsets: [
      {
        addresses: [{ ip: '10.244.1.5', nodeName: 'node-1', hostname: 'web-0' }],
        notReadyAddresses: [{ ip: '10.244.2.7' }],
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: 9090 }],
      },
    ],
  }),
};

const KINDS = Object.keys(BASE) as KindName[];

function causesOf(kind: KindName, obj: Obj, old?: Obj): FieldCause[] {
  return validate(obj as AnyObject, kindInfo(kind), old as AnyObject | undefined);
}

function show(causes: FieldCause[]): string {
  return causes.map((c) => `  ${c.field}: ${c.message}`).join('\n') || '  (none)';
}

function expectCause(kind: KindName, obj: Obj, field: string, message: RegExp, old?: Obj): void {
  const causes = causesOf(kind, obj, old);
  assert.ok(
    causes.some((c) => c.field === field && message.test(c.message)),
    `expected a cause on ${field} matching ${message}; got:\n${show(causes)}`,
  );
}

test('the base object of every kind is valid', () => {
  for (const kind of KINDS) assert.deepEqual(causesOf(kind, BASE[kind]()), [], `${kind}:\n${show(causesOf(kind, BASE[kind]()))}`);
});

test('the base objects stay valid after defaulting, and as their own update', () => {
  for (const kind of KINDS) {
    const o = BASE[kind]();
    applyDefaults(o, kindInfo(kind));
    assert.deepEqual(causesOf(kind, o), [], `${kind}:\n${show(causesOf(kind, o))}`);
    assert.deepEqual(causesOf(kind, o, structuredClone(o)), [], `${kind} update:\n${show(causesOf(kind, o, o))}`);
  }
});

test('every problem is listed, not just the first', () => {
  const d = BASE.Deployment();
  delete d.metadata.name;
  d.spec.replicas = -1;
  d.spec.template.spec.containers[0].image = '';
  d.spec.template.spec.containers[0].ports[0].containerPort = 70000;
  const fields = causesOf('Deployment', d).map((c) => c.field);
  assert.deepEqual(fields.sort(), [
    'metadata.name',
    'spec.replicas',
    'spec.template.spec.containers[0].image',
    'spec.template.spec.containers[0].ports[0].containerPort',
  ]);
});

interface Case {
  rule: string;
  kind: KindName;
  mutate: (o: Obj) => void;
  field: string;
  message: RegExp;
  /** for update rules: builds the stored object; mutate then changes the new one */
  old?: true;
}

const C = 'spec.containers[0]';
const TC = 'spec.template.spec.containers[0]';
const cases: Case[] = [
  // ---- metadata ----
  { rule: 'name is required without generateName', kind: 'Pod', mutate: (o) => delete o.metadata.name, field: 'metadata.name', message: /^Required value: name or generateName is required$/ },
  { rule: 'names of most kinds are DNS subdomains', kind: 'Pod', mutate: (o) => (o.metadata.name = 'Web_1'), field: 'metadata.name', message: /Invalid value: "Web_1": a lowercase RFC 1123 subdomain/ },
  { rule: 'subdomain names are at most 253 characters', kind: 'ConfigMap', mutate: (o) => (o.metadata.name = 'a'.repeat(254)), field: 'metadata.name', message: /no more than 253 characters/ },
  { rule: 'namespace names are DNS labels', kind: 'Namespace', mutate: (o) => (o.metadata.name = 'my.ns'), field: 'metadata.name', message: /RFC 1123 label/ },
  { rule: 'service names are DNS labels', kind: 'Service', mutate: (o) => (o.metadata.name = 'web.v1'), field: 'metadata.name', message: /RFC 1123 label/ },
  { rule: 'generateName must make a valid name', kind: 'Pod', mutate: (o) => (o.metadata.generateName = 'Web-'), field: 'metadata.generateName', message: /RFC 1123 subdomain/ },
  { rule: 'namespaced kinds need a namespace', kind: 'Pod', mutate: (o) => delete o.metadata.namespace, field: 'metadata.namespace', message: /^Required value/ },
  { rule: 'namespace must be a DNS label', kind: 'ConfigMap', mutate: (o) => (o.metadata.namespace = 'Prod'), field: 'metadata.namespace', message: /Invalid value: "Prod": a lowercase RFC 1123 label/ },
  { rule: 'cluster-scoped kinds have no namespace', kind: 'Node', mutate: (o) => (o.metadata.namespace = 'default'), field: 'metadata.namespace', message: /^Forbidden: not allowed on this type/ },
  { rule: 'label keys are qualified names', kind: 'Pod', mutate: (o) => (o.metadata.labels['bad key'] = 'x'), field: 'metadata.labels', message: /Invalid value: "bad key": name part must consist of/ },
  { rule: 'label values are valid', kind: 'Pod', mutate: (o) => (o.metadata.labels.app = 'web app'), field: 'metadata.labels', message: /Invalid value: "web app": a valid label must be an empty string/ },
  { rule: 'annotation keys are qualified names', kind: 'Pod', mutate: (o) => (o.metadata.annotations = { 'a/b/c': 'x' }), field: 'metadata.annotations', message: /optional DNS subdomain prefix/ },
  { rule: 'annotations are at most 256KiB', kind: 'Pod', mutate: (o) => (o.metadata.annotations = { big: 'x'.repeat(256 * 1024) }), field: 'metadata.annotations', message: /^Too long: must have at most 262144 bytes/ },
  { rule: 'owner references name their owner fully', kind: 'Pod', mutate: (o) => (o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1' }]), field: 'metadata.ownerReferences[0].uid', message: /^Required value/ },
  { rule: 'owner references need a kind', kind: 'Pod', mutate: (o) => (o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', name: 'web-1', uid: 'u' }]), field: 'metadata.ownerReferences[0].kind', message: /^Required value/ },
  { rule: 'owner references need an apiVersion and name', kind: 'Pod', mutate: (o) => (o.metadata.ownerReferences = [{ kind: 'ReplicaSet', uid: 'u' }]), field: 'metadata.ownerReferences[0].name', message: /^Required value/ },
  {
    rule: 'at most one controller owner',
    kind: 'Pod',
    mutate: (o) => (o.metadata.ownerReferences = ['a', 'b'].map((n) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: n, uid: n, controller: true }))),
    field: 'metadata.ownerReferences',
    message: /^Forbidden: only one reference can have controller set to true/,
  },
  { rule: 'finalizers are qualified names', kind: 'Pod', mutate: (o) => (o.metadata.finalizers = ['bad finalizer']), field: 'metadata.finalizers[0]', message: /Invalid value: "bad finalizer"/ },
  { rule: 'finalizers are unique', kind: 'Pod', mutate: (o) => (o.metadata.finalizers = ['example.com/x', 'example.com/x']), field: 'metadata.finalizers[1]', message: /^Duplicate value: "example.com\/x"/ },

  // ---- pods: containers ----
  { rule: 'a pod has at least one container', kind: 'Pod', mutate: (o) => (o.spec.containers = []), field: 'spec.containers', message: /^Required value/ },
  { rule: 'container name is required', kind: 'Pod', mutate: (o) => delete o.spec.containers[0].name, field: `${C}.name`, message: /^Required value/ },
  { rule: 'container name is a DNS label', kind: 'Pod', mutate: (o) => (o.spec.containers[0].name = 'Web'), field: `${C}.name`, message: /RFC 1123 label/ },
  {
    rule: 'container names are unique, init containers included',
    kind: 'Pod',
    mutate: (o) => (o.spec.initContainers = [{ name: 'web', image: 'busybox:1' }]),
    field: `${C}.name`,
    message: /^Duplicate value: "web"/,
  },
  { rule: 'image is required', kind: 'Pod', mutate: (o) => delete o.spec.containers[0].image, field: `${C}.image`, message: /^Required value/ },
  { rule: 'image has no surrounding whitespace', kind: 'Pod', mutate: (o) => (o.spec.containers[0].image = ' nginx'), field: `${C}.image`, message: /leading or trailing whitespace/ },
  { rule: 'imagePullPolicy is Always, IfNotPresent or Never', kind: 'Pod', mutate: (o) => (o.spec.containers[0].imagePullPolicy = 'Sometimes'), field: `${C}.imagePullPolicy`, message: /^Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"$/ },
  { rule: 'terminationMessagePolicy is File or FallbackToLogsOnError', kind: 'Pod', mutate: (o) => (o.spec.containers[0].terminationMessagePolicy = 'Log'), field: `${C}.terminationMessagePolicy`, message: /supported values: "File", "FallbackToLogsOnError"/ },
  { rule: 'containerPort is required', kind: 'Pod', mutate: (o) => delete o.spec.containers[0].ports[0].containerPort, field: `${C}.ports[0].containerPort`, message: /^Required value/ },
  { rule: 'containerPort is 1-65535', kind: 'Pod', mutate: (o) => (o.spec.containers[0].ports[0].containerPort = 70000), field: `${C}.ports[0].containerPort`, message: /Invalid value: 70000: must be between 1 and 65535, inclusive/ },
  { rule: 'hostPort is 1-65535', kind: 'Pod', mutate: (o) => (o.spec.containers[0].ports[0].hostPort = -1), field: `${C}.ports[0].hostPort`, message: /must be between 1 and 65535/ },
  {
    rule: 'with hostNetwork, hostPort equals containerPort',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.hostNetwork = true;
      o.spec.containers[0].ports[0].hostPort = 8080;
    },
    field: `${C}.ports[0].hostPort`,
    message: /must match `containerPort` when `hostNetwork` is true/,
  },
  { rule: 'port protocol is TCP, UDP or SCTP', kind: 'Pod', mutate: (o) => (o.spec.containers[0].ports[0].protocol = 'tcp'), field: `${C}.ports[0].protocol`, message: /supported values: "TCP", "UDP", "SCTP"/ },
  { rule: 'port names are IANA service names', kind: 'Pod', mutate: (o) => (o.spec.containers[0].ports[0].name = 'http-port-number-one'), field: `${C}.ports[0].name`, message: /no more than 15 characters/ },
  { rule: 'port names have a letter', kind: 'Pod', mutate: (o) => (o.spec.containers[0].ports[0].name = '8080'), field: `${C}.ports[0].name`, message: /at least one letter/ },
  {
    rule: 'port names are unique in a container',
    kind: 'Pod',
    mutate: (o) => o.spec.containers[0].ports.push({ name: 'http', containerPort: 81 }),
    field: `${C}.ports[1].name`,
    message: /^Duplicate value: "http"/,
  },
  {
    rule: 'host ports are unique in a pod',
    kind: 'Pod',
    mutate: (o) => {
      o.spec.containers[0].ports[0].hostPort = 8080;
      o.spec.containers.push({ name: 'side', image: 'x:1', ports: [{ containerPort: 81, hostPort: 8080 }] });
    },
    field: 'spec.containers[1].ports[0].hostPort',
    message: /^Duplicate value: "8080\/TCP"/,
  },
  { rule: 'hostIP is an IP', kind: 'Pod', mutate: (o) => (o.spec.containers[0].ports[0].hostIP = 'localhost'), field: `${C}.ports[0].hostIP`, message: /must be a valid IP address/ },
  { rule: 'env names are required', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[0].name = ''), field: `${C}.env[0].name`, message: /^Required value/ },
  { rule: 'env names are valid', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[0].name = '1MODE'), field: `${C}.env[0].name`, message: /valid environment variable name/ },
  { rule: 'env value and valueFrom are exclusive', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].value = 'x'), field: `${C}.env[1].valueFrom`, message: /may not be specified when `value` is not empty/ },
  { rule: 'valueFrom names a source', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].valueFrom = {}), field: `${C}.env[1].valueFrom`, message: /must specify one of/ },
  {
    rule: 'valueFrom names only one source',
    kind: 'Pod',
    mutate: (o) => (o.spec.containers[0].env[1].valueFrom.secretKeyRef = { name: 's', key: 'k' }),
    field: `${C}.env[1].valueFrom`,
    message: /may not have more than one field specified/,
  },
  { rule: 'fieldRef paths are the supported ones', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].valueFrom.fieldRef.fieldPath = 'spec.foo'), field: `${C}.env[1].valueFrom.fieldRef.fieldPath`, message: /Unsupported value: "spec.foo": supported values: "metadata.name"/ },
  {
    rule: 'resourceFieldRef resources are the supported ones',
    kind: 'Pod',
    mutate: (o) => (o.spec.containers[0].env[1].valueFrom = { resourceFieldRef: { resource: 'limits.gpu' } }),
    field: `${C}.env[1].valueFrom.resourceFieldRef.resource`,
    message: /supported values: "limits.cpu"/,
  },
  {
    rule: 'configMapKeyRef needs a key',
    kind: 'Pod',
    mutate: (o) => (o.spec.containers[0].env[1].valueFrom = { configMapKeyRef: { name: 'cm' } }),
    field: `${C}.env[1].valueFrom.configMapKeyRef.key`,
    message: /^Required value/,
  },
  { rule: 'envFrom names exactly one source', kind: 'Pod', mutate: (o) => (o.spec.containers[0].envFrom = [{ prefix: 'X_' }]), field: `${C}.envFrom[0]`, message: /exactly one of/ },
  { rule: 'resource quantities are valid', kind: 'Pod', mutate: (o) => (o.spec.containers[0].resources.limits.memory = '128MB'), field: `${C}.resources.limits[memory]`, message: /Invalid value: "128MB": quantities must match/ },
  { rule: 'resource quantities are not negative', kind: 'Pod', mutate: (o) => (o.spec.containers[0].resources.requests.cpu = '-1'), field: `${C}.resources.requests[cpu]`, message: /must be greater than or equal to 0/ },
  { rule: 'resource names are standard or qualified', kind: 'Pod', mutate: (o) => (o.spec.containers[0].resources.limits.gpu = '1'), field: `${C}.resources.limits`, message: /must be a standard resource type/ },
  { rule: 'extended resources are whole numbers', kind: 'Pod', mutate: (o) => (o.spec.containers[0].resources.limits['example.com/gpu'] = '500m'), field: `${C}.resources.limits[example.com/gpu]`, message: /whole number/ },
  { rule: 'requests do not exceed limits', kind: 'Pod', mutate: (o) => (o.spec.containers[0].resources.requests.cpu = '2'), field: `${C}.resources.requests[cpu]`, message: /^Invalid value: "2": must be less than or equal to cpu limit of 1$/ },
  { rule: 'volumeMounts refer to existing volumes', kind: 'Pod', mutate: (o) => (o.spec.containers[0].volumeMounts[0].name = 'cache'), field: `${C}.volumeMounts[0].name`, message: /^Not found: "cache"/ },
  { rule: 'volumeMounts need a mountPath', kind: 'Pod', mutate: (o) => delete o.spec.containers[0].volumeMounts[0].mountPath, field: `${C}.volumeMounts[0].mountPath`, message: /^Required value/ },
  { rule: 'mountPaths are unique', kind: 'Pod', mutate: (o) => (o.spec.containers[0].volumeMounts[1].mountPath = '/data'), field: `${C}.volumeMounts[1].mountPath`, message: /must be unique/ },
  { rule: 'subPath stays inside the volume', kind: 'Pod', mutate: (o) => (o.spec.containers[0].volumeMounts[0].subPath = '../etc'), field: `${C}.volumeMounts[0].subPath`, message: /must not contain '\.\.'/ },
  { rule: 'probes have a handler', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe = { periodSeconds: 5 }), field: `${C}.livenessProbe`, message: /^Required value: must specify a handler type/ },
  {
    rule: 'probes have only one handler',
    kind: 'Pod',
    mutate: (o) => (o.spec.containers[0].readinessProbe.exec = { command: ['true'] }),
    field: `${C}.readinessProbe.tcpSocket`,
    message: /^Forbidden: may not specify more than 1 handler type/,
  },
  { rule: 'probe timings are not negative', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe.periodSeconds = -5), field: `${C}.livenessProbe.periodSeconds`, message: /must be greater than or equal to 0/ },
  { rule: 'liveness successThreshold is 1', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe.successThreshold = 2), field: `${C}.livenessProbe.successThreshold`, message: /must be 1/ },
  { rule: 'probe ports are 1-65535', kind: 'Pod', mutate: (o) => (o.spec.containers[0].readinessProbe.tcpSocket.port = 0), field: `${C}.readinessProbe.tcpSocket.port`, message: /^Required value/ },
  { rule: 'probe port names are IANA names', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe.httpGet.port = 'HTTP'), field: `${C}.livenessProbe.httpGet.port`, message: /lowercase alphanumeric/ },
  { rule: 'httpGet scheme is HTTP or HTTPS', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe.httpGet.scheme = 'ftp'), field: `${C}.livenessProbe.httpGet.scheme`, message: /supported values: "HTTP", "HTTPS"/ },
  { rule: 'exec needs a command', kind: 'Pod', mutate: (o) => (o.spec.containers[0].readinessProbe = { exec: {} }), field: `${C}.readinessProbe.exec.command`, message: /^Required value/ },
  {
    rule: 'init containers have no probes',
    kind: 'Pod',
    mutate: (o) => (o.spec.initContainers = [{ name: 'init', image: 'busybox:1', readinessProbe: { exec: { command: ['true'] } } }]),
    field: 'spec.initContainers[0].readinessProbe',
    message: /^Forbidden: may not be set for init containers/,
  },
  { rule: 'lifecycle hooks have a handler', kind: 'Pod', mutate: (o) => (o.spec.containers[0].lifecycle = { preStop: {} }), field: `${C}.lifecycle.preStop`, message: /must specify a handler type/ },

  { rule: 'owner references need an apiVersion', kind: 'Pod', mutate: (o) => (o.metadata.ownerReferences = [{ kind: 'ReplicaSet', name: 'x', uid: 'u' }]), field: 'metadata.ownerReferences[0].apiVersion', message: /^Required value/ },
  { rule: 'numbered probe ports are 1-65535', kind: 'Pod', mutate: (o) => (o.spec.containers[0].readinessProbe.tcpSocket.port = 70000), field: `${C}.readinessProbe.tcpSocket.port`, message: /must be between 1 and 65535/ },
  { rule: 'httpGet headers have names', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe.httpGet.httpHeaders = [{ value: 'x' }]), field: `${C}.livenessProbe.httpGet.httpHeaders[0].name`, message: /^Required value/ },
  ...['initialDelaySeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'].map(
    (f): Case => ({ rule: `probe ${f} is not negative`, kind: 'Pod', mutate: (o) => (o.spec.containers[0].readinessProbe[f] = -1), field: `${C}.readinessProbe.${f}`, message: /greater than or equal to 0/ }),
  ),
  { rule: 'probe terminationGracePeriodSeconds is positive', kind: 'Pod', mutate: (o) => (o.spec.containers[0].livenessProbe.terminationGracePeriodSeconds = 0), field: `${C}.livenessProbe.terminationGracePeriodSeconds`, message: /must be greater than 0/ },
  { rule: 'qualified resource names are valid', kind: 'Pod', mutate: (o) => (o.spec.containers[0].resources.limits['example.com/big gpu'] = '1'), field: `${C}.resources.limits`, message: /name part must consist/ },
  { rule: 'fieldRef needs a fieldPath', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].valueFrom.fieldRef = {}), field: `${C}.env[1].valueFrom.fieldRef.fieldPath`, message: /^Required value/ },
  { rule: 'resourceFieldRef needs a resource', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].valueFrom = { resourceFieldRef: {} }), field: `${C}.env[1].valueFrom.resourceFieldRef.resource`, message: /^Required value/ },
  { rule: 'secretKeyRef needs a name', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].valueFrom = { secretKeyRef: { key: 'k' } }), field: `${C}.env[1].valueFrom.secretKeyRef.name`, message: /^Required value/ },
  { rule: 'secretKeyRef keys are config keys', kind: 'Pod', mutate: (o) => (o.spec.containers[0].env[1].valueFrom = { secretKeyRef: { name: 's', key: 'a/b' } }), field: `${C}.env[1].valueFrom.secretKeyRef.key`, message: /a valid config key/ },
  { rule: 'envFrom prefix is an env var name', kind: 'Pod', mutate: (o) => (o.spec.containers[0].envFrom = [{ prefix: '1X', configMapRef: { name: 'c' } }]), field: `${C}.envFrom[0].prefix`, message: /valid environment variable name/ },
  { rule: 'envFrom configMapRef needs a name', kind: 'Pod', mutate: (o) => (o.spec.containers[0].envFrom = [{ configMapRef: {} }]), field: `${C}.envFrom[0].configMapRef.name`, message: /^Required value/ },
  { rule: 'envFrom secretRef needs a name', kind: 'Pod', mutate: (o) => (o.spec.containers[0].envFrom = [{ secretRef: {} }]), field: `${C}.envFrom[0].secretRef.name`, message: /^Required value/ },
  { rule: 'volumeMounts need a name', kind: 'Pod', mutate: (o) => delete o.spec.containers[0].volumeMounts[0].name, field: `${C}.volumeMounts[0].name`, message: /^Required value/ },
  // ---- pods: spec ----
  { rule: 'restartPolicy is Always, OnFailure or Never', kind: 'Pod', mutate: (o) => (o.spec.restartPolicy = 'Sometimes'), field: 'spec.restartPolicy', message: /^Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"$/ },
  { rule: 'dnsPolicy is one of the four', kind: 'Pod', mutate: (o) => (o.spec.dnsPolicy = 'Google'), field: 'spec.dnsPolicy', message: /supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"/ },
  { rule: 'terminationGracePeriodSeconds is not negative', kind: 'Pod', mutate: (o) => (o.spec.terminationGracePeriodSeconds = -1), field: 'spec.terminationGracePeriodSeconds', message: /greater than or equal to 0/ },
  { rule: 'activeDeadlineSeconds is positive', kind: 'Pod', mutate: (o) => (o.spec.activeDeadlineSeconds = 0), field: 'spec.activeDeadlineSeconds', message: /must be between 1 and/ },
  { rule: 'nodeSelector labels are valid', kind: 'Pod', mutate: (o) => (o.spec.nodeSelector = { disk: 'fast ssd' }), field: 'spec.nodeSelector', message: /Invalid value: "fast ssd"/ },
  { rule: 'nodeName is a DNS subdomain', kind: 'Pod', mutate: (o) => (o.spec.nodeName = 'Node_1'), field: 'spec.nodeName', message: /RFC 1123 subdomain/ },
  { rule: 'hostname is a DNS label', kind: 'Pod', mutate: (o) => (o.spec.hostname = 'a.b'), field: 'spec.hostname', message: /RFC 1123 label/ },
  { rule: 'volume names are required', kind: 'Pod', mutate: (o) => (o.spec.volumes[0].name = ''), field: 'spec.volumes[0].name', message: /^Required value/ },
  { rule: 'volume names are DNS labels', kind: 'Pod', mutate: (o) => (o.spec.volumes.push({ name: 'My_Vol', emptyDir: {} })), field: 'spec.volumes[2].name', message: /RFC 1123 label/ },
  { rule: 'volume names are unique', kind: 'Pod', mutate: (o) => (o.spec.volumes[1].name = 'data'), field: 'spec.volumes[1].name', message: /^Duplicate value: "data"/ },
  { rule: 'a volume has a source', kind: 'Pod', mutate: (o) => (o.spec.volumes[0] = { name: 'data' }), field: 'spec.volumes[0]', message: /^Required value: must specify a volume type/ },
  { rule: 'a volume has only one source', kind: 'Pod', mutate: (o) => (o.spec.volumes[0].hostPath = { path: '/x' }), field: 'spec.volumes[0].hostPath', message: /^Forbidden: may not specify more than 1 volume type/ },
  { rule: 'hostPath needs a path', kind: 'Pod', mutate: (o) => (o.spec.volumes[0] = { name: 'data', hostPath: {} }), field: 'spec.volumes[0].hostPath.path', message: /^Required value/ },
  { rule: 'hostPath type is a known one', kind: 'Pod', mutate: (o) => (o.spec.volumes[0] = { name: 'data', hostPath: { path: '/x', type: 'Dir' } }), field: 'spec.volumes[0].hostPath.type', message: /supported values: "", "DirectoryOrCreate"/ },
  { rule: 'configMap volumes name the ConfigMap', kind: 'Pod', mutate: (o) => delete o.spec.volumes[1].configMap.name, field: 'spec.volumes[1].configMap.name', message: /^Required value/ },
  { rule: 'secret volumes name the Secret', kind: 'Pod', mutate: (o) => (o.spec.volumes[1] = { name: 'cfg', secret: {} }), field: 'spec.volumes[1].secret.secretName', message: /^Required value/ },
  { rule: 'volume item paths are relative', kind: 'Pod', mutate: (o) => (o.spec.volumes[1].configMap.items[0].path = '/etc/a'), field: 'spec.volumes[1].configMap.items[0].path', message: /must be a relative path/ },
  { rule: 'volume defaultMode is 0-0777', kind: 'Pod', mutate: (o) => (o.spec.volumes[1].configMap.defaultMode = 1000), field: 'spec.volumes[1].configMap.defaultMode', message: /between 0 and 0777/ },
  { rule: 'emptyDir medium is "" or Memory', kind: 'Pod', mutate: (o) => (o.spec.volumes[0].emptyDir.medium = 'Disk'), field: 'spec.volumes[0].emptyDir.medium', message: /supported values: "", "Memory"/ },
  { rule: 'emptyDir sizeLimit is a quantity', kind: 'Pod', mutate: (o) => (o.spec.volumes[0].emptyDir.sizeLimit = 'big'), field: 'spec.volumes[0].emptyDir.sizeLimit', message: /quantity/ },
  { rule: 'toleration operator is Equal or Exists', kind: 'Pod', mutate: (o) => (o.spec.tolerations[0].operator = 'In'), field: 'spec.tolerations[0].operator', message: /^Unsupported value: "In": supported values: "Equal", "Exists"$/ },
  { rule: 'a toleration without key uses Exists', kind: 'Pod', mutate: (o) => delete o.spec.tolerations[0].key, field: 'spec.tolerations[0].operator', message: /operator must be Exists when `key` is empty/ },
  { rule: 'an Exists toleration has no value', kind: 'Pod', mutate: (o) => (o.spec.tolerations[0].operator = 'Exists'), field: 'spec.tolerations[0].value', message: /value must be empty when `operator` is 'Exists'/ },
  { rule: 'toleration effect is a taint effect', kind: 'Pod', mutate: (o) => (o.spec.tolerations[0].effect = 'NoRun'), field: 'spec.tolerations[0].effect', message: /supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"/ },
  { rule: 'tolerationSeconds only with NoExecute', kind: 'Pod', mutate: (o) => (o.spec.tolerations[0].tolerationSeconds = 30), field: 'spec.tolerations[0].effect', message: /effect must be 'NoExecute' when `tolerationSeconds` is set/ },
  { rule: 'toleration keys are qualified names', kind: 'Pod', mutate: (o) => (o.spec.tolerations[0].key = 'bad key'), field: 'spec.tolerations[0].key', message: /name part must consist/ },
  {
    rule: 'node affinity operators are the known ones',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator = 'Equals'),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator',
    message: /supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"/,
  },
  {
    rule: 'node affinity In needs values',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = []),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values',
    message: /^Required value: must be specified when `operator` is 'In'/,
  },
  {
    rule: 'node affinity Exists takes no values',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values = ['x']),
    field: 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values',
    message: /^Forbidden: may not be specified when `operator` is 'Exists'/,
  },
  {
    rule: 'node affinity Gt takes one integer',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0] = { key: 'cores', operator: 'Gt', values: ['many'] }),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values',
    message: /must be an integer/,
  },
  {
    rule: 'required node affinity has terms',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms = []),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
    message: /at least one node selector term/,
  },
  {
    rule: 'preferred node affinity weight is 1-100',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight = 101),
    field: 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    message: /must be in the range 1-100/,
  },
  {
    rule: 'node affinity matchFields only on metadata.name',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields = [{ key: 'spec.x', operator: 'In', values: ['a'] }]),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key',
    message: /supported values: "metadata.name"/,
  },

  { rule: 'volume items need a key', kind: 'Pod', mutate: (o) => delete o.spec.volumes[1].configMap.items[0].key, field: 'spec.volumes[1].configMap.items[0].key', message: /^Required value/ },
  { rule: 'volume items need a path', kind: 'Pod', mutate: (o) => delete o.spec.volumes[1].configMap.items[0].path, field: 'spec.volumes[1].configMap.items[0].path', message: /^Required value/ },
  { rule: 'volume item mode is 0-0777', kind: 'Pod', mutate: (o) => (o.spec.volumes[1].configMap.items[0].mode = -1), field: 'spec.volumes[1].configMap.items[0].mode', message: /between 0 and 0777/ },
  { rule: 'Equal toleration values are label values', kind: 'Pod', mutate: (o) => (o.spec.tolerations[0].value = 'a b'), field: 'spec.tolerations[0].value', message: /valid label/ },
  {
    rule: 'node affinity keys are required',
    kind: 'Pod',
    mutate: (o) => delete o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key,
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key',
    message: /^Required value/,
  },
  {
    rule: 'node affinity keys are qualified names',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key = 'a b'),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key',
    message: /name part must consist/,
  },
  {
    rule: 'node affinity values are label values',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values = ['a b']),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]',
    message: /valid label/,
  },
  {
    rule: 'node affinity matchFields operator is In or NotIn',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields = [{ key: 'metadata.name', operator: 'Exists', values: ['a'] }]),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].operator',
    message: /supported values: "In", "NotIn"/,
  },
  {
    rule: 'node affinity matchFields has one value',
    kind: 'Pod',
    mutate: (o) => (o.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields = [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }]),
    field: 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values',
    message: /must be only one value/,
  },
  { rule: 'serviceAccountName is a DNS subdomain', kind: 'Pod', mutate: (o) => (o.spec.serviceAccountName = 'My SA'), field: 'spec.serviceAccountName', message: /RFC 1123 subdomain/ },
  { rule: 'subdomain is a DNS label', kind: 'Pod', mutate: (o) => (o.spec.subdomain = 'a.b'), field: 'spec.subdomain', message: /RFC 1123 label/ },
  // ---- ReplicaSet / Deployment ----
  { rule: 'deployment replicas are not negative', kind: 'Deployment', mutate: (o) => (o.spec.replicas = -1), field: 'spec.replicas', message: /^Invalid value: -1: must be greater than or equal to 0$/ },
  { rule: 'replicaset replicas are not negative', kind: 'ReplicaSet', mutate: (o) => (o.spec.replicas = -2), field: 'spec.replicas', message: /greater than or equal to 0/ },
  { rule: 'minReadySeconds is not negative', kind: 'Deployment', mutate: (o) => (o.spec.minReadySeconds = -1), field: 'spec.minReadySeconds', message: /greater than or equal to 0/ },
  { rule: 'deployment selector is required', kind: 'Deployment', mutate: (o) => delete o.spec.selector, field: 'spec.selector', message: /^Required value/ },
  { rule: 'replicaset selector is required', kind: 'ReplicaSet', mutate: (o) => delete o.spec.selector, field: 'spec.selector', message: /^Required value/ },
  { rule: 'deployment selector is not empty', kind: 'Deployment', mutate: (o) => (o.spec.selector = {}), field: 'spec.selector', message: /^Invalid value: \{\}: empty selector is invalid for deployment$/ },
  {
    rule: 'selector expressions are valid',
    kind: 'ReplicaSet',
    mutate: (o) => (o.spec.selector.matchExpressions[0].operator = 'Equals'),
    field: 'spec.selector.matchExpressions[0].operator',
    message: /supported values: "In", "NotIn", "Exists", "DoesNotExist"/,
  },
  {
    rule: 'deployment selector matches template labels',
    kind: 'Deployment',
    mutate: (o) => (o.spec.template.metadata.labels = { app: 'db' }),
    field: 'spec.template.metadata.labels',
    message: /^Invalid value: \{"app":"db"\}: selector does not match template labels$/,
  },
  {
    rule: 'replicaset selector expressions match template labels',
    kind: 'ReplicaSet',
    mutate: (o) => (o.spec.template.metadata.labels.tier = 'back'),
    field: 'spec.template.metadata.labels',
    message: /selector does not match template labels/,
  },
  { rule: 'template labels are valid', kind: 'Deployment', mutate: (o) => (o.spec.template.metadata.labels['-x'] = 'y'), field: 'spec.template.metadata.labels', message: /Invalid value: "-x"/ },
  { rule: 'template pods restart Always', kind: 'Deployment', mutate: (o) => (o.spec.template.spec.restartPolicy = 'Never'), field: 'spec.template.spec.restartPolicy', message: /^Unsupported value: "Never": supported values: "Always"$/ },
  { rule: 'template pod specs are validated', kind: 'ReplicaSet', mutate: (o) => delete o.spec.template.spec.containers[0].image, field: `${TC}.image`, message: /^Required value/ },
  { rule: 'a template without spec has no containers', kind: 'Deployment', mutate: (o) => delete o.spec.template.spec, field: 'spec.template.spec.containers', message: /^Required value/ },
  { rule: 'strategy type is RollingUpdate or Recreate', kind: 'Deployment', mutate: (o) => (o.spec.strategy.type = 'BlueGreen'), field: 'spec.strategy.type', message: /^Unsupported value: "BlueGreen": supported values: "RollingUpdate", "Recreate"$/ },
  { rule: 'Recreate takes no rollingUpdate', kind: 'Deployment', mutate: (o) => (o.spec.strategy.type = 'Recreate'), field: 'spec.strategy.rollingUpdate', message: /^Forbidden: may not be specified when strategy `type` is 'Recreate'$/ },
  {
    rule: 'maxSurge and maxUnavailable are not both 0',
    kind: 'Deployment',
    mutate: (o) => (o.spec.strategy.rollingUpdate = { maxSurge: '0%', maxUnavailable: 0 }),
    field: 'spec.strategy.rollingUpdate.maxUnavailable',
    message: /^Invalid value: 0: may not be 0 when `maxSurge` is 0$/,
  },
  { rule: 'maxSurge is an integer or percentage', kind: 'Deployment', mutate: (o) => (o.spec.strategy.rollingUpdate.maxSurge = '25'), field: 'spec.strategy.rollingUpdate.maxSurge', message: /must be an integer or percentage \(e.g. '5%'\)/ },
  { rule: 'maxUnavailable percent is at most 100%', kind: 'Deployment', mutate: (o) => (o.spec.strategy.rollingUpdate.maxUnavailable = '150%'), field: 'spec.strategy.rollingUpdate.maxUnavailable', message: /must not be greater than 100%/ },
  { rule: 'maxSurge is not negative', kind: 'Deployment', mutate: (o) => (o.spec.strategy.rollingUpdate.maxSurge = -1), field: 'spec.strategy.rollingUpdate.maxSurge', message: /greater than or equal to 0/ },
  { rule: 'revisionHistoryLimit is not negative', kind: 'Deployment', mutate: (o) => (o.spec.revisionHistoryLimit = -1), field: 'spec.revisionHistoryLimit', message: /greater than or equal to 0/ },
  {
    rule: 'progressDeadlineSeconds exceeds minReadySeconds',
    kind: 'Deployment',
    mutate: (o) => {
      o.spec.minReadySeconds = 30;
      o.spec.progressDeadlineSeconds = 30;
    },
    field: 'spec.progressDeadlineSeconds',
    message: /must be greater than minReadySeconds/,
  },

  { rule: 'progressDeadlineSeconds is not negative', kind: 'Deployment', mutate: (o) => (o.spec.progressDeadlineSeconds = -1), field: 'spec.progressDeadlineSeconds', message: /greater than or equal to 0/ },
  // ---- Service ----
  { rule: 'service ports are required', kind: 'Service', mutate: (o) => (o.spec.ports = []), field: 'spec.ports', message: /^Required value/ },
  { rule: 'service port is required', kind: 'Service', mutate: (o) => delete o.spec.ports[0].port, field: 'spec.ports[0].port', message: /^Required value/ },
  { rule: 'service port is 1-65535', kind: 'Service', mutate: (o) => (o.spec.ports[0].port = 65536), field: 'spec.ports[0].port', message: /must be between 1 and 65535/ },
  { rule: 'service ports are named when there are several', kind: 'Service', mutate: (o) => delete o.spec.ports[1].name, field: 'spec.ports[1].name', message: /^Required value/ },
  { rule: 'service port names are unique', kind: 'Service', mutate: (o) => (o.spec.ports[1].name = 'http'), field: 'spec.ports[1].name', message: /^Duplicate value: "http"/ },
  { rule: 'service port names are DNS labels', kind: 'Service', mutate: (o) => (o.spec.ports[0].name = 'HTTP'), field: 'spec.ports[0].name', message: /RFC 1123 label/ },
  { rule: 'service port protocol is TCP, UDP or SCTP', kind: 'Service', mutate: (o) => (o.spec.ports[0].protocol = 'HTTP'), field: 'spec.ports[0].protocol', message: /supported values: "TCP", "UDP", "SCTP"/ },
  { rule: 'targetPort numbers are 1-65535', kind: 'Service', mutate: (o) => (o.spec.ports[1].targetPort = 70000), field: 'spec.ports[1].targetPort', message: /must be between 1 and 65535/ },
  { rule: 'targetPort names are IANA names', kind: 'Service', mutate: (o) => (o.spec.ports[0].targetPort = 'web--http'), field: 'spec.ports[0].targetPort', message: /consecutive hyphens/ },
  {
    rule: 'port and protocol pairs are unique',
    kind: 'Service',
    mutate: (o) => (o.spec.ports[1].port = 80),
    field: 'spec.ports[1]',
    message: /^Duplicate value: \{"port":80,"protocol":"TCP"\}/,
  },
  { rule: 'service type is one of the four', kind: 'Service', mutate: (o) => (o.spec.type = 'Internal'), field: 'spec.type', message: /^Unsupported value: "Internal": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"$/ },
  {
    rule: 'nodePort is in 30000-32767',
    kind: 'Service',
    mutate: (o) => {
      o.spec.type = 'NodePort';
      o.spec.ports[0].nodePort = 8080;
    },
    field: 'spec.ports[0].nodePort',
    message: /The range of valid ports is 30000-32767/,
  },
  { rule: 'nodePort only for NodePort and LoadBalancer', kind: 'Service', mutate: (o) => (o.spec.ports[0].nodePort = 30080), field: 'spec.ports[0].nodePort', message: /^Forbidden: may not be used when `type` is 'ClusterIP'/ },
  {
    rule: 'nodePorts are unique',
    kind: 'Service',
    mutate: (o) => {
      o.spec.type = 'NodePort';
      o.spec.ports[0].nodePort = 30080;
      o.spec.ports[1].nodePort = 30080;
    },
    field: 'spec.ports[1].nodePort',
    message: /^Duplicate value: 30080/,
  },
  { rule: 'clusterIP is an IP, "None" or empty', kind: 'Service', mutate: (o) => (o.spec.clusterIP = '10.96.0.300'), field: 'spec.clusterIP', message: /must be a valid IP address/ },
  { rule: 'only ClusterIP services are headless', kind: 'Service', mutate: (o) => Object.assign(o.spec, { type: 'NodePort', clusterIP: 'None' }), field: 'spec.clusterIP', message: /may not be set to 'None' for NodePort services/ },
  { rule: 'ExternalName services have no cluster IP', kind: 'Service', mutate: (o) => (o.spec.type = 'ExternalName'), field: 'spec.clusterIP', message: /^Forbidden: may not be set for ExternalName services/ },
  { rule: 'clusterIPs[0] matches clusterIP', kind: 'Service', mutate: (o) => (o.spec.clusterIPs = ['10.96.0.11']), field: 'spec.clusterIPs[0]', message: /must match `clusterIP`/ },
  { rule: 'externalIPs are IPs', kind: 'Service', mutate: (o) => (o.spec.externalIPs = ['example.com']), field: 'spec.externalIPs[0]', message: /must be a valid IP address/ },
  { rule: 'sessionAffinity is None or ClientIP', kind: 'Service', mutate: (o) => (o.spec.sessionAffinity = 'Sticky'), field: 'spec.sessionAffinity', message: /supported values: "None", "ClientIP"/ },
  { rule: 'externalTrafficPolicy only for NodePort and LoadBalancer', kind: 'Service', mutate: (o) => (o.spec.externalTrafficPolicy = 'Local'), field: 'spec.externalTrafficPolicy', message: /^Forbidden: may only be set when `type` is 'NodePort' or 'LoadBalancer'/ },
  {
    rule: 'externalTrafficPolicy is Cluster or Local',
    kind: 'Service',
    mutate: (o) => Object.assign(o.spec, { type: 'LoadBalancer', externalTrafficPolicy: 'Node' }),
    field: 'spec.externalTrafficPolicy',
    message: /supported values: "Cluster", "Local"/,
  },
  { rule: 'internalTrafficPolicy is Cluster or Local', kind: 'Service', mutate: (o) => (o.spec.internalTrafficPolicy = 'All'), field: 'spec.internalTrafficPolicy', message: /supported values: "Cluster", "Local"/ },
  { rule: 'ipFamilies are IPv4 or IPv6', kind: 'Service', mutate: (o) => (o.spec.ipFamilies = ['IPv5']), field: 'spec.ipFamilies[0]', message: /supported values: "IPv4", "IPv6"/ },
  { rule: 'ipFamilyPolicy is a known one', kind: 'Service', mutate: (o) => (o.spec.ipFamilyPolicy = 'Dual'), field: 'spec.ipFamilyPolicy', message: /supported values: "SingleStack"/ },
  { rule: 'service selector labels are valid', kind: 'Service', mutate: (o) => (o.spec.selector = { app: 'web!' }), field: 'spec.selector', message: /Invalid value: "web!"/ },

  { rule: 'clusterIPs are IPs', kind: 'Service', mutate: (o) => (o.spec.clusterIPs = ['10.96.0.10', 'nope']), field: 'spec.clusterIPs[1]', message: /must be a valid IP address/ },
  // ---- Node ----
  { rule: 'taint effect is required', kind: 'Node', mutate: (o) => delete o.spec.taints[0].effect, field: 'spec.taints[0].effect', message: /^Required value: one of "NoSchedule", "PreferNoSchedule", "NoExecute"/ },
  { rule: 'taint effect is NoSchedule, PreferNoSchedule or NoExecute', kind: 'Node', mutate: (o) => (o.spec.taints[0].effect = 'NoRun'), field: 'spec.taints[0].effect', message: /^Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"$/ },
  { rule: 'taint key is required', kind: 'Node', mutate: (o) => delete o.spec.taints[0].key, field: 'spec.taints[0].key', message: /^Required value/ },
  { rule: 'taint key is a qualified name', kind: 'Node', mutate: (o) => (o.spec.taints[0].key = 'a b'), field: 'spec.taints[0].key', message: /name part must consist/ },
  { rule: 'taint value is a label value', kind: 'Node', mutate: (o) => (o.spec.taints[0].value = 'a b'), field: 'spec.taints[0].value', message: /valid label/ },
  { rule: 'taints are unique by key and effect', kind: 'Node', mutate: (o) => o.spec.taints.push({ key: 'dedicated', value: 'db', effect: 'NoSchedule' }), field: 'spec.taints[1]', message: /^Duplicate value/ },
  { rule: 'podCIDR is a CIDR', kind: 'Node', mutate: (o) => (o.spec.podCIDR = '10.244.1.0/33'), field: 'spec.podCIDR', message: /must be a valid CIDR value/ },
  { rule: 'node capacity is quantities', kind: 'Node', mutate: (o) => (o.status.capacity.memory = '8 GB'), field: 'status.capacity[memory]', message: /must be a quantity/ },

  { rule: 'node podCIDRs are CIDRs', kind: 'Node', mutate: (o) => (o.spec.podCIDRs = ['10.244.1.0']), field: 'spec.podCIDRs[0]', message: /must be a valid CIDR value/ },
  { rule: 'node capacity is not negative', kind: 'Node', mutate: (o) => (o.status.allocatable.cpu = '-1'), field: 'status.allocatable[cpu]', message: /greater than or equal to 0/ },
  // ---- ConfigMap / Secret ----
  { rule: 'configmap keys are valid', kind: 'ConfigMap', mutate: (o) => (o.data['a/b'] = 'x'), field: 'data', message: /Invalid value: "a\/b": a valid config key/ },
  { rule: 'configmap keys are not ..', kind: 'ConfigMap', mutate: (o) => (o.data['..'] = 'x'), field: 'data', message: /must not be '\.\.'/ },
  { rule: 'binaryData is base64', kind: 'ConfigMap', mutate: (o) => (o.binaryData['logo.png'] = 'not base64!'), field: 'binaryData[logo.png]', message: /must be base64-encoded/ },
  { rule: 'data and binaryData keys do not overlap', kind: 'ConfigMap', mutate: (o) => (o.binaryData['app.conf'] = 'eA=='), field: 'data', message: /duplicate of key present in binaryData/ },
  { rule: 'configmap data is at most 1MiB', kind: 'ConfigMap', mutate: (o) => (o.data.big = 'x'.repeat(1024 * 1024)), field: 'data', message: /^Too long: must have at most 1048576 bytes/ },
  { rule: 'secret keys are valid', kind: 'Secret', mutate: (o) => (o.data['my key'] = 'eA=='), field: 'data', message: /a valid config key/ },
  { rule: 'secret data is base64', kind: 'Secret', mutate: (o) => (o.data.password = 'pass'.repeat(1) + '!'), field: 'data[password]', message: /must be base64-encoded/ },
  { rule: 'secret data is at most 1MiB', kind: 'Secret', mutate: (o) => (o.data.big = 'AAAA'.repeat(400 * 1024)), field: 'data', message: /^Too long/ },
  { rule: 'stringData keys are valid', kind: 'Secret', mutate: (o) => (o.stringData = { 'a b': 'x' }), field: 'stringData', message: /a valid config key/ },
  { rule: 'tls secrets carry tls.crt and tls.key', kind: 'Secret', mutate: (o) => Object.assign(o, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }), field: 'data[tls.key]', message: /^Required value: a kubernetes.io\/tls secret needs "tls.key"/ },

  // ---- Lease, Event, Endpoints, Namespace ----
  { rule: 'lease duration is positive', kind: 'Lease', mutate: (o) => (o.spec.leaseDurationSeconds = 0), field: 'spec.leaseDurationSeconds', message: /must be greater than 0/ },
  { rule: 'lease transitions are not negative', kind: 'Lease', mutate: (o) => (o.spec.leaseTransitions = -1), field: 'spec.leaseTransitions', message: /greater than or equal to 0/ },
  { rule: 'lease times are times', kind: 'Lease', mutate: (o) => (o.spec.renewTime = 'yesterday'), field: 'spec.renewTime', message: /RFC 3339/ },
  { rule: 'events name the kind of their object', kind: 'Event', mutate: (o) => delete o.involvedObject.kind, field: 'involvedObject.kind', message: /^Required value/ },
  { rule: 'events name their object', kind: 'Event', mutate: (o) => delete o.involvedObject, field: 'involvedObject.name', message: /^Required value/ },
  { rule: 'events live in their object\'s namespace', kind: 'Event', mutate: (o) => (o.involvedObject.namespace = 'other'), field: 'involvedObject.namespace', message: /does not match event.namespace/ },
  { rule: 'event type is Normal or Warning', kind: 'Event', mutate: (o) => (o.type = 'Error'), field: 'type', message: /supported values: "Normal", "Warning"/ },
  { rule: 'event count is not negative', kind: 'Event', mutate: (o) => (o.count = -1), field: 'count', message: /greater than or equal to 0/ },
  { rule: 'endpoint addresses have an ip', kind: 'Endpoints', mutate: (o) => delete o.subsets[0].addresses[0].ip, field: 'subsets[0].addresses[0].ip', message: /^Required value/ },
  { rule: 'endpoint ips are IPs', kind: 'Endpoints', mutate: (o) => (o.subsets[0].notReadyAddresses[0].ip = '10.244.2'), field: 'subsets[0].notReadyAddresses[0].ip', message: /must be a valid IP address/ },
  { rule: 'endpoint ips are not loopback', kind: 'Endpoints', mutate: (o) => (o.subsets[0].addresses[0].ip = '127.0.0.1'), field: 'subsets[0].addresses[0].ip', message: /loopback/ },
  { rule: 'endpoint hostnames are DNS labels', kind: 'Endpoints', mutate: (o) => (o.subsets[0].addresses[0].hostname = 'web.0'), field: 'subsets[0].addresses[0].hostname', message: /RFC 1123 label/ },
  { rule: 'endpoint ports are 1-65535', kind: 'Endpoints', mutate: (o) => (o.subsets[0].ports[0].port = 0), field: 'subsets[0].ports[0].port', message: /^Required value/ },
  { rule: 'endpoint ports are named when there are several', kind: 'Endpoints', mutate: (o) => delete o.subsets[0].ports[1].name, field: 'subsets[0].ports[1].name', message: /^Required value/ },
  { rule: 'endpoint port names are unique', kind: 'Endpoints', mutate: (o) => (o.subsets[0].ports[1].name = 'http'), field: 'subsets[0].ports[1].name', message: /^Duplicate value/ },
  { rule: 'endpoint port protocol is TCP, UDP or SCTP', kind: 'Endpoints', mutate: (o) => (o.subsets[0].ports[0].protocol = 'ICMP'), field: 'subsets[0].ports[0].protocol', message: /supported values: "TCP"/ },
  { rule: 'namespace finalizers are qualified names', kind: 'Namespace', mutate: (o) => (o.spec.finalizers = ['not valid']), field: 'spec.finalizers[0]', message: /name part must consist/ },
  { rule: 'namespace phase is Active or Terminating', kind: 'Namespace', mutate: (o) => (o.status.phase = 'Gone'), field: 'status.phase', message: /supported values: "Active", "Terminating"/ },

  { rule: 'endpoint nodeNames are DNS subdomains', kind: 'Endpoints', mutate: (o) => (o.subsets[0].addresses[0].nodeName = 'Node 1'), field: 'subsets[0].addresses[0].nodeName', message: /RFC 1123 subdomain/ },
  { rule: 'endpoint port names are DNS labels', kind: 'Endpoints', mutate: (o) => (o.subsets[0].ports[0].name = 'HTTP'), field: 'subsets[0].ports[0].name', message: /RFC 1123 label/ },
  { rule: 'endpoint port numbers are 1-65535', kind: 'Endpoints', mutate: (o) => (o.subsets[0].ports[0].port = 65536), field: 'subsets[0].ports[0].port', message: /must be between 1 and 65535/ },
  { rule: 'lease acquireTime is a time', kind: 'Lease', mutate: (o) => (o.spec.acquireTime = 'soon'), field: 'spec.acquireTime', message: /RFC 3339/ },
  // ---- updates ----
  { rule: 'name is immutable', kind: 'ConfigMap', old: true, mutate: (o) => (o.metadata.name = 'other'), field: 'metadata.name', message: /field is immutable/ },
  { rule: 'namespace is immutable', kind: 'ConfigMap', old: true, mutate: (o) => (o.metadata.namespace = 'prod'), field: 'metadata.namespace', message: /field is immutable/ },
  {
    rule: 'uid is immutable',
    kind: 'Secret',
    old: true,
    mutate: (o) => (o.metadata.uid = 'b'),
    field: 'metadata.uid',
    message: /^Invalid value: "b": field is immutable$/,
  },
  { rule: 'deployment selector is immutable', kind: 'Deployment', old: true, mutate: (o) => (o.spec.selector.matchLabels.tier = 'front'), field: 'spec.selector', message: /field is immutable/ },
  { rule: 'replicaset selector is immutable', kind: 'ReplicaSet', old: true, mutate: (o) => (o.spec.selector.matchExpressions = []), field: 'spec.selector', message: /field is immutable/ },
  {
    rule: 'pod spec is immutable but for images',
    kind: 'Pod',
    old: true,
    mutate: (o) => (o.spec.containers[0].ports[0].containerPort = 8080),
    field: 'spec',
    message: /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`.*changed: spec.containers\[0\].ports\[0\].containerPort$/,
  },
  { rule: 'pod restartPolicy is immutable', kind: 'Pod', old: true, mutate: (o) => (o.spec.restartPolicy = 'Never'), field: 'spec', message: /changed: spec.restartPolicy/ },
  { rule: 'pod activeDeadlineSeconds may only shrink', kind: 'Pod', old: true, mutate: (o) => (o.spec.activeDeadlineSeconds = 100), field: 'spec.activeDeadlineSeconds', message: /less than or equal to the previous value \(50\)/ },
  { rule: 'pod tolerations may not be removed', kind: 'Pod', old: true, mutate: (o) => (o.spec.tolerations = []), field: 'spec.tolerations', message: /only new ones added/ },
  { rule: 'service clusterIP is immutable once set', kind: 'Service', old: true, mutate: (o) => (o.spec.clusterIP = '10.96.0.99'), field: 'spec.clusterIP', message: /^Invalid value: "10.96.0.99": field is immutable$/ },
  { rule: 'service clusterIP cannot be cleared', kind: 'Service', old: true, mutate: (o) => delete o.spec.clusterIP, field: 'spec.clusterIP', message: /field is immutable/ },
  { rule: 'immutable configmap data cannot change', kind: 'ConfigMap', old: true, mutate: (o) => (o.data.KEY_2 = 'z'), field: 'data', message: /^Forbidden: field is immutable when `immutable` is set$/ },
  { rule: 'immutable configmap binaryData cannot change', kind: 'ConfigMap', old: true, mutate: (o) => delete o.binaryData, field: 'binaryData', message: /field is immutable when `immutable` is set/ },
  { rule: 'immutable cannot be unset', kind: 'ConfigMap', old: true, mutate: (o) => (o.immutable = false), field: 'immutable', message: /field is immutable when `immutable` is set/ },
  { rule: 'immutable secret data cannot change', kind: 'Secret', old: true, mutate: (o) => (o.data.password = 'eA=='), field: 'data', message: /field is immutable when `immutable` is set/ },
  { rule: 'secret type is immutable', kind: 'Secret', old: true, mutate: (o) => Object.assign(o, { type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } }), field: 'type', message: /field is immutable/ },
  { rule: 'node podCIDR is immutable once set', kind: 'Node', old: true, mutate: (o) => (o.spec.podCIDR = '10.244.9.0/24'), field: 'spec.podCIDR', message: /may not change once set/ },
];

/** The stored object an update case starts from. */
function storedFor(kind: KindName): Obj {
  const o = BASE[kind]();
  o.metadata.uid = 'a';
  if (kind === 'ConfigMap' || kind === 'Secret') o.immutable = true;
  if (kind === 'Pod') o.spec.activeDeadlineSeconds = 50;
  return o;
}

for (const c of cases) {
  test(`${c.kind}: ${c.rule}`, () => {
    if (c.old) {
      const old = storedFor(c.kind);
      const next = structuredClone(old);
      c.mutate(next);
      expectCause(c.kind, next, c.field, c.message, old);
    } else {
      const o = BASE[c.kind]();
      c.mutate(o);
      expectCause(c.kind, o, c.field, c.message);
    }
  });
}

// ---- what is allowed ----

test('generateName stands in for name', () => {
  const p = BASE.Pod();
  delete p.metadata.name;
  p.metadata.generateName = 'web-';
  assert.deepEqual(causesOf('Pod', p), []);
});

test('headless services and ExternalName services may have no ports', () => {
  const headless = BASE.Service();
  headless.spec = { clusterIP: 'None', selector: { app: 'web' } };
  assert.deepEqual(causesOf('Service', headless), []);
  const ext = BASE.Service();
  ext.spec = { type: 'ExternalName' };
  assert.deepEqual(causesOf('Service', ext), []);
});

test('a service with one port needs no port name', () => {
  const s = BASE.Service();
  s.spec.ports = [{ port: 80 }];
  assert.deepEqual(causesOf('Service', s), []);
});

test('NodePort services may use node ports in range', () => {
  const s = BASE.Service();
  s.spec.type = 'NodePort';
  s.spec.externalTrafficPolicy = 'Local';
  s.spec.ports[0].nodePort = 30080;
  assert.deepEqual(causesOf('Service', s), []);
});

test('a deployment may surge with no unavailability, and the reverse', () => {
  for (const ru of [{ maxSurge: 1, maxUnavailable: 0 }, { maxSurge: '0%', maxUnavailable: '100%' }]) {
    const d = BASE.Deployment();
    d.spec.strategy.rollingUpdate = ru;
    assert.deepEqual(causesOf('Deployment', d), [], JSON.stringify(ru));
  }
  const r = BASE.Deployment();
  r.spec.strategy = { type: 'Recreate' };
  assert.deepEqual(causesOf('Deployment', r), []);
});

test('a pod update may change images, shorten the deadline and add tolerations', () => {
  const old = storedFor('Pod');
  const next = structuredClone(old);
  next.spec.containers[0].image = 'nginx:1.26';
  next.spec.activeDeadlineSeconds = 40;
  next.spec.tolerations.push({ key: 'gpu', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 });
  next.metadata.labels.version = 'v2';
  assert.deepEqual(causesOf('Pod', next, old), []);
});

test('a service update may keep its cluster IP or turn into ExternalName', () => {
  const old = storedFor('Service');
  const same = structuredClone(old);
  same.spec.ports[0].port = 8080;
  assert.deepEqual(causesOf('Service', same, old), []);
  const ext = structuredClone(old);
  ext.spec = { type: 'ExternalName' };
  assert.deepEqual(causesOf('Service', ext, old), []);
  const first = BASE.Service();
  delete first.spec.clusterIP;
  const assigned = structuredClone(first);
  assigned.spec.clusterIP = '10.96.0.5';
  assert.deepEqual(causesOf('Service', assigned, first), []);
});

test('a mutable configmap may change its data and become immutable', () => {
  const old = BASE.ConfigMap();
  const next = structuredClone(old);
  next.data.KEY_2 = 'z';
  next.immutable = true;
  assert.deepEqual(causesOf('ConfigMap', next, old), []);
});

test('a deployment update may change everything but the selector', () => {
  const old = storedFor('Deployment');
  const next = structuredClone(old);
  next.spec.replicas = 10;
  next.spec.template.spec.containers[0].image = 'nginx:2';
  next.spec.template.spec.restartPolicy = 'Always';
  assert.deepEqual(causesOf('Deployment', next, old), []);
});

test('a basic-auth secret needs username or password, not both', () => {
  const s = BASE.Secret();
  s.type = 'kubernetes.io/basic-auth';
  s.data = { password: 'eA==' };
  assert.deepEqual(causesOf('Secret', s), []);
  s.data = {};
  assert.equal(causesOf('Secret', s)[0]?.field, 'data[username]');
});
