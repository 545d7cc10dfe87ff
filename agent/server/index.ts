// The Agent gRPC service (logs and exec for the apiserver) and the resolver
// interface through which the pod worker tells it where containers are.
export { startAgentServer, type AgentServerOptions, type RunningAgentServer } from './agent-server.js';
export {
  pickContainer,
  previousNotFound,
  waitingToStart,
  type ContainerResolver,
  type ContainerRuntime,
  type ResolveRequest,
  type ResolvedContainer,
} from './resolver.js';
export { selectLog, parseCriTime, parseLogEntry, LogFormatter, TailLines, LineSplitter, type LogPiece, type SelectOptions } from './log-select.js';
export { runcExecFailure, type ExecFailure } from './exec-failure.js';
