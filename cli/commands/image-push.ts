// tug image push SRC NAME:TAG: a root filesystem (directory or tarball)
// becomes a one-layer OCI image in a registry, for users without image tooling.
import { Command } from 'commander';
import { ApiError } from '../../lib/errors.js';
import { buildImage } from '../../lib/oci/build.js';
import { pushImage } from '../../lib/oci/push.js';
import { defaultRegistry, formatReference, parseImageReference, registryAddressProblem } from '../../lib/oci/reference.js';
import { stdio, type Output } from '../context.js';
import { errorLine } from '../errors.js';

export interface ImagePushOptions {
  entrypoint?: string;
  cmd?: string;
  env?: string[];
  workdir?: string;
  user?: string;
  /** Registry for a NAME without a host; default $TUG_REGISTRY, else 127.0.0.1:5000. */
  registry?: string;
}

/**
 * `--entrypoint`/`--cmd` values: a JSON array (`["sh","-c","echo hi"]`) for
 * arguments with spaces, else words split on whitespace (`httpd -f -p 80`).
 */
export function parseCommandLine(value: string, flag: string): string[] {
  const s = value.trim();
  if (s.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch (e) {
      throw new ApiError('BadRequest', `${flag} ${value}: not a JSON array (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
      throw new ApiError('BadRequest', `${flag} ${value}: must be a JSON array of strings`);
    }
    return parsed;
  }
  const words = s.split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new ApiError('BadRequest', `${flag} is empty: give a command, e.g. ${flag} 'httpd -f' or ${flag} '["sh","-c","echo hi"]'`);
  return words;
}

/** Builds and pushes; returns the line printed on success. */
export async function imagePush(src: string, name: string, opts: ImagePushOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const registry = opts.registry ?? defaultRegistry(env);
  const problem = registryAddressProblem(registry);
  if (problem) throw new ApiError('BadRequest', `--registry ${registry}: ${problem}`);
  const ref = parseImageReference(name, { defaultRegistry: registry });
  const image = await buildImage({
    rootfs: src,
    ...(opts.entrypoint !== undefined && { entrypoint: parseCommandLine(opts.entrypoint, '--entrypoint') }),
    ...(opts.cmd !== undefined && { cmd: parseCommandLine(opts.cmd, '--cmd') }),
    ...(opts.env && { env: opts.env }),
    ...(opts.workdir !== undefined && { workingDir: opts.workdir }),
    ...(opts.user !== undefined && { user: opts.user }),
  });
  try {
    const pushed = await pushImage(ref, image);
    return `pushed ${formatReference({ ...pushed.reference, digest: pushed.digest })}`;
  } finally {
    await image.dispose();
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The `push` subcommand, for `tug image`. */
export function imagePushCommand(io: Output = stdio, env: NodeJS.ProcessEnv = process.env): Command {
  return new Command('push')
    .description('build a one-layer image from a root filesystem (directory or .tar/.tar.gz) and push it to a registry')
    .argument('<src>', 'root filesystem: a directory or a tar archive (plain or gzip)')
    .argument('<name>', 'image name, e.g. web:1 or 127.0.0.1:5000/team/web:1')
    .option('--entrypoint <command>', 'image entrypoint: words, or a JSON array')
    .option('--cmd <command>', 'image default command (arguments to the entrypoint): words, or a JSON array')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [] as string[])
    .option('-w, --workdir <dir>', 'working directory (absolute)')
    .option('-u, --user <user>', 'user (and group) the process runs as, e.g. 1000:1000')
    .option('--registry <host:port>', `registry for names without a host (default $TUG_REGISTRY, else 127.0.0.1:5000)`)
    .action(async (src: string, name: string, opts: ImagePushOptions) => {
      try {
        io.out(await imagePush(src, name, opts, env));
      } catch (e) {
        io.err(errorLine(e));
        process.exitCode = 1;
      }
    });
}

/** `tug image` with its subcommands (today: push). */
export function imageCommand(io: Output = stdio, env: NodeJS.ProcessEnv = process.env): Command {
  return new Command('image').description('work with container images').addCommand(imagePushCommand(io, env));
}
