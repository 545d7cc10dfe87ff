// tug rollout status|history|undo|restart|pause|resume deployment/NAME
import type * as T from '../../lib/api/generated/types.js';
import { kindInfo } from '../../lib/api/kinds.js';
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { modify } from '../modify.js';
import { notFoundMessage, parseObjectArgs, qualifiedName, resourceRef } from '../names.js';
import { describePodTemplate } from '../printers/describe.js';
import { TableFormatter } from '../printers/table.js';
import { historyRows, planUndo, revisionHistory, rolloutStatus, RESTARTED_AT_ANNOTATION } from '../rollout.js';
import { deadline, parseDuration } from '../wait.js';

const DEPLOYMENT = kindInfo('Deployment');

/** The deployment names in `deployment/web` or `deployment web` arguments. */
function deploymentNames(args: string[]): string[] {
  const { names } = parseObjectArgs(args);
  if (!names.length) throw new ApiError('BadRequest', 'usage: tug rollout SUBCOMMAND deployment/NAME');
  for (const n of names) {
    if (n.info.kind !== 'Deployment') throw new ApiError('BadRequest', `no rollout for ${n.info.resource}: only deployments have rollouts`);
  }
  return names.map((n) => n.name);
}

/** The deployment itself is missing (as opposed to, say, a revision). */
class MissingDeployment extends Error {}

/** Turns the apiserver's NotFound for the deployment into MissingDeployment. */
async function orMissing<R>(p: Promise<R>): Promise<R> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) throw new MissingDeployment();
    throw e;
  }
}

/** Runs `fn` per deployment; a missing one is reported kubectl's way and makes the exit code 1. */
async function eachDeployment(ctx: CliContext, args: string[], fn: (name: string) => Promise<void>): Promise<number> {
  let status = 0;
  for (const name of deploymentNames(args)) {
    try {
      await fn(name);
    } catch (e) {
      if (!(e instanceof MissingDeployment)) throw e;
      ctx.err(notFoundMessage(DEPLOYMENT, name));
      status = 1;
    }
  }
  return status;
}

export interface StatusOptions {
  watch?: boolean;
  timeout?: string;
}

export async function rolloutStatusCommand(ctx: CliContext, args: string[], opts: StatusOptions): Promise<number> {
  const timeoutMs = parseDuration(opts.timeout ?? '0');
  return eachDeployment(ctx, args, async (name) => {
    const d = deadline(timeoutMs, `deployment "${name}" rollout to finish`);
    try {
      await Promise.race([followRollout(ctx, name, opts.watch !== false), d.promise]);
    } finally {
      d.cancel();
    }
  });
}

/** Prints each new progress message until the rollout is done (or once, without watching). */
async function followRollout(ctx: CliContext, name: string, watch: boolean): Promise<void> {
  let last = '';
  const report = (dep: T.Deployment): boolean => {
    const s = rolloutStatus(dep);
    if (s.message !== last) ctx.out(s.message);
    last = s.message;
    return s.done;
  };
  for (;;) {
    const dep = await orMissing(ctx.client.get('Deployment', ctx.namespace, name));
    if (report(dep) || !watch) return;
    const w = ctx.client.watch('Deployment', { namespace: ctx.namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: dep.metadata?.resourceVersion });
    try {
      for await (const ev of w) {
        if (ev.type === 'DELETED') throw new ApiError('NotFound', `deployment "${name}" was deleted while its rollout was followed`);
        if (ev.type === 'BOOKMARK' || !ev.object) continue;
        if (report(ev.object)) return;
      }
    } catch (e) {
      // a lost or outdated watch: read the deployment again and carry on
      if (!(e instanceof ApiError && (e.code === 'TooOld' || e.code === 'Unavailable'))) throw e;
    } finally {
      w.stop();
    }
  }
}

async function ownedHistory(ctx: CliContext, dep: T.Deployment) {
  const { items } = await ctx.client.list('ReplicaSet', { namespace: ctx.namespace });
  return revisionHistory(dep, items);
}

export async function rolloutHistory(ctx: CliContext, args: string[], opts: { revision?: string }): Promise<number> {
  const wanted = opts.revision === undefined ? 0 : Number(opts.revision);
  if (!Number.isInteger(wanted) || wanted < 0) throw new ApiError('BadRequest', `--revision must be a whole number, got "${opts.revision}"`);
  return eachDeployment(ctx, args, async (name) => {
    const dep = await orMissing(ctx.client.get('Deployment', ctx.namespace, name));
    const history = await ownedHistory(ctx, dep);
    if (wanted > 0) {
      const h = history.find((x) => x.revision === wanted);
      if (!h) throw new ApiError('NotFound', `unable to find the specified revision ${wanted}`);
      ctx.out(`${qualifiedName(DEPLOYMENT, name)} with revision #${wanted}\n${describePodTemplate(h.replicaSet.spec?.template)}`);
      return;
    }
    ctx.out(`${qualifiedName(DEPLOYMENT, name)}`);
    if (!history.length) {
      ctx.out('No rollout history found.');
      return;
    }
    ctx.out(new TableFormatter().format(historyRows(history)).join('\n') + '\n');
  });
}

export async function rolloutUndo(ctx: CliContext, args: string[], opts: { toRevision?: string }): Promise<number> {
  const to = opts.toRevision === undefined ? 0 : Number(opts.toRevision);
  if (!Number.isInteger(to) || to < 0) throw new ApiError('BadRequest', `--to-revision must be a whole number, got "${opts.toRevision}"`);
  return eachDeployment(ctx, args, async (name) => {
    let skipped: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const dep = await orMissing(ctx.client.get('Deployment', ctx.namespace, name));
      const plan = planUndo(dep, await ownedHistory(ctx, dep), to);
      if (plan.action === 'skip') {
        skipped = plan.revision;
        break;
      }
      dep.spec = { ...(dep.spec ?? {}), template: plan.template };
      try {
        await ctx.client.update(dep);
        break;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 'Conflict') || attempt >= 5) throw e;
      }
    }
    if (skipped !== undefined) ctx.out(`${qualifiedName(DEPLOYMENT, name)} skipped rollback (current template already matches revision ${skipped})`);
    else ctx.out(`${qualifiedName(DEPLOYMENT, name)} rolled back`);
  });
}

export async function rolloutRestart(ctx: CliContext, args: string[]): Promise<number> {
  return eachDeployment(ctx, args, async (name) => {
    await orMissing(modify(ctx.client, 'Deployment', ctx.namespace, name, (dep) => {
      if (dep.spec?.paused) throw new ApiError('BadRequest', `can't restart paused deployment (run 'tug rollout resume deployment/${name}' first)`);
      const t = (dep.spec ??= {}).template ?? {};
      t.metadata = { ...(t.metadata ?? {}), annotations: { ...(t.metadata?.annotations ?? {}), [RESTARTED_AT_ANNOTATION]: new Date().toISOString() } };
      dep.spec.template = t;
    }));
    ctx.out(`${qualifiedName(DEPLOYMENT, name)} restarted`);
  });
}

export async function rolloutPause(ctx: CliContext, args: string[], paused: boolean): Promise<number> {
  let status = 0;
  const code = await eachDeployment(ctx, args, async (name) => {
    const { changed } = await orMissing(modify(ctx.client, 'Deployment', ctx.namespace, name, (dep) => {
      if (!!dep.spec?.paused === paused) return false;
      dep.spec = { ...(dep.spec ?? {}), paused };
    }));
    if (changed) ctx.out(`${qualifiedName(DEPLOYMENT, name)} ${paused ? 'paused' : 'resumed'}`);
    else {
      ctx.err(`error: ${resourceRef(DEPLOYMENT, name)} is ${paused ? 'already paused' : 'not paused'}`);
      status = 1;
    }
  });
  return code || status;
}
