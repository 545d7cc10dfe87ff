// Logs and exec through the apiserver: find the pod's node, then relay the
// call to the Agent service its agent serves at the Node's InternalIP and
// kubelet port, both ways, with cancellation and errors passed along.
import * as grpc from '@grpc/grpc-js';
import type * as T from '../lib/api/generated/types.js';
import { agentService } from '../lib/api/service.js';
import { ApiError } from '../lib/errors.js';
import type { Logger } from '../lib/logging.js';

/** What the proxy reads: pods and nodes (the Registry). */
export interface ObjectReader {
  get(resource: string, namespace: string | undefined, name: string): Promise<unknown>;
}

/** Turns any failure into the ApiError the client gets. */
export type ErrorMapper = (err: unknown, method: string) => ApiError;

/**
 * The container a request means, checked against the pod spec: the named one,
 * or with none the pod's only container. Errors in kubectl's words.
 */
export function chooseContainer(pod: T.Pod, requested: string | undefined): string {
  const name = pod.metadata?.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name ?? '');
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name ?? '');
  if (requested) {
    if (containers.includes(requested) || init.includes(requested)) return requested;
    throw new ApiError('BadRequest', `container ${requested} is not valid for pod ${name}`);
  }
  if (containers.length === 1) return containers[0]!;
  const initText = init.length ? ` or one of the init containers: [${init.join(' ')}]` : '';
  throw new ApiError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${initText}`);
}

/** The node a pod runs on, or the BadRequest for one not bound yet. */
export function nodeOfPod(pod: T.Pod): string {
  const node = pod.spec?.nodeName;
  if (!node) throw new ApiError('BadRequest', `pod "${pod.metadata?.name ?? ''}" is not scheduled yet`);
  return node;
}

const ADDRESS_PREFERENCE = ['InternalIP', 'ExternalIP', 'Hostname'];

/** host:port of a node's Agent service, from its status (InternalIP preferred, then ExternalIP, Hostname). */
export function agentAddress(node: T.Node): string {
  const name = node.metadata?.name ?? '';
  const addresses = node.status?.addresses ?? [];
  let host: string | undefined;
  for (const type of ADDRESS_PREFERENCE) {
    host = addresses.find((a) => a.type === type && a.address)?.address;
    if (host) break;
  }
  if (!host) {
    throw new ApiError('Unavailable', `node "${name}" reports no address (status.addresses); is its agent running and registered?`);
  }
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) {
    throw new ApiError(
      'Unavailable',
      `node "${name}" reports no agent port (status.daemonEndpoints.kubeletEndpoint.Port); is its agent running and registered?`,
    );
  }
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// lib/errors.ts puts the ApiError code in this metadata key; an error without
// it comes from gRPC itself (the agent could not be reached), not the agent.
const ERROR_CODE_KEY = 'tug-error-code';

/** An error of the call to a node's agent, as the apiserver's client should see it. */
export function agentError(err: unknown, node: string, address: string): ApiError {
  const e = err as Partial<grpc.ServiceError> | undefined;
  if (err instanceof ApiError) return err;
  if (e && typeof e.code === 'number' && e.metadata?.get(ERROR_CODE_KEY).length) return ApiError.fromGrpc(err);
  const detail = e?.details || (err as Error)?.message || String(err);
  if (e?.code === grpc.status.UNAVAILABLE) {
    return new ApiError('Unavailable', `cannot reach the agent of node "${node}" at ${address} (${detail}); check that the node's agent is running`);
  }
  return new ApiError('Internal', `the agent of node "${node}" at ${address} failed: ${detail}`);
}

type AgentClient = grpc.Client & {
  Logs(req: T.LogsRequest): grpc.ClientReadableStream<T.LogChunk>;
  Exec(): grpc.ClientDuplexStream<T.ExecInput, T.ExecOutput>;
};
const AgentClientCtor = grpc.makeGenericClientConstructor(agentService, 'Agent') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => AgentClient;

/** An idle agent connection is closed after this long. */
const IDLE_CLOSE_MS = 5 * 60_000;

interface CachedClient {
  client: AgentClient;
  calls: number;
  lastUsed: number;
}

interface Target {
  node: string;
  address: string;
  container: string;
}

export class NodeProxy {
  private readonly clients = new Map<string, CachedClient>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly objects: ObjectReader,
    private readonly log: Logger,
    private readonly mapError: ErrorMapper = (err) => (err instanceof ApiError ? err : new ApiError('Internal', String(err))),
  ) {
    this.sweeper = setInterval(() => this.closeIdle(Date.now() - IDLE_CLOSE_MS), 60_000);
    this.sweeper.unref();
  }

  /** Closes every agent connection. */
  close(): void {
    clearInterval(this.sweeper);
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }

  private closeIdle(before: number): void {
    for (const [address, c] of this.clients) {
      if (c.calls === 0 && c.lastUsed < before) {
        c.client.close();
        this.clients.delete(address);
      }
    }
  }

  /** One client per agent address, shared by all calls to it. */
  private clientFor(address: string): CachedClient {
    let c = this.clients.get(address);
    if (!c) {
      const client = new AgentClientCtor(address, grpc.credentials.createInsecure(), {
        // A restarted agent should be reachable again within seconds, not after a long back-off.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 5000,
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      });
      c = { client, calls: 0, lastUsed: Date.now() };
      this.clients.set(address, c);
    }
    c.lastUsed = Date.now();
    return c;
  }

  /** Forgets a connection that failed, so the next call dials afresh. */
  private dropClient(address: string, cached: CachedClient): void {
    if (this.clients.get(address) !== cached) return;
    this.clients.delete(address);
    if (cached.calls === 0) cached.client.close();
  }

  private async target(namespace: string | undefined, podName: string | undefined, container: string | undefined): Promise<Target> {
    if (!podName) throw new ApiError('BadRequest', 'the request names no pod');
    const pod = (await this.objects.get('pods', namespace || 'default', podName)) as T.Pod;
    const chosen = chooseContainer(pod, container);
    const node = nodeOfPod(pod);
    let nodeObj: T.Node;
    try {
      nodeObj = (await this.objects.get('nodes', undefined, node)) as T.Node;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NotFound') {
        throw new ApiError('Unavailable', `pod "${podName}" is bound to node "${node}", which is not registered; is its agent running?`);
      }
      throw e;
    }
    return { node, address: agentAddress(nodeObj), container: chosen };
  }

  /** Relays a Logs call to the pod's agent. */
  logs(call: grpc.ServerWritableStream<T.LogsRequest, T.LogChunk>): void {
    const r = call.request;
    let upstream: grpc.ClientReadableStream<T.LogChunk> | undefined;
    call.on('cancelled', () => upstream?.cancel());
    (async () => {
      const t = await this.target(r.namespace, r.name, r.container);
      if (call.cancelled) return;
      const cached = this.clientFor(t.address);
      cached.calls++;
      const up = cached.client.Logs({ ...r, namespace: r.namespace || 'default', container: t.container });
      upstream = up;
      up.on('data', (chunk: T.LogChunk) => {
        if (!call.write(chunk)) {
          up.pause();
          call.once('drain', () => up.resume());
        }
      });
      // gRPC may report both 'error' and then 'end' for a failed call: act on the first.
      let settled = false;
      up.on('end', () => {
        if (settled) return;
        settled = true;
        cached.calls--;
        if (!call.cancelled) call.end();
      });
      up.on('error', (err: grpc.ServiceError) => {
        if (settled) return;
        settled = true;
        cached.calls--;
        if (call.cancelled) return;
        const apiErr = agentError(err, t.node, t.address);
        if (err.code === grpc.status.UNAVAILABLE) this.dropClient(t.address, cached);
        this.log.debug({ node: t.node, err: apiErr.message }, 'logs relay failed');
        call.emit('error', apiErr.toGrpc());
      });
    })().catch((err) => {
      if (!call.cancelled) call.emit('error', this.mapError(err, 'Logs').toGrpc());
    });
  }

  /** Relays an Exec call to the pod's agent: the first message names the target, the rest is passed through. */
  exec(call: grpc.ServerDuplexStream<T.ExecInput, T.ExecOutput>): void {
    let upstream: grpc.ClientDuplexStream<T.ExecInput, T.ExecOutput> | undefined;
    let started = false;
    let clientEnded = false;
    let failed = false;
    const fail = (err: ApiError) => {
      if (failed || call.cancelled) return;
      failed = true;
      upstream?.cancel();
      call.emit('error', err.toGrpc());
    };
    call.on('cancelled', () => upstream?.cancel());

    const begin = async (first: T.ExecInput) => {
      const s = first.start;
      if (!s) throw new ApiError('BadRequest', 'the first exec message must name the pod and command (start)');
      const t = await this.target(s.namespace, s.name, s.container);
      if (call.cancelled || failed) return;
      const cached = this.clientFor(t.address);
      cached.calls++;
      const up = cached.client.Exec();
      upstream = up;
      let done = false;
      const release = () => {
        if (done) return;
        done = true;
        cached.calls--;
      };
      up.on('data', (out: T.ExecOutput) => {
        if (!call.write(out)) {
          up.pause();
          call.once('drain', () => up.resume());
        }
      });
      up.on('end', () => {
        if (done) return;
        release();
        if (!call.cancelled && !failed) call.end();
      });
      up.on('error', (err: grpc.ServiceError) => {
        if (done) return;
        release();
        if (call.cancelled) return;
        if (err.code === grpc.status.UNAVAILABLE) this.dropClient(t.address, cached);
        fail(agentError(err, t.node, t.address));
      });
      up.write({ ...first, start: { ...s, namespace: s.namespace || 'default', container: t.container } });
      if (clientEnded) up.end();
    };

    call.on('data', (msg: T.ExecInput) => {
      if (failed) return;
      if (!started) {
        started = true;
        // Input that arrives while the agent is being found waits in the stream.
        call.pause();
        begin(msg).then(
          () => call.resume(),
          (err) => fail(this.mapError(err, 'Exec')),
        );
        return;
      }
      if (upstream && !upstream.write(msg)) {
        call.pause();
        upstream.once('drain', () => call.resume());
      }
    });
    call.on('end', () => {
      clientEnded = true;
      upstream?.end();
    });
  }
}
