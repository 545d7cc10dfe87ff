// The node IPAM controller's public surface.
import type { ControllerContext } from '../context.js';
import { NodeIpamController, type NodeIpamOptions } from './controller.js';

export { NodeIpamController, nodePodCidr, type NodeIpamOptions } from './controller.js';
export * from './allocator.js';

/**
 * Registers the node IPAM controller on ctx's shared informers
 * (synchronously) and runs it until ctx.stopSignal aborts. With
 * allocateNodeCidrs false it does nothing: Nodes keep whatever CIDR their
 * agents give them.
 */
export async function startNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): Promise<void> {
  if (opts.allocateNodeCidrs === false) {
    ctx.log.info('node CIDR allocation is off (--allocate-node-cidrs=false); nodes need their pod CIDR from elsewhere');
    return;
  }
  await new NodeIpamController(ctx, opts).run();
}
