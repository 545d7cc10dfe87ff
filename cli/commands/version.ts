// tug version: this client's version and the apiserver's.
import { readFileSync } from 'node:fs';
import type { CliContext } from '../context.js';
import { toJson } from '../printers/output.js';

/** The version in package.json, found from this file in either cli/ or dist/cli/. */
export function clientVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tugboat' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}

export async function version(ctx: CliContext, opts: { client?: boolean; output?: string }): Promise<number> {
  const client = clientVersion();
  if (opts.client) {
    ctx.out(opts.output === 'json' ? toJson({ clientVersion: client }) : `Client Version: v${client}`);
    return 0;
  }
  if (opts.output !== 'json') ctx.out(`Client Version: v${client}`);
  const server = await ctx.client.version();
  if (opts.output === 'json') {
    ctx.out(toJson({ clientVersion: client, serverVersion: server }));
    return 0;
  }
  const v = server.version ?? 'unknown';
  ctx.out(`Server Version: ${v.startsWith('v') ? v : `v${v}`}`);
  if (server.etcdVersion) ctx.out(`etcd Version: ${server.etcdVersion}`);
  return 0;
}
