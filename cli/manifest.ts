// Reading manifests (files, directories, stdin) and turning them into checked
// API objects. Parsing and checking are pure; only readSources touches disk.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kindByName, type KindInfo, type AnyObject, type KindName } from '../lib/api/kinds.js';
import { checkShape } from '../lib/api/shape.js';
import { ApiError, invalid } from '../lib/errors.js';
import { supportedKindsText } from './names.js';

export interface Source {
  /** the name used in messages: the path, or `<stdin>` */
  name: string;
  text: string;
}

/** One document of a manifest, parsed or not. */
export interface ManifestDoc {
  source: string;
  /** 1-based position among the non-empty documents of the source */
  index: number;
  /** 1-based position inside a `kind: List` document */
  item?: number;
  value?: unknown;
  /** why the document could not be parsed */
  error?: string;
}

/** A document that passed every local check, ready to send. */
export interface CheckedDoc {
  doc: ManifestDoc;
  info: KindInfo;
  obj: AnyObject;
}
export interface RejectedDoc {
  doc: ManifestDoc;
  problem: ApiError;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Reads -f arguments: files, directories (their .yaml/.yml/.json files, sorted) and `-` for stdin. */
export function readSources(paths: string[], opts: { recursive?: boolean; stdin?: () => string } = {}): Source[] {
  const out: Source[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ name: '<stdin>', text: (opts.stdin ?? (() => readFileSync(0, 'utf8')))() });
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw new ApiError('BadRequest', `the path "${p}" does not exist`);
    }
    if (st.isDirectory()) {
      out.push(...readDir(p, !!opts.recursive));
    } else {
      out.push({ name: p, text: readFileSync(p, 'utf8') });
    }
  }
  return out;
}

function readDir(dir: string, recursive: boolean): Source[] {
  const out: Source[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) {
      if (recursive) out.push(...readDir(p, true));
    } else if (MANIFEST_EXT.test(ent.name)) {
      out.push({ name: p, text: readFileSync(p, 'utf8') });
    }
  }
  return out;
}

/** `line 5, column 1: reason` followed by the yaml library's excerpt of the text. */
function describeYamlError(e: { message: string; linePos?: { line: number; col: number }[] }): string {
  const [first, ...rest] = e.message.split('\n');
  const reason = (first ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
  const excerpt = rest.filter((l) => l.trim() !== '');
  return where + reason + (excerpt.length ? '\n' + excerpt.map((l) => '    ' + l).join('\n') : '');
}

/**
 * Splits a YAML or JSON text into documents. A document that does not parse
 * carries its errors; the others are still usable. A `kind: List` document
 * stands for its items.
 */
export function parseManifest(src: Source): ManifestDoc[] {
  const out: ManifestDoc[] = [];
  const docs = parseAllDocuments(src.text);
  let index = 0;
  for (const d of docs) {
    if (d.errors.length === 0 && (d.contents === null || d.contents === undefined)) continue; // empty document
    index++;
    if (d.errors.length) {
      out.push({ source: src.name, index, error: d.errors.map(describeYamlError).join('\n') });
      continue;
    }
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      out.push({ source: src.name, index, error: (e as Error).message });
      continue;
    }
    if (value === null || value === undefined) {
      index--;
      continue;
    }
    if (isListDoc(value)) {
      const items = (value as { items?: unknown }).items;
      if (!Array.isArray(items)) {
        out.push({ source: src.name, index, error: 'a List must have "items", a list of objects' });
        continue;
      }
      items.forEach((v, i) => out.push({ source: src.name, index, item: i + 1, value: v }));
      continue;
    }
    out.push({ source: src.name, index, value });
  }
  return out;
}

function isListDoc(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const kind = (v as { kind?: unknown }).kind;
  return typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && 'items' in (v as object);
}

/** `Deployment/web`, as far as the document says. */
export function docLabel(doc: ManifestDoc): string {
  const v = doc.value as { kind?: unknown; metadata?: { name?: unknown } } | undefined;
  const kind = typeof v?.kind === 'string' && v.kind ? v.kind : undefined;
  const name = typeof v?.metadata?.name === 'string' && v.metadata.name ? v.metadata.name : undefined;
  if (!kind && !name) return '';
  return `${kind ?? '<no kind>'}/${name ?? '<no name>'}`;
}

/** `app.yaml (document 2, Deployment/web)` */
export function docWhere(doc: ManifestDoc): string {
  const parts = [`document ${doc.index}${doc.item ? `, item ${doc.item}` : ''}`];
  const label = docLabel(doc);
  if (label) parts.push(label);
  return `${doc.source} (${parts.join(', ')})`;
}

// Fields the server owns: a manifest saved from `get -o yaml` may carry them,
// and sending them back would be stale at best.
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

export interface CheckOptions {
  /** namespace for objects that name none */
  namespace: string;
  /** true when -n was given: an object naming another namespace is then an error, as in kubectl */
  namespaceFromFlag: boolean;
  /** whether metadata.name is required (apply, delete) */
  requireName?: boolean;
}

/**
 * Checks one parsed document locally: that it is an object of a served kind
 * and apiVersion, with the right shape, and a name. Returns the object as it
 * will be sent (namespace filled in, server-owned metadata dropped).
 */
export function checkDoc(doc: ManifestDoc, opts: CheckOptions): CheckedDoc | RejectedDoc {
  const reject = (message: string): RejectedDoc => ({ doc, problem: new ApiError('BadRequest', message) });
  if (doc.error !== undefined) return reject(doc.error);
  const v = doc.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    return reject(`expected an object with apiVersion, kind and metadata, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`);
  }
  const raw = v as Record<string, unknown>;
  if (typeof raw.kind !== 'string' || raw.kind === '') return reject(`"kind" is missing; supported kinds: ${supportedKindsText()}`);
  if (typeof raw.apiVersion !== 'string' || raw.apiVersion === '') return reject(`"apiVersion" is missing; supported kinds: ${supportedKindsText()}`);
  const info = kindByName(raw.kind);
  if (!info) return reject(`unknown kind "${raw.kind}"; supported kinds: ${supportedKindsText()}`);
  if (raw.apiVersion !== info.apiVersion) {
    return reject(`kind ${info.kind} is served as apiVersion "${info.apiVersion}", not "${raw.apiVersion}"; supported kinds: ${supportedKindsText()}`);
  }
  const causes = checkShape(info.kind as KindName, raw);
  const md = raw.metadata as Record<string, unknown> | undefined;
  const name = md && typeof md.name === 'string' ? md.name : '';
  if (causes.length) return { doc, problem: invalid(`${info.kind} "${name || '<no name>'}"`, causes) };
  if (opts.requireName !== false && !name) {
    return { doc, problem: invalid(`${info.kind}`, [{ field: 'metadata.name', message: 'is required (generateName is not supported here)' }]) };
  }
  // status stays: the server keeps it on create for the kinds that take it
  // from the writer (Node, kinds without a status subresource); apply leaves
  // it out of what it records and compares.
  const obj = structuredClone(raw) as Record<string, unknown> & { metadata?: Record<string, unknown> };
  const meta: Record<string, unknown> = { ...(obj.metadata ?? {}) };
  for (const f of SERVER_METADATA) delete meta[f];
  if (info.namespaced) {
    const own = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : undefined;
    if (own && opts.namespaceFromFlag && own !== opts.namespace) {
      return reject(`the namespace from the provided object "${own}" does not match the namespace "${opts.namespace}"; pass --namespace=${own} or remove the namespace from the file`);
    }
    meta.namespace = own ?? opts.namespace;
  } else {
    delete meta.namespace;
  }
  obj.metadata = meta;
  return { doc, info, obj: obj as AnyObject };
}

export function isRejected(r: CheckedDoc | RejectedDoc): r is RejectedDoc {
  return 'problem' in r;
}
