// tug describe: fetches the object and what its description shows (events,
// pods, ReplicaSets, Endpoints), then hands them to the pure describers.
import type * as T from '../../lib/api/generated/types.js';
import type { AnyObject, KindInfo } from '../../lib/api/kinds.js';
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { notFoundMessage, parseObjectArgs, type ObjectArg } from '../names.js';
import { selectorText } from '../printers/columns.js';
import {
  describeConfigMap,
  describeDeployment,
  describeEndpoints,
  describeGeneric,
  describeNamespace,
  describeNode,
  describePod,
  describeReplicaSet,
  describeSecret,
  describeService,
  eventsFor,
} from '../printers/describe.js';

export interface DescribeOptions {
  selector?: string;
  allNamespaces?: boolean;
}

function ownedBy(owner: AnyObject) {
  return (o: AnyObject) => (o.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata?.uid);
}

async function eventsAbout(ctx: CliContext, info: KindInfo, obj: AnyObject): Promise<T.Event[]> {
  try {
    // events about cluster-scoped objects may be recorded in any namespace
    const { items } = await ctx.client.list('Event', { namespace: info.namespaced ? obj.metadata?.namespace : '' });
    return eventsFor(obj, info.kind, items);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'Unavailable') throw e;
    return [];
  }
}

/** The full description text of one object. */
export async function describeObject(ctx: CliContext, info: KindInfo, obj: AnyObject): Promise<string> {
  const now = new Date();
  const events = await eventsAbout(ctx, info, obj);
  const ns = obj.metadata?.namespace;
  switch (info.kind) {
    case 'Pod':
      return describePod(obj as T.Pod, events, now);
    case 'Deployment': {
      const { items } = await ctx.client.list('ReplicaSet', { namespace: ns });
      return describeDeployment(obj as T.Deployment, items.filter(ownedBy(obj)), events, now);
    }
    case 'ReplicaSet': {
      const rs = obj as T.ReplicaSet;
      const sel = selectorText(rs.spec?.selector);
      const { items } = await ctx.client.list('Pod', { namespace: ns, labelSelector: sel === '<none>' ? '' : sel });
      return describeReplicaSet(rs, items.filter(ownedBy(obj)), events, now);
    }
    case 'Service': {
      let ep: T.Endpoints | undefined;
      try {
        ep = await ctx.client.get('Endpoints', ns, obj.metadata?.name ?? '');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return describeService(obj as T.Service, ep, events, now);
    }
    case 'Node': {
      const { items } = await ctx.client.list('Pod', { fieldSelector: `spec.nodeName=${obj.metadata?.name ?? ''}` });
      return describeNode(obj as T.Node, items, events, now);
    }
    case 'Namespace':
      return describeNamespace(obj as T.Namespace, events, now);
    case 'Endpoints':
      return describeEndpoints(obj as T.Endpoints, events, now);
    case 'ConfigMap':
      return describeConfigMap(obj as T.ConfigMap, events, now);
    case 'Secret':
      return describeSecret(obj as T.Secret, events, now);
    default:
      return describeGeneric(info, obj, events, now);
  }
}

export async function describe(ctx: CliContext, args: string[], opts: DescribeOptions): Promise<number> {
  const { kinds, names } = parseObjectArgs(args);
  let status = 0;
  const texts: string[] = [];
  const targets: { info: KindInfo; obj: AnyObject }[] = [];
  if (names.length) {
    for (const { info, name } of names as ObjectArg[]) {
      try {
        targets.push({ info, obj: await ctx.client.get(info.kind, info.namespaced ? ctx.namespace : undefined, name) });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        ctx.err(notFoundMessage(info, name));
        status = 1;
      }
    }
  } else {
    for (const info of kinds) {
      const { items } = await ctx.client.list(info.kind, {
        namespace: info.namespaced && !opts.allNamespaces ? ctx.namespace : '',
        labelSelector: opts.selector,
      });
      for (const obj of items) targets.push({ info, obj });
    }
    if (!targets.length) ctx.err(opts.allNamespaces || !kinds.some((k) => k.namespaced) ? 'No resources found' : `No resources found in ${ctx.namespace} namespace.`);
  }
  for (const t of targets) texts.push(await describeObject(ctx, t.info, t.obj));
  if (texts.length) ctx.out(texts.join('\n\n'));
  return status;
}
