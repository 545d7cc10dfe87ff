// conmon, the per-container monitor: it runs `runc create`, holds the
// container's stdio, writes its output to a CRI-format log, and writes the exit
// code to the exit dir when the container ends. It daemonizes (own session), so
// containers outlive the agent that made them.
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';

export interface ConmonInvocation {
  conmon: string;
  runc: string;
  runcRoot: string;
  id: string;
  /** Names the socket symlink conmon makes in socketDir; keep it short (socket paths max out at 108 bytes). */
  uuid: string;
  bundle: string;
  /** runc writes the container's pid here. */
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  logPath: string;
  socketDir: string;
  maxLogBytes?: number;
}

/** conmon's command line (the form the design notes found working with Debian's conmon 2.1 and runc 1.1). */
export function conmonArgs(c: ConmonInvocation): string[] {
  const args = [
    '--api-version', '1',
    '-c', c.id,
    '-u', c.uuid,
    '-r', c.runc,
    '-b', c.bundle,
    '-p', c.pidFile,
    '-n', c.id,
    '--exit-dir', c.exitDir,
    '-l', `k8s-file:${c.logPath}`,
    '--conmon-pidfile', c.conmonPidFile,
    '--socket-dir-path', c.socketDir,
    '--runtime-arg', `--root=${c.runcRoot}`,
  ];
  if (c.maxLogBytes) args.push('--log-size-max', String(c.maxLogBytes));
  return args;
}

/** What conmon sends on its sync pipe once `runc create` has finished: the pid, or -1 and a message. */
export function parseSyncMessage(text: string): { pid: number } | { error: string } | undefined {
  const end = text.indexOf('}');
  if (end < 0) return undefined;
  let msg: { data?: number; message?: string };
  try {
    msg = JSON.parse(text.slice(text.indexOf('{'), end + 1)) as { data?: number; message?: string };
  } catch {
    return { error: `conmon sent an unreadable sync message: ${text.slice(0, 200)}` };
  }
  if (typeof msg.data === 'number' && msg.data > 0) return { pid: msg.data };
  return { error: msg.message?.trim() || `conmon reported failure (${String(msg.data)})` };
}

/**
 * Starts conmon and resolves with the container's pid once `runc create` has
 * made it (state `created`). Rejects with runc's or conmon's words otherwise.
 * conmon's own stderr goes to `stderrPath`.
 */
export async function runConmon(c: ConmonInvocation, stderrPath: string, timeoutMs = 60_000): Promise<number> {
  const errFile = await open(stderrPath, 'a');
  try {
    const child = spawn(c.conmon, conmonArgs(c), {
      // fd 3 is the sync pipe; conmon's daemon keeps it open, so we stop reading after one message.
      stdio: ['ignore', 'ignore', errFile.fd, 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' },
      detached: true,
    });
    child.unref();
    const sync = child.stdio[3] as Socket;
    return await new Promise<number>((resolve, reject) => {
      let text = '';
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sync.destroy();
        fn();
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`conmon did not report container ${c.id} created within ${timeoutMs} ms; see ${stderrPath}`))),
        timeoutMs,
      );
      sync.on('data', (d: Buffer) => {
        text += d.toString('utf8');
        const msg = parseSyncMessage(text);
        if (!msg) return;
        finish(() => ('pid' in msg ? resolve(msg.pid) : reject(new Error(msg.error))));
      });
      sync.on('error', () => undefined);
      sync.on('close', () =>
        finish(() => reject(new Error(`conmon exited before creating container ${c.id}; see ${stderrPath} (does the socket dir ${c.socketDir} exist?)`))),
      );
      child.once('error', (e) => finish(() => reject(new Error(`cannot run ${c.conmon}: ${e.message}`))));
    });
  } finally {
    await errFile.close();
  }
}
