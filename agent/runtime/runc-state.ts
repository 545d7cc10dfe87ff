// A container's state as `runc state` reports it, read from the files runc
// keeps instead of running runc: `<root>/<id>/state.json` (written atomically
// by runc), the init process's /proc/<pid>/stat, the exec FIFO that exists
// between create and start, and the freezer. The agent asks for states many
// times per pod; each `runc state` is a fork and exec of a Go binary, which
// under load cost the agent's event loop more than anything else it did.
// Anything unexpected in the files makes the caller ask runc itself.
//
// The reads are synchronous on purpose: these are small files in procfs,
// cgroupfs and the node's state dir, read from memory in microseconds, where
// each promise-based read costs the event loop four thread-pool round trips.
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { RuncState } from './container-state.js';

/** The fields of runc's state.json this reads (runc 1.x libcontainer State). */
export interface RuncStateFile {
  id?: unknown;
  init_process_pid?: unknown;
  init_process_start?: unknown;
  created?: unknown;
  config?: { labels?: unknown };
  cgroup_paths?: Record<string, unknown>;
}

export type RuncStatus = 'created' | 'running' | 'paused' | 'stopped';

/** The process state letter and start time (clock ticks since boot) from /proc/<pid>/stat. */
export function parseProcStat(text: string): { state: string; startTime: number } | undefined {
  // Fields after the command name, which is in parentheses and may hold spaces or parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const startTime = Number(rest[19]);
  if (!state || !Number.isFinite(startTime)) return undefined;
  return { state, startTime };
}

/** runc keeps `bundle=<dir>` and every OCI annotation as `key=value` labels. */
export function labelsToAnnotations(labels: readonly string[]): { bundle: string; annotations: Record<string, string> } {
  let bundle = '';
  const annotations: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    if (eq < 0) continue;
    const k = l.slice(0, eq);
    const v = l.slice(eq + 1);
    if (k === 'bundle') bundle = v;
    else annotations[k] = v;
  }
  return { bundle, annotations };
}

/**
 * runc's rule: paused when the cgroup is frozen; stopped when the init
 * process is gone, is another process now (different start time) or a
 * zombie; created while the exec FIFO exists; else running.
 */
export function runcStatus(o: { initStart: number; proc: { state: string; startTime: number } | undefined; execFifo: boolean; frozen: boolean }): RuncStatus {
  if (o.frozen) return 'paused';
  if (!o.proc || o.proc.startTime !== o.initStart || o.proc.state === 'Z' || o.proc.state === 'X') return 'stopped';
  return o.execFifo ? 'created' : 'running';
}

/** The state file's fields, or undefined when it does not look like runc 1.x wrote it. */
export function checkStateFile(f: RuncStateFile, id: string): { pid: number; initStart: number; created: string; labels: string[]; cgroupPaths: Record<string, string> } | undefined {
  if (f.id !== id || typeof f.init_process_pid !== 'number' || typeof f.init_process_start !== 'number' || typeof f.created !== 'string') return undefined;
  const labels = f.config?.labels ?? [];
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) return undefined;
  const cgroupPaths: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.cgroup_paths ?? {})) if (typeof v === 'string') cgroupPaths[k] = v;
  return { pid: f.init_process_pid, initStart: f.init_process_start, created: f.created, labels, cgroupPaths };
}

/** Thrown when the files cannot say: ask runc. */
export class StateUnreadable extends Error {}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function frozen(cgroupPaths: Record<string, string>): boolean {
  if (cgroupPaths.freezer) return readOptional(join(cgroupPaths.freezer, 'freezer.state'))?.trim() === 'FROZEN';
  const unified = cgroupPaths[''];
  if (unified) return readOptional(join(unified, 'cgroup.freeze'))?.trim() === '1';
  return false;
}

type StateFields = NonNullable<ReturnType<typeof checkStateFile>>;

/** A parsed state.json and the file it came from (runc replaces the file by rename, so a new one has a new inode). */
interface Parsed {
  ino: number;
  mtimeMs: number;
  size: number;
  fields: StateFields;
}

/** Most containers a cache keeps before it starts over (a node runs at most a few hundred). */
const CACHE_LIMIT = 4096;

/**
 * Reads runc states; remembers each parsed state.json (30 KB of JSON, most of
 * it the container's whole config) until the file is replaced, so a state
 * asked for again costs a stat and the few small files that change.
 */
export class RuncStateReader {
  private readonly parsed = new Map<string, Parsed>();

  constructor(private readonly root: string) {}

  /** Drops what is known of a container (it was deleted). */
  forget(id: string): void {
    this.parsed.delete(id);
  }

  private fields(id: string): StateFields | undefined {
    const path = join(this.root, id, 'state.json');
    let st: Stats;
    try {
      st = statSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.parsed.delete(id);
        return undefined;
      }
      throw new StateUnreadable(`cannot read ${path}: ${(err as Error).message}`);
    }
    const known = this.parsed.get(id);
    if (known && known.ino === st.ino && known.mtimeMs === st.mtimeMs && known.size === st.size) return known.fields;
    let text: string | undefined;
    try {
      text = readText(path);
    } catch (err) {
      throw new StateUnreadable(`cannot read ${path}: ${(err as Error).message}`);
    }
    if (text === undefined) return undefined;
    let f: StateFields | undefined;
    try {
      f = checkStateFile(JSON.parse(text) as RuncStateFile, id);
    } catch {
      f = undefined;
    }
    if (!f) throw new StateUnreadable(`${path} is not in the form this agent knows`);
    if (this.parsed.size >= CACHE_LIMIT) this.parsed.clear();
    this.parsed.set(id, { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, fields: f });
    return f;
  }

  /**
   * What `runc --root=<root> state <id>` would print, from runc's files;
   * undefined when runc has no such container. Throws StateUnreadable when
   * the files are not what runc 1.x writes.
   */
  async read(id: string): Promise<RuncState | undefined> {
    const f = this.fields(id);
    return f && stateFrom(join(this.root, id), id, f);
  }
}

/** One-off read (no cache): see RuncStateReader.read. */
export function readRuncState(root: string, id: string): Promise<RuncState | undefined> {
  return new RuncStateReader(root).read(id);
}

function stateFrom(dir: string, id: string, f: StateFields): RuncState {
  const procText = f.pid > 0 ? readOptional(`/proc/${f.pid}/stat`) : undefined;
  let execFifo = true;
  try {
    statSync(join(dir, 'exec.fifo'));
  } catch {
    execFifo = false;
  }
  const status = runcStatus({ initStart: f.initStart, proc: procText ? parseProcStat(procText) : undefined, execFifo, frozen: frozen(f.cgroupPaths) });
  const { bundle, annotations } = labelsToAnnotations(f.labels);
  return { id, pid: status === 'stopped' ? 0 : f.pid, status, bundle, created: f.created, annotations };
}
