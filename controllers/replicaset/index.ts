// The ReplicaSet controller's public surface.
import type { ControllerContext } from '../context.js';
import { ReplicaSetController, type ReplicaSetControllerOptions } from './controller.js';

export { ReplicaSetController, type ReplicaSetControllerOptions } from './controller.js';
export * from './replicas.js';

/**
 * Registers the ReplicaSet controller's handlers on ctx's shared informers
 * (synchronously, before the caller starts them) and runs its workers until
 * ctx.stopSignal aborts.
 */
export function startReplicaSetController(ctx: ControllerContext, workers = 2, opts: ReplicaSetControllerOptions = {}): Promise<void> {
  return new ReplicaSetController(ctx, opts).run(workers);
}
