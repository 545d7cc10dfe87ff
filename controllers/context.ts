// What the controller-manager hands every controller: one client, one set of
// shared informers, event recorders, a logger, and the signal to stop.
import type { ApiClient } from '../lib/client/api-client.js';
import type { EventRecorder } from '../lib/events.js';
import type { InformerFactory } from '../lib/informer/index.js';
import type { Logger } from '../lib/logging.js';

export interface ControllerContext {
  client: ApiClient;
  /** shared caches: ask for informers synchronously in the start function, before the manager starts them */
  informers: InformerFactory;
  /** an event recorder reporting as `component` (e.g. "replicaset-controller") */
  recorder(component: string): EventRecorder;
  log: Logger;
  /** aborted when the manager stops: the controller shuts its queue down and returns */
  stopSignal: AbortSignal;
}

/**
 * A controller's entry point: registers its informer handlers synchronously,
 * then runs its workers; the promise resolves once it has stopped after
 * ctx.stopSignal aborted.
 */
export type StartController = (ctx: ControllerContext) => Promise<void>;
