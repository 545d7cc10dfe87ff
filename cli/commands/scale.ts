// tug scale KIND/NAME --replicas N
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { modify } from '../modify.js';
import { notFoundMessage, parseObjectArgs, qualifiedName } from '../names.js';

export interface ScaleOptions {
  replicas: string;
  currentReplicas?: string;
}

export function parseReplicas(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new ApiError('BadRequest', `${flag} must be a whole number >= 0, got "${s}"`);
  return n;
}

export async function scale(ctx: CliContext, args: string[], opts: ScaleOptions): Promise<number> {
  const replicas = parseReplicas(opts.replicas, '--replicas');
  const current = opts.currentReplicas === undefined ? undefined : parseReplicas(opts.currentReplicas, '--current-replicas');
  const { names } = parseObjectArgs(args);
  if (!names.length) throw new ApiError('BadRequest', 'usage: tug scale deployment/NAME --replicas N');
  let status = 0;
  for (const { info, name } of names) {
    if (info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') {
      throw new ApiError('BadRequest', `cannot scale ${info.resource}: only deployments and replicasets have replicas`);
    }
    try {
      await modify(ctx.client, info.kind, ctx.namespace, name, (obj) => {
        const have = obj.spec?.replicas ?? 1;
        if (current !== undefined && have !== current) {
          throw new ApiError('Conflict', `expected replicas to be ${current}, was ${have}`);
        }
        obj.spec = { ...(obj.spec ?? {}), replicas };
      });
      ctx.out(`${qualifiedName(info, name)} scaled`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      ctx.err(notFoundMessage(info, name));
      status = 1;
    }
  }
  return status;
}
