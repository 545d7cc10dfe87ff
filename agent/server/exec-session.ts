// One `exec`: a command started in a running container through the runtime,
// its output sent as it comes (with backpressure), input, stdin close and
// terminal resizes passed in, and its exit code at the end.
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type * as T from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { mayBeRuncError, runcExecFailure } from './exec-failure.js';
import type { ContainerRuntime } from './resolver.js';
import { resizeExecTerminal } from './tty-resize.js';

/** How long a command gets to end on SIGTERM after its client went away. */
const TERMINATE_GRACE_MS = 5000;

export interface ExecSessionOptions {
  runtime: ContainerRuntime;
  containerId: string;
  command: string[];
  tty: boolean;
  /** Whether the client sends stdin; without it the command's stdin is closed at once. */
  stdin: boolean;
  /** Sends output to the client; resolves when more may be sent. */
  write(out: T.ExecOutput): Promise<void>;
}

export interface ExecSession {
  /** Stdin bytes, stdin close or a resize from the client; resolves when the next may be passed in. */
  input(msg: T.ExecInput): Promise<void>;
  /** The client will send nothing more. */
  endInput(): void;
  /** The client went away: stop the command (SIGTERM, then SIGKILL). */
  terminate(): void;
  /** The command's exit code, once it has ended and all its output was written. */
  readonly done: Promise<number>;
}

export function startExecSession(o: ExecSessionOptions): ExecSession {
  const child = o.runtime.spawnExec(o.containerId, o.command, { tty: o.tty });
  const stdin = child.stdin!;
  stdin.on('error', () => {
    // The command may end without reading its input; its exit code tells the story.
  });
  // Under a tty, closing the terminal's input types an EOF into it; a session
  // without stdin keeps it open instead, as the runtime's own exec does.
  if (!o.stdin && !o.tty) stdin.end();

  // Sends are chained so output keeps its order; a stream is paused until its chunk is sent.
  let sending: Promise<void> = Promise.resolve();
  let sendError: unknown;
  const send = (out: T.ExecOutput): Promise<void> => {
    sending = sending.then(() => o.write(out)).catch((e) => void (sendError ??= e));
    return sending;
  };

  // runc reports its own failure to start the command on the stream the
  // command's stderr would use; such output is held until it is known not to be that.
  const errorChannel: 'stdout' | 'stderr' = o.tty ? 'stdout' : 'stderr';
  let held: Buffer[] | undefined = [];
  const heldText = () => Buffer.concat(held ?? []).toString('latin1');

  const pipe = (stream: Readable, channel: 'stdout' | 'stderr') => {
    stream.on('data', (chunk: Buffer) => {
      if (channel === errorChannel && held) {
        held.push(chunk);
        if (mayBeRuncError(heldText())) return;
        chunk = Buffer.concat(held);
        held = undefined;
      }
      stream.pause();
      void send({ [channel]: chunk }).then(() => stream.resume());
    });
  };
  pipe(child.stdout!, 'stdout');
  if (child.stderr) pipe(child.stderr, 'stderr');

  let resizing: Promise<unknown> = Promise.resolve();
  let ended = false;
  let killTimer: NodeJS.Timeout | undefined;

  const done = new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new ApiError('Internal', `cannot start exec in container ${o.containerId}: ${e.message}`)));
    child.once('close', (code, signal) => {
      ended = true;
      if (killTimer) clearTimeout(killTimer);
      let exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
      void (async () => {
        await sending;
        if (held?.length) {
          const failure = runcExecFailure(heldText(), exitCode);
          if (failure) {
            exitCode = failure.exitCode;
            await send({ stderr: Buffer.from(failure.message) });
          } else {
            await send({ [errorChannel]: Buffer.concat(held) });
          }
          held = undefined;
        }
        await resizing;
        if (sendError) reject(sendError);
        else resolve(exitCode);
      })();
    });
  });

  return {
    done,
    async input(msg) {
      if (msg.resize && o.tty && child.pid !== undefined) {
        const size = { width: msg.resize.width ?? 0, height: msg.resize.height ?? 0 };
        const pid = child.pid;
        resizing = resizing.then(() => (ended ? false : resizeExecTerminal(pid, size).catch(() => false)));
        // Input after a resize is passed on once the terminal has its new size.
        await resizing;
      }
      if (!o.stdin || ended || stdin.writableEnded) return;
      if (msg.stdin?.length && !stdin.write(msg.stdin)) {
        await new Promise<void>((r) => {
          stdin.once('drain', r);
          child.once('close', r);
        });
      }
      if (msg.stdinClosed) stdin.end();
    },
    endInput() {
      if (o.stdin && !stdin.writableEnded) stdin.end();
    },
    terminate() {
      if (ended || killTimer) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), TERMINATE_GRACE_MS);
      killTimer.unref();
    },
  };
}
