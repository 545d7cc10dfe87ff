// Machine-readable output: -o json, -o yaml, -o name.
import { stringify } from 'yaml';
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import { ApiError } from '../../lib/errors.js';
import { qualifiedName } from '../names.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(s: string | undefined): OutputFormat {
  if (s === undefined || s === '') return 'table';
  if (s === 'wide' || s === 'json' || s === 'yaml' || s === 'name') return s;
  throw new ApiError('BadRequest', `unable to match a printer for output format "${s}"; allowed formats are: json, name, wide, yaml`);
}

/** The object with apiVersion and kind first, as the API returns them. */
export function withTypeMeta(info: KindInfo, obj: AnyObject): AnyObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return { apiVersion: info.apiVersion, kind: info.kind, ...rest } as AnyObject;
}

export function listOf(items: AnyObject[]): { apiVersion: 'v1'; kind: 'List'; items: AnyObject[] } {
  return { apiVersion: 'v1', kind: 'List', items };
}

export function toJson(v: unknown): string {
  return JSON.stringify(v, null, 4) + '\n';
}

export function toYaml(v: unknown): string {
  // kubectl's layout: list items flush with their key, long strings unfolded
  return stringify(v, { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

export function nameLine(info: KindInfo, obj: AnyObject): string {
  return qualifiedName(info, obj.metadata?.name ?? '');
}
