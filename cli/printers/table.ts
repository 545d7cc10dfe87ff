// `get` tables: the NAME column (kind-qualified when several kinds are
// listed), NAMESPACE first with -A, the kind's columns, LABELS last.
import type { AnyObject, KindInfo, KindName } from '../../lib/api/kinds.js';
import { qualifiedName } from '../names.js';
import { columnsOf, labelsText } from './columns.js';

export interface TableOptions {
  wide?: boolean;
  /** prefix a NAMESPACE column (namespaced kinds only) */
  allNamespaces?: boolean;
  showLabels?: boolean;
  /** NAME as `deployment.apps/web`, as kubectl does when several kinds are listed */
  withKind?: boolean;
}

export function headerRow(info: KindInfo, opts: TableOptions): string[] {
  const cols = columnsOf(info.kind as KindName);
  const row = [];
  if (opts.allNamespaces && info.namespaced) row.push('NAMESPACE');
  // kubectl heads the events table with LAST SEEN, not NAME
  if (info.kind !== 'Event') row.push('NAME');
  row.push(...cols.headers);
  if (opts.wide && cols.wideHeaders) row.push(...cols.wideHeaders);
  if (info.kind === 'Event' && opts.wide) row.push('NAME');
  if (opts.showLabels) row.push('LABELS');
  return row;
}

export function objectRow(info: KindInfo, obj: AnyObject, opts: TableOptions, now: Date): string[] {
  const cols = columnsOf(info.kind as KindName);
  const name = obj.metadata?.name ?? '';
  const shownName = opts.withKind ? qualifiedName(info, name) : name;
  const row = [];
  if (opts.allNamespaces && info.namespaced) row.push(obj.metadata?.namespace ?? '');
  if (info.kind !== 'Event') row.push(shownName);
  row.push(...cols.cells(obj, now));
  if (opts.wide && cols.wideCells) row.push(...cols.wideCells(obj, now));
  if (info.kind === 'Event' && opts.wide) row.push(shownName);
  if (opts.showLabels) row.push(labelsText(obj.metadata?.labels));
  return row;
}

/**
 * Aligns rows into lines. It remembers column widths, so rows printed later
 * (watch events) line up under the header printed first.
 */
export class TableFormatter {
  private widths: number[] = [];

  format(rows: string[][]): string[] {
    for (const r of rows) r.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, [...c].length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(this.widths[i]! - [...c].length + 3))).join('').replace(/\s+$/, ''));
  }
}

/** The whole table for a list of objects of one kind. */
export function printTable(info: KindInfo, objs: AnyObject[], opts: TableOptions & { noHeaders?: boolean }, now: Date): string[] {
  const rows = objs.map((o) => objectRow(info, o, opts, now));
  if (!opts.noHeaders) rows.unshift(headerRow(info, opts));
  return new TableFormatter().format(rows);
}
