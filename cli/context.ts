// What every command works with: the resolved server and namespace, a lazily
// opened client, and the two output streams.
import { ApiClient } from '../lib/client/api-client.js';
import { loadConfig, configPath, resolveServer, resolveNamespace, type CliConfig } from './config.js';

export interface GlobalOptions {
  server?: string;
  namespace?: string;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Output = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

export class CliContext implements Output {
  readonly server: string;
  /** the namespace commands act in */
  readonly namespace: string;
  /** whether -n was given (apply refuses objects that name another namespace then) */
  readonly namespaceFromFlag: boolean;
  private clientInstance: ApiClient | undefined;

  constructor(
    opts: GlobalOptions,
    env: NodeJS.ProcessEnv = process.env,
    private readonly io: Output = stdio,
    config: CliConfig = loadConfig(configPath(env)),
  ) {
    this.server = resolveServer(opts.server, env, config);
    this.namespace = resolveNamespace(opts.namespace, config);
    this.namespaceFromFlag = !!opts.namespace;
  }

  get client(): ApiClient {
    this.clientInstance ??= new ApiClient(this.server);
    return this.clientInstance;
  }

  out(text: string): void {
    this.io.out(text);
  }
  err(text: string): void {
    this.io.err(text);
  }

  close(): void {
    this.clientInstance?.close();
    this.clientInstance = undefined;
  }
}
