// A real image registry for tests: Debian's docker-registry (the CNCF
// distribution server) on a free loopback port with a throw-away storage dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 8_000;
const SETPRIV = '/usr/bin/setpriv';

const running = new Set<{ child: ChildProcess; dir: string }>();

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
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(
      `docker-registry is not installed at ${binary}: run \`sudo bash scripts/install-deps.sh\` ` +
        '(Debian package docker-registry), or set TUG_REGISTRY_BINARY',
    );
  }
  installExitCleanup();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (err) {
      lastError = err;
      // Only losing the port between freePort() and the server binding it is worth another try.
      if (!(err instanceof RegistryStartError) || !err.portTaken) throw err;
    }
  }
  throw lastError;
}

class RegistryStartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
    this.name = 'RegistryStartError';
  }
}

async function startOnce(binary: string, options: StartRegistryOptions): Promise<TestRegistry> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tugboat-registry-'));
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, registryConfig({ port, storageDir: join(dir, 'storage') }));

  // REGISTRY_* variables would override the config file.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const args = ['serve', configPath];
  // setpriv has the kernel kill the registry if this process dies without running exit handlers.
  const child = isExecutable(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const entry = { child, dir };
  running.add(entry);

  let logTail = '';
  const onLog = (chunk: Buffer): void => {
    if (options.showLogs) process.stderr.write(chunk);
    logTail = (logTail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout!.on('data', onLog);
  child.stderr!.on('data', onLog);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      logTail += `\nspawn failed: ${err.message}`;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  const address = `${LOOPBACK}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited === undefined) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exitPromise;
        clearTimeout(killTimer);
      }
      running.delete(entry);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await waitReady(address, options.startTimeoutMs ?? 30_000, () => exited !== undefined);
  } catch (err) {
    await stop();
    const why = exited ? `it exited (${exited.signal ?? `code ${exited.code}`}) before answering` : (err as Error).message;
    throw new RegistryStartError(
      `could not start the registry (${binary} on ${address}): ${why}\n--- registry log ---\n${logTail}`,
      /address already in use/i.test(logTail),
    );
  }
  return { address, port, dir, pid: child.pid!, stop, logs: () => logTail };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
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

let cleanupInstalled = false;

/** Kills every registry this process started when it exits or is interrupted. */
function installExitCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(signal, onSignal);
      // Raised again even when other listeners remain: a library such as signal-exit (loaded by
      // testcontainers) only ends the process when it is the last listener, and would wait forever.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killAllSync(): void {
  for (const entry of running) {
    entry.child.kill('SIGKILL');
    try {
      rmSync(entry.dir, { recursive: true, force: true });
    } catch {
      // The registry may still hold a file for an instant; a leftover temp dir is not worth failing exit over.
    }
  }
  running.clear();
}
