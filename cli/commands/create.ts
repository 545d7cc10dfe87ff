// tug create namespace NAME | create -f FILE: create only, never update.
import { kindInfo, type AnyObject } from '../../lib/api/kinds.js';
import { ApiError, isAlreadyExists } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { problemText } from '../errors.js';
import { checkDoc, docWhere, isRejected, type CheckedDoc } from '../manifest.js';
import { lastAppliedOf, withLastApplied } from '../merge.js';
import { qualifiedName, resourceRef } from '../names.js';
import { loadDocs } from './apply.js';

export interface CreateOptions {
  filename?: string[];
  recursive?: boolean;
  /** record the last-applied configuration, so a later apply can remove fields */
  saveConfig?: boolean;
}

export async function create(ctx: CliContext, args: string[], opts: CreateOptions): Promise<number> {
  if (opts.filename?.length) {
    if (args.length) throw new ApiError('BadRequest', 'give either -f FILE or a kind to create, not both');
    return createFromFiles(ctx, opts);
  }
  const [what, name, ...rest] = args;
  if (what === 'namespace' || what === 'ns') {
    if (!name || rest.length) throw new ApiError('BadRequest', 'usage: tug create namespace NAME');
    const info = kindInfo('Namespace');
    try {
      await ctx.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      if (isAlreadyExists(e)) {
        ctx.err(`Error from server (AlreadyExists): ${resourceRef(info, name)} already exists`);
        return 1;
      }
      throw e;
    }
    ctx.out(`${qualifiedName(info, name)} created`);
    return 0;
  }
  throw new ApiError('BadRequest', what ? `cannot create "${what}" from the command line; use: tug create namespace NAME, or tug create -f FILE` : 'usage: tug create namespace NAME | tug create -f FILE');
}

async function createFromFiles(ctx: CliContext, opts: CreateOptions): Promise<number> {
  let status = 0;
  const good: CheckedDoc[] = [];
  for (const doc of loadDocs(opts.filename!, !!opts.recursive)) {
    const r = checkDoc(doc, { namespace: ctx.namespace, namespaceFromFlag: ctx.namespaceFromFlag });
    if (isRejected(r)) {
      ctx.err(`error: ${docWhere(r.doc)}: ${problemText(r.problem)}`);
      status = 1;
    } else good.push(r);
  }
  // the server checks every object before any is written
  const valid: { c: CheckedDoc; obj: AnyObject }[] = [];
  for (const c of good) {
    const obj = opts.saveConfig ? withLastApplied(c.obj, lastAppliedOf(c.obj)) : c.obj;
    try {
      await ctx.client.create(obj, { dryRun: true });
      valid.push({ c, obj });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'Unavailable') throw e;
      ctx.err(`error: ${docWhere(c.doc)}: ${problemText(e)}`);
      status = 1;
    }
  }
  for (const { c, obj } of valid) {
    try {
      await ctx.client.create(obj);
      ctx.out(`${qualifiedName(c.info, c.obj.metadata?.name ?? '')} created`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'Unavailable') throw e;
      ctx.err(`error: ${docWhere(c.doc)}: ${problemText(e)}`);
      status = 1;
    }
  }
  return status;
}
