// The Endpoints controller: keeps, for every Service with a selector, an
// Endpoints object of the same name listing the matching pods' addresses.
// Decisions come from endpoints.ts; this file wires informers, the work queue
// and the client. Work is keyed by Service ("namespace/name").
import type { Endpoints, Pod, Service } from '../../lib/api/generated/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../lib/errors.js';
import { waitForCacheSync, type Informer } from '../../lib/informer/index.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import type { ControllerContext } from '../context.js';
import {
  SELECTOR_INDEX,
  hasSelector,
  planEndpoints,
  podChangeAffectsEndpoints,
  selectorIndexKeys,
  servicesSelectingPod,
} from './endpoints.js';

export const COMPONENT = 'endpoint-controller';

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class EndpointsController {
  readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly serviceInformer: Informer<Service>;
  private readonly podInformer: Informer<Pod>;
  private readonly endpointsInformer: Informer<Endpoints>;
  private readonly recorder;

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = ctx.recorder(COMPONENT);
    this.serviceInformer = ctx.informers.informer('Service');
    this.podInformer = ctx.informers.informer('Pod');
    this.endpointsInformer = ctx.informers.informer('Endpoints');
    this.serviceInformer.addIndexer(SELECTOR_INDEX, selectorIndexKeys);

    this.serviceInformer.onAdd((s) => this.queue.add(keyOf(s)));
    this.serviceInformer.onUpdate((_old, s) => this.queue.add(keyOf(s)));
    this.serviceInformer.onDelete((s) => this.queue.add(keyOf(s)));

    this.podInformer.onAdd((p) => this.enqueueServicesOf(p));
    this.podInformer.onUpdate((old, p) => this.podUpdated(old, p));
    this.podInformer.onDelete((p) => this.enqueueServicesOf(p));

    // Someone deleting or editing a managed Endpoints gets it put back; our
    // own writes come back here too and sync to no change.
    this.endpointsInformer.onUpdate((_old, ep) => this.endpointsChanged(ep));
    this.endpointsInformer.onDelete((ep) => this.endpointsChanged(ep));
  }

  private enqueueServicesOf(pod: Pod): void {
    for (const svc of servicesSelectingPod((v) => this.serviceInformer.byIndex(SELECTOR_INDEX, v), pod)) this.queue.add(keyOf(svc));
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion && old.metadata.resourceVersion === pod.metadata?.resourceVersion) return;
    const change = podChangeAffectsEndpoints(old, pod);
    if (!change.labels && !change.address) return;
    this.enqueueServicesOf(pod);
    // Services that selected it before its labels changed must drop it.
    if (change.labels) this.enqueueServicesOf(old);
  }

  private endpointsChanged(ep: Endpoints): void {
    const svc = this.serviceInformer.get(keyOf(ep));
    if (svc && hasSelector(svc)) this.queue.add(keyOf(ep));
  }

  /** Runs workers until the context's stop signal; the informers are started by the caller. */
  async run(workers = 2): Promise<void> {
    const signal = this.ctx.stopSignal;
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      const informers = [this.serviceInformer, this.podInformer, this.endpointsInformer];
      if (!(await waitForCacheSync(informers, signal))) return;
      // Endpoints whose Service was deleted while no controller ran would
      // otherwise stay forever: look at each once, and sync deletes orphans.
      for (const ep of this.endpointsInformer.list()) this.queue.add(keyOf(ep));
      await runWorkers(this.queue, (key) => this.sync(key), { workers, log: this.ctx.log });
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const svc = this.serviceInformer.get(key);
    if (!svc) {
      // Asked of the server, not the cache: an Endpoints written a moment ago
      // may not be cached yet, and must not outlive its Service.
      try {
        await this.ctx.client.delete('Endpoints', namespace, name);
        this.ctx.log.debug({ key }, 'deleted Endpoints of a deleted Service');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (!hasSelector(svc)) return;

    const current = this.endpointsInformer.get(key);
    const plan = planEndpoints(svc, current, this.podInformer.byNamespace(namespace));
    try {
      if (plan.action === 'create') await this.ctx.client.create<Endpoints>(plan.endpoints);
      else if (plan.action === 'update') await this.ctx.client.update<Endpoints>(plan.endpoints);
    } catch (err) {
      // The cache was behind the server (our own last write, or someone
      // else's): the informer brings the newer object and the retry uses it.
      if (isAlreadyExists(err) || isConflict(err)) {
        this.ctx.log.debug({ key, err: (err as Error).message }, 'Endpoints changed under us; retrying');
        throw err;
      }
      if (!isNotFound(err)) {
        void this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${(err as Error).message}`);
      }
      throw err;
    }
  }
}
