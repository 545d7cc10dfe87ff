// tug-controller-manager as a library: one client, one InformerFactory shared
// by every controller, and a clean stop. main.ts wraps it for the command
// line; tests and `tug cluster up` start it in-process.
import { hostname } from 'node:os';
import type { ApiClient } from '../lib/client/api-client.js';
import { EventRecorder } from '../lib/events.js';
import { InformerFactory, shareStrings } from '../lib/informer/index.js';
import { createLogger, type Logger } from '../lib/logging.js';
import type { ControllerContext } from './context.js';
import { startDeploymentController } from './deployment/index.js';
import { startEndpointsController } from './endpoints/index.js';
import { startGarbageCollector, type GarbageCollectorOptions } from './garbagecollector/index.js';
import { startNodeIpamController, type NodeIpamOptions } from './nodeipam/index.js';
import { startNodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/index.js';
import { startReplicaSetController } from './replicaset/index.js';

export interface ControllerManagerOptions {
  client: ApiClient;
  /** which controllers to run (default: all of CONTROLLER_NAMES) */
  controllers?: string[];
  nodeLifecycle?: NodeLifecycleOptions;
  nodeIpam?: NodeIpamOptions;
  garbageCollector?: GarbageCollectorOptions;
  log?: Logger;
}

export interface RunningControllerManager {
  readonly informers: InformerFactory;
  /** resolves true once every informer has its first list */
  readonly synced: Promise<boolean>;
  /** Stops every controller and informer; resolves when all have returned. */
  stop(): Promise<void>;
}

type Starter = (ctx: ControllerContext, opts: ControllerManagerOptions) => Promise<void>;

const STARTERS: Record<string, Starter> = {
  deployment: (ctx) => startDeploymentController(ctx),
  replicaset: (ctx) => startReplicaSetController(ctx),
  endpoints: (ctx) => startEndpointsController(ctx),
  garbagecollector: (ctx, o) => startGarbageCollector(ctx, o.garbageCollector),
  nodelifecycle: (ctx, o) => startNodeLifecycleController(ctx, o.nodeLifecycle),
  nodeipam: (ctx, o) => startNodeIpamController(ctx, o.nodeIpam),
};

export const CONTROLLER_NAMES = Object.keys(STARTERS);

/** Checks a --controllers list; throws with the known names when one is unknown. */
export function resolveControllers(names: string[] | undefined): string[] {
  if (!names) return CONTROLLER_NAMES;
  const wanted = names.map((n) => n.trim()).filter(Boolean);
  const unknown = wanted.filter((n) => !STARTERS[n]);
  if (unknown.length) throw new Error(`unknown controller${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${CONTROLLER_NAMES.join(', ')}`);
  if (!wanted.length) throw new Error(`no controller selected; known: ${CONTROLLER_NAMES.join(', ')}`);
  return [...new Set(wanted)];
}

export function startControllerManager(opts: ControllerManagerOptions): RunningControllerManager {
  const names = resolveControllers(opts.controllers);
  const log = opts.log ?? createLogger('controller-manager');
  // Cached objects share their repeated strings: a quarter of a pod's memory.
  const informers = new InformerFactory(opts.client, { log: log.child({ part: 'informer' }), transform: shareStrings });
  const stop = new AbortController();
  const host = hostname();
  const recorders = new Map<string, EventRecorder>();
  const recorder = (component: string): EventRecorder => {
    let r = recorders.get(component);
    if (!r) recorders.set(component, (r = new EventRecorder(opts.client, { component, host, log: log.child({ component }) })));
    return r;
  };

  // Every controller asks for its informers synchronously here, so the
  // factory starts them together and they share caches.
  const running = names.map((name) => {
    const ctx: ControllerContext = { client: opts.client, informers, recorder, log: log.child({ controller: name }), stopSignal: stop.signal };
    return STARTERS[name]!(ctx, opts).catch((err: unknown) => {
      log.error({ err, controller: name }, 'controller failed');
    });
  });
  informers.start();
  const synced = informers.waitForSync().then(
    (ok) => {
      if (ok) log.info({ controllers: names }, 'caches synced; controllers running');
      return ok;
    },
    (err: unknown) => {
      log.error({ err }, 'an informer could not start');
      return false;
    },
  );
  log.info({ controllers: names, server: opts.client.server }, 'controller-manager starting');

  let stopping: Promise<void> | undefined;
  return {
    informers,
    synced,
    stop() {
      stopping ??= (async () => {
        stop.abort();
        await Promise.all(running);
        await informers.stop();
        log.info('controller-manager stopped');
      })();
      return stopping;
    },
  };
}
