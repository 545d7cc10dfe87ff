// tug delete: by file, by KIND NAME..., or by label selector.
import type { DeleteOptions as ClientDeleteOptions } from '../../lib/client/api-client.js';
import type { KindInfo } from '../../lib/api/kinds.js';
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { problemText } from '../errors.js';
import { checkDoc, docWhere, isRejected } from '../manifest.js';
import { notFoundMessage, parseObjectArgs, resourceRef } from '../names.js';
import { deadline, parseDuration, waitForDeletion } from '../wait.js';
import { loadDocs } from './apply.js';

export interface DeleteCommandOptions {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  all?: boolean;
  cascade?: string;
  gracePeriod?: string;
  ignoreNotFound?: boolean;
  wait?: boolean;
  timeout?: string;
}

export function parseCascade(s: string | undefined): ClientDeleteOptions['propagationPolicy'] {
  switch ((s ?? 'background').toLowerCase()) {
    case 'background':
    case 'true':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw new ApiError('BadRequest', `invalid --cascade value "${s}": use background, foreground or orphan`);
  }
}

export function parseGracePeriod(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n)) throw new ApiError('BadRequest', `invalid --grace-period "${s}": a whole number of seconds, or -1 for the object's default`);
  return n < 0 ? undefined : n;
}

interface Target {
  info: KindInfo;
  namespace: string | undefined;
  name: string;
  where?: string;
}

export async function del(ctx: CliContext, args: string[], opts: DeleteCommandOptions): Promise<number> {
  const policy = parseCascade(opts.cascade);
  const gracePeriodSeconds = parseGracePeriod(opts.gracePeriod);
  const timeoutMs = parseDuration(opts.timeout ?? '0');
  let status = 0;
  const targets: Target[] = [];

  if (opts.filename?.length) {
    if (args.length) throw new ApiError('BadRequest', 'give either -f FILE or KIND NAME..., not both');
    for (const doc of loadDocs(opts.filename, !!opts.recursive)) {
      const r = checkDoc(doc, { namespace: ctx.namespace, namespaceFromFlag: ctx.namespaceFromFlag });
      if (isRejected(r)) {
        ctx.err(`error: ${docWhere(r.doc)}: ${problemText(r.problem)}`);
        status = 1;
        continue;
      }
      targets.push({ info: r.info, namespace: r.obj.metadata?.namespace, name: r.obj.metadata?.name ?? '', where: docWhere(r.doc) });
    }
  } else {
    const { kinds, names } = parseObjectArgs(args);
    if (names.length) {
      if (opts.selector || opts.all) throw new ApiError('BadRequest', 'names cannot be given together with -l or --all');
      for (const n of names) targets.push({ info: n.info, namespace: n.info.namespaced ? ctx.namespace : undefined, name: n.name });
    } else {
      if (!opts.selector && !opts.all) throw new ApiError('BadRequest', 'resource(s) were provided, but no name was specified; give NAMEs, -l SELECTOR or --all');
      for (const info of kinds) {
        const { items } = await ctx.client.list(info.kind, { namespace: info.namespaced ? ctx.namespace : '', labelSelector: opts.selector });
        for (const o of items) targets.push({ info, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' });
      }
      if (!targets.length) ctx.err(kinds.some((k) => k.namespaced) ? `No resources found in ${ctx.namespace} namespace.` : 'No resources found');
    }
  }

  const waits: Promise<void>[] = [];
  for (const t of targets) {
    try {
      const res = await ctx.client.delete(t.info.kind, t.namespace, t.name, { propagationPolicy: policy, gracePeriodSeconds });
      ctx.out(`${resourceRef(t.info, t.name)} deleted`);
      if (!res.deleted && opts.wait !== false) waits.push(waitForDeletion(ctx.client, t.info, t.namespace, t.name, res.object.metadata?.uid));
    } catch (e) {
      if (isNotFound(e)) {
        if (opts.ignoreNotFound) continue;
        ctx.err(notFoundMessage(t.info, t.name));
      } else if (e instanceof ApiError && e.code === 'Unavailable') {
        throw e;
      } else {
        ctx.err(`error: ${t.where ? `${t.where}: ` : ''}${problemText(e)}`);
      }
      status = 1;
    }
  }
  if (waits.length) {
    const d = deadline(timeoutMs, 'the deleted objects to go away (their finalizers or grace period hold them)');
    try {
      await Promise.race([Promise.all(waits), d.promise]);
    } finally {
      d.cancel();
    }
  }
  return status;
}
