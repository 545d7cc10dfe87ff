// The outgoing side of one watch stream. gRPC writes a server stream one
// message per completed write, so a stream carrying one event per message
// falls behind any busy resource; here events wait, already encoded, while a
// message is in flight and go out together as the next one. What waits is
// bounded: a watcher that reads slower than its events arrive is dropped
// (it watches again from the last resourceVersion it got), never buffered
// without end. What a watch starts with (the initial state, or the changes
// it resumes from) arrives all at once and is not held against it; the
// server holds those objects anyway.
import { frameWatchEvents, framedLength } from '../lib/api/watch-wire.js';

export interface SenderLimits {
  /** a message takes waiting events up to this size (at least one event) */
  maxMessageBytes: number;
  /** more than this waiting (framed) drops the watcher */
  maxPendingBytes: number;
}

export const DEFAULT_SENDER_LIMITS: SenderLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  // a full window of 10,000 changes of 1 KiB objects replayed at once fits
  maxPendingBytes: 64 * 1024 * 1024,
};

/** Sends one message; `done` runs once the transport has taken it (err: the stream broke). */
export type WriteMessage = (message: Buffer, done: (err?: Error | null) => void) => void;

export class WatchSender {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** the part of pendingBytes pushed as catch-up (always at the front: it is pushed first) */
  private catchUpBytes = 0;
  private inFlight = false;
  private flushQueued = false;
  private closed = false;

  constructor(
    private readonly write: WriteMessage,
    /** the watcher fell more than maxPendingBytes behind; the sender is closed */
    private readonly onOverflow: (pendingBytes: number, pendingEvents: number) => void,
    private readonly limits: SenderLimits = DEFAULT_SENDER_LIMITS,
  ) {}

  /** bytes (framed) waiting to be sent */
  get waitingBytes(): number {
    return this.pendingBytes;
  }

  get waitingEvents(): number {
    return this.pending.length;
  }

  /**
   * Queues one event (from encodeWatchEvent). catchUp: part of what the
   * watch starts with, pushed before any live change; it does not count
   * toward maxPendingBytes.
   */
  push(event: Buffer, catchUp = false): void {
    if (this.closed) return;
    const len = framedLength(event);
    this.pending.push(event);
    this.pendingBytes += len;
    if (catchUp) this.catchUpBytes += len;
    else if (this.pendingBytes - this.catchUpBytes > this.limits.maxPendingBytes) {
      const bytes = this.pendingBytes;
      const events = this.pending.length;
      this.close();
      this.onOverflow(bytes, events);
      return;
    }
    // Events pushed in the same turn (one etcd response, a window replay)
    // leave together: the flush waits for the current job to finish.
    if (!this.inFlight && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  /** Drops whatever waits; nothing more is written. */
  close(): void {
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.catchUpBytes = 0;
  }

  private flush(): void {
    if (this.inFlight || this.closed || !this.pending.length) return;
    let bytes = 0;
    let n = 0;
    while (n < this.pending.length) {
      const len = framedLength(this.pending[n]!);
      if (n > 0 && bytes + len > this.limits.maxMessageBytes) break;
      bytes += len;
      n++;
    }
    const batch = n === this.pending.length ? this.pending : this.pending.slice(0, n);
    this.pending = n === this.pending.length ? [] : this.pending.slice(n);
    this.pendingBytes -= bytes;
    this.catchUpBytes = Math.max(0, this.catchUpBytes - bytes);
    this.inFlight = true;
    this.write(frameWatchEvents(batch), (err) => {
      this.inFlight = false;
      if (err) this.close();
      else this.flush();
    });
  }
}
