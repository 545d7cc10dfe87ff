// The Deployment controller's public surface.
import type { ControllerContext } from '../context.js';
import { DeploymentController, type DeploymentControllerOptions } from './controller.js';

export { DeploymentController, type DeploymentControllerOptions } from './controller.js';
export * from './rollout.js';
export * from './status.js';
export * from './revision.js';
export * from './replicasets.js';

/**
 * Registers the Deployment controller's handlers on ctx's shared informers
 * (synchronously, before the caller starts them) and runs its workers until
 * ctx.stopSignal aborts.
 */
export function startDeploymentController(ctx: ControllerContext, workers = 2, opts: DeploymentControllerOptions = {}): Promise<void> {
  return new DeploymentController(ctx, opts).run(workers);
}
