// A local multi-node cluster on one machine: `tug cluster up|down|status`.
// Planning (names, subnets, addresses, routes, cgroup values, component
// command lines, teardown order) is pure; the acting layer is thin.
export { clusterUp, crashLooping, prerequisites, summary, CRASH_LOOP_RESTARTS, type UpOptions, type Reporter } from './up.js';
export { clusterDown, type DownOptions } from './down.js';
export { readClusterStatus, formatStatus, type ClusterStatus } from './status.js';
export { teardownCluster, resolveStateDir, clusterProcessMatcher, mountsUnder, TEARDOWN_STEPS, type TeardownOptions, type TeardownResult, type TeardownStep } from './teardown.js';
export { Supervisor, runSupervisor, nextRestartDelay, stagesOf, checkReady, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, type SupervisorOptions } from './supervisor.js';
export { componentSpecs, controllerManagerArgs, agentArgs, agentArgv, etcdArgv, registryConfig, registryEnv, REPO_ROOT, type ComponentSpec, type ComponentEnv, type ReadyCheck } from './components.js';
export { networkSetupCommands, nodeSetupCommands, setupNetwork } from './network.js';
export { parseCgroupLayout, readCgroupLayout, nodeCgroupSetup, setupCgroups, removeCgroupTree, readNodeLimits, type CgroupLayout, type CgroupStep } from './cgroups.js';
export {
  planCluster,
  parseRequest,
  parseEtcdEndpoint,
  chooseNodeSubnet,
  checkClusterName,
  clusterHash,
  bridgeName,
  hostVethName,
  netnsName,
  nodeName,
  cgroupRoot,
  defaultStateDir,
  isClusterNetns,
  isClusterLink,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_NODES,
  DEFAULT_CPUS_PER_NODE,
  DEFAULT_MEMORY_PER_NODE,
  DEFAULT_API_PORT,
  NODE_SUPERNET,
  SERVICE_CIDR,
  type AgentMode,
  type ClusterPlan,
  type ClusterRequest,
  type NodePlan,
} from './topology.js';
export {
  readClusterRecord,
  readSupervisorState,
  supervisorRunning,
  INDEX_DIR,
  type ClusterRecord,
  type ComponentStatus,
  type SupervisorState,
} from './state.js';
export { addCluster, removeCluster, rememberCluster, forgetCluster } from './client-config.js';
export { preloadImages, PRELOADED_IMAGES } from './images.js';
