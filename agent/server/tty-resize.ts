// Resizing the terminal of a `runc exec --tty`. The runtime runs runc under
// util-linux `script`, whose pseudo-terminal is runc's stdio; runc copies that
// terminal's size into the container's terminal when it gets SIGWINCH. Setting
// the size of script's terminal (stty on runc's stdin) makes the kernel send
// that SIGWINCH, so the size reaches the container without any native code.
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../runtime/command.js';

/** `/proc/PID/stat` → its parent pid (the field after the `(comm)`, which may itself hold spaces). */
export function parentPid(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

async function childOf(pid: number): Promise<number | undefined> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    if (stat && parentPid(stat) === pid) return Number(name);
  }
  return undefined;
}

/**
 * Sets the terminal size of the exec whose `script` process is `scriptPid`.
 * Right after the spawn, script may not have started runc yet: it is looked
 * for a little while. Returns false if it could not be done (the exec ended).
 */
export async function resizeExecTerminal(scriptPid: number, size: { width: number; height: number }): Promise<boolean> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const child = await childOf(scriptPid);
    if (child !== undefined) {
      const r = await runCommand('stty', ['-F', `/proc/${child}/fd/0`, 'rows', String(size.height), 'cols', String(size.width)], { timeoutMs: 5000 });
      return r.code === 0;
    }
    await sleep(25);
  }
  return false;
}
