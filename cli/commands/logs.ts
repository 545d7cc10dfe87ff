// tug logs POD|deployment/NAME [-c NAME] [-f] [--tail N] [--previous] [--timestamps] [--since 5m]
import type { Writable } from 'node:stream';
import type { LogsOptions } from '../../lib/client/api-client.js';
import { ApiError } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../wait.js';
import { defaultContainer, resolvePod } from './pod-target.js';

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
  timestamps?: boolean;
  since?: string;
}

/** Command-line flags → the request's options (container aside). */
export function parseLogsFlags(f: LogsFlags): Omit<LogsOptions, 'container'> {
  const o: Omit<LogsOptions, 'container'> = {
    follow: !!f.follow,
    previous: !!f.previous,
    timestamps: !!f.timestamps,
  };
  if (f.tail !== undefined) {
    const n = Number(f.tail);
    if (!Number.isInteger(n) || n < -1) throw new ApiError('BadRequest', `--tail must be a whole number >= 0, or -1 for all lines; got "${f.tail}"`);
    if (n >= 0) o.tailLines = n;
  }
  if (f.since !== undefined) {
    const ms = parseDuration(f.since);
    if (ms <= 0) throw new ApiError('BadRequest', `--since must be a positive duration such as 30s, 5m or 1h; got "${f.since}"`);
    o.sinceSeconds = Math.ceil(ms / 1000);
  }
  return o;
}

function write(out: Writable, chunk: Buffer): Promise<void> | undefined {
  if (out.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      out.removeListener('drain', done);
      out.removeListener('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** Prints the log bytes as they come; returns the exit status. */
export async function logs(ctx: CliContext, target: string, flags: LogsFlags, out: Writable = process.stdout): Promise<number> {
  const opts = parseLogsFlags(flags);
  const pod = await resolvePod(ctx.client, ctx.namespace, target);
  let container = flags.container;
  if (!container) {
    const d = defaultContainer(pod);
    container = d.container;
    if (d.notice) ctx.err(d.notice);
  }
  const stream = ctx.client.logs(ctx.namespace, pod.metadata?.name ?? '', { ...opts, container });
  for await (const chunk of stream) await write(out, chunk);
  return 0;
}
