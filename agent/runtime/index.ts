// The node's container runtime: OCI specs, runc + conmon, cgroups, resources.
export type { OciSpec, OciMount, OciNamespace, OciSeccomp, OciLinuxResources } from './oci.js';
export {
  buildSpec,
  effectiveCapabilities,
  envList,
  normalizeCapability,
  DEFAULT_CAPABILITIES,
  ALL_CAPABILITIES,
  MASKED_PATHS,
  READONLY_PATHS,
  DEFAULT_PATH,
  type ContainerConfig,
  type BindMount,
  type NamespaceMode,
} from './spec.js';
export { defaultSeccompProfile, seccompArchitectures, ALLOWED_SYSCALLS, CAPABILITY_SYSCALLS, ALWAYS_DENIED_SYSCALLS } from './seccomp.js';
export {
  cpuShares,
  cfsQuota,
  sharesToWeight,
  containerResources,
  containerCgroupResources,
  podCgroupResources,
  qosClass,
  oomScoreAdj,
  CFS_PERIOD_US,
  type ResourceRequirementsLike,
  type ContainerResources,
  type CgroupResources,
  type QosClass,
} from './resources.js';
export {
  readCgroupLayout,
  parseCgroupLayout,
  createCgroup,
  setCgroupResources,
  readCgroupLimits,
  readOomKillCount,
  removeCgroup,
  cgroupExists,
  cgroupPids,
  podCgroupPath,
  containerCgroupPath,
  controllerDir,
  hierarchyRoots,
  checkCgroupPath,
  type CgroupLayout,
  type CgroupMode,
  type CgroupLimits,
} from './cgroups.js';
export { RuncRuntime, DEFAULT_RUNC, DEFAULT_CONMON, type RuntimeOptions, type CreateOptions, type ExecOptions, type ExecResult } from './runc.js';
export {
  terminationReason,
  containerInfo,
  CONTAINER_ID,
  type ContainerInfo,
  type ContainerStatus,
  type TerminationReason,
} from './container-state.js';
export { parseCriLogLine, criLogLines, type CriLogEntry } from './crilog.js';
