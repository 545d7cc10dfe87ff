// The garbage collector: watches every kind that can own or be owned, and
// applies planDependent / planOwner (decide.ts) through the client.
//
// Cache lag is the danger here: a Pod can reach our Pod cache before its new
// ReplicaSet reaches the ReplicaSet cache. So an owner missing from the cache
// is only "absent" once the apiserver confirms it (uids are never reused, so
// a confirmed absence is remembered).
import type { AnyObject, KindName } from '../../lib/api/kinds.js';
import { kindByName } from '../../lib/api/kinds.js';
import type { OwnerReference } from '../../lib/api/generated/types.js';
import { ApiError, isConflict, isNotFound } from '../../lib/errors.js';
import { Informer, objectKey, splitKey, OWNER_UID_INDEX, byOwnerUid, waitForCacheSync } from '../../lib/informer/index.js';
import { WorkQueue, runWorkers } from '../../lib/workqueue/index.js';
import type { ControllerContext } from '../context.js';
import {
  planDependent,
  planOwner,
  stateOfOwner,
  hasGcFinalizer,
  sameOwners,
  withoutFinalizer,
  withoutOwnerReferences,
  type OwnerState,
  type ResolvedOwner,
} from './decide.js';

/**
 * Kinds the GC follows. Namespaces are emptied by the apiserver itself and
 * Events are never owners, so neither is watched.
 */
export const DEFAULT_GC_KINDS: KindName[] = ['Pod', 'ReplicaSet', 'Deployment', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'Lease', 'Node'];

export interface GarbageCollectorOptions {
  kinds?: KindName[];
  workers?: number;
}

type Role = 'dependent' | 'owner';
/** queue key: role, kind and object key, e.g. "dependent|Pod|default/web-1" */
const queueKey = (role: Role, kind: KindName, key: string) => `${role}|${kind}|${key}`;
function parseQueueKey(k: string): { role: Role; kind: KindName; key: string } {
  const [role, kind, ...rest] = k.split('|');
  return { role: role as Role, kind: kind as KindName, key: rest.join('|') };
}

const ABSENT_CACHE_SIZE = 10_000;
const UPDATE_ATTEMPTS = 5;

export class GarbageCollector {
  readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly informers = new Map<KindName, Informer>();
  private readonly absent = new Set<string>();
  private readonly workers: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: GarbageCollectorOptions = {},
  ) {
    this.workers = opts.workers ?? 4;
    for (const kind of opts.kinds ?? DEFAULT_GC_KINDS) {
      const inf = ctx.informers.informer(kind) as unknown as Informer;
      inf.addIndexer(OWNER_UID_INDEX, byOwnerUid);
      inf.onAdd((o) => this.added(kind, o));
      inf.onUpdate((old, o) => this.updated(kind, old, o));
      inf.onDelete((o) => this.deleted(kind, o));
      this.informers.set(kind, inf);
    }
  }

  async run(): Promise<void> {
    const signal = this.ctx.stopSignal;
    const stop = () => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      if (!(await waitForCacheSync([...this.informers.values()], signal))) return;
      await runWorkers(this.queue, (k) => this.sync(k), { workers: this.workers, log: this.ctx.log });
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  // ---- event handlers: decide what to look at, never do I/O ----

  private added(kind: KindName, o: AnyObject): void {
    if (o.metadata?.ownerReferences?.length) this.queue.add(queueKey('dependent', kind, objectKey(o)));
    if (hasGcFinalizer(o)) this.queue.add(queueKey('owner', kind, objectKey(o)));
    this.wakeDeletingOwners(o);
  }

  private updated(kind: KindName, old: AnyObject, o: AnyObject): void {
    const ownersChanged = !sameOwners(old, o);
    if (ownersChanged && o.metadata?.ownerReferences?.length) this.queue.add(queueKey('dependent', kind, objectKey(o)));
    if (hasGcFinalizer(o)) this.queue.add(queueKey('owner', kind, objectKey(o)));
    if (ownersChanged || (!old.metadata?.deletionTimestamp && o.metadata?.deletionTimestamp)) {
      this.wakeDeletingOwners(old);
      this.wakeDeletingOwners(o);
    }
  }

  private deleted(_kind: KindName, o: AnyObject): void {
    const uid = o.metadata?.uid;
    if (uid) {
      this.rememberAbsent(uid);
      // Its dependents lost an owner.
      for (const [k, inf] of this.informers) {
        for (const d of inf.byIndex(OWNER_UID_INDEX, uid)) this.queue.add(queueKey('dependent', k, objectKey(d)));
      }
    }
    // An owner deleting in the foreground may have been waiting for this one.
    this.wakeDeletingOwners(o);
  }

  /** Queues the owners of o that wait on their dependents (foreground) or orphan them. */
  private wakeDeletingOwners(o: AnyObject): void {
    for (const ref of o.metadata?.ownerReferences ?? []) {
      const info = ref.kind ? kindByName(ref.kind) : undefined;
      const inf = info && this.informers.get(info.kind);
      if (!info || !inf) continue;
      const key = info.namespaced ? `${o.metadata?.namespace ?? ''}/${ref.name ?? ''}` : (ref.name ?? '');
      const owner = inf.get(key);
      if (owner && owner.metadata?.uid === ref.uid && hasGcFinalizer(owner)) this.queue.add(queueKey('owner', info.kind, key));
    }
  }

  // ---- sync ----

  async sync(k: string): Promise<void> {
    const { role, kind, key } = parseQueueKey(k);
    const inf = this.informers.get(kind);
    const obj = inf?.get(key);
    if (!obj) return;
    if (role === 'dependent') await this.syncDependent(kind, obj);
    else await this.syncOwner(kind, obj);
  }

  private async syncDependent(kind: KindName, obj: AnyObject): Promise<void> {
    const refs = obj.metadata?.ownerReferences ?? [];
    if (!refs.length || obj.metadata?.deletionTimestamp) return;
    const owners: ResolvedOwner[] = [];
    for (const ref of refs) owners.push({ ref, state: await this.resolveOwner(obj, ref) });
    const plan = planDependent(obj, owners, this.dependentsOf(obj.metadata?.uid ?? '').length > 0);
    const m = obj.metadata ?? {};
    const what = { kind, namespace: m.namespace, name: m.name, uid: m.uid };
    switch (plan.action) {
      case 'none':
        return;
      case 'delete':
        this.ctx.log.info({ ...what, propagationPolicy: plan.propagationPolicy, reason: plan.reason }, 'garbage collecting');
        try {
          await this.ctx.client.delete(kind, m.namespace, m.name ?? '', { preconditions: { uid: m.uid }, propagationPolicy: plan.propagationPolicy });
        } catch (err) {
          // Gone already, or replaced by a new object of the same name (which is not ours to judge here).
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
        return;
      case 'removeOwnerReferences':
        this.ctx.log.info({ ...what, uids: plan.uids, reason: plan.reason }, 'removing dangling owner references');
        await this.mutate(kind, obj, (cur) => {
          const has = (cur.metadata?.ownerReferences ?? []).some((r) => plan.uids.includes(r.uid ?? ''));
          return has ? withoutOwnerReferences(cur, plan.uids) : undefined;
        });
        return;
    }
  }

  private async syncOwner(kind: KindName, owner: AnyObject): Promise<void> {
    const uid = owner.metadata?.uid ?? '';
    const deps = this.dependentsOf(uid);
    const plan = planOwner(owner, deps.map((d) => d.obj));
    const m = owner.metadata ?? {};
    const what = { kind, namespace: m.namespace, name: m.name, uid };
    switch (plan.action) {
      case 'none':
        return;
      case 'orphan':
        for (const { kind: dk, obj } of deps) {
          await this.mutate(dk, obj, (cur) =>
            (cur.metadata?.ownerReferences ?? []).some((r) => r.uid === uid) ? withoutOwnerReferences(cur, [uid]) : undefined,
          );
        }
        this.ctx.log.info({ ...what, orphaned: deps.length }, 'orphaned dependents');
        await this.removeFinalizer(kind, owner, 'orphan');
        return;
      case 'waitForDependents':
        for (const { kind: dk, obj } of deps) {
          if (!obj.metadata?.deletionTimestamp) this.queue.add(queueKey('dependent', dk, objectKey(obj)));
        }
        return;
      case 'removeFinalizer':
        await this.removeFinalizer(kind, owner, plan.finalizer);
        return;
    }
  }

  private async removeFinalizer(kind: KindName, owner: AnyObject, finalizer: string): Promise<void> {
    await this.mutate(kind, owner, (cur) => ((cur.metadata?.finalizers ?? []).includes(finalizer) ? withoutFinalizer(cur, finalizer) : undefined));
    this.ctx.log.info({ kind, namespace: owner.metadata?.namespace, name: owner.metadata?.name, finalizer }, 'removed finalizer');
  }

  /** Objects (of any followed kind) naming uid as an owner. */
  private dependentsOf(uid: string): { kind: KindName; obj: AnyObject }[] {
    if (!uid) return [];
    const out: { kind: KindName; obj: AnyObject }[] = [];
    for (const [kind, inf] of this.informers) for (const obj of inf.byIndex(OWNER_UID_INDEX, uid)) out.push({ kind, obj });
    return out;
  }

  private async resolveOwner(dependent: AnyObject, ref: OwnerReference): Promise<OwnerState> {
    const uid = ref.uid ?? '';
    if (!uid || !ref.name) return 'unresolvable';
    if (this.absent.has(uid)) return 'absent';
    const info = ref.kind ? kindByName(ref.kind) : undefined;
    if (!info) return 'unresolvable';
    const depNs = dependent.metadata?.namespace;
    if (info.namespaced && !depNs) return 'unresolvable';
    const ns = info.namespaced ? depNs : undefined;
    const cached = this.informers.get(info.kind)?.get(ns ? `${ns}/${ref.name}` : ref.name);
    if (cached && cached.metadata?.uid === uid) return stateOfOwner(cached);
    // Not (yet) in our cache: only the apiserver can say it is gone.
    try {
      const live = await this.ctx.client.get(info.kind, ns, ref.name);
      if (live.metadata?.uid === uid) return stateOfOwner(live);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.rememberAbsent(uid);
    return 'absent';
  }

  private rememberAbsent(uid: string): void {
    this.absent.add(uid);
    if (this.absent.size > ABSENT_CACHE_SIZE) this.absent.delete(this.absent.values().next().value!);
  }

  /**
   * Read-modify-write against the apiserver's current object (the cache may
   * be behind): change returns the new object, or undefined when nothing is
   * left to do. Gone or replaced objects are fine: there is nothing to fix.
   */
  private async mutate(kind: KindName, obj: AnyObject, change: (cur: AnyObject) => AnyObject | undefined): Promise<void> {
    const { namespace, name } = splitKey(objectKey(obj));
    let cur: AnyObject = obj;
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      if (cur.metadata?.uid !== obj.metadata?.uid) return;
      const next = change(cur);
      if (!next) return;
      try {
        await this.ctx.client.update(next);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
      try {
        cur = await this.ctx.client.get(kind, namespace, name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    throw new ApiError('Conflict', `${kind} ${objectKey(obj)} kept changing while the garbage collector updated it; will retry`);
  }
}
