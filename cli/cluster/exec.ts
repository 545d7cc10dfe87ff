// Running system commands (ip, runc, umount) and reporting their failures with
// the command line and its stderr, which is what a person needs to act.
import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 2 ** 20, encoding: 'utf8', env: env ?? process.env }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && typeof e.code === 'string') {
        // The command could not start at all (ENOENT: not installed).
        resolve({ code: 127, stdout: '', stderr: `${file}: ${e.message}` });
        return;
      }
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

export function describeCommand(file: string, args: string[]): string {
  return [file, ...args].map((a) => (/^[\w./:=@,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs a command and returns its stdout; a non-zero exit throws with the command and its stderr. */
export async function mustRun(file: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await run(file, args, timeoutMs);
  if (r.code !== 0) {
    throw new Error(`\`${describeCommand(file, args)}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}
