// A real image registry for tests: Debian's docker-registry (the CNCF
// distribution server) on a free loopback port with a throw-away storage dir.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertExecutable, envWithout, retryOnPortTaken, startDaemon } from './daemon.js';
import { freePort, LOOPBACK } from './ports.js';

/** Where Debian's docker-registry package installs the server (scripts/install-deps.sh). */
export const DEFAULT_REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface StartRegistryOptions {
  /** The server binary; default $TUG_REGISTRY_BINARY, else /usr/bin/docker-registry. */
  binary?: string;
  /** How long to wait for /v2/ to answer; default 30 s. */
  startTimeoutMs?: number;
  /** Copy the registry's log to stderr as it comes (default: shown only when start fails). */
  showLogs?: boolean;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: what image references and RegistryClient take. */
  readonly address: string;
  readonly port: number;
  /** The temporary dir holding config.yml and storage/; removed by stop(). */
  readonly dir: string;
  readonly pid: number;
  /** Stops the registry (SIGTERM, then SIGKILL) and removes its dir. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines the registry logged. */
  logs(): string;
}

/** The server's configuration: plain HTTP on loopback, filesystem storage, deletes allowed, no auth. */
export function registryConfig(p: { port: number; storageDir: string }): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(p.storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${LOOPBACK}:${p.port}`,
    '',
  ].join('\n');
}

/** Starts a registry on a free loopback port and resolves once `GET /v2/` answers 200. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const binary = options.binary ?? process.env.TUG_REGISTRY_BINARY ?? DEFAULT_REGISTRY_BINARY;
  assertExecutable(binary, 'run `sudo bash scripts/install-deps.sh` (Debian package docker-registry), or set TUG_REGISTRY_BINARY');
  return retryOnPortTaken(() => startOnce(binary, options));
}

async function startOnce(binary: string, options: StartRegistryOptions): Promise<TestRegistry> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tugboat-registry-'));
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, registryConfig({ port, storageDir: join(dir, 'storage') }));
  const address = `${LOOPBACK}:${port}`;
  const daemon = await startDaemon({
    what: 'the registry',
    binary,
    args: ['serve', configPath],
    // REGISTRY_* variables would override the config file.
    env: envWithout('REGISTRY_'),
    dir,
    address,
    showLogs: options.showLogs,
    waitReady: (hasExited) => waitReady(address, options.startTimeoutMs ?? 30_000, hasExited),
  });
  return { address, port, dir, pid: daemon.pid, stop: daemon.stop, logs: daemon.logs };
}

async function waitReady(address: string, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('the registry exited');
    try {
      const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `/v2/ answered ${res.status}`;
    } catch (err) {
      last = `/v2/: ${(err as Error).message}`;
    }
    await sleep(100);
  }
  throw new Error(`the registry did not answer within ${timeoutMs} ms (${last})`);
}
