// Pod networking: persistent network namespaces and the CNI reference plugins.
export {
  CniNetwork,
  bridgeConfList,
  podNetworkFromResult,
  pluginStdin,
  DEFAULT_CNI_PLUGIN_DIRS,
  CNI_VERSION,
  type BridgeNetworkOptions,
  type CniConfList,
  type CniNetworkOptions,
  type AttachOptions,
  type PodNetworkStatus,
} from './cni.js';
export { createNetns, deleteNetns, listNetns, runInNetns, inNetns, nsfsMountPoints, mountPoints } from './netns.js';
