// The node itself: machine facts, the Node and Lease objects, registration and heartbeats.
export { NodeRegistrar, type NodeRegistrarOptions } from './registrar.js';
export {
  AGENT_VERSION,
  NODE_LEASE_NAMESPACE,
  memoryQuantity,
  microTime,
  nodeLabels,
  nodeLease,
  nodeObject,
  nodeResources,
  nodeStatus,
  type NodeDescription,
  type NodeHealth,
} from './node-object.js';
export {
  cpuListCount,
  detectAddress,
  firstAddressFromIp,
  ownCgroupLimits,
  parseMemoryLimit,
  parseOsRelease,
  parseProcCgroup,
  parseRuncVersion,
  quotaMillis,
  readMachineInfo,
  type MachineInfo,
} from './machine.js';
