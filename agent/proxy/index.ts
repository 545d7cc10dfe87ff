// The node's service proxy: ClusterIP and NodePort NAT rules from Services and Endpoints.
export { startServiceProxy, removeServiceProxyRules, type ServiceProxyOptions, type RunningServiceProxy } from './proxy.js';
export { CommandNetfilter, type NetfilterHost, type CommandNetfilterOptions } from './iptables.js';
export { buildServiceModel, readyEndpointsFor, hasVirtualIP, staleUdpFlows, type ServicePortEntry, type Endpoint, type Protocol, type StaleFlow } from './model.js';
export {
  buildRuleset,
  renderRestoreInput,
  renderCleanupInput,
  chainsInSave,
  serviceChain,
  endpointChain,
  probability,
  CHAIN,
  JUMP_RULES,
  type Ruleset,
  type RulesetOptions,
  type JumpRule,
  type Table,
} from './ruleset.js';
export { openServiceSource, type ServiceSource, type ServiceSourceOptions } from './service-source.js';
