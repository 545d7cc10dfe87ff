// Pod volumes: where each lives on the node, what files a configMap or secret
// volume holds, and which bind mounts a container gets. The decisions are
// pure; ensurePodVolumes does the file work, writing configMap and secret
// contents the kubelet's way (a timestamped directory swapped in by renaming
// a `..data` symlink) so a running container never sees half an update.
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ConfigMap, Container, KeyToPath, Pod, Secret } from '../../lib/api/generated/types.js';
import { parseQuantity } from '../../lib/quantity.js';
import { mountPoints } from '../network/netns.js';
import { mustRun } from '../runtime/command.js';
import type { BindMount } from '../runtime/spec.js';
import { configError } from './errors.js';

export type PodVolume =
  | { name: string; kind: 'emptyDir'; path: string; medium: string; sizeLimitBytes?: number }
  | { name: string; kind: 'configMap'; path: string; objectName: string; items?: KeyToPath[]; defaultMode: number; optional: boolean }
  | { name: string; kind: 'secret'; path: string; objectName: string; items?: KeyToPath[]; defaultMode: number; optional: boolean }
  | { name: string; kind: 'hostPath'; path: string; type: string };

const DEFAULT_MODE = 0o644;

/** Volume names become directory names; Kubernetes already limits them to DNS labels. */
function checkName(name: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
    throw configError(`volume name "${name}" must be a DNS label (lowercase letters, digits and "-")`);
  }
  return name;
}

/** The pod's volumes and where each lives on the node (volumes under `<podDir>/volumes/<kind>/<name>`). */
export function podVolumes(pod: Pod, podDir: string): PodVolume[] {
  return (pod.spec?.volumes ?? []).map((v): PodVolume => {
    const name = checkName(v.name ?? '');
    if (v.emptyDir) {
      const size = v.emptyDir.sizeLimit !== undefined && v.emptyDir.sizeLimit !== '' ? parseQuantity(v.emptyDir.sizeLimit) : undefined;
      return { name, kind: 'emptyDir', path: join(podDir, 'volumes', 'empty-dir', name), medium: v.emptyDir.medium ?? '', ...(size ? { sizeLimitBytes: size } : {}) };
    }
    if (v.configMap) {
      return {
        name,
        kind: 'configMap',
        path: join(podDir, 'volumes', 'configmap', name),
        objectName: v.configMap.name ?? '',
        ...(v.configMap.items?.length ? { items: v.configMap.items } : {}),
        defaultMode: v.configMap.defaultMode ?? DEFAULT_MODE,
        optional: !!v.configMap.optional,
      };
    }
    if (v.secret) {
      return {
        name,
        kind: 'secret',
        path: join(podDir, 'volumes', 'secret', name),
        objectName: v.secret.secretName ?? '',
        ...(v.secret.items?.length ? { items: v.secret.items } : {}),
        defaultMode: v.secret.defaultMode ?? DEFAULT_MODE,
        optional: !!v.secret.optional,
      };
    }
    if (v.hostPath) {
      const p = v.hostPath.path ?? '';
      if (!p.startsWith('/')) throw configError(`hostPath volume "${name}" needs an absolute path, got "${p}"`);
      return { name, kind: 'hostPath', path: p, type: v.hostPath.type ?? '' };
    }
    throw configError(`volume "${name}" has no source this agent supports (emptyDir, configMap, secret, hostPath)`);
  });
}

/** A relative path that stays inside its directory (no absolute path, no `..`). */
export function checkRelativePath(p: string, what: string): string {
  if (!p || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '')) {
    throw configError(`${what} "${p}" must be a relative path without ".." or empty segments`);
  }
  return p;
}

export interface ProjectedFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** The bytes of every key of a ConfigMap (data and binaryData) or Secret (data, base64). */
export function objectData(kind: 'ConfigMap' | 'Secret', obj: ConfigMap | Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  if (kind === 'Secret') {
    for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = Buffer.from(v, 'base64');
    return out;
  }
  const cm = obj as ConfigMap;
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

/**
 * The files of a configMap/secret volume: every key as a file named after it,
 * or with `items` only those keys at their paths (a missing key is an error
 * unless the volume is optional), each with its mode or the default mode.
 */
export function projectFiles(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): ProjectedFile[] {
  if (!items?.length) {
    return Object.keys(data)
      .sort()
      .map((k) => ({ path: checkRelativePath(k, `key of ${what}`), content: data[k]!, mode: defaultMode & 0o777 }));
  }
  const out: ProjectedFile[] = [];
  for (const item of items) {
    const key = item.key ?? '';
    const content = data[key];
    if (content === undefined) {
      if (optional) continue;
      throw configError(`couldn't find key ${key} in ${what}`);
    }
    out.push({ path: checkRelativePath(item.path ?? '', `item path of ${what}`), content, mode: (item.mode ?? defaultMode) & 0o777 });
  }
  return out;
}

/** The bind mounts a container gets from its volumeMounts (subPath honoured; configMap and secret read-only). */
export function containerMounts(c: Container, volumes: PodVolume[]): BindMount[] {
  return (c.volumeMounts ?? []).map((vm) => {
    const vol = volumes.find((v) => v.name === vm.name);
    if (!vol) throw configError(`volumeMount "${vm.name}" of container "${c.name}" names no volume of the pod`);
    const mountPath = vm.mountPath ?? '';
    if (!mountPath.startsWith('/')) throw configError(`mountPath "${mountPath}" of container "${c.name}" must be absolute`);
    const hostPath = vm.subPath ? join(vol.path, checkRelativePath(vm.subPath, `subPath of volumeMount "${vm.name}"`)) : vol.path;
    const readOnly = !!vm.readOnly || vol.kind === 'configMap' || vol.kind === 'secret';
    return { containerPath: mountPath, hostPath, readOnly };
  });
}

// ---- on disk ----

/** Looks up ConfigMaps and Secrets of the pod's namespace; undefined when one does not exist. */
export interface VolumeSources {
  configMap(name: string): Promise<ConfigMap | undefined>;
  secret(name: string): Promise<Secret | undefined>;
}

async function isMounted(path: string): Promise<boolean> {
  return mountPoints(await readFile('/proc/self/mountinfo', 'utf8')).includes(path);
}

async function mountTmpfs(path: string, mode: string, sizeBytes?: number): Promise<void> {
  await mkdir(path, { recursive: true });
  if (await isMounted(path)) return;
  const opts = [`mode=${mode}`, 'nosuid', 'nodev', ...(sizeBytes ? [`size=${sizeBytes}`] : [])].join(',');
  await mustRun('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', path]);
}

async function readTree(dir: string, prefix = ''): Promise<Map<string, { content: Buffer; mode: number }>> {
  const out = new Map<string, { content: Buffer; mode: number }>();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await readTree(join(dir, e.name), rel)) out.set(k, v);
    else if (e.isFile()) out.set(rel, { content: await readFile(join(dir, e.name)), mode: (await stat(join(dir, e.name))).mode & 0o777 });
  }
  return out;
}

/** Writes `files` into `dir` atomically (see the file comment); returns whether anything changed. */
export async function writeAtomicDir(dir: string, files: ProjectedFile[]): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const current = await readTree(join(dir, '..data'));
  const same =
    current.size === files.length &&
    files.every((f) => {
      const c = current.get(f.path);
      return c && c.mode === f.mode && c.content.equals(f.content);
    });
  if (same && (await lstat(join(dir, '..data')).then(() => true, () => false))) return false;

  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${Math.random().toString(36).slice(2, 8)}`;
  const tsDir = join(dir, stamp);
  await mkdir(tsDir);
  for (const f of files) {
    const p = join(tsDir, f.path);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.content);
    await chmod(p, f.mode);
  }
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, '..data'));
  const top = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    const target = join('..data', name);
    const existing = await readlink(link).catch(() => undefined);
    if (existing === target) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(target, link);
  }
  for (const name of await readdir(dir)) {
    if (name === '..data' || name === stamp) continue;
    if (name.startsWith('..') || !top.has(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
  return true;
}

async function checkHostPath(path: string, type: string, volume: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  const fail = (what: string) => {
    throw configError(`hostPath volume "${volume}": ${path} ${what}`);
  };
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('exists and is not a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('is not an existing directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, '', { flag: 'a', mode: 0o644 });
      } else if (!st.isFile()) fail('exists and is not a file');
      return;
    case 'File':
      if (!st?.isFile()) fail('is not an existing file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('is not an existing socket');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('is not an existing character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('is not an existing block device');
      return;
    default:
      fail(`has an unknown type "${type}"`);
  }
}

/**
 * Makes every volume of the pod ready on disk and refreshes configMap and
 * secret contents. Throws ContainerStartError (CreateContainerConfigError)
 * for a missing object or key, or a hostPath that is not what its type says.
 */
export async function ensurePodVolumes(pod: Pod, podDir: string, sources: VolumeSources): Promise<PodVolume[]> {
  const volumes = podVolumes(pod, podDir);
  for (const v of volumes) {
    switch (v.kind) {
      case 'emptyDir':
        if (v.medium === 'Memory') await mountTmpfs(v.path, '1777', v.sizeLimitBytes);
        else {
          await mkdir(v.path, { recursive: true });
          // Shared by containers that may run as different users, as in Kubernetes.
          await chmod(v.path, 0o777);
        }
        break;
      case 'configMap':
      case 'secret': {
        const what = `${v.kind === 'configMap' ? 'ConfigMap' : 'Secret'} ${pod.metadata?.namespace}/${v.objectName}`;
        const obj = v.kind === 'configMap' ? await sources.configMap(v.objectName) : await sources.secret(v.objectName);
        if (!obj && !v.optional) throw configError(`${v.kind === 'configMap' ? 'configmap' : 'secret'} "${v.objectName}" not found (volume "${v.name}")`);
        // Secrets never touch the node's disk.
        if (v.kind === 'secret') await mountTmpfs(v.path, '0755');
        const files = obj ? projectFiles(objectData(v.kind === 'secret' ? 'Secret' : 'ConfigMap', obj), v.items, v.defaultMode, what, v.optional) : [];
        await writeAtomicDir(v.path, files);
        break;
      }
      case 'hostPath':
        await checkHostPath(v.path, v.type, v.name);
        break;
    }
  }
  return volumes;
}
