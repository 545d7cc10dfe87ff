// tug cordon | uncordon | drain NODE
import type * as T from '../../lib/api/generated/types.js';
import { kindInfo } from '../../lib/api/kinds.js';
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { planDrain, podRef } from '../drain.js';
import { modify } from '../modify.js';
import { notFoundMessage, qualifiedName } from '../names.js';
import { parseGracePeriod } from './delete.js';
import { deadline, parseDuration } from '../wait.js';

const NODE = kindInfo('Node');

/** Sets spec.unschedulable; says `already cordoned` when there was nothing to do. */
async function setUnschedulable(ctx: CliContext, name: string, value: boolean): Promise<void> {
  const { changed } = await modify(ctx.client, 'Node', undefined, name, (node) => {
    if (!!node.spec?.unschedulable === value) return false;
    node.spec = { ...(node.spec ?? {}), unschedulable: value };
  });
  const verb = value ? 'cordoned' : 'uncordoned';
  ctx.out(`${qualifiedName(NODE, name)} ${changed ? verb : `already ${verb}`}`);
}

export async function cordon(ctx: CliContext, names: string[], value: boolean): Promise<number> {
  if (!names.length) throw new ApiError('BadRequest', `usage: tug ${value ? 'cordon' : 'uncordon'} NODE...`);
  let status = 0;
  for (const name of names) {
    try {
      await setUnschedulable(ctx, name, value);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      ctx.err(notFoundMessage(NODE, name));
      status = 1;
    }
  }
  return status;
}

export interface DrainCommandOptions {
  force?: boolean;
  ignoreDaemonsets?: boolean;
  deleteEmptydirData?: boolean;
  gracePeriod?: string;
  timeout?: string;
}

export async function drain(ctx: CliContext, name: string, opts: DrainCommandOptions): Promise<number> {
  const gracePeriodSeconds = parseGracePeriod(opts.gracePeriod);
  const timeoutMs = parseDuration(opts.timeout ?? '0');
  try {
    await setUnschedulable(ctx, name, true);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    ctx.err(notFoundMessage(NODE, name));
    return 1;
  }
  const onNode = `spec.nodeName=${name}`;
  const { items, resourceVersion } = await ctx.client.list('Pod', { fieldSelector: onNode });
  const plan = planDrain(items, { force: opts.force, ignoreDaemonSets: opts.ignoreDaemonsets, deleteEmptyDirData: opts.deleteEmptydirData });
  if (plan.blocking.length) {
    const why = plan.blocking.map((b) => `${b.message}: ${b.pods.map(podRef).join(', ')}`).join('; ');
    ctx.err(`error: unable to drain node "${name}" due to error: ${why}; the node stays cordoned`);
    return 1;
  }
  const ds = plan.ignored.filter((i) => i.reason === 'DaemonSet-managed');
  if (ds.length) ctx.err(`Warning: ignoring DaemonSet-managed Pods: ${ds.map((i) => podRef(i.pod)).join(', ')}`);

  // watch from the list's revision so no deletion between list and watch is missed
  const pending = new Map(plan.remove.map((p) => [p.metadata?.uid ?? podRef(p), p]));
  const w = ctx.client.watch('Pod', { fieldSelector: onNode, resourceVersion });
  const d = deadline(timeoutMs, `the pods on node "${name}" to be deleted`);
  const gone = (pod: T.Pod) => {
    if (pending.delete(pod.metadata?.uid ?? podRef(pod))) ctx.out(`pod/${pod.metadata?.name} evicted`);
  };
  try {
    for (const pod of plan.remove) {
      if (pod.metadata?.deletionTimestamp) continue;
      ctx.out(`evicting pod ${podRef(pod)}`);
      try {
        const res = await ctx.client.delete('Pod', pod.metadata?.namespace, pod.metadata?.name ?? '', {
          gracePeriodSeconds,
          preconditions: pod.metadata?.uid ? { uid: pod.metadata.uid } : undefined,
        });
        if (res.deleted) gone(pod);
      } catch (e) {
        // already gone, or replaced by a new pod of the same name
        if (isNotFound(e) || (e instanceof ApiError && e.code === 'Conflict')) gone(pod);
        else throw e;
      }
    }
    if (pending.size) {
      await Promise.race([
        (async () => {
          for await (const ev of w) {
            if (ev.type === 'DELETED' && ev.object) {
              const p = pending.get(ev.object.metadata?.uid ?? podRef(ev.object));
              if (p) gone(p);
              if (!pending.size) return;
            }
          }
        })(),
        d.promise,
      ]);
    }
  } finally {
    d.cancel();
    w.stop();
  }
  ctx.out(`${qualifiedName(NODE, name)} drained`);
  return 0;
}
