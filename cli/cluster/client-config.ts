// The client config that `tug cluster up` writes so `tug get nodes` works at
// once. `server:` is what every command reads (cli/config.ts); `clusters:`
// remembers each local cluster's address, so `down` of one cluster can point
// `server:` back at another that still runs. Other keys and comments are kept.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { configPath } from '../config.js';

const HEADER = ' tugboat client config (read by tug; `tug cluster up` sets server: and clusters:)';

function load(text: string | undefined) {
  const doc = parseDocument(text ?? '');
  if (doc.errors.length) throw new Error(`the client config is not valid YAML: ${doc.errors[0]!.message}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error('the client config must be a YAML map');
  if (doc.contents === null) doc.commentBefore ??= HEADER;
  return doc;
}

/** Adds (or updates) cluster `name` at `server` and makes it the one `tug` talks to. */
export function addCluster(text: string | undefined, name: string, server: string): string {
  const doc = load(text);
  doc.setIn(['clusters', name, 'server'], server);
  doc.set('server', server);
  doc.set('current-cluster', name);
  return doc.toString();
}

/**
 * Forgets cluster `name`. When it was the current one, another remembered
 * cluster becomes current, or `server:` goes (tug falls back to its default).
 */
export function removeCluster(text: string | undefined, name: string): string {
  const doc = load(text);
  const wasCurrent = doc.get('current-cluster') === name;
  doc.deleteIn(['clusters', name]);
  const clusters = doc.get('clusters');
  const remaining = isMap(clusters) ? clusters.items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key)) : [];
  if (isMap(clusters) && clusters.items.length === 0) doc.delete('clusters');
  if (wasCurrent) {
    const next = remaining[0];
    if (next !== undefined) {
      doc.set('server', doc.getIn(['clusters', next, 'server']));
      doc.set('current-cluster', next);
    } else {
      doc.delete('server');
      doc.delete('current-cluster');
    }
  }
  // An empty map prints as `{}`: leave only the header comment then.
  if (isMap(doc.contents) && doc.contents.items.length === 0) return `${(doc.commentBefore ?? HEADER).split('\n').map((l) => `#${l}`).join('\n')}\n`;
  return doc.toString();
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

/** Records the cluster in the client config ($TUG_CONFIG or ~/.tug/config.yaml); returns the file's path. */
export async function rememberCluster(name: string, server: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await writeAtomic(path, addCluster(await readOptional(path), name, server));
  return path;
}

/** Removes the cluster from the client config, if it is there. */
export async function forgetCluster(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const path = configPath(env);
  const text = await readOptional(path);
  if (text === undefined) return undefined;
  const doc = load(text);
  if (doc.getIn(['clusters', name]) === undefined && doc.get('current-cluster') !== name) return undefined;
  await writeAtomic(path, removeCluster(text, name));
  return path;
}
