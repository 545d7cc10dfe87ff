// The Agent gRPC service a node serves to the apiserver: a container's log and
// exec in a container, found through the resolver the pod worker provides.
import * as grpc from '@grpc/grpc-js';
import type * as T from '../../lib/api/generated/types.js';
import { agentService } from '../../lib/api/service.js';
import { ApiError } from '../../lib/errors.js';
import { createLogger, type Logger } from '../../lib/logging.js';
import { startExecSession, type ExecSession } from './exec-session.js';
import { streamLog } from './log-stream.js';
import { waitingToStart, type ContainerResolver, type ResolvedContainer } from './resolver.js';

export interface AgentServerOptions {
  /** host:port; port 0 picks a free one. The Node publishes the host as InternalIP and the port as kubeletEndpoint.Port. */
  listen: string;
  resolver: ContainerResolver;
  log?: Logger;
  /** How often a followed log is checked for new output (ms). */
  followPollMs?: number;
}

export interface RunningAgentServer {
  /** host:port it listens on */
  address: string;
  port: number;
  /** Ends every log stream and exec (their commands get SIGTERM), then stops serving. */
  stop(): Promise<void>;
}

type Writable<M> = { write(msg: M): boolean; once(ev: 'drain', fn: () => void): unknown; removeListener(ev: string, fn: () => void): unknown; cancelled: boolean };

/** Writes one message; resolves when the stream takes more (or the call is gone). */
function writeTo<M>(call: Writable<M> & { once(ev: 'cancelled', fn: () => void): unknown }, msg: M): Promise<void> {
  if (call.cancelled || call.write(msg)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.removeListener('drain', done);
      call.removeListener('cancelled', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
  });
}

function asApiError(err: unknown, log: Logger, method: string): ApiError {
  if (err instanceof ApiError) return err;
  log.error({ method, err: String((err as Error)?.message ?? err), stack: (err as Error)?.stack }, 'internal error');
  return new ApiError('Internal', `agent: ${String((err as Error)?.message ?? err)}`);
}

const alive = (status: string | undefined) => status === 'running' || status === 'created' || status === 'paused';

export async function startAgentServer(opts: AgentServerOptions): Promise<RunningAgentServer> {
  const log = opts.log ?? createLogger('agent-server');
  const { resolver } = opts;
  const active = new Set<() => void>();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });

  const resolve = (namespace: string | undefined, pod: string | undefined, container: string | undefined, previous: boolean) => {
    if (!pod) throw new ApiError('BadRequest', 'the request names no pod');
    return resolver.resolve({ namespace: namespace || 'default', pod, container: container ?? '', previous });
  };

  server.addService(agentService, {
    Logs: (call: grpc.ServerWritableStream<T.LogsRequest, T.LogChunk>) => {
      const r = call.request;
      const abort = new AbortController();
      const stop = () => abort.abort();
      active.add(stop);
      call.on('cancelled', stop);
      let target: ResolvedContainer | undefined;
      (async () => {
        target = await resolve(r.namespace, r.name, r.container, !!r.previous);
        const c = target;
        await streamLog({
          path: c.logPath,
          // A previous instance has ended: there is nothing to follow.
          follow: !!r.follow && !r.previous,
          tailLines: r.tailLines,
          sinceMs: r.sinceSeconds !== undefined ? Date.now() - r.sinceSeconds * 1000 : undefined,
          timestamps: !!r.timestamps,
          isRunning: async () => alive((await c.runtime.state(c.containerId))?.status),
          write: (data) => writeTo(call, { data }),
          signal: abort.signal,
          pollMs: opts.followPollMs,
        });
      })().then(
        () => {
          active.delete(stop);
          if (!call.cancelled) call.end();
        },
        (err: unknown) => {
          active.delete(stop);
          if (call.cancelled) return;
          if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' && target) err = waitingToStart(target.container, r.name ?? '');
          call.emit('error', asApiError(err, log, 'Logs').toGrpc());
        },
      );
    },

    Exec: (call: grpc.ServerDuplexStream<T.ExecInput, T.ExecOutput>) => {
      let session: ExecSession | undefined;
      let started = false;
      let inputEnded = false;
      let finished = false;
      // The agent stopping ends the command; its exit code still reaches the client.
      const stop = () => {
        if (session) session.terminate();
        else finish(new ApiError('Unavailable', 'the agent is shutting down; retry when it is back'));
      };
      active.add(stop);
      const finish = (err?: unknown, exitCode?: number) => {
        active.delete(stop);
        if (finished || call.cancelled) {
          finished = true;
          return;
        }
        finished = true;
        if (err) {
          session?.terminate();
          call.emit('error', asApiError(err, log, 'Exec').toGrpc());
        } else {
          call.write({ exitCode });
          call.end();
        }
      };
      call.on('cancelled', () => {
        finished = true;
        active.delete(stop);
        session?.terminate();
      });

      const begin = async (s: T.ExecStart) => {
        if (!s.command?.length) throw new ApiError('BadRequest', 'exec needs a command to run, e.g. tug exec POD -- sh -c "ls /"');
        const c = await resolve(s.namespace, s.name, s.container, false);
        const state = await c.runtime.state(c.containerId);
        if (state?.status !== 'running') {
          throw new ApiError(
            'BadRequest',
            `cannot exec in container "${c.container}" of pod "${s.name}": it is ${state?.status ?? 'gone'}, not running`,
          );
        }
        if (finished) return;
        session = startExecSession({
          runtime: c.runtime,
          containerId: c.containerId,
          command: s.command,
          tty: !!s.tty,
          stdin: !!s.stdin,
          write: (out) => writeTo(call, out),
        });
        if (inputEnded) session.endInput();
        session.done.then(
          (code) => finish(undefined, code),
          (err) => finish(err),
        );
      };

      call.on('data', (msg: T.ExecInput) => {
        if (finished) return;
        if (!started) {
          started = true;
          if (!msg.start) {
            finish(new ApiError('BadRequest', 'the first exec message must name the container and command (start)'));
            return;
          }
          call.pause();
          begin(msg.start).then(
            () => call.resume(),
            (err) => finish(err),
          );
          return;
        }
        if (!session) return;
        call.pause();
        session.input(msg).finally(() => call.resume());
      });
      call.on('end', () => {
        inputEnded = true;
        session?.endInput();
      });
    },
  });

  const port = await new Promise<number>((resolvePort, reject) =>
    server.bindAsync(opts.listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolvePort(p))),
  );
  const host = opts.listen.slice(0, opts.listen.lastIndexOf(':'));
  const address = `${host}:${port}`;
  log.info({ address }, 'agent service listening');
  return {
    address,
    port,
    async stop() {
      for (const s of [...active]) s();
      await new Promise<void>((done) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          done();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(t);
          done();
        });
      });
    },
  };
}
