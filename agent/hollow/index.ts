// Hollow nodes: a test tool that fakes node agents for control-plane tests
// and benchmarks. Not an agent; nothing runs on a hollow node.
export { startHollowNode, type HollowNode, type HollowNodeOptions } from './hollow-node.js';
export * from './status.js';
export { PodIPAllocator, claimPodCIDR, releasePodCIDR } from './pod-ips.js';
