// gRPC handlers: decode the request, call the registry, map errors onto
// gRPC statuses with their code and causes.
import * as grpc from '@grpc/grpc-js';
import type * as T from '../lib/api/generated/types.js';
import { apiService } from '../lib/api/service.js';
import { kindByName, unwrap, wrap, type AnyObject } from '../lib/api/kinds.js';
import { ApiError } from '../lib/errors.js';
import type { Logger } from '../lib/logging.js';
import { resolveResource, type Registry } from './registry/registry.js';
import { NodeProxy } from './node-proxy.js';

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

function out(obj: AnyObject): T.ApiObject {
  const info = kindByName(obj.kind ?? '');
  if (!info) throw new ApiError('Internal', `stored object has unknown kind ${JSON.stringify(obj.kind)}`);
  return wrap(info, obj);
}

export function buildServer(registry: Registry, log: Logger, etcdVersion: () => Promise<string>): { server: grpc.Server; close(): void } {
  const server = new grpc.Server({
    // Requests above this are refused by gRPC before they reach a handler.
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.max_send_message_length': 512 * 1024 * 1024,
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
    Create: unary<T.CreateRequest, T.ApiObject>('Create', async (r) => out(await registry.create(objectOf(r.object), !!r.dryRun))),
    Update: unary<T.UpdateRequest, T.ApiObject>('Update', async (r) => out(await registry.update(objectOf(r.object), !!r.dryRun))),
    UpdateStatus: unary<T.UpdateRequest, T.ApiObject>('UpdateStatus', async (r) =>
      out(await registry.updateStatus(objectOf(r.object), !!r.dryRun)),
    ),
    Get: unary<T.GetRequest, T.ApiObject>('Get', async (r) => out(await registry.get(r.resource ?? '', r.namespace, r.name ?? ''))),
    List: unary<T.ListRequest, T.ListResponse>('List', async (r) => {
      const info = resolveResource(r.resource);
      const res = await registry.list(info.resource, r);
      return { resourceVersion: res.resourceVersion, items: res.items.map((o) => wrap(info, o)) };
    }),
    Delete: unary<T.DeleteRequest, T.DeleteResponse>('Delete', async (r) => {
      const res = await registry.delete(r.resource ?? '', r.namespace, r.name ?? '', {
        uid: r.preconditions?.uid || undefined,
        resourceVersion: r.preconditions?.resourceVersion || undefined,
        gracePeriodSeconds: r.gracePeriodSeconds ?? undefined,
        propagationPolicy: r.propagationPolicy || undefined,
        dryRun: !!r.dryRun,
      });
      return { object: out(res.object), deleted: res.deleted };
    }),
    Bind: unary<T.BindRequest, T.ApiObject>('Bind', async (r) => out(await registry.bind(r.namespace, r.name ?? '', r.nodeName ?? '', r.uid || undefined))),
    Version: unary<T.VersionRequest, T.VersionInfo>('Version', async () => ({
      version: VERSION,
      platform: `${process.platform}/${process.arch}`,
      etcdVersion: await etcdVersion().catch(() => 'unknown'),
    })),
    Logs: (call: grpc.ServerWritableStream<T.LogsRequest, T.LogChunk>) => nodeProxy.logs(call),
    Exec: (call: grpc.ServerDuplexStream<T.ExecInput, T.ExecOutput>) => nodeProxy.exec(call),
    Watch: (call: grpc.ServerWritableStream<T.WatchRequest, T.WatchEvent>) => {
      const r = call.request;
      let sub: { stop(): void } | undefined;
      let closed = false;
      let bookmark: NodeJS.Timeout | undefined;
      let lastRev = 0;
      const close = (err?: ApiError) => {
        if (closed) return;
        closed = true;
        sub?.stop();
        if (bookmark) clearInterval(bookmark);
        if (err) call.emit('error', err.toGrpc());
        else call.end();
      };
      call.on('cancelled', () => close());
      call.on('close', () => close());
      (async () => {
        const info = resolveResource(r.resource);
        sub = await registry.watch(info.resource, r, {
          event: (ev, rev) => {
            if (closed) return;
            lastRev = rev;
            call.write({ type: ev.type, object: wrap(info, ev.obj), resourceVersion: String(rev) });
          },
          fail: (err) => close(err),
        });
        if (closed) sub.stop();
        if (r.allowBookmarks) {
          bookmark = setInterval(async () => {
            const cache = await registry.caches.forResource(info);
            const rev = Math.max(cache.lastRev, lastRev);
            if (!closed && rev > 0) call.write({ type: 'BOOKMARK', resourceVersion: String(rev) });
          }, 10_000);
        }
      })().catch((err) => close(toApiError(err, log, 'Watch')));
    },
  });
  return { server, close: () => nodeProxy.close() };
}
