// tug-scheduler's public surface.
export { Framework, CycleState, defaultNormalizeScore, MAX_NODE_SCORE, SUCCESS, SKIP, unschedulable, sharedUnschedulable } from './framework.js';
export type { Plugin, PreFilterPlugin, FilterPlugin, ScorePlugin, NodeScore, Profile, Status, StatusCode } from './framework.js';
export { NodeInfo, HostPortSet, OwnerCounts, nodeIsReady, podInfoFor, podKey, controllerOwnerKey, type PodInfo } from './node-info.js';
export { podRequests, podNonZeroRequests, nodeAllocatable, podHostPorts, type Resources, type Allocatable, type HostPort } from './resources.js';
export * from './plugins/index.js';
export { SchedulingAlgorithm, fitErrorMessage, numFeasibleNodesToFind, type ScheduleResult, type AlgorithmOptions } from './schedule-one.js';
export { SchedulingQueue, compareQueuedPods, isMeaningfulPodUpdate, type QueuedPod, type QueueOptions, type QueueName } from './queue.js';
export { SchedulerCache, isTerminal, type CacheOptions, type PodAddOutcome } from './cache.js';
export { SchedulingCore, type CoreOptions, type Decision } from './core.js';
export { runSchedulingLoop, benchmarkScheduling, syntheticNode, syntheticPod, type LoopResult, type BenchmarkOptions, type BenchmarkResult } from './simulate.js';
export { RecorderEventSink, nullEventSink, type EventSink, type EventType } from './events.js';
export { Scheduler, withUnschedulableCondition, type ObjectSource, type SchedulerClient, type SchedulerOptions, type SchedulerState } from './scheduler.js';
export { startScheduler, type StartSchedulerOptions, type RunningScheduler } from './run.js';
