// Events tell people what a component did to an object and why
// ("Scheduled", "SuccessfulCreate", "NodeNotReady"). Recording one must never
// break the work it describes, so failures are logged, never thrown. The same
// event repeated within ten minutes bumps the count of one Event object
// instead of creating another, so a loop that keeps failing does not flood etcd.
import { hostname } from 'node:os';
import type { AnyObject } from './api/kinds.js';
import { kindByName } from './api/kinds.js';
import type { Event, ObjectReference } from './api/generated/types.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { createLogger, type Logger } from './logging.js';

export type EventType = 'Normal' | 'Warning';

/** What the recorder needs from the apiserver (ApiClient has this shape). */
export interface EventSink {
  create(obj: Event): Promise<Event>;
  update(obj: Event): Promise<Event>;
  get(kind: 'Event', namespace: string | undefined, name: string): Promise<Event>;
}

export interface EventRecorderOptions {
  component: string;
  host?: string;
  log?: Logger;
  /** for tests; default Date.now */
  now?: () => number;
  /** repeats within this window update the existing Event (default 10 min) */
  aggregateWindowMs?: number;
  /** remembered distinct events (default 4096) */
  cacheSize?: number;
}

/** Kubernetes caps an event message at 1 KiB; longer ones are cut, with a marker. */
const MAX_MESSAGE = 1024;

interface Seen {
  event: Event;
  lastSeen: number;
}

export class EventRecorder {
  private readonly component: string;
  private readonly host: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly cacheSize: number;
  /** aggregation key → the Event last written; Map order = least recently used first */
  private readonly seen = new Map<string, Seen>();
  /** per aggregation key, the write in flight, so repeats wait for it and update rather than create twice */
  private readonly inFlight = new Map<string, Promise<void>>();
  private seq = 0;

  /** opts may be just the component name. */
  constructor(
    private readonly client: EventSink,
    options: EventRecorderOptions | string,
  ) {
    const opts = typeof options === 'string' ? { component: options } : options;
    this.component = opts.component;
    this.host = opts.host ?? hostname();
    this.log = opts.log ?? createLogger(opts.component);
    this.now = opts.now ?? Date.now;
    this.windowMs = opts.aggregateWindowMs ?? 10 * 60_000;
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  /**
   * Records that something happened to obj. Returns a promise that resolves
   * once the Event is written (or the write failed and was logged); it never
   * rejects, so callers may ignore it.
   */
  event(obj: AnyObject, type: EventType, reason: string, message: string): Promise<void> {
    let ref: ObjectReference;
    try {
      ref = objectReference(obj);
    } catch (err) {
      this.log.warn({ err, reason, eventMessage: message }, 'could not record event');
      return Promise.resolve();
    }
    const msg = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = aggregationKey(ref, type, reason, msg, this.component);
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const write = previous
      .then(() => this.write(key, ref, type, reason, msg))
      .catch((err: unknown) => {
        this.log.warn({ err, involvedObject: ref, reason, eventMessage: msg }, 'could not record event');
      })
      .finally(() => {
        if (this.inFlight.get(key) === write) this.inFlight.delete(key);
      });
    this.inFlight.set(key, write);
    return write;
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.now();
    const ts = new Date(now).toISOString();
    const prior = this.seen.get(key);
    this.log.debug({ involvedObject: ref, type, reason, eventMessage: message }, 'event');
    if (prior && now - prior.lastSeen < this.windowMs) {
      const next: Event = { ...prior.event, count: (prior.event.count ?? 1) + 1, lastTimestamp: ts };
      try {
        this.remember(key, await this.updateWithRetry(next), now);
        return;
      } catch (err) {
        // Deleted meanwhile (e.g. TTL or by hand): fall through and create a new one.
        if (!isNotFound(err)) throw err;
      }
    }
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.eventName(ref), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.component, host: this.host },
      reportingComponent: this.component,
      reportingInstance: this.host,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    let created: Event;
    try {
      created = await this.client.create(ev);
    } catch (err) {
      // Two recorders (or a restart) can pick the same name; another name settles it.
      if (!isAlreadyExists(err)) throw err;
      created = await this.client.create({ ...ev, metadata: { ...ev.metadata, name: this.eventName(ref) } });
    }
    this.remember(key, created, now);
  }

  private async updateWithRetry(ev: Event): Promise<Event> {
    try {
      return await this.client.update(ev);
    } catch (err) {
      if (!isConflict(err)) throw err;
      // Someone else touched it: take their count and add ours.
      const current = await this.client.get('Event', ev.metadata?.namespace, ev.metadata?.name ?? '');
      return this.client.update({ ...current, count: (current.count ?? 1) + 1, lastTimestamp: ev.lastTimestamp });
    }
  }

  private remember(key: string, ev: Event, now: number): void {
    this.seen.delete(key);
    this.seen.set(key, { event: ev, lastSeen: now });
    while (this.seen.size > this.cacheSize) this.seen.delete(this.seen.keys().next().value!);
  }

  /** `<object name>.<hex>`: the time in nanoseconds, made unique within this process. */
  private eventName(ref: ObjectReference): string {
    const nanos = BigInt(this.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return `${ref.name}.${nanos.toString(16)}`;
  }
}

export function objectReference(obj: AnyObject): ObjectReference {
  const info = obj.kind ? kindByName(obj.kind) : undefined;
  if (!info) throw new ApiError('BadRequest', `cannot record an event for an object without a known kind (got ${JSON.stringify(obj.kind)})`);
  const m = obj.metadata ?? {};
  return {
    kind: info.kind,
    apiVersion: obj.apiVersion || info.apiVersion,
    namespace: info.namespaced ? m.namespace || 'default' : '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
  };
}

function aggregationKey(ref: ObjectReference, type: string, reason: string, message: string, component: string): string {
  return [ref.kind, ref.namespace, ref.name, ref.uid, type, reason, message, component].join('\u0000');
}
