// tug apply -f: every document is checked (locally, then by the server in
// dry-run) before anything is written; then the good ones are created or
// updated, each reported on its own line.
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import { ApiError, isAlreadyExists, isConflict, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { problemText } from '../errors.js';
import { checkDoc, docWhere, isRejected, parseManifest, readSources, type CheckedDoc, type ManifestDoc } from '../manifest.js';
import { planApply, type ApplyPlan } from '../merge.js';
import { qualifiedName } from '../names.js';

export type DryRun = 'none' | 'server' | 'client';

export interface ApplyOptions {
  filename: string[];
  recursive?: boolean;
  dryRun?: DryRun;
}

export function parseDryRun(s: string | boolean | undefined): DryRun {
  if (s === undefined || s === false || s === 'none') return 'none';
  if (s === true || s === 'client') return 'client';
  if (s === 'server') return 'server';
  throw new ApiError('BadRequest', `invalid --dry-run value "${s}": use none, client or server`);
}

const MAX_CONFLICT_RETRIES = 5;

interface Planned {
  checked: CheckedDoc;
  plan: ApplyPlan;
}

/** Documents from -f arguments, parsed; an unreadable path fails the whole command. */
export function loadDocs(filename: string[], recursive: boolean): ManifestDoc[] {
  if (!filename.length) throw new ApiError('BadRequest', 'must specify -f FILE (a file, a directory or - for stdin)');
  const docs = readSources(filename, { recursive }).flatMap(parseManifest);
  if (!docs.length) throw new ApiError('BadRequest', `no objects passed to apply: ${filename.join(', ')} holds no documents`);
  return docs;
}

function resultLine(info: KindInfo, obj: AnyObject, verb: string, dryRun: DryRun): string {
  const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
  return `${qualifiedName(info, obj.metadata?.name ?? '')} ${verb}${suffix}`;
}

async function getLive(ctx: CliContext, info: KindInfo, obj: AnyObject): Promise<AnyObject | undefined> {
  try {
    return await ctx.client.get(info.kind, obj.metadata?.namespace, obj.metadata?.name ?? '');
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function apply(ctx: CliContext, opts: ApplyOptions): Promise<number> {
  const dryRun = opts.dryRun ?? 'none';
  const docs = loadDocs(opts.filename, !!opts.recursive);
  let failed = false;
  const fail = (doc: ManifestDoc, e: unknown) => {
    failed = true;
    ctx.err(`error: ${docWhere(doc)}: ${problemText(e)}`);
  };
  // problems found before writing are reported in document order
  const early: { doc: ManifestDoc; e: unknown }[] = [];
  const reject = (doc: ManifestDoc, e: unknown) => early.push({ doc, e });

  // 1. local checks: syntax, kind, apiVersion, shape, name
  const checked: CheckedDoc[] = [];
  for (const doc of docs) {
    const r = checkDoc(doc, { namespace: ctx.namespace, namespaceFromFlag: ctx.namespaceFromFlag });
    if (isRejected(r)) reject(r.doc, r.problem);
    else checked.push(r);
  }

  // 2. the server's verdict, without writing: plan each object and dry-run it.
  // Objects in a namespace this same apply creates cannot be dry-run yet; the
  // real write validates them.
  const planned: Planned[] = [];
  const newNamespaces = new Set<string>();
  for (const c of [...checked].sort((a, b) => rank(a.info) - rank(b.info))) {
    try {
      const live = await getLive(ctx, c.info, c.obj);
      const plan = planApply(c.info, c.obj, live);
      if (c.info.kind === 'Namespace' && plan.action === 'create') newNamespaces.add(c.obj.metadata?.name ?? '');
      const inNewNamespace = c.info.namespaced && newNamespaces.has(c.obj.metadata?.namespace ?? '');
      if (dryRun !== 'client' && !inNewNamespace) {
        if (plan.action === 'create') await ctx.client.create(plan.object, { dryRun: true });
        else if (plan.action === 'update') await ctx.client.update(plan.object, { dryRun: true });
      }
      planned.push({ checked: c, plan });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'Unavailable') throw e;
      reject(c.doc, e);
    }
  }
  for (const { doc, e } of early.sort((a, b) => docs.indexOf(a.doc) - docs.indexOf(b.doc))) fail(doc, e);

  // 3. write: namespaces first, so objects placed in them find them
  const ordered = [...planned].sort((a, b) => rank(a.checked.info) - rank(b.checked.info));
  for (const p of ordered) {
    const { info } = p.checked;
    if (dryRun !== 'none') {
      ctx.out(resultLine(info, p.checked.obj, verbOf(p.plan), dryRun));
      continue;
    }
    try {
      const verb = await execute(ctx, p);
      ctx.out(resultLine(info, p.checked.obj, verb, 'none'));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'Unavailable') throw e;
      fail(p.checked.doc, e);
    }
  }
  return failed ? 1 : 0;
}

const rank = (info: KindInfo) => (info.kind === 'Namespace' ? 0 : 1);

function verbOf(plan: ApplyPlan): string {
  return plan.action === 'create' ? 'created' : plan.action === 'update' ? 'configured' : 'unchanged';
}

/** Carries out one plan; a concurrent writer (Conflict, AlreadyExists) means plan again from what is live now. */
async function execute(ctx: CliContext, p: Planned): Promise<string> {
  const { info, obj } = p.checked;
  let plan = p.plan;
  for (let attempt = 0; ; attempt++) {
    try {
      if (plan.action === 'create') await ctx.client.create(plan.object);
      else if (plan.action === 'update') await ctx.client.update(plan.object);
      return verbOf(plan);
    } catch (e) {
      if (attempt >= MAX_CONFLICT_RETRIES || !(isConflict(e) || isAlreadyExists(e) || (plan.action === 'update' && isNotFound(e)))) throw e;
      plan = planApply(info, obj, await getLive(ctx, info, obj));
    }
  }
}
