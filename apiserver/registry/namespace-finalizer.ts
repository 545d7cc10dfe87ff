// Empties namespaces marked for deletion, then removes them. Runs inside the
// apiserver so `delete namespace` works with nothing else running; it is
// level-triggered (a restart rescans for Terminating namespaces) and safe to
// run in several apiservers at once, since every step is a guarded write.
import { KINDS, kindInfo } from '../../lib/api/kinds.js';
import type { Namespace } from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logging.js';
import type { Registry } from './registry.js';

const RETRY_MS = 1000;

export class NamespaceFinalizer {
  private readonly active = new Set<string>();
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {
    registry.onNamespaceMarked = (name) => this.enqueue(name);
  }

  async start(): Promise<void> {
    const { items } = await this.registry.store.list<Namespace>(kindInfo('Namespace'));
    for (const { obj } of items) if (obj.metadata?.deletionTimestamp) this.enqueue(obj.metadata.name!);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  enqueue(name: string, delay = 0): void {
    if (this.stopped || this.active.has(name)) return;
    this.active.add(name);
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.finalize(name)
        .catch((e) => {
          this.log.warn({ namespace: name, err: String(e) }, 'emptying namespace failed; retrying');
          return false;
        })
        .then((done) => {
          this.active.delete(name);
          if (!done) this.enqueue(name, RETRY_MS);
        });
    }, delay);
    this.timers.add(t);
  }

  /** One pass: delete what is left; returns true when the namespace is gone. */
  private async finalize(name: string): Promise<boolean> {
    const nsInfo = kindInfo('Namespace');
    let ns;
    try {
      ns = await this.registry.store.get<Namespace>(nsInfo, undefined, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NotFound') return true;
      throw e;
    }
    if (!ns.obj.metadata?.deletionTimestamp) return true;
    let remaining = 0;
    for (const info of KINDS) {
      if (!info.namespaced) continue;
      const { items } = await this.registry.store.list(info, name);
      remaining += items.length;
      for (const { obj } of items) {
        if (obj.metadata?.deletionTimestamp) continue;
        await this.registry.delete(info.resource, name, obj.metadata!.name!, {}).catch((e) => {
          if (!(e instanceof ApiError && e.code === 'NotFound')) throw e;
        });
      }
    }
    if (remaining > 0) return false;
    const finalizers = (ns.obj.metadata.finalizers ?? []).filter((f) => f !== 'kubernetes');
    await this.registry.update({ ...ns.obj, metadata: { ...ns.obj.metadata, finalizers } });
    this.log.info({ namespace: name }, 'namespace emptied and removed');
    return true;
  }
}
