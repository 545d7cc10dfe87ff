// The node lifecycle controller's public surface.
import type { ControllerContext } from '../context.js';
import { NodeLifecycleController, type NodeLifecycleOptions } from './controller.js';

export { NodeLifecycleController, NODE_LEASE_NAMESPACE, type NodeLifecycleOptions } from './controller.js';
export * from './decide.js';

/**
 * Registers the node lifecycle controller on ctx's shared informers
 * (synchronously) and runs it until ctx.stopSignal aborts.
 */
export function startNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): Promise<void> {
  return new NodeLifecycleController(ctx, opts).run();
}
