// A container's process: environment (env, envFrom, fieldRef, resourceFieldRef,
// ConfigMap and Secret keys), command line (Kubernetes' command/args over the
// image's Entrypoint/Cmd, with $(VAR) expansion), working directory and user.
// Pure: the ConfigMaps and Secrets are looked up by the caller beforehand.
import type { ConfigMap, Container, Pod, Secret } from '../../lib/api/generated/types.js';
import { cpuToMillis, memoryToBytes, parseQuantity } from '../../lib/quantity.js';
import { configError, ContainerStartError } from './errors.js';

export interface EnvVarValue {
  name: string;
  value: string;
}

/** What fieldRef and resourceFieldRef may read besides the pod itself. */
export interface EnvContext {
  nodeName?: string;
  hostIP?: string;
  podIP?: string;
  podIPs?: string[];
  /** Node allocatable: what limits.cpu/limits.memory read when a container sets no limit. */
  nodeAllocatable?: { cpuMillis: number; memoryBytes: number };
}

/** ConfigMaps and Secrets of the pod's namespace by name; undefined = does not exist. */
export interface EnvSources {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
}

/** The ConfigMaps and Secrets a container's env and envFrom name. */
export function envReferences(c: Container): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef?.name) configMaps.add(f.configMapRef.name);
    if (f.secretRef?.name) secrets.add(f.secretRef.name);
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

/** C identifiers plus the dots and dashes Kubernetes allows in env names. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * Kubernetes' $(VAR) expansion: a defined VAR is replaced, an undefined one is
 * left as written, `$$` is a literal `$` (so `$$(VAR)` stays `$(VAR)`).
 */
export function expandVars(s: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch !== '$' || i + 1 >= s.length) {
      out += ch;
      i++;
      continue;
    }
    const next = s[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const end = s.indexOf(')', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, end);
      const v = name ? lookup(name) : undefined;
      out += v !== undefined ? v : `$(${name})`;
      i = end + 1;
    } else {
      out += ch + next;
      i += 2;
    }
  }
  return out;
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** The value of a fieldRef path for `pod`. */
export function podFieldValue(pod: Pod, fieldPath: string, ctx: EnvContext): string {
  const md = pod.metadata ?? {};
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (subscript) {
    const map = subscript[1] === 'labels' ? md.labels : md.annotations;
    return map?.[subscript[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName || ctx.nodeName || '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.hostIP ?? '';
    case 'status.podIP':
      return ctx.podIP ?? '';
    case 'status.podIPs':
      return (ctx.podIPs ?? (ctx.podIP ? [ctx.podIP] : [])).join(',');
    default:
      throw configError(`fieldRef ${fieldPath} is not supported; use metadata.name, metadata.namespace, metadata.uid, metadata.labels, metadata.annotations, spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP or status.podIPs`);
  }
}

/** A resourceFieldRef's value: the quantity divided by the divisor, rounded up, as kubelet does. */
export function resourceFieldValue(
  pod: Pod,
  self: Container,
  ref: { containerName?: string; resource?: string; divisor?: string | number },
  ctx: EnvContext,
): string {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const c = ref.containerName ? all.find((x) => x.name === ref.containerName) : self;
  if (!c) throw configError(`resourceFieldRef names container "${ref.containerName}", which is not in the pod`);
  const resource = ref.resource ?? '';
  const divisorRaw = ref.divisor === undefined || ref.divisor === '' || ref.divisor === 0 ? '1' : ref.divisor;
  const divisor = parseQuantity(divisorRaw);
  if (!(divisor > 0)) throw configError(`resourceFieldRef divisor ${String(ref.divisor)} must be positive`);
  const r = c.resources ?? {};
  let value: number;
  switch (resource) {
    case 'limits.cpu':
      value = (r.limits?.cpu !== undefined ? cpuToMillis(r.limits.cpu) : (ctx.nodeAllocatable?.cpuMillis ?? 0)) / 1000;
      break;
    case 'requests.cpu':
      value = cpuToMillis(r.requests?.cpu) / 1000;
      break;
    case 'limits.memory':
      value = r.limits?.memory !== undefined ? memoryToBytes(r.limits.memory) : (ctx.nodeAllocatable?.memoryBytes ?? 0);
      break;
    case 'requests.memory':
      value = memoryToBytes(r.requests?.memory);
      break;
    case 'limits.ephemeral-storage':
    case 'requests.ephemeral-storage':
      value = r[resource.startsWith('limits') ? 'limits' : 'requests']?.['ephemeral-storage'] !== undefined
        ? parseQuantity(r[resource.startsWith('limits') ? 'limits' : 'requests']!['ephemeral-storage']!)
        : 0;
      break;
    default:
      throw configError(`resourceFieldRef resource "${resource}" is not supported; use limits.cpu, requests.cpu, limits.memory, requests.memory`);
  }
  // A tiny epsilon keeps 0.1/0.1 from rounding up to 2 through floating point.
  return String(Math.ceil(value / divisor - 1e-9));
}

function decodeSecret(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

/**
 * The container's environment as Kubernetes defines it (envFrom first, then
 * env, later names winning, values expanded against what came before). The
 * image's own Env is not included: mergeImageEnv puts it underneath.
 * Throws ContainerStartError (CreateContainerConfigError) for a missing
 * ConfigMap/Secret or key that is not optional.
 */
export function containerEnv(pod: Pod, c: Container, ctx: EnvContext, sources: EnvSources): EnvVarValue[] {
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> = {};
    if (from.configMapRef) {
      const cm = sources.configMap(from.configMapRef.name ?? '');
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw configError(`configmap "${from.configMapRef.name}" not found`);
      }
      data = cm.data ?? {};
    } else if (from.secretRef) {
      const s = sources.secret(from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        throw configError(`secret "${from.secretRef.name}" not found`);
      }
      data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, decodeSecret(v)]));
    }
    for (const [k, v] of Object.entries(data)) {
      // Keys that are not valid variable names are skipped, as Kubernetes does.
      if (ENV_NAME.test(prefix + k)) env.set(prefix + k, v);
    }
  }
  const lookup = (name: string) => env.get(name);
  for (const e of c.env ?? []) {
    const name = e.name ?? '';
    const from = e.valueFrom;
    if (!from || (!from.fieldRef && !from.resourceFieldRef && !from.configMapKeyRef && !from.secretKeyRef)) {
      env.set(name, expandVars(e.value ?? '', lookup));
      continue;
    }
    if (from.fieldRef) {
      env.set(name, podFieldValue(pod, from.fieldRef.fieldPath ?? '', ctx));
    } else if (from.resourceFieldRef) {
      env.set(name, resourceFieldValue(pod, c, from.resourceFieldRef, ctx));
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const cm = sources.configMap(ref.name ?? '');
      if (!cm) {
        if (ref.optional) continue;
        throw configError(`configmap "${ref.name}" not found`);
      }
      const v = cm.data?.[ref.key ?? ''];
      if (v === undefined) {
        if (ref.optional) continue;
        throw configError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
      }
      env.set(name, v);
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const s = sources.secret(ref.name ?? '');
      if (!s) {
        if (ref.optional) continue;
        throw configError(`secret "${ref.name}" not found`);
      }
      const v = s.data?.[ref.key ?? ''];
      if (v === undefined) {
        if (ref.optional) continue;
        throw configError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      }
      env.set(name, decodeSecret(v));
    }
  }
  return [...env].map(([name, value]) => ({ name, value }));
}

/** Image Env (`K=V` strings) underneath the container's; the container's win. */
export function mergeImageEnv(imageEnv: string[] | undefined, env: EnvVarValue[]): EnvVarValue[] {
  const out = new Map<string, string>();
  for (const kv of imageEnv ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) out.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const e of env) out.set(e.name, e.value);
  return [...out].map(([name, value]) => ({ name, value }));
}

/** What the image says about its process (OCI image config `config`). */
export interface ImageProcessDefaults {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

/**
 * argv by Kubernetes' rules: `command` replaces the Entrypoint (and drops the
 * image's Cmd), `args` replaces the Cmd; $(VAR) in either is expanded against
 * the container's env.
 */
export function containerArgv(c: Container, image: ImageProcessDefaults, env: EnvVarValue[]): string[] {
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const lookup = (n: string) => vars.get(n);
  const command = c.command?.length ? c.command.map((s) => expandVars(s, lookup)) : undefined;
  const args = c.args?.length ? c.args.map((s) => expandVars(s, lookup)) : undefined;
  let argv: string[];
  if (command) argv = [...command, ...(args ?? [])];
  else argv = [...(image.Entrypoint ?? []), ...(args ?? image.Cmd ?? [])];
  if (!argv.length) {
    throw new ContainerStartError('CreateContainerError', `container "${c.name}" has no command: set command or args in the pod spec, or an Entrypoint/Cmd in the image`);
  }
  return argv;
}

export function containerWorkingDir(c: Container, image: ImageProcessDefaults): string {
  const dir = c.workingDir || image.WorkingDir || '/';
  if (!dir.startsWith('/')) throw configError(`workingDir "${dir}" of container "${c.name}" must be an absolute path`);
  return dir;
}

/** Parses /etc/passwd (name → uid, gid) or /etc/group (name → gid) text. */
export function parseIdFile(text: string): Map<string, { id: number; gid: number }> {
  const out = new Map<string, { id: number; gid: number }>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0]) continue;
    const id = Number(f[2]);
    const gid = Number(f[3] ?? f[2]);
    if (Number.isInteger(id)) out.set(f[0], { id, gid: Number.isInteger(gid) ? gid : id });
  }
  return out;
}

/**
 * The process's uid/gid: securityContext runAsUser/runAsGroup (container over
 * pod), else the image's User (`uid`, `uid:gid`, `name`, `name:group`, names
 * resolved in the image's /etc/passwd and /etc/group), else root.
 */
export function resolveUser(
  sc: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean },
  imageUser: string | undefined,
  files: { passwd?: string; group?: string },
  containerName: string,
): { uid: number; gid: number } {
  let uid = 0;
  let gid = 0;
  if (imageUser) {
    const [u, g] = imageUser.split(':', 2);
    const passwd = parseIdFile(files.passwd ?? '');
    if (u && /^\d+$/.test(u)) {
      uid = Number(u);
      gid = [...passwd.values()].find((p) => p.id === uid)?.gid ?? uid;
    } else if (u) {
      const p = passwd.get(u);
      if (!p) throw configError(`user "${u}" of the image of container "${containerName}" is not in its /etc/passwd`);
      uid = p.id;
      gid = p.gid;
    }
    if (g && /^\d+$/.test(g)) gid = Number(g);
    else if (g) {
      const grp = parseIdFile(files.group ?? '').get(g);
      if (!grp) throw configError(`group "${g}" of the image of container "${containerName}" is not in its /etc/group`);
      gid = grp.id;
    }
  }
  if (sc.runAsUser !== undefined) {
    uid = sc.runAsUser;
    if (sc.runAsGroup === undefined && imageUser === undefined) gid = uid === 0 ? 0 : gid;
  }
  if (sc.runAsGroup !== undefined) gid = sc.runAsGroup;
  if (sc.runAsNonRoot && uid === 0) {
    throw configError(`container "${containerName}" has runAsNonRoot and would run as root (uid 0); set runAsUser or use an image with a non-root USER`);
  }
  return { uid, gid };
}
