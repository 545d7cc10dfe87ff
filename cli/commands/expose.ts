// tug expose KIND/NAME --port P [--target-port T] [--type NodePort] [--name N]
// A Service whose selector is the exposed object's pod selector, as kubectl
// expose makes it.
import type { Deployment, Pod, ReplicaSet, Service, ServicePort } from '../../lib/api/generated/types.js';
import type { AnyObject } from '../../lib/api/kinds.js';
import { ApiError, isNotFound } from '../../lib/errors.js';
import type { CliContext } from '../context.js';
import { notFoundMessage, parseObjectArgs } from '../names.js';

export interface ExposeOptions {
  port?: string;
  targetPort?: string;
  type?: string;
  name?: string;
  protocol?: string;
  nodePort?: string;
}

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'];

function portNumber(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ApiError('BadRequest', `${flag} must be a port number 1-65535, got "${s}"`);
  return n;
}

/** The labels that select the object's pods; only equality selectors can become a Service selector. */
export function podSelectorOf(obj: AnyObject): Record<string, string> {
  if (obj.kind === 'Pod') {
    const labels = (obj as Pod).metadata?.labels ?? {};
    if (!Object.keys(labels).length) throw new ApiError('BadRequest', `pod "${obj.metadata?.name}" has no labels to select it by; add some (tug label is not here yet: edit and apply)`);
    return labels;
  }
  if (obj.kind === 'Service') {
    const sel = (obj as Service).spec?.selector ?? {};
    if (!Object.keys(sel).length) throw new ApiError('BadRequest', `service "${obj.metadata?.name}" has no selector to copy`);
    return sel;
  }
  const sel = (obj as Deployment | ReplicaSet).spec?.selector;
  if (sel?.matchExpressions?.length) {
    throw new ApiError('BadRequest', `${obj.kind?.toLowerCase()} "${obj.metadata?.name}" selects its pods with matchExpressions, which a Service selector cannot express; write the Service by hand`);
  }
  const labels = sel?.matchLabels ?? {};
  if (!Object.keys(labels).length) throw new ApiError('BadRequest', `${obj.kind?.toLowerCase()} "${obj.metadata?.name}" has no matchLabels to select its pods by`);
  return labels;
}

/** The container ports of the pods the object makes: the default --port when none is given. */
function podPorts(obj: AnyObject): { containerPort?: number; protocol?: string; name?: string }[] {
  const spec = obj.kind === 'Pod' ? (obj as Pod).spec : (obj as Deployment).spec?.template?.spec;
  return (spec?.containers ?? []).flatMap((c) => c.ports ?? []);
}

/** Pure: the Service `tug expose` creates for obj. */
export function planExpose(obj: AnyObject, opts: ExposeOptions): Service {
  const type = opts.type ?? 'ClusterIP';
  if (!TYPES.includes(type)) throw new ApiError('BadRequest', `--type must be one of ${TYPES.join(', ')}, got "${type}"`);
  let ports: ServicePort[];
  if (opts.port) {
    const port = portNumber(opts.port, '--port');
    const p: ServicePort = { port, protocol: opts.protocol ?? 'TCP' };
    if (opts.targetPort) p.targetPort = /^\d+$/.test(opts.targetPort) ? portNumber(opts.targetPort, '--target-port') : opts.targetPort;
    if (opts.nodePort) p.nodePort = portNumber(opts.nodePort, '--node-port');
    ports = [p];
  } else if (obj.kind === 'Service') {
    ports = ((obj as Service).spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol }));
  } else {
    const found = podPorts(obj).filter((p) => p.containerPort);
    if (!found.length) throw new ApiError('BadRequest', `couldn't find a port to expose: give --port (the pods of ${obj.kind?.toLowerCase()} "${obj.metadata?.name}" declare no containerPort)`);
    ports = found.map((p, i) => ({
      ...(found.length > 1 ? { name: p.name ?? `port-${i + 1}` } : {}),
      port: p.containerPort!,
      targetPort: p.containerPort!,
      protocol: p.protocol ?? 'TCP',
    }));
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: opts.name ?? obj.metadata?.name, namespace: obj.metadata?.namespace, ...(obj.metadata?.labels ? { labels: obj.metadata.labels } : {}) },
    spec: { selector: podSelectorOf(obj), ports, type },
  };
}

export async function expose(ctx: CliContext, args: string[], opts: ExposeOptions): Promise<number> {
  const { names } = parseObjectArgs(args);
  if (names.length !== 1) throw new ApiError('BadRequest', 'usage: tug expose deployment/NAME --port P [--target-port T] [--type NodePort]');
  const { info, name } = names[0]!;
  if (!['Deployment', 'ReplicaSet', 'Pod', 'Service'].includes(info.kind)) {
    throw new ApiError('BadRequest', `cannot expose a ${info.kind}: only deployments, replicasets, pods and services can be exposed`);
  }
  let obj: AnyObject;
  try {
    obj = await ctx.client.get(info.kind, ctx.namespace, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    ctx.err(notFoundMessage(info, name));
    return 1;
  }
  const svc = await ctx.client.create(planExpose(obj, opts));
  ctx.out(`service/${svc.metadata?.name} exposed`);
  return 0;
}
