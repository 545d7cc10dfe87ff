// tug get: tables per kind, or the objects as JSON/YAML/names; -w follows changes.
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { notFoundMessage, parseObjectArgs } from '../names.js';
import { listOf, nameLine, parseOutputFormat, toJson, toYaml, withTypeMeta, type OutputFormat } from '../printers/output.js';
import { eventLastSeen } from '../printers/columns.js';
import type { Event } from '../../lib/api/generated/types.js';
import { headerRow, objectRow, TableFormatter, printTable, type TableOptions } from '../printers/table.js';

export interface GetOptions {
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
  watchOnly?: boolean;
  showLabels?: boolean;
  noHeaders?: boolean;
  ignoreNotFound?: boolean;
}

interface Group {
  info: KindInfo;
  items: AnyObject[];
  resourceVersion?: string;
}

/** `No resources found in default namespace.` — or without the namespace when it does not apply. */
export function noResourcesMessage(kinds: KindInfo[], namespace: string, allNamespaces: boolean): string {
  const namespaced = kinds.some((k) => k.namespaced);
  return namespaced && !allNamespaces ? `No resources found in ${namespace} namespace.` : 'No resources found';
}

export async function get(ctx: CliContext, args: string[], opts: GetOptions): Promise<number> {
  const format = parseOutputFormat(opts.output);
  const { kinds, names } = parseObjectArgs(args);
  const watching = !!(opts.watch || opts.watchOnly);
  if (watching && kinds.length > 1) throw new ApiError('BadRequest', 'you may only specify a single resource type with --watch');
  const nsOf = (info: KindInfo) => (!info.namespaced || opts.allNamespaces ? '' : ctx.namespace);
  if (names.length && opts.allNamespaces) throw new ApiError('BadRequest', 'a resource cannot be retrieved by name across all namespaces; use -n NAMESPACE');
  let status = 0;

  const groups: Group[] = [];
  if (names.length) {
    for (const { info, name } of names) {
      try {
        const obj = await ctx.client.get(info.kind, info.namespaced ? ctx.namespace : undefined, name);
        let g = groups.find((x) => x.info === info);
        if (!g) groups.push((g = { info, items: [] }));
        g.items.push(obj);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        if (!opts.ignoreNotFound) {
          ctx.err(notFoundMessage(info, name));
          status = 1;
        }
      }
    }
  } else {
    for (const info of kinds) {
      const res = await ctx.client.list(info.kind, { namespace: nsOf(info), labelSelector: opts.selector, fieldSelector: opts.fieldSelector });
      groups.push({ info, items: sortForTable(info, res.items, !!opts.allNamespaces), resourceVersion: res.resourceVersion });
    }
  }

  const table: TableOptions = {
    wide: format === 'wide',
    allNamespaces: !!opts.allNamespaces,
    showLabels: !!opts.showLabels,
    withKind: kinds.length > 1 || new Set(names.map((n) => n.info)).size > 1,
  };
  const all = groups.flatMap((g) => g.items.map((o) => withTypeMeta(g.info, o)));
  const now = new Date();
  const formatter = new TableFormatter();
  let headerPrinted = false;

  if (!opts.watchOnly) {
    if (format === 'json' || format === 'yaml') {
      if (all.length || !names.length) {
        const single = names.length === 1 && all.length === 1;
        const doc = single ? all[0] : listOf(all);
        ctx.out(format === 'json' ? toJson(doc) : toYaml(doc));
      }
    } else if (format === 'name') {
      for (const g of groups) for (const o of g.items) ctx.out(nameLine(g.info, o));
    } else {
      const blocks: string[] = [];
      for (const g of groups) {
        if (!g.items.length) continue;
        if (watching) {
          // watch rows must line up with this header later
          const rows = g.items.map((o) => objectRow(g.info, o, table, now));
          if (!opts.noHeaders) rows.unshift(headerRow(g.info, table));
          blocks.push(formatter.format(rows).join('\n'));
          headerPrinted = true;
        } else {
          blocks.push(printTable(g.info, g.items, { ...table, noHeaders: opts.noHeaders }, now).join('\n'));
        }
      }
      if (blocks.length) ctx.out(blocks.join('\n\n'));
    }
    if (!all.length && !names.length && !(watching && (format === 'json' || format === 'yaml'))) {
      ctx.err(noResourcesMessage(kinds, ctx.namespace, !!opts.allNamespaces));
    }
  }
  if (!watching) return status;

  const info = kinds[0]!;
  const fieldSelector = [opts.fieldSelector, names.length === 1 ? `metadata.name=${names[0]!.name}` : undefined].filter(Boolean).join(',');
  const nameFilter = names.length > 1 ? new Set(names.map((n) => n.name)) : undefined;
  let rv = groups[0]?.resourceVersion;
  if (rv === undefined) {
    // named gets carry no list revision: take it from a list
    rv = (await ctx.client.list(info.kind, { namespace: nsOf(info), labelSelector: opts.selector, fieldSelector })).resourceVersion;
  }
  for (;;) {
    const w = ctx.client.watch(info.kind, { namespace: nsOf(info), labelSelector: opts.selector, fieldSelector, resourceVersion: rv });
    try {
      for await (const ev of w) {
        if (ev.type === 'BOOKMARK' || !ev.object) {
          rv = ev.resourceVersion || rv;
          continue;
        }
        rv = ev.resourceVersion || ev.object.metadata?.resourceVersion || rv;
        if (nameFilter && !nameFilter.has(ev.object.metadata?.name ?? '')) continue;
        const obj = withTypeMeta(info, ev.object);
        if (format === 'json') ctx.out(toJson(obj));
        else if (format === 'yaml') ctx.out('---\n' + toYaml(obj));
        else if (format === 'name') ctx.out(nameLine(info, obj));
        else {
          const rows = [objectRow(info, obj, table, new Date())];
          if (!headerPrinted && !opts.noHeaders) rows.unshift(headerRow(info, table));
          headerPrinted = true;
          ctx.out(formatter.format(rows).join('\n'));
        }
      }
    } catch (e) {
      // a compacted revision: start again from now, as the list is already shown
      if (e instanceof ApiError && e.code === 'TooOld') {
        rv = (await ctx.client.list(info.kind, { namespace: nsOf(info), labelSelector: opts.selector, fieldSelector })).resourceVersion;
        continue;
      }
      throw e;
    }
    return status;
  }
}

/** Namespace then name, as kubectl lists; events oldest first, as they are read. */
export function sortForTable(info: KindInfo, items: AnyObject[], byNamespace: boolean): AnyObject[] {
  const time = (o: AnyObject) => Date.parse(eventLastSeen(o as Event) ?? '') || 0;
  return [...items].sort((a, b) => {
    if (byNamespace) {
      const c = (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '');
      if (c) return c;
    }
    if (info.kind === 'Event') return time(a) - time(b);
    return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  });
}
