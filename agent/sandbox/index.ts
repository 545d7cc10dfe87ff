// Pod sandboxes: the pause container, the pod's namespaces, cgroup, network and /etc files.
export {
  SandboxManager,
  sandboxContainerConfig,
  pauseContainerId,
  ANNOTATION,
  type Sandbox,
  type SandboxConfig,
  type SandboxState,
  type SandboxManagerOptions,
} from './sandbox.js';
export { ensurePauseRootfs, pauseSpec, PAUSE_SCRIPT } from './pause.js';
export { hostsFile, resolvConf, hostnameFile, podHostname, parseResolvConf, type DnsConfig, type HostAlias } from './etc-files.js';
