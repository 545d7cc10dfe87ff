// The Endpoints controller's public surface.
import type { ControllerContext } from '../context.js';
import { EndpointsController } from './controller.js';

export { EndpointsController, COMPONENT } from './controller.js';
export * from './endpoints.js';

/**
 * Registers the Endpoints controller's handlers on ctx's shared informers
 * (synchronously, before the caller starts them) and runs its workers until
 * ctx.stopSignal aborts.
 */
export function startEndpointsController(ctx: ControllerContext, workers = 2): Promise<void> {
  return new EndpointsController(ctx).run(workers);
}
