// ContainerConfig → OCI runtime spec (config.json). Pure: every decision about
// what a container may see and do is made here, where it can be unit-tested.
import { ApiError } from '../../lib/errors.js';
import type { OciMount, OciNamespace, OciSeccomp, OciSpec } from './oci.js';
import { containerCgroupResources, type ContainerResources } from './resources.js';
import { defaultSeccompProfile } from './seccomp.js';

/** Docker's default capability set, which Kubernetes containers get unless they add or drop. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability runc 1.1 knows, for `add: ["ALL"]`. */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_AUDIT_CONTROL', 'CAP_AUDIT_READ', 'CAP_AUDIT_WRITE', 'CAP_BLOCK_SUSPEND', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_KILL', 'CAP_LEASE', 'CAP_LINUX_IMMUTABLE', 'CAP_MAC_ADMIN', 'CAP_MAC_OVERRIDE', 'CAP_MKNOD', 'CAP_NET_ADMIN',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_RAW', 'CAP_PERFMON', 'CAP_SETFCAP', 'CAP_SETGID',
  'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_CHROOT', 'CAP_SYS_MODULE', 'CAP_SYS_NICE',
  'CAP_SYS_PACCT', 'CAP_SYS_PTRACE', 'CAP_SYS_RAWIO', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM',
];

/** Kernel files that leak host information or allow host changes: hidden from containers. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Kernel files containers may read but not write. */
export const READONLY_PATHS: readonly string[] = [
  '/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A namespace: create a fresh one (`'new'`), share the host's (`'host'`), or
 * join an existing one by path (e.g. `/proc/<pause pid>/ns/ipc` or a bind-mounted netns).
 */
export type NamespaceMode = 'new' | 'host' | { join: string };

/** A bind mount of a host path: emptyDir, configMap, secret and hostPath volumes all become one. */
export interface BindMount {
  /** Absolute path inside the container. */
  containerPath: string;
  /** Absolute path on the node. */
  hostPath: string;
  readOnly?: boolean;
  /** Mount propagation, as Kubernetes' mountPropagation: None → rprivate, HostToContainer → rslave, Bidirectional → rshared. */
  propagation?: 'rprivate' | 'rslave' | 'rshared';
}

export interface ContainerConfig {
  /** Absolute path of the container's root filesystem (e.g. an overlay mount). */
  rootfs: string;
  readOnlyRootfs?: boolean;
  /** argv; args[0] is looked up in PATH inside the container. */
  args: string[];
  /** Environment in order; later entries win. PATH is added when missing. */
  env?: { name: string; value: string }[];
  /** Working directory; default `/`. */
  cwd?: string;
  /** Only with a new UTS namespace (a joined one keeps the sandbox's hostname). */
  hostname?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  terminal?: boolean;
  mounts?: BindMount[];
  /** Per-pod files bind-mounted over the image's /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  etcFiles?: { hosts?: string; resolvConf?: string; hostname?: string };
  /** A directory to share as /dev/shm (a pod's POSIX shared memory); default a private 64 MiB tmpfs. */
  shmPath?: string;
  namespaces?: { network?: NamespaceMode; ipc?: NamespaceMode; uts?: NamespaceMode; pid?: NamespaceMode };
  /** cgroup path relative to the hierarchy roots, e.g. `/tugboat/node-1/pod<uid>/<container id>`. */
  cgroupsPath: string;
  resources?: ContainerResources;
  capabilities?: { add?: string[]; drop?: string[] };
  /** Default: the default profile; `'unconfined'` for none. */
  seccomp?: 'default' | 'unconfined' | OciSeccomp;
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  sysctls?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** `NET_ADMIN` / `cap_net_admin` → `CAP_NET_ADMIN`. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** The default set with Kubernetes' add/drop applied; `ALL` works in either list, and drop wins over the defaults only. */
export function effectiveCapabilities(add: string[] = [], drop: string[] = []): string[] {
  const addAll = add.some((c) => c.toUpperCase() === 'ALL');
  const dropAll = drop.some((c) => c.toUpperCase() === 'ALL');
  const unknown = [...add, ...drop].filter((c) => c.toUpperCase() !== 'ALL' && !ALL_CAPABILITIES.includes(normalizeCapability(c)));
  if (unknown.length) {
    throw new ApiError('Invalid', `unknown capabilities ${unknown.join(', ')}; use names such as NET_ADMIN or SYS_TIME (see capabilities(7))`);
  }
  const set = new Set<string>(dropAll ? [] : DEFAULT_CAPABILITIES);
  if (!dropAll) for (const c of drop) set.delete(normalizeCapability(c));
  if (addAll) for (const c of ALL_CAPABILITIES) set.add(c);
  for (const c of add) if (c.toUpperCase() !== 'ALL') set.add(normalizeCapability(c));
  return ALL_CAPABILITIES.filter((c) => set.has(c));
}

/** Env in OCI form; later duplicates replace earlier ones in place, PATH defaults. */
export function envList(env: { name: string; value: string }[] = []): string[] {
  const byName = new Map<string, string>();
  for (const { name, value } of env) {
    if (!name || name.includes('=')) throw new ApiError('Invalid', `environment variable name ${JSON.stringify(name)} is not valid: it must be non-empty and contain no "="`);
    byName.set(name, value);
  }
  if (!byName.has('PATH')) byName.set('PATH', DEFAULT_PATH);
  return [...byName].map(([k, v]) => `${k}=${v}`);
}

function namespaceEntry(type: OciNamespace['type'], mode: NamespaceMode | undefined): OciNamespace | undefined {
  const m = mode ?? 'new';
  if (m === 'host') return undefined;
  if (m === 'new') return { type };
  return { type, path: m.join };
}

function defaultMounts(shmPath: string | undefined): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    shmPath
      ? { destination: '/dev/shm', type: 'bind', source: shmPath, options: ['rbind', 'nosuid', 'noexec', 'nodev'] }
      : { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function bind(destination: string, source: string, readOnly: boolean, propagation = 'rprivate'): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', propagation, ...(readOnly ? ['ro'] : ['rw'])] };
}

function checkAbsolute(what: string, p: string | undefined): void {
  if (p !== undefined && !p.startsWith('/')) throw new ApiError('Invalid', `${what} must be an absolute path, got ${JSON.stringify(p)}`);
}

/** The OCI spec for one container. Throws ApiError Invalid on a config that cannot run. */
export function buildSpec(c: ContainerConfig, arch: string = process.arch): OciSpec {
  if (!c.args.length) throw new ApiError('Invalid', 'container has no command: set command/args in the pod spec or an entrypoint in the image');
  checkAbsolute('rootfs', c.rootfs);
  checkAbsolute('cwd', c.cwd);
  checkAbsolute('shmPath', c.shmPath);
  if (!c.cgroupsPath.startsWith('/')) throw new ApiError('Invalid', `cgroupsPath must be absolute (from the hierarchy root), got ${JSON.stringify(c.cgroupsPath)}`);
  for (const m of c.mounts ?? []) {
    checkAbsolute('mount containerPath', m.containerPath);
    checkAbsolute('mount hostPath', m.hostPath);
  }

  const ns = c.namespaces ?? {};
  const utsMode = ns.uts ?? 'new';
  if (c.hostname !== undefined && utsMode !== 'new') {
    throw new ApiError('Invalid', 'hostname can only be set with a new UTS namespace; a container joining the sandbox UTS namespace keeps the pod hostname');
  }
  const namespaces = [
    namespaceEntry('pid', ns.pid),
    namespaceEntry('network', ns.network),
    namespaceEntry('ipc', ns.ipc),
    namespaceEntry('uts', ns.uts),
    { type: 'mount' as const },
  ].filter((n): n is OciNamespace => n !== undefined);

  const mounts = defaultMounts(c.shmPath);
  const etc = c.etcFiles ?? {};
  if (etc.hosts) mounts.push(bind('/etc/hosts', etc.hosts, false));
  if (etc.resolvConf) mounts.push(bind('/etc/resolv.conf', etc.resolvConf, false));
  if (etc.hostname) mounts.push(bind('/etc/hostname', etc.hostname, false));
  for (const m of c.mounts ?? []) mounts.push(bind(m.containerPath, m.hostPath, !!m.readOnly, m.propagation));

  const caps = effectiveCapabilities(c.capabilities?.add, c.capabilities?.drop);
  const cg = containerCgroupResources(c.resources ?? {});
  const seccomp = c.seccomp === 'unconfined' ? undefined : c.seccomp === undefined || c.seccomp === 'default' ? defaultSeccompProfile(caps, arch) : c.seccomp;

  const spec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: !!c.terminal,
      user: { uid: c.user?.uid ?? 0, gid: c.user?.gid ?? 0, ...(c.user?.additionalGids?.length ? { additionalGids: c.user.additionalGids } : {}) },
      args: [...c.args],
      env: envList(c.env),
      cwd: c.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: c.noNewPrivileges ?? true,
      ...(c.oomScoreAdj !== undefined ? { oomScoreAdj: c.oomScoreAdj } : {}),
    },
    root: { path: c.rootfs, readonly: !!c.readOnlyRootfs },
    mounts,
    linux: {
      namespaces,
      cgroupsPath: c.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        cpu: { shares: cg.cpuShares, ...(cg.cpuQuotaUs ? { quota: cg.cpuQuotaUs, period: cg.cpuPeriodUs } : {}) },
        // swap = limit: no swap on top of the limit, so going over it is an OOM kill, not paging.
        ...(cg.memoryLimitBytes ? { memory: { limit: cg.memoryLimitBytes, swap: cg.memoryLimitBytes } } : {}),
        ...(cg.pidsLimit ? { pids: { limit: cg.pidsLimit } } : {}),
      },
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      ...(seccomp ? { seccomp } : {}),
      ...(c.sysctls && Object.keys(c.sysctls).length ? { sysctl: { ...c.sysctls } } : {}),
    },
  };
  if (c.hostname !== undefined) spec.hostname = c.hostname;
  if (c.annotations && Object.keys(c.annotations).length) spec.annotations = { ...c.annotations };
  return spec;
}
