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
export {
  POD_ROUTE_PROTOCOL,
  WAITING_REASONS,
  gatewaysToCheck,
  nodeRouteInfo,
  planPodRoutes,
  type KernelRoute,
  type NodeRouteInfo,
  type PodRoute,
  type PodRoutePlan,
  type PodRoutePlanInput,
  type Reachability,
  type SkipReason,
  type SkippedNode,
} from './pod-routes.js';
export { IpRouteTable, type RouteTable, type IpRouteTableOptions } from './route-table.js';
export { PodRouteController, syncPodRoutes, type PodRouteControllerOptions } from './pod-route-sync.js';
