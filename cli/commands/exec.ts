// tug exec POD|deployment/NAME [-c NAME] [-i] [-t] -- CMD ARGS...
// The command's exit code becomes tug's own.
import { on } from 'node:events';
import type { ReadStream } from 'node:tty';
import type { TerminalSize } from '../../lib/client/api-client.js';
import { ApiError } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { defaultContainer, resolvePod } from './pod-target.js';

export interface ExecFlags {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

export interface ExecPlan {
  command: string[];
  /** Send our stdin to the command. */
  stdin: boolean;
  /** Run it under a terminal. */
  tty: boolean;
  /** Put our terminal in raw mode (keys, Ctrl-C included, go to the command). */
  raw: boolean;
  /** Printed on stderr first (kubectl's). */
  warning?: string;
}

/**
 * What an exec does from its flags and whether our stdin is a terminal, as
 * kubectl does it: -t with -i needs a terminal to read from (else it goes
 * without one, with a warning); -t alone runs the command under a terminal but
 * sends no input, so our terminal stays as it is and Ctrl-C still stops tug.
 */
export function planExec(command: string[], f: ExecFlags, stdinIsTerminal: boolean): ExecPlan {
  if (command.length === 0) {
    throw new ApiError('BadRequest', 'you must specify at least one command for the container: tug exec POD -- COMMAND [ARGS...]');
  }
  const stdin = !!f.stdin;
  let tty = !!f.tty;
  let warning: string | undefined;
  if (tty && stdin && !stdinIsTerminal) {
    tty = false;
    warning = 'Unable to use a TTY - input is not a terminal or the right kind of file';
  }
  return { command, stdin, tty, raw: tty && stdin, warning };
}

/** The terminal's size now and after each change, until the iteration is ended. */
async function* terminalSizes(out: NodeJS.WriteStream): AsyncGenerator<TerminalSize> {
  yield { width: out.columns, height: out.rows };
  for await (const _ of on(out, 'resize')) yield { width: out.columns, height: out.rows };
}

/** Runs the command; returns its exit code. */
export async function exec(ctx: CliContext, target: string, command: string[], flags: ExecFlags): Promise<number> {
  const input = process.stdin as ReadStream;
  const plan = planExec(command, flags, !!input.isTTY);
  if (plan.warning) ctx.err(plan.warning);
  const pod = await resolvePod(ctx.client, ctx.namespace, target);
  let container = flags.container;
  if (!container) {
    const d = defaultContainer(pod);
    container = d.container;
    if (d.notice) ctx.err(d.notice);
  }
  const raw = plan.raw && input.isTTY;
  if (raw) input.setRawMode(true);
  try {
    const { exitCode } = await ctx.client.exec(ctx.namespace, pod.metadata?.name ?? '', {
      container,
      command: plan.command,
      tty: plan.tty,
      stdin: plan.stdin ? input : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      resize: plan.tty && process.stdout.isTTY ? terminalSizes(process.stdout) : undefined,
    });
    if (exitCode !== 0) {
      if (raw) input.setRawMode(false);
      ctx.err(`command terminated with exit code ${exitCode}`);
    }
    return exitCode;
  } finally {
    if (raw) input.setRawMode(false);
  }
}
