// Pod workers: plan (pure) and execute, env, volumes, probes, status.
export { PodManager, type PodManagerOptions, type ContainerLocation } from './manager.js';
export { PodWorker, type PodWorkerDeps, type ImageSource, type NodeContext } from './pod-worker.js';
export {
  computePodPlan,
  deletionGraceSeconds,
  initProgress,
  isTerminalPhase,
  nextAttempt,
  restartPolicy,
  type ObservedContainer,
  type ObservedPod,
  type ObservedSandbox,
  type PlanContext,
  type PodAction,
  type PodPlan,
} from './plan.js';
export { computePodStatus, podPhase, type ProbeView, type StatusInput } from './status.js';
export { Backoff, DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS, type BackoffOptions } from './backoff.js';
export {
  containerArgv,
  containerEnv,
  containerWorkingDir,
  envReferences,
  expandVars,
  mergeImageEnv,
  podFieldValue,
  resolveUser,
  resourceFieldValue,
  type EnvContext,
  type EnvSources,
  type EnvVarValue,
  type ImageProcessDefaults,
} from './env.js';
export { containerMounts, ensurePodVolumes, objectData, podVolumes, projectFiles, writeAtomicDir, type PodVolume, type ProjectedFile, type VolumeSources } from './volumes.js';
export { podDnsConfig, podQos, podResources, podSandboxConfig, qosCgroupParent, type PodDnsOptions } from './sandbox-config.js';
export {
  NodeProbeRunner,
  ProbeCounter,
  ProbeManager,
  httpProbeArgv,
  httpProbeOutcome,
  tcpProbeArgv,
  type ProbeKind,
  type ProbeOutcome,
  type ProbeRunner,
  type ProbeTarget,
} from './probes.js';
export { CONTAINER_ANNOTATION, containerId, containerLogPath, specHash, type ContainerKind } from './naming.js';
export { ContainerStartError, type StartFailureReason } from './errors.js';
export { observePod, observedContainer, type PodObservation } from './observe.js';
