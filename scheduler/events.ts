// Where the scheduler says what it did: Scheduled / FailedScheduling Events on
// the pod. EventSink is the seam the scheduler talks to; RecorderEventSink
// hands events to lib/events' EventRecorder (which folds repeats into a count).
import type { Pod } from '../lib/api/generated/types.js';
import type { EventRecorder, EventType } from '../lib/events.js';
import type { Logger } from '../lib/logging.js';

export type { EventType };

export interface EventSink {
  /** Fire and forget: recording an event never fails the caller. */
  event(pod: Pod, type: EventType, reason: string, message: string): void;
}

export const nullEventSink: EventSink = { event: () => undefined };

export interface RecorderEventSinkOptions {
  /** event writes at once (default 1, as Kubernetes' event broadcaster writes them) */
  maxInFlight?: number;
  /** events waiting beyond this many are dropped (default 1000, as in Kubernetes) */
  maxQueued?: number;
  /** where drops are reported */
  log?: Logger;
}

interface Queued {
  pod: Pod;
  type: EventType;
  reason: string;
  message: string;
}

/**
 * Events are best effort and must not compete with the binds they describe:
 * every event is one more write to the apiserver, as dear as the bind itself.
 * So they are written a few at a time from a bounded queue; in a burst of
 * thousands of pods the queue fills and further Normal events are dropped
 * (and counted in the log), while a Warning displaces the oldest queued
 * Normal one, so why a pod does not fit is what survives.
 */
export class RecorderEventSink implements EventSink {
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private dropped = 0;
  private lastDropReport = 0;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private idle: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly recorder: Pick<EventRecorder, 'event'>,
    private readonly opts: RecorderEventSinkOptions = {},
  ) {
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
    this.maxQueued = Math.max(0, opts.maxQueued ?? 1000);
  }

  /** events dropped so far because the queue was full */
  get droppedCount(): number {
    return this.dropped;
  }

  event(pod: Pod, type: EventType, reason: string, message: string): void {
    // Only what the Event's involvedObject needs, so a long queue holds no pod specs.
    const m = pod.metadata;
    const ref: Pod = {
      kind: pod.kind || 'Pod',
      apiVersion: pod.apiVersion || 'v1',
      metadata: { name: m?.name, namespace: m?.namespace, uid: m?.uid, resourceVersion: m?.resourceVersion },
    };
    const item: Queued = { pod: ref, type, reason, message };
    if (this.queue.length >= this.maxQueued) {
      const normal = type === 'Warning' ? this.queue.findIndex((q) => q.type !== 'Warning') : -1;
      if (normal < 0) {
        this.drop();
        return;
      }
      this.queue.splice(normal, 1);
      this.drop();
    }
    this.queue.push(item);
    this.pump();
  }

  private drop(): void {
    this.dropped++;
    const now = Date.now();
    if (now - this.lastDropReport >= 10_000) {
      this.lastDropReport = now;
      this.opts.log?.warn({ dropped: this.dropped, queued: this.queue.length }, 'events are being dropped: more are waiting to be written than the queue holds');
    }
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const q = this.queue.shift()!;
      this.inFlight++;
      // The recorder never rejects; the catch only guards a sink that does.
      void this.recorder
        .event(q.pod, q.type, q.reason, q.message)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
    if (this.inFlight === 0 && this.queue.length === 0 && this.idle) {
      this.idle.resolve();
      this.idle = undefined;
    }
  }

  /** Resolves once every event queued so far has been written (or given up on). */
  async flush(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return;
    if (!this.idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.idle = { promise, resolve };
    }
    await this.idle.promise;
  }
}
