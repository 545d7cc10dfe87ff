// Where the scheduler says what it did: Scheduled / FailedScheduling Events on
// the pod. EventSink is the seam the scheduler talks to; RecorderEventSink
// hands events to lib/events' EventRecorder (which folds repeats into a count).
import type { Pod } from '../lib/api/generated/types.js';
import type { EventRecorder, EventType } from '../lib/events.js';

export type { EventType };

export interface EventSink {
  /** Fire and forget: recording an event never fails the caller. */
  event(pod: Pod, type: EventType, reason: string, message: string): void;
}

export const nullEventSink: EventSink = { event: () => undefined };

export class RecorderEventSink implements EventSink {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly recorder: Pick<EventRecorder, 'event'>) {}

  event(pod: Pod, type: EventType, reason: string, message: string): void {
    // Informer objects may lack kind; the recorder needs it for the reference.
    const obj: Pod = { ...pod, kind: pod.kind || 'Pod', apiVersion: pod.apiVersion || 'v1' };
    const p = this.recorder.event(obj, type, reason, message);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves once every event recorded so far has been written (or given up on). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
