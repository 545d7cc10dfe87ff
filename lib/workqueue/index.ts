export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
export { runWorkers, type RunWorkersOptions } from './workers.js';
export { backoffDelay, jitteredBackoffDelay } from './backoff.js';
