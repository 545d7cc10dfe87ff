// Services and Endpoints caches for the proxy and the DNS server: either the
// agent's shared InformerFactory or a private one over a client. Both readers
// recompute from the whole cache on every change, so a bare "something
// changed" callback is all they need.
import type { Endpoints, Service } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { InformerFactory, type Informer, type ListerWatcher } from '../../lib/informer/index.js';
import type { Logger } from '../../lib/logging.js';

export interface ServiceSourceOptions {
  /** the apiserver (an ApiClient); a private InformerFactory is made and stopped with the source */
  client?: ListerWatcher;
  /** the agent's shared factory; started here if it was not, never stopped here */
  informers?: InformerFactory;
  log?: Logger;
}

export interface ServiceSource {
  readonly services: Informer<Service>;
  readonly endpoints: Informer<Endpoints>;
  /** Stops the private factory, if this source made one; calls onChange no more. */
  stop(): Promise<void>;
}

export async function openServiceSource(who: string, opts: ServiceSourceOptions, onChange: () => void): Promise<ServiceSource> {
  if (!opts.client && !opts.informers) {
    throw new ApiError('BadRequest', `${who} needs a client (ApiClient) or an InformerFactory (informers) to watch Services and Endpoints`);
  }
  const own = !opts.informers;
  const factory = opts.informers ?? new InformerFactory(opts.client!, opts.log ? { log: opts.log } : {});
  const services = factory.informer('Service');
  const endpoints = factory.informer('Endpoints');
  let stopped = false;
  const changed = () => {
    if (!stopped) onChange();
  };
  for (const inf of [services, endpoints] as Informer[]) {
    inf.onAdd(changed);
    inf.onUpdate(changed);
    inf.onDelete(changed);
  }
  const stop = async () => {
    stopped = true;
    if (own) await factory.stop();
  };
  try {
    // Informer.start is idempotent, so this is safe whether or not the factory's owner starts it too.
    await Promise.all([services.start(), endpoints.start()]);
    if (!services.hasSynced() || !endpoints.hasSynced()) {
      throw new ApiError('Unavailable', `${who}: the Service/Endpoints informers were stopped before their first list arrived`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { services, endpoints, stop };
}
