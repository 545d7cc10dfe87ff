// Running the node's tools (runc, ip, mount, CNI plugins) as child processes,
// with their stderr in the error so a failure says what the tool said.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface CommandResult {
  code: number;
  /** Set when the process died from a signal. */
  signal?: NodeJS.Signals;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

const resolved = new Map<string, string>();

/**
 * A program named without a directory, looked up in PATH once. Spawning by
 * bare name makes every child try each PATH entry in turn (ten or more here)
 * while the agent's event loop waits for the exec; mount and unshare run for
 * every pod. Unfound names are left for spawn to report.
 */
export function resolveProgram(file: string, path = process.env.PATH ?? ''): string {
  if (file.includes('/')) return file;
  const key = `${path}\0${file}`;
  const known = resolved.get(key);
  if (known) return known;
  for (const dir of path.split(delimiter)) {
    if (!dir.startsWith('/')) continue;
    const candidate = join(dir, file);
    try {
      accessSync(candidate, constants.X_OK);
      resolved.set(key, candidate);
      return candidate;
    } catch {
      // not here
    }
  }
  return file;
}

/** Runs a command to completion and reports how it ended; never throws for a non-zero exit. */
export function runCommand(file: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(resolveProgram(file, (opts.env ?? process.env).PATH), args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? 128,
        ...(signal ? { signal } : {}),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {
        // The command may exit without reading its input; its exit status tells the story.
      });
      child.stdin!.end(opts.input);
    }
  });
}

/** Error text from a failed command: its stderr (or stdout), trimmed. */
export function commandError(file: string, args: string[], r: CommandResult): string {
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join(' | ');
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return `${[file, ...args].join(' ')} failed (${how})${said ? `: ${said}` : ''}`;
}

/** Runs a command and returns its stdout; throws with its stderr on a non-zero exit. */
export async function mustRun(file: string, args: string[], opts: CommandOptions = {}): Promise<string> {
  const r = await runCommand(file, args, opts);
  if (r.code !== 0 || r.signal) throw new Error(commandError(file, args, r));
  return r.stdout;
}
