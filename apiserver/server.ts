// gRPC handlers: decode the request, call the registry, map errors onto
// gRPC statuses with their code and causes.
import * as grpc from '@grpc/grpc-js';
import type * as T from '../lib/api/generated/types.js';
import { apiService } from '../lib/api/service.js';
import { kindByName, unwrap, wrap, type AnyObject, type KindInfo } from '../lib/api/kinds.js';
import { encodeWatchEvent } from '../lib/api/watch-wire.js';
import { apiObjectBytes, listResponseBytes, objectBytes, watchEventBytes } from '../lib/api/wire-bytes.js';
import { encode } from '../lib/api/schema.js';
import { storedForm } from './storage/etcd-store.js';
import { ApiError } from '../lib/errors.js';
import type { Logger } from '../lib/logging.js';
import { resolveResource, type Registry } from './registry/registry.js';
import { NodeProxy } from './node-proxy.js';
import type { Subscription } from './storage/watch-cache.js';
import type { DeliveredEvent } from './storage/watch-events.js';
import { DEFAULT_SENDER_LIMITS, WatchSender, type SenderLimits } from './watch-sender.js';

export const VERSION = '0.1.0';

function toApiError(err: unknown, log: Logger, method: string): ApiError {
  if (err instanceof ApiError) return err;
  const msg = String((err as Error)?.message ?? err);
  if (/UNAVAILABLE|ECONNREFUSED|No connection established|deadline/i.test(msg) || (err as Error)?.name?.startsWith('GRPC')) {
    log.warn({ method, err: msg }, 'etcd unavailable');
    return new ApiError('Unavailable', `storage (etcd) is unavailable: ${msg}; retry when etcd is back`);
  }
  log.error({ method, err: msg, stack: (err as Error)?.stack }, 'internal error');
  return new ApiError('Internal', `internal error: ${msg}`);
}

function objectOf(o: T.ApiObject | undefined): AnyObject {
  const u = unwrap(o);
  if (!u) throw new ApiError('BadRequest', 'the request carries no object');
  return { ...u.obj, apiVersion: u.obj.apiVersion || u.info.apiVersion, kind: u.info.kind } as AnyObject;
}

function kindOf(obj: AnyObject): KindInfo {
  const info = kindByName(obj.kind ?? '');
  if (!info) throw new ApiError('Internal', `stored object has unknown kind ${JSON.stringify(obj.kind)}`);
  return info;
}

/** The object as an ApiObject: straight from its stored bytes when it came from etcd, else encoded. */
function out(obj: AnyObject): T.ApiObject | Buffer {
  const info = kindOf(obj);
  const f = storedForm(obj);
  return f ? apiObjectBytes(info, objectBytes(info, f.stored, f.rev)) : wrap(info, obj);
}

function outBytes(info: KindInfo, obj: AnyObject): Buffer {
  const f = storedForm(obj);
  return apiObjectBytes(info, f ? objectBytes(info, f.stored, f.rev) : encode(info.message, obj));
}

/**
 * Each change's events are shared by every watcher they go to (watch-events
 * EventMemo), so each is encoded once however many streams carry it.
 */
const encodedEvents = new WeakMap<DeliveredEvent, Buffer>();
function encodedEvent(info: KindInfo, ev: DeliveredEvent, rev: number): Buffer {
  let bytes = encodedEvents.get(ev);
  if (!bytes) {
    // From the stored bytes when the change has them: no decode, no encode.
    const stored = ev.stored;
    const object = stored ? apiObjectBytes(info, objectBytes(info, stored, rev)) : outBytes(info, ev.obj);
    bytes = watchEventBytes(ev.type, object, String(rev));
    encodedEvents.set(ev, bytes);
  }
  return bytes;
}

export function buildServer(
  registry: Registry,
  log: Logger,
  etcdVersion: () => Promise<string>,
  senderLimits: SenderLimits = DEFAULT_SENDER_LIMITS,
): { server: grpc.Server; close(): void } {
  const server = new grpc.Server({
    // Requests above this are refused by gRPC before they reach a handler.
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.max_send_message_length': 512 * 1024 * 1024,
    // channelz (gRPC's introspection service, unused here) would track every call
    'grpc.enable_channelz': 0,
  });

  const unary = <Req, Res>(method: string, fn: (req: Req) => Promise<Res>) =>
    (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      fn(call.request).then(
        (res) => cb(null, res),
        (err) => cb(toApiError(err, log, method).toGrpc() as grpc.ServiceError, null),
      );
    };

  const nodeProxy = new NodeProxy(registry, log, (err, method) => toApiError(err, log, method));

  server.addService(apiService, {
    Create: unary<T.CreateRequest, T.ApiObject | Buffer>('Create', async (r) => out(await registry.create(objectOf(r.object), !!r.dryRun))),
    Update: unary<T.UpdateRequest, T.ApiObject | Buffer>('Update', async (r) => out(await registry.update(objectOf(r.object), !!r.dryRun))),
    UpdateStatus: unary<T.UpdateRequest, T.ApiObject | Buffer>('UpdateStatus', async (r) =>
      out(await registry.updateStatus(objectOf(r.object), !!r.dryRun)),
    ),
    Get: unary<T.GetRequest, T.ApiObject | Buffer>('Get', async (r) => out(await registry.get(r.resource ?? '', r.namespace, r.name ?? ''))),
    List: unary<T.ListRequest, Buffer>('List', async (r) => {
      const info = resolveResource(r.resource);
      const res = await registry.list(info.resource, r);
      return listResponseBytes(res.resourceVersion, res.items.map((o) => outBytes(info, o)));
    }),
    Delete: unary<T.DeleteRequest, T.DeleteResponse>('Delete', async (r) => {
      const res = await registry.delete(r.resource ?? '', r.namespace, r.name ?? '', {
        uid: r.preconditions?.uid || undefined,
        resourceVersion: r.preconditions?.resourceVersion || undefined,
        gracePeriodSeconds: r.gracePeriodSeconds ?? undefined,
        propagationPolicy: r.propagationPolicy || undefined,
        dryRun: !!r.dryRun,
      });
      return { object: wrap(kindOf(res.object), res.object), deleted: res.deleted };
    }),
    Bind: unary<T.BindRequest, T.ApiObject | Buffer>('Bind', async (r) => out(await registry.bind(r.namespace, r.name ?? '', r.nodeName ?? '', r.uid || undefined))),
    Version: unary<T.VersionRequest, T.VersionInfo>('Version', async () => ({
      version: VERSION,
      platform: `${process.platform}/${process.arch}`,
      etcdVersion: await etcdVersion().catch(() => 'unknown'),
    })),
    Logs: (call: grpc.ServerWritableStream<T.LogsRequest, T.LogChunk>) => nodeProxy.logs(call),
    Exec: (call: grpc.ServerDuplexStream<T.ExecInput, T.ExecOutput>) => nodeProxy.exec(call),
    Watch: (call: grpc.ServerWritableStream<T.WatchRequest, Buffer>) => {
      const r = call.request;
      let sub: Subscription | undefined;
      let closed = false;
      let bookmark: NodeJS.Timeout | undefined;
      const sender = new WatchSender(
        (message, done) => call.write(message, done),
        (bytes, events) =>
          close(
            new ApiError(
              'Unavailable',
              `this watch fell ${events} events (${(bytes / 1048576).toFixed(1)} MiB) behind: it reads slower than the changes arrive, so the apiserver dropped it; watch again from the last resourceVersion received`,
            ),
          ),
        senderLimits,
      );
      const close = (err?: ApiError) => {
        if (closed) return;
        closed = true;
        sender.close();
        sub?.stop();
        if (bookmark) clearInterval(bookmark);
        if (err) call.emit('error', err.toGrpc());
        else call.end();
      };
      call.on('cancelled', () => close());
      call.on('close', () => close());
      (async () => {
        const info = resolveResource(r.resource);
        const s = await registry.watch(info.resource, r, {
          event: (ev, rev, catchUp) => {
            if (!closed) sender.push(encodedEvent(info, ev, rev), catchUp);
          },
          fail: (err) => close(err),
        });
        sub = s;
        if (closed) s.stop();
        if (r.allowBookmarks) {
          bookmark = setInterval(() => {
            const rev = s.progress();
            if (!closed && rev > 0) sender.push(encodeWatchEvent({ type: 'BOOKMARK', resourceVersion: String(rev) }));
          }, 10_000);
        }
      })().catch((err) => close(toApiError(err, log, 'Watch')));
    },
  });
  return { server, close: () => nodeProxy.close() };
}
