// The garbage collector's public surface.
import type { ControllerContext } from '../context.js';
import { GarbageCollector, type GarbageCollectorOptions } from './controller.js';

export { GarbageCollector, DEFAULT_GC_KINDS, type GarbageCollectorOptions } from './controller.js';
export * from './decide.js';

/**
 * Registers the garbage collector on ctx's shared informers (synchronously)
 * and runs it until ctx.stopSignal aborts.
 */
export function startGarbageCollector(ctx: ControllerContext, opts: GarbageCollectorOptions = {}): Promise<void> {
  return new GarbageCollector(ctx, opts).run();
}
