// What `tug logs` and `tug exec` act on: a pod named directly (`web-1`,
// `pod/web-1`) or one pod of a deployment or replicaset (`deployment/web`),
// chosen as kubectl does, and the container within it.
import type * as T from '../../lib/api/generated/types.js';
import { ApiError } from '../../lib/errors.js';
import { selectorFromLabelSelector } from '../../lib/labels.js';
import type { ApiClient } from '../../lib/client/api-client.js';
import { kindArg } from '../names.js';

export type PodOwnerKind = 'Pod' | 'Deployment' | 'ReplicaSet';

/** `web-1`, `pod/web-1`, `deployment/web`, `rs/web-abc` → kind and name. */
export function parsePodTarget(arg: string): { kind: PodOwnerKind; name: string } {
  const slash = arg.indexOf('/');
  if (slash < 0) {
    if (!arg) throw new ApiError('BadRequest', 'a pod name is required, e.g. web-1 or deployment/web');
    return { kind: 'Pod', name: arg };
  }
  const name = arg.slice(slash + 1);
  if (!name) throw new ApiError('BadRequest', `"${arg}" names no object: write KIND/NAME, e.g. deployment/web`);
  const info = kindArg(arg.slice(0, slash));
  if (info.kind !== 'Pod' && info.kind !== 'Deployment' && info.kind !== 'ReplicaSet') {
    throw new ApiError('BadRequest', `cannot pick a pod of ${info.resource}: give a pod, deployment/NAME or replicaset/NAME`);
  }
  return { kind: info.kind, name };
}

const PHASE_RANK: Record<string, number> = { Running: 3, Unknown: 2, Pending: 1 };

function isReady(p: T.Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

function maxRestarts(p: T.Pod): number {
  return Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/**
 * The pod kubectl would show for an owner: scheduled before unscheduled,
 * Running before Unknown before Pending, ready before not, more restarts
 * first (the interesting one), then the oldest.
 */
export function pickPod(pods: T.Pod[]): T.Pod | undefined {
  const key = (p: T.Pod): number[] => [
    p.spec?.nodeName ? 1 : 0,
    PHASE_RANK[p.status?.phase ?? ''] ?? 0,
    isReady(p) ? 1 : 0,
    maxRestarts(p),
    -(Date.parse(p.metadata?.creationTimestamp ?? '') || Number.MAX_SAFE_INTEGER),
  ];
  const better = (a: T.Pod, b: T.Pod) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! > kb[i]!;
    return false;
  };
  let best: T.Pod | undefined;
  for (const p of pods) if (!best || better(p, best)) best = p;
  return best;
}

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/**
 * The container to use when none was named: the pod's default-container
 * annotation, else its first container; with several, a notice (kubectl's)
 * says which was taken.
 */
export function defaultContainer(pod: T.Pod): { container: string; notice?: string } {
  const containers = (pod.spec?.containers ?? []).map((c) => c.name ?? '');
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && containers.includes(annotated)) return { container: annotated };
  if (containers.length === 0) throw new ApiError('BadRequest', `pod ${pod.metadata?.name ?? ''} has no containers`);
  if (containers.length === 1) return { container: containers[0]! };
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name ?? '');
  const initText = init.length ? ` (init: ${init.join(', ')})` : '';
  return { container: containers[0]!, notice: `Defaulted container "${containers[0]}" out of: ${containers.join(', ')}${initText}` };
}

/** Finds the pod a command-line target means, in the namespace. */
export async function resolvePod(client: ApiClient, namespace: string, arg: string): Promise<T.Pod> {
  const target = parsePodTarget(arg);
  if (target.kind === 'Pod') return client.get('Pod', namespace, target.name);
  const owner = await client.get(target.kind, namespace, target.name);
  const selector = selectorFromLabelSelector(owner.spec?.selector);
  if (selector.isEmpty()) throw new ApiError('BadRequest', `${target.kind} "${target.name}" has no selector to find its pods by`);
  const { items } = await client.list('Pod', { namespace, labelSelector: selector.toString() });
  const live = items.filter((p) => !p.metadata?.deletionTimestamp);
  const pod = pickPod(live.length ? live : items);
  if (!pod) throw new ApiError('NotFound', `${target.kind} "${target.name}" has no pods (selector ${selector.toString()})`);
  return pod;
}
