// The verbs of the API over storage: create, read, update, delete, bind,
// each a read of the stored object, a pure decision, and one guarded write.
import type { Etcd3 } from 'etcd3';
import { kindByName, kindByResource, kindInfo, type AnyObject, type KindInfo } from '../../lib/api/kinds.js';
import type { Pod, Namespace } from '../../lib/api/generated/types.js';
import { ApiError, invalid } from '../../lib/errors.js';
import { semanticEqual } from '../../lib/api/equality.js';
import { parseSelector } from '../../lib/labels.js';
import { parseFieldSelector } from '../../lib/fields.js';
import type { Logger } from '../../lib/logging.js';
import { EtcdStore, notFound, resourceName, SideKeysChanged, type SideKeys, type Stored } from '../storage/etcd-store.js';
import { objectKey } from '../storage/keys.js';
import { NamespaceIndex } from './namespace-index.js';
import { DEFAULT_SERVICE_RANGES, planAllocation, readTaken, reservationKeys, type ServiceRanges } from './service-alloc.js';
import { WatchCaches, type Subscription, type WatchSink } from '../storage/watch-cache.js';
import type { WatchFilter } from '../storage/watch-events.js';
import { applyDefaults } from './defaults.js';
import { validate } from './validation.js';
import {
  planDelete,
  prepareForCreate,
  prepareForStatusUpdate,
  prepareForUpdate,
  readyToRemove,
  systemClock,
  timestamp,
  withGeneration,
  type Clock,
} from './object-meta.js';
import type { Service } from '../../lib/api/generated/types.js';

export const PROTECTED_NAMESPACES = ['default', 'kube-system', 'kube-public'];
export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function resolveResource(resource: string | undefined): KindInfo {
  const info = resource ? kindByResource(resource) : undefined;
  if (!info) {
    throw new ApiError('NotFound', `the server doesn't have a resource type "${resource ?? ''}"`);
  }
  return info;
}

export function describeObject(info: KindInfo, obj: AnyObject): string {
  return `${info.kind} "${obj.metadata?.name ?? obj.metadata?.generateName ?? ''}"`;
}

function conflict(info: KindInfo, name: string): ApiError {
  return new ApiError(
    'Conflict',
    `Operation cannot be fulfilled on ${resourceName(info)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
}

function parseRev(rv: string | undefined, what: string): number | undefined {
  if (!rv) return undefined;
  if (!/^\d+$/.test(rv)) throw new ApiError('BadRequest', `${what} "${rv}" is not a resourceVersion: expected a whole number from an earlier response`);
  return Number(rv);
}

export interface ListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export class Registry {
  readonly store: EtcdStore;
  readonly caches: WatchCaches;

  constructor(
    readonly etcd: Etcd3,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
    watchWindow?: number,
    private readonly serviceRanges: ServiceRanges = DEFAULT_SERVICE_RANGES,
  ) {
    this.store = new EtcdStore(etcd);
    this.caches = new WatchCaches(etcd, this.store, log, watchWindow);
    this.namespaces = new NamespaceIndex(this.store, this.caches, log);
  }

  /** Namespaces as this apiserver's watch saw them: what creates check first. */
  readonly namespaces: NamespaceIndex;

  // ---- reads ----

  async get(resource: string, namespace: string | undefined, name: string): Promise<AnyObject> {
    const info = resolveResource(resource);
    return (await this.store.get(info, info.namespaced ? namespace || 'default' : undefined, name)).obj;
  }

  filterFor(info: KindInfo, q: ListQuery): WatchFilter {
    const labels = parseSelector(q.labelSelector ?? '');
    const fields = parseFieldSelector(q.fieldSelector ?? '', info.kind);
    return {
      namespace: info.namespaced && q.namespace ? q.namespace : undefined,
      matches: (obj) => labels.matches(obj.metadata?.labels) && fields.matches(obj),
      matchesAll: !q.labelSelector?.trim() && !q.fieldSelector?.trim(),
    };
  }

  async list(resource: string, q: ListQuery): Promise<{ items: AnyObject[]; resourceVersion: string }> {
    const info = resolveResource(resource);
    const filter = this.filterFor(info, q);
    const { items, revision } = await this.store.list(info, filter.namespace);
    return { items: items.map((s) => s.obj).filter(filter.matches), resourceVersion: String(revision) };
  }

  async watch(resource: string, q: ListQuery & { resourceVersion?: string }, sink: WatchSink): Promise<Subscription> {
    const info = resolveResource(resource);
    const filter = this.filterFor(info, q);
    let from = parseRev(q.resourceVersion, 'resourceVersion');
    let initial: Stored[] = [];
    if (from === undefined || from === 0) {
      // No starting point: the current state as ADDED events, then changes.
      const { items, revision } = await this.store.list(info, filter.namespace);
      initial = items;
      from = revision;
    }
    const cache = await this.caches.forResource(info, from);
    for (const s of initial) if (filter.matches(s.obj)) sink.event({ type: 'ADDED', obj: s.obj }, s.rev, true);
    return cache.subscribe(from, filter, sink);
  }

  // ---- writes ----

  /**
   * The namespace's key and the revision at which it accepted new objects;
   * the create's transaction requires it unchanged. Served from the
   * namespace index when it knows an accepting namespace, else read from etcd.
   */
  private async namespaceAccepting(info: KindInfo, namespace: string | undefined, live: boolean): Promise<Record<string, number> | undefined> {
    if (!info.namespaced) return undefined;
    const nsInfo = kindInfo('Namespace');
    const key = objectKey(nsInfo, undefined, namespace!);
    const seen = live ? undefined : this.namespaces.get(namespace!);
    if (seen && !seen.terminating) return { [key]: seen.rev };
    let ns: Stored<Namespace>;
    try {
      ns = await this.store.get<Namespace>(nsInfo, undefined, namespace!);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NotFound') {
        throw new ApiError('NotFound', `namespaces "${namespace}" not found; create it first (tug create namespace ${namespace})`);
      }
      throw e;
    }
    if (ns.obj.metadata?.deletionTimestamp) {
      throw new ApiError('Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
    return { [key]: ns.rev };
  }

  private infoOf(obj: AnyObject | undefined): KindInfo {
    const info = obj?.kind ? kindByName(obj.kind) : undefined;
    if (!obj || !info) throw new ApiError('BadRequest', 'the request carries no object');
    return info;
  }

  private check(info: KindInfo, obj: AnyObject, old?: AnyObject): void {
    const causes = validate(obj, info, old);
    if (causes.length) throw invalid(describeObject(info, obj), causes);
  }

  /** Side keys an object holds while stored (a Service's IP and ports). */
  private async allocate(info: KindInfo, next: AnyObject, old: AnyObject | undefined): Promise<{ obj: AnyObject; side: SideKeys }> {
    if (info.kind !== 'Service') return { obj: next, side: {} };
    const plan = planAllocation(next as Service, old as Service | undefined, await readTaken(this.etcd), this.serviceRanges);
    return { obj: plan.svc as AnyObject, side: plan.side };
  }

  private heldKeys(info: KindInfo, obj: AnyObject): SideKeys {
    return info.kind === 'Service' ? { release: reservationKeys(obj as Service) } : {};
  }

  async create(input: AnyObject, dryRun = false): Promise<AnyObject> {
    const info = this.infoOf(input);
    const obj = prepareForCreate(info, input, this.clock);
    applyDefaults(obj, info);
    this.check(info, obj);
    let namespace = await this.namespaceAccepting(info, obj.metadata!.namespace, false);
    for (let attempt = 0; ; attempt++) {
      const { obj: ready, side } = await this.allocate(info, obj, undefined);
      if (dryRun) return ready;
      try {
        const created = await this.store.create(info, ready, { ...side, unchanged: namespace });
        this.log.debug({ resource: info.resource, ns: obj.metadata?.namespace, name: obj.metadata?.name }, 'created');
        return created;
      } catch (e) {
        // Another Service took the IP or port between our read and write, or
        // the namespace changed since it was checked: check and choose again.
        if (!(e instanceof SideKeysChanged) || attempt > 20) throw e;
        namespace = await this.namespaceAccepting(info, obj.metadata!.namespace, true);
      }
    }
  }

  /**
   * Shared by Update and UpdateStatus: the request's resourceVersion, when
   * given, must be the stored one; without it the write is last-writer-wins
   * but still atomic against concurrent writers.
   */
  private async write(input: AnyObject, dryRun: boolean, prepare: (info: KindInfo, next: AnyObject, old: AnyObject) => AnyObject): Promise<AnyObject> {
    const info = this.infoOf(input);
    const md = input.metadata ?? {};
    if (!md.name) throw invalid(describeObject(info, input), [{ field: 'metadata.name', message: 'Required value: name is required' }]);
    const namespace = info.namespaced ? md.namespace || 'default' : undefined;
    const wanted = parseRev(md.resourceVersion, 'metadata.resourceVersion');
    for (let attempt = 0; ; attempt++) {
      const guessed = attempt === 0 && !dryRun ? this.guess(info, namespace, md.name) : undefined;
      const cur = guessed ?? (await this.store.get(info, namespace, md.name));
      let result: { done: AnyObject } | 'unchanged' | 'lost';
      try {
        result = await this.writeOnce(info, input, namespace, wanted, cur, dryRun, prepare);
      } catch (e) {
        // a refusal decided on a guess is decided again on what etcd holds
        if (guessed) continue;
        throw e;
      }
      if (result === 'unchanged') {
        if (guessed) continue;
        return cur.obj;
      }
      if (result !== 'lost') return result.done;
      if (wanted !== undefined && !guessed) throw conflict(info, md.name);
      if (attempt > 50) throw new ApiError('Conflict', `${resourceName(info)} "${md.name}" keeps changing; try again`);
    }
  }

  /** One attempt of write() against `cur`: 'lost' when another writer changed the object first. */
  private async writeOnce(
    info: KindInfo,
    input: AnyObject,
    namespace: string | undefined,
    wanted: number | undefined,
    cur: Stored,
    dryRun: boolean,
    prepare: (info: KindInfo, next: AnyObject, old: AnyObject) => AnyObject,
  ): Promise<{ done: AnyObject } | 'unchanged' | 'lost'> {
    const md = input.metadata ?? {};
    const name = md.name!;
    if (wanted !== undefined && wanted !== cur.rev) throw conflict(info, name);
    if (md.uid && md.uid !== cur.obj.metadata?.uid) {
      throw new ApiError('Conflict', `${resourceName(info)} "${name}" was replaced (uid ${md.uid} is gone); get it again`);
    }
    const prepared = prepare(info, { ...input, metadata: { ...md, namespace } } as AnyObject, cur.obj);
    applyDefaults(prepared, info, cur.obj);
    this.check(info, prepared, cur.obj);
    const { obj: allocated, side } = await this.allocate(info, prepared, cur.obj);
    const next = withGeneration(allocated, cur.obj);
    if (semanticEqual(next, cur.obj)) return 'unchanged';
    if (dryRun) return { done: next };
    if (readyToRemove(next)) {
      const gone = await this.store.compareAndDelete(info, namespace, name, cur.rev, this.heldKeys(info, cur.obj));
      if (gone !== undefined) return { done: { ...next, metadata: { ...next.metadata, resourceVersion: String(gone) } } };
    } else {
      const written = await this.store.compareAndSwap(info, next, cur.rev, side);
      if (written) return { done: written };
    }
    return 'lost';
  }

  /**
   * The object as this apiserver's watch cache last saw it, when it has it:
   * a first guess for a read-modify-write that saves the read from etcd.
   * Every write made from it is guarded by its revision (which pins the exact
   * stored value), and every refusal or no-op decided on it is decided again
   * on a fresh read, so a stale guess costs a retry, never a wrong answer.
   */
  private guess<O extends AnyObject>(info: KindInfo, namespace: string | undefined, name: string): Stored<O> | undefined {
    const seen = this.caches.peek(info)?.latestValue(objectKey(info, namespace, name));
    return seen && { obj: this.store.decodeValue<O>(info, seen.value, seen.rev), rev: seen.rev };
  }

  update(input: AnyObject, dryRun = false): Promise<AnyObject> {
    return this.write(input, dryRun, prepareForUpdate);
  }

  updateStatus(input: AnyObject, dryRun = false): Promise<AnyObject> {
    const info = this.infoOf(input);
    if (!info.hasStatus) throw new ApiError('BadRequest', `${info.kind} has no status; use Update`);
    return this.write(input, dryRun, prepareForStatusUpdate);
  }

  async delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    opts: { uid?: string; resourceVersion?: string; gracePeriodSeconds?: number; propagationPolicy?: string; dryRun?: boolean },
  ): Promise<{ object: AnyObject; deleted: boolean }> {
    const info = resolveResource(resource);
    const ns = info.namespaced ? namespace || 'default' : undefined;
    if (info.kind === 'Namespace' && PROTECTED_NAMESPACES.includes(name)) {
      throw new ApiError('Forbidden', `namespace "${name}" is part of the system and cannot be deleted`);
    }
    if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy)) {
      throw new ApiError('BadRequest', `propagationPolicy "${opts.propagationPolicy}" is not one of Background, Foreground, Orphan`);
    }
    const wanted = parseRev(opts.resourceVersion, 'preconditions.resourceVersion');
    for (let attempt = 0; ; attempt++) {
      const guessed = attempt === 0 && !opts.dryRun ? this.guess(info, ns, name) : undefined;
      const cur = guessed ?? (await this.store.get(info, ns, name));
      // refusals and no-ops are decided on what etcd holds, never on a guess
      const refusal =
        opts.uid && opts.uid !== cur.obj.metadata?.uid
          ? `UID in precondition: ${opts.uid}, UID in object meta: ${cur.obj.metadata?.uid}`
          : wanted !== undefined && wanted !== cur.rev
            ? `resourceVersion in precondition: ${wanted}, in object meta: ${cur.rev}`
            : undefined;
      if (refusal && guessed) continue;
      if (refusal) throw new ApiError('Conflict', `Precondition failed for ${resourceName(info)} "${name}": ${refusal}`);
      const plan = planDelete(info, cur.obj, opts, this.clock);
      if (plan.action === 'none') {
        if (guessed) continue;
        return { object: cur.obj, deleted: false };
      }
      if (opts.dryRun) return { object: plan.action === 'mark' ? plan.obj : cur.obj, deleted: plan.action === 'remove' };
      if (plan.action === 'remove') {
        const rev = await this.store.compareAndDelete(info, ns, name, cur.rev, this.heldKeys(info, cur.obj));
        if (rev !== undefined) {
          this.log.debug({ resource: info.resource, ns, name }, 'deleted');
          return { object: { ...cur.obj, metadata: { ...cur.obj.metadata, resourceVersion: String(rev) } }, deleted: true };
        }
      } else {
        const written = await this.store.compareAndSwap(info, plan.obj, cur.rev);
        if (written) {
          if (info.kind === 'Namespace') this.onNamespaceMarked?.(name);
          return { object: written, deleted: false };
        }
      }
      if (attempt > 50) throw new ApiError('Conflict', `${resourceName(info)} "${name}" keeps changing; try again`);
    }
  }

  /** Set by the namespace finalizer so a marked namespace is emptied at once. */
  onNamespaceMarked?: (name: string) => void;

  async bind(namespace: string | undefined, name: string, nodeName: string, uid?: string): Promise<AnyObject> {
    if (!nodeName) throw invalid(`Binding "${name}"`, [{ field: 'target.name', message: 'Required value: the node to bind to' }]);
    const info = kindInfo('Pod');
    const ns = namespace || 'default';
    const { obj } = await this.store.guaranteedUpdate<Pod>(info, ns, name, (pod) => {
      if (uid && pod.metadata?.uid !== uid) throw new ApiError('Conflict', `pod "${name}" was replaced (uid ${uid} is gone)`);
      if (pod.metadata?.deletionTimestamp) throw new ApiError('Conflict', `pod "${name}" is being deleted; it cannot be bound`);
      if (pod.spec?.nodeName) {
        throw new ApiError('Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      }
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: timestamp(this.clock.now()) });
      return { ...pod, spec: { ...pod.spec, nodeName }, status: { ...pod.status, conditions } };
    }, () => this.guess<Pod>(info, ns, name));
    return obj;
  }

  async ensureNamespaces(names: string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as AnyObject);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 'AlreadyExists')) throw e;
      }
    }
  }

  notFound(info: KindInfo, name: string): ApiError {
    return notFound(info, name);
  }
}
