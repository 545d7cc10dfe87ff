// etcd for e2e clusters, started as a container through testcontainers
// (../../shared/DESIGN.md, Testing and Machine facts). On these machines the
// engine is Podman's Docker-compatible API service and the image is built
// locally from Debian's etcd: `sudo bash scripts/setup-container-engine.sh`
// prepares both. Nothing is ever pulled: Ryuk (testcontainers' reaper, an
// image from a registry) is off, so this module removes its own containers
// instead: on stop(), on exit and on SIGINT/SIGTERM/SIGHUP of this process,
// and, for a process killed outright, at the next start in any process.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import {
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  Wait,
  type StartedTestContainer,
} from 'testcontainers';
import { freePort, LOOPBACK } from '../../lib/testing/ports.js';

/** The image scripts/images/build-etcd-image.sh builds (same TUG_ETCD_IMAGE override). */
export const DEFAULT_ETCD_IMAGE = 'localhost/tugboat-etcd:3.4';
/** Where scripts/setup-container-engine.sh runs `podman system service`. */
export const PODMAN_SOCKET = '/run/podman/podman.sock';
/** etcd's client port inside the container. */
export const ETCD_CLIENT_PORT = 2379;

/** Labels on every etcd container this module starts, so leftovers can be found. */
export const ROLE_LABEL = 'tugboat.e2e.role';
export const ROLE_ETCD = 'etcd';
/** `<pid>:<start time>` of the process that started the container; see ownerAlive. */
export const OWNER_LABEL = 'tugboat.e2e.owner';
const INSTANCE_LABEL = 'tugboat.e2e.instance';

const START_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 8_000;

export interface StartEtcdContainerOptions {
  /** Image to run; default $TUG_ETCD_IMAGE, else DEFAULT_ETCD_IMAGE. */
  image?: string;
  /** Host address the client port is published on; default 127.0.0.1. */
  hostIp?: string;
  /** How long etcd may take to answer /health; default 60 s. */
  startupTimeoutMs?: number;
  /** Extra etcd flags, e.g. ['--quota-backend-bytes', '...']. */
  extraArgs?: string[];
}

export interface EtcdContainer {
  /** Client URL on the host, e.g. `http://127.0.0.1:40123`: what `--etcd-servers` and `new Etcd3({ hosts })` take. */
  readonly endpoint: string;
  /** The published host port (etcd also advertises it, so member lists point back here). */
  readonly hostPort: number;
  /** The engine's container id. */
  readonly id: string;
  /** How long start took, from asking the engine to etcd answering /health. */
  readonly startupMs: number;
  /** Stops and removes the container and its data. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines etcd logged. */
  logs(): string;
}

/**
 * Fills in what testcontainers reads from the environment to reach the engine,
 * unless the caller set it: Podman's socket, and the loopback address for
 * mapped ports (Podman's bridge is not where clients on this host should dial).
 * Ryuk is always off: its image cannot be pulled here.
 */
export function containerEngineEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    DOCKER_HOST: env.DOCKER_HOST || `unix://${PODMAN_SOCKET}`,
    TESTCONTAINERS_HOST_OVERRIDE: env.TESTCONTAINERS_HOST_OVERRIDE || LOOPBACK,
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  };
}

/**
 * Puts containerEngineEnv into process.env. testcontainers reads it once, when
 * it first connects, so this runs before anything here asks it for a client.
 */
export function useContainerEngineEnv(): void {
  Object.assign(process.env, containerEngineEnv(process.env));
}

/** The etcd command line in the container: a single member reachable through the published port. */
export function etcdContainerCommand(p: { advertiseHost: string; hostPort: number; extraArgs?: string[] }): string[] {
  const peer = 'http://127.0.0.1:2380';
  return [
    '/usr/bin/etcd',
    '--name', 'tugboat-e2e',
    '--data-dir', '/var/lib/etcd',
    '--listen-client-urls', `http://0.0.0.0:${ETCD_CLIENT_PORT}`,
    // Clients that sync endpoints from the member list must get an address they can dial.
    '--advertise-client-urls', `http://${p.advertiseHost}:${p.hostPort}`,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `tugboat-e2e=${peer}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    ...(p.extraArgs ?? []),
  ];
}

/** `<pid>:<start time>` for a running process, from its /proc/<pid>/stat; undefined if it is gone. */
export function processIdentity(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const { state, startTime } = parseStat(stat);
  // A zombie has exited; only its parent has not collected it yet.
  if (state === 'Z' || state === 'X') return undefined;
  return `${pid}:${startTime}`;
}

/**
 * State (field 3) and start time (field 22, clock ticks since boot) from a
 * /proc/<pid>/stat line. The command name before them is in parentheses and
 * may itself hold spaces and parentheses, so fields count from the last ')'.
 */
export function parseStat(stat: string): { state: string; startTime: string } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (!state || startTime === undefined || !/^\d+$/.test(startTime)) throw new Error(`unexpected /proc stat line: ${stat}`);
  return { state, startTime };
}

/**
 * Whether the process named by an owner label still runs. The start time
 * guards against a recycled pid; a label that does not parse has no owner.
 */
export function ownerAlive(label: string | undefined, identityOf: (pid: number) => string | undefined = processIdentity): boolean {
  const match = /^(\d+):\d+$/.exec(label ?? '');
  if (!match) return false;
  return identityOf(Number(match[1])) === label;
}

/** Containers of this process, running or being started: removed synchronously if it exits or is signalled. */
const live = new Set<string>();
let starting = 0;
let exitCleanupInstalled = false;

/**
 * Starts etcd in a container with its client port published on a free host
 * port, and resolves once /health answers through that port. Throws with
 * etcd's log if it cannot start; the container is removed in every case.
 */
export async function startEtcdContainer(options: StartEtcdContainerOptions = {}): Promise<EtcdContainer> {
  useContainerEngineEnv();
  const image = options.image ?? process.env.TUG_ETCD_IMAGE ?? DEFAULT_ETCD_IMAGE;
  await assertEngineReady(image);
  installExitCleanup();
  await removeOrphanedEtcdContainers();

  // testcontainers reads container logs over sockets it unrefs, and waits on
  // them when etcd exits early: with nothing else pending, node would end the
  // process right there, leaving the container behind and the error unsaid.
  const keepAlive = setInterval(() => {}, 1_000);
  starting++;
  try {
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        return await startOnce(image, options);
      } catch (err) {
        lastError = err;
        // Another process may take the port between freePort() and the engine publishing it: only that is worth a retry.
        if (!/address already in use|port is already allocated/i.test(String(err))) throw err;
      }
    }
    throw lastError;
  } finally {
    starting--;
    clearInterval(keepAlive);
  }
}

async function startOnce(image: string, options: StartEtcdContainerOptions): Promise<EtcdContainer> {
  const hostIp = options.hostIp ?? LOOPBACK;
  const advertiseHost = process.env.TESTCONTAINERS_HOST_OVERRIDE || LOOPBACK;
  const hostPort = await freePort(hostIp === '0.0.0.0' ? LOOPBACK : hostIp);
  const instance = randomUUID();
  let logTail = '';
  const keepLog = (stream: Readable): void => {
    stream.on('data', (chunk: Buffer | string) => {
      logTail = (logTail + chunk.toString()).slice(-LOG_TAIL_CHARS);
    });
    stream.on('error', () => {});
  };

  const container = new PublishedEtcdContainer(image, hostIp, hostPort)
    .withCommand(etcdContainerCommand({ advertiseHost, hostPort, extraArgs: options.extraArgs }))
    .withLabels({ [ROLE_LABEL]: ROLE_ETCD, [OWNER_LABEL]: processIdentity(process.pid) ?? '', [INSTANCE_LABEL]: instance })
    // etcd fsyncs every write; memory-backed data keeps a loaded 2-core CI machine from stalling it.
    .withTmpFs({ '/var/lib/etcd': 'rw,mode=0700' })
    .withLogConsumer(keepLog)
    .withWaitStrategy(
      Wait.forHttp('/health', ETCD_CLIENT_PORT, { abortOnContainerExit: true })
        .forStatusCode(200)
        .forResponsePredicate((body) => body.includes('"health":"true"'))
        // Also the interval between tries: etcd is usually up within a second.
        .withReadTimeout(250),
    )
    .withStartupTimeout(options.startupTimeoutMs ?? 60_000);

  const started0 = Date.now();
  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (err) {
    // testcontainers removes a container that failed its wait, not one that failed to start.
    await removeContainersByLabel(`${INSTANCE_LABEL}=${instance}`);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      `etcd container from ${image} did not start: ${message}` + (logTail ? `\netcd's log:\n${logTail}` : ''),
      { cause: err },
    );
  }
  const startupMs = Date.now() - started0;
  const id = started.getId();
  live.add(id);

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${advertiseHost}:${started.getMappedPort(ETCD_CLIENT_PORT)}`,
    hostPort: started.getMappedPort(ETCD_CLIENT_PORT),
    id,
    startupMs,
    logs: () => logTail,
    stop: () => {
      stopping ??= (async () => {
        try {
          await started.stop({ remove: true, removeVolumes: true });
        } catch (err) {
          // Already gone (e.g. removed by a signal handler) is what stop() wants anyway.
          if (!/no such container|not found|404/i.test(String(err))) throw err;
        } finally {
          live.delete(id);
        }
      })();
      return stopping;
    },
  };
}

/**
 * A GenericContainer whose client port is published on one host address and
 * port only. testcontainers publishes on every address; etcd should be
 * reachable where it advertises itself, not from the whole network.
 */
class PublishedEtcdContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly hostIp: string,
    private readonly hostPort: number,
  ) {
    super(image);
    this.withExposedPorts({ container: ETCD_CLIENT_PORT, host: hostPort });
  }

  protected override async beforeContainerCreated(): Promise<void> {
    this.hostConfig.PortBindings = {
      ...this.hostConfig.PortBindings,
      [`${ETCD_CLIENT_PORT}/tcp`]: [{ HostIp: this.hostIp, HostPort: String(this.hostPort) }],
    };
  }
}

/** A clear error before testcontainers' own, which would try other engines and then try to pull. */
async function assertEngineReady(image: string): Promise<void> {
  const dockerHost = process.env.DOCKER_HOST ?? '';
  const setup = 'run `sudo bash scripts/setup-container-engine.sh` (starts Podman\'s API service and builds the etcd image)';
  if (dockerHost.startsWith('unix://') && !(await pingUnixSocket(dockerHost.slice('unix://'.length)))) {
    throw new Error(`no container engine answers on ${dockerHost}: ${setup}`);
  }
  const client = await getContainerRuntimeClient();
  if (!(await client.image.exists(ImageName.fromString(image)))) {
    throw new Error(`the etcd image ${image} is not in the container engine at ${dockerHost}, and nothing can be pulled here: ${setup}`);
  }
}

function pingUnixSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Removes etcd containers whose starting process is gone: left by a test
 * process that was killed (SIGKILL, a crash) before it could remove them.
 * Containers of live processes, this one's included, are left alone.
 * Returns the ids it removed.
 */
export async function removeOrphanedEtcdContainers(): Promise<string[]> {
  useContainerEngineEnv();
  const client = await getContainerRuntimeClient();
  const containers = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${ROLE_LABEL}=${ROLE_ETCD}`] },
  });
  const orphans = containers.filter((c) => !ownerAlive(c.Labels?.[OWNER_LABEL])).map((c) => c.Id);
  await Promise.all(orphans.map((id) => removeContainer(id)));
  return orphans;
}

async function removeContainersByLabel(label: string): Promise<void> {
  try {
    const client = await getContainerRuntimeClient();
    const containers = await client.container.dockerode.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(containers.map((c) => removeContainer(c.Id)));
  } catch {
    // Best effort: the start error is the one worth reporting.
  }
}

async function removeContainer(id: string): Promise<void> {
  const client = await getContainerRuntimeClient();
  try {
    await client.container.dockerode.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    // Another process reaping at the same time, or already gone.
    if (!/no such container|not found|404|409|removal.*in progress/i.test(String(err))) throw err;
  }
}

/**
 * Removes every container this process owns, running or half-started, by its
 * owner label. Engine API calls are asynchronous and an exiting process runs
 * only synchronous code: a child node process talks to the engine and this
 * one waits for it.
 */
function removeOwnContainersSync(): void {
  if (live.size === 0 && starting === 0) return;
  const dockerHost = process.env.DOCKER_HOST ?? '';
  const owner = processIdentity(process.pid);
  if (!dockerHost.startsWith('unix://') || owner === undefined) return;
  const script = `
    const http = require('node:http');
    const [socketPath, label] = process.argv.slice(1);
    const call = (method, path) => new Promise((resolve) => {
      const req = http.request({ socketPath, method, path, timeout: 10000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(''));
      req.end();
    });
    (async () => {
      const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
      let containers = [];
      try { containers = JSON.parse(await call('GET', '/containers/json?all=true&filters=' + filters)); } catch {}
      await Promise.all(containers.map((c) => call('DELETE', '/containers/' + c.Id + '?force=true&v=true')));
    })();`;
  spawnSync(process.execPath, ['-e', script, dockerHost.slice('unix://'.length), `${OWNER_LABEL}=${owner}`], {
    stdio: 'ignore',
    timeout: 15_000,
  });
  live.clear();
}

function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on('exit', removeOwnContainersSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      removeOwnContainersSync();
      process.removeListener(signal, onSignal);
      // Listening to a signal replaces its default action: raise it again so it
      // takes effect once every listener has let go. Always, not only when no
      // listener is left: testcontainers loads signal-exit, whose listener ends
      // the process only once it is the last one, and would wait for us forever.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
