// When `runc exec` cannot start the command it prints its own error (as a
// logrus line) and exits 255. A shell would say 127 for a command that does
// not exist and 126 for one that cannot run; exec callers expect the same.
// Pure, so the rules are tested without runc.

/** runc's exit code when it failed itself (not the command). */
export const RUNC_FAILED_EXIT = 255;

export interface ExecFailure {
  exitCode: 126 | 127;
  /** runc's message, unquoted, with a newline: `exec failed: ...: executable file not found in $PATH` */
  message: string;
}

const LOGRUS_ERROR = /^time="[^"]*" level=error msg="((?:[^"\\]|\\.)*)"/;

/**
 * Whether output that starts like this could still turn out to be runc's own
 * error line: only then is it held back until the line is complete.
 */
export function mayBeRuncError(text: string): boolean {
  const prefix = 'time="';
  if (text.length < prefix.length) return prefix.startsWith(text);
  if (!text.startsWith(prefix)) return false;
  const nl = text.indexOf('\n');
  return nl < 0 || isRuncExecError(text.slice(0, nl));
}

function isRuncExecError(line: string): boolean {
  const m = LOGRUS_ERROR.exec(line);
  return !!m && /exec failed|unable to start container process/.test(m[1]!);
}

/** The whole output runc gave (its stderr, or the terminal under a tty) and its exit code → the failure, if it was runc's. */
export function runcExecFailure(output: string, runcExitCode: number): ExecFailure | undefined {
  if (runcExitCode !== RUNC_FAILED_EXIT) return undefined;
  const line = output.replace(/\r?\n$/, '');
  if (line.includes('\n')) return undefined;
  const m = LOGRUS_ERROR.exec(line);
  if (!m || !isRuncExecError(line)) return undefined;
  const message = m[1]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  const notFound = /executable file not found|no such file or directory/i.test(message);
  return { exitCode: notFound ? 127 : 126, message: message + '\n' };
}
