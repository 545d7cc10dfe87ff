// Typed client of the apiserver. Objects go in and come out in their
// Kubernetes JSON form; failures are ApiErrors with a code.
import * as grpc from '@grpc/grpc-js';
import type { Readable, Writable } from 'node:stream';
import { apiService, MAX_MESSAGE_BYTES } from '../api/service.js';
import { ApiError } from '../errors.js';
import { kindInfo, kindByName, wrap, unwrap, type KindName, type KindTypes, type AnyObject, type KindInfo } from '../api/kinds.js';
import type * as T from '../api/generated/types.js';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}
export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  allowBookmarks?: boolean;
}
export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  dryRun?: boolean;
}
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
export interface WatchEvent<O> {
  type: WatchEventType;
  /** absent on BOOKMARK */
  object: O;
  resourceVersion: string;
}

/** A running watch: iterate it for events; stop() ends it. */
export interface Watch<O> extends AsyncIterable<WatchEvent<O>> {
  stop(): void;
}

export interface LogsOptions {
  /** Needed when the pod has more than one container. */
  container?: string;
  /** Keep streaming new output until the container ends or stop() is called. */
  follow?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** The previous (terminated) instance of the container. */
  previous?: boolean;
  /** Prefix each line with its RFC 3339 time. */
  timestamps?: boolean;
  /** Only lines of the last N seconds. */
  sinceSeconds?: number;
}

/** A container's log as it arrives; stop() ends it (the iteration then just finishes). */
export interface LogStream extends AsyncIterable<Buffer> {
  stop(): void;
}

export interface TerminalSize {
  width: number;
  height: number;
}

export interface ExecOptions {
  /** Needed when the pod has more than one container. */
  container?: string;
  command: string[];
  /** Sent to the command as its stdin; without it the command's stdin is closed (or, with tty, left empty). */
  stdin?: Readable;
  /** Run the command under a terminal; its stderr then arrives on stdout. */
  tty?: boolean;
  /** Where the command's output goes; left out, it is discarded. */
  stdout?: Writable;
  stderr?: Writable;
  /** With tty: terminal sizes, the first as the command starts, later ones as the terminal changes. */
  resize?: AsyncIterable<TerminalSize>;
}

/** Writes a chunk and waits while the destination is full. */
function writeOut(w: Writable | undefined, chunk: Uint8Array | undefined): Promise<void> | undefined {
  if (!w || !chunk?.length || w.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      w.removeListener('drain', done);
      w.removeListener('close', done);
      resolve();
    };
    w.once('drain', done);
    w.once('close', done);
  });
}

/** Events a watch holds for its consumer before it stops reading the stream, and where it reads again. */
const WATCH_QUEUE_HIGH = 50_000;
const WATCH_QUEUE_LOW = 10_000;

/** FIFO whose shift() stays O(1) however long it grows (a busy watch delivers thousands at once). */
class EventQueue<E> {
  private items: (E | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(e: E): void {
    this.items.push(e);
  }
  shift(): E | undefined {
    if (this.head >= this.items.length) return undefined;
    const e = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return e;
  }
}

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall;

const ClientCtor = grpc.makeGenericClientConstructor(apiService, 'Api');

export interface ClientOptions {
  /** per-call deadline for unary calls, ms */
  timeoutMs?: number;
}

export class ApiClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(
    readonly server: string,
    opts: ClientOptions = {},
  ) {
    this.client = new ClientCtor(server, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  close(): void {
    this.client.close();
  }

  private call<R>(method: string, req: unknown): Promise<R> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise<R>((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) reject(ApiError.fromGrpc(err));
        else resolve(res as R);
      });
    });
  }

  private infoOf(obj: AnyObject): KindInfo {
    const info = obj.kind ? kindByName(obj.kind) : undefined;
    if (!info) throw new ApiError('BadRequest', `object has no known kind (got ${JSON.stringify(obj.kind)}); set "kind"`);
    return info;
  }

  private unwrapAs<O>(o: T.ApiObject): O {
    const u = unwrap(o);
    if (!u) throw new ApiError('Internal', 'apiserver returned an empty object');
    return u.obj as O;
  }

  async create<O extends AnyObject>(obj: O, opts: { dryRun?: boolean } = {}): Promise<O> {
    const res = await this.call<T.ApiObject>('Create', { object: wrap(this.infoOf(obj), obj), dryRun: !!opts.dryRun });
    return this.unwrapAs<O>(res);
  }

  async update<O extends AnyObject>(obj: O, opts: { dryRun?: boolean } = {}): Promise<O> {
    const res = await this.call<T.ApiObject>('Update', { object: wrap(this.infoOf(obj), obj), dryRun: !!opts.dryRun });
    return this.unwrapAs<O>(res);
  }

  async updateStatus<O extends AnyObject>(obj: O): Promise<O> {
    const res = await this.call<T.ApiObject>('UpdateStatus', { object: wrap(this.infoOf(obj), obj) });
    return this.unwrapAs<O>(res);
  }

  async get<K extends KindName>(kind: K, namespace: string | undefined, name: string): Promise<KindTypes[K]> {
    const res = await this.call<T.ApiObject>('Get', { resource: kindInfo(kind).resource, namespace: namespace ?? '', name });
    return this.unwrapAs<KindTypes[K]>(res);
  }

  async list<K extends KindName>(kind: K, opts: ListOptions = {}): Promise<{ items: KindTypes[K][]; resourceVersion: string }> {
    const res = await this.call<T.ListResponse>('List', {
      resource: kindInfo(kind).resource,
      namespace: opts.namespace ?? '',
      labelSelector: opts.labelSelector ?? '',
      fieldSelector: opts.fieldSelector ?? '',
    });
    return { items: (res.items ?? []).map((o) => this.unwrapAs<KindTypes[K]>(o)), resourceVersion: res.resourceVersion ?? '' };
  }

  async delete<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<{ object: KindTypes[K]; deleted: boolean }> {
    const res = await this.call<T.DeleteResponse>('Delete', {
      resource: kindInfo(kind).resource,
      namespace: namespace ?? '',
      name,
      preconditions: opts.preconditions,
      gracePeriodSeconds: opts.gracePeriodSeconds,
      propagationPolicy: opts.propagationPolicy ?? '',
      dryRun: !!opts.dryRun,
    });
    return { object: this.unwrapAs<KindTypes[K]>(res.object ?? {}), deleted: !!res.deleted };
  }

  async bind(namespace: string, name: string, nodeName: string, uid?: string): Promise<T.Pod> {
    const res = await this.call<T.ApiObject>('Bind', { namespace, name, nodeName, uid: uid ?? '' });
    return this.unwrapAs<T.Pod>(res);
  }

  async version(): Promise<T.VersionInfo> {
    return this.call<T.VersionInfo>('Version', {});
  }

  /** A container's log (CLI → apiserver → the node's agent). Errors are thrown by the iteration as ApiErrors. */
  logs(namespace: string, name: string, opts: LogsOptions = {}): LogStream {
    const stream = (this.client as unknown as Record<string, (req: T.LogsRequest) => grpc.ClientReadableStream<T.LogChunk>>).Logs!.call(
      this.client,
      {
        namespace,
        name,
        container: opts.container ?? '',
        follow: !!opts.follow,
        tailLines: opts.tailLines,
        previous: !!opts.previous,
        timestamps: !!opts.timestamps,
        sinceSeconds: opts.sinceSeconds,
      },
    );
    let stopped = false;
    // Until iterated, errors wait in the stream; this keeps one before then from going unhandled.
    stream.on('error', () => undefined);
    return {
      stop() {
        stopped = true;
        stream.cancel();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for await (const chunk of stream as AsyncIterable<T.LogChunk>) {
            if (chunk.data?.length) yield Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
          }
        } catch (err) {
          if (stopped && (err as grpc.ServiceError).code === grpc.status.CANCELLED) return;
          throw ApiError.fromGrpc(err);
        } finally {
          if (!stopped) {
            stopped = true;
            stream.cancel();
          }
        }
      },
    };
  }

  /**
   * Runs a command in a container of a pod (CLI → apiserver → the node's
   * agent), streaming its output to opts.stdout / opts.stderr; resolves with
   * its exit code (126/127 when it could not be run or was not found).
   */
  async exec(namespace: string, name: string, opts: ExecOptions): Promise<{ exitCode: number }> {
    const call = (this.client as unknown as Record<string, () => grpc.ClientDuplexStream<T.ExecInput, T.ExecOutput>>).Exec!.call(this.client);
    let finished = false;
    const cleanups: (() => void)[] = [];
    call.write({
      start: {
        namespace,
        name,
        container: opts.container ?? '',
        command: opts.command,
        stdin: !!opts.stdin,
        tty: !!opts.tty,
      },
    });

    if (opts.tty && opts.resize) {
      const sizes = opts.resize[Symbol.asyncIterator]();
      cleanups.push(() => void sizes.return?.());
      void (async () => {
        for (;;) {
          const next = await sizes.next().catch(() => ({ done: true as const, value: undefined }));
          if (next.done || finished) return;
          call.write({ resize: next.value });
        }
      })();
    }

    if (opts.stdin) {
      const input = opts.stdin;
      const onData = (chunk: Buffer | string) => {
        if (finished) return;
        if (!call.write({ stdin: typeof chunk === 'string' ? Buffer.from(chunk) : chunk })) {
          input.pause();
          call.once('drain', () => input.resume());
        }
      };
      const onEnd = () => {
        if (!finished) call.write({ stdinClosed: true });
      };
      input.on('data', onData);
      input.once('end', onEnd);
      cleanups.push(() => {
        input.removeListener('data', onData);
        input.removeListener('end', onEnd);
        input.pause();
      });
    }

    let exitCode: number | undefined;
    try {
      for await (const out of call as AsyncIterable<T.ExecOutput>) {
        await writeOut(opts.stdout, out.stdout);
        await writeOut(opts.stderr, out.stderr);
        if (out.exitCode !== undefined) exitCode = out.exitCode;
      }
    } catch (err) {
      throw ApiError.fromGrpc(err);
    } finally {
      finished = true;
      for (const c of cleanups) c();
      call.end();
    }
    if (exitCode === undefined) throw new ApiError('Internal', 'exec ended without the exit code of the command; the agent may have stopped');
    return { exitCode };
  }

  /**
   * Streams changes after opts.resourceVersion. The iterator ends when stop()
   * is called and throws an ApiError (TooOld: relist; Unavailable: retry) when
   * the stream fails.
   */
  watch<K extends KindName>(kind: K, opts: WatchOptions = {}): Watch<KindTypes[K]> {
    const stream = (this.client as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<T.WatchResponse>>)
      .Watch!.call(this.client, {
        resource: kindInfo(kind).resource,
        namespace: opts.namespace ?? '',
        labelSelector: opts.labelSelector ?? '',
        fieldSelector: opts.fieldSelector ?? '',
        resourceVersion: opts.resourceVersion ?? '',
        allowBookmarks: !!opts.allowBookmarks,
      });
    const queue = new EventQueue<WatchEvent<KindTypes[K]>>();
    let failure: ApiError | undefined;
    let ended = false;
    let stopped = false;
    let paused = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    stream.on('data', (res: T.WatchResponse) => {
      for (const ev of res.events ?? []) {
        const u = unwrap(ev.object);
        queue.push({
          type: ev.type as WatchEventType,
          object: u?.obj as KindTypes[K],
          resourceVersion: ev.resourceVersion || u?.obj.metadata?.resourceVersion || '',
        });
      }
      // A consumer this far behind stops reading the stream: HTTP/2 flow
      // control then holds the server back, which drops the watch if it stays behind.
      if (!paused && queue.length >= WATCH_QUEUE_HIGH) {
        paused = true;
        stream.pause();
      }
      notify();
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (!(stopped && err.code === grpc.status.CANCELLED)) failure = ApiError.fromGrpc(err);
      ended = true;
      notify();
    });
    stream.on('end', () => {
      ended = true;
      notify();
    });
    return {
      stop() {
        stopped = true;
        stream.cancel();
        ended = true;
        notify();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            if (queue.length) {
              const ev = queue.shift()!;
              if (paused && queue.length <= WATCH_QUEUE_LOW) {
                paused = false;
                stream.resume();
              }
              yield ev;
              continue;
            }
            if (stopped) return;
            if (failure) throw failure;
            if (ended) {
              // The server never ends a watch by itself; an end without stop() is a lost stream.
              throw new ApiError('Unavailable', 'watch stream ended by the server; start a new watch');
            }
            await new Promise<void>((r) => (wake = r));
          }
        } finally {
          if (!stopped) {
            stopped = true;
            stream.cancel();
          }
        }
      },
    };
  }
}
