// Which pods `drain` deletes, which it leaves, and which stop it — pure.
import type * as T from '../lib/api/generated/types.js';

export interface DrainOptions {
  force?: boolean;
  ignoreDaemonSets?: boolean;
  deleteEmptyDirData?: boolean;
}

export interface DrainPlan {
  /** pods to delete */
  remove: T.Pod[];
  /** pods left alone, with why (DaemonSet-managed, mirror pods) */
  ignored: { pod: T.Pod; reason: string }[];
  /** pods that block the drain unless a flag allows them, grouped by message */
  blocking: { message: string; pods: T.Pod[] }[];
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const controllerOf = (p: T.Pod) => (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
const finished = (p: T.Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export function planDrain(pods: T.Pod[], opts: DrainOptions): DrainPlan {
  const plan: DrainPlan = { remove: [], ignored: [], blocking: [] };
  const block = (message: string, pod: T.Pod) => {
    let b = plan.blocking.find((x) => x.message === message);
    if (!b) plan.blocking.push((b = { message, pods: [] }));
    b.pods.push(pod);
  };
  for (const pod of pods) {
    if (pod.metadata?.annotations?.[MIRROR_ANNOTATION]) {
      plan.ignored.push({ pod, reason: 'mirror pod' });
      continue;
    }
    // pods already going are waited for, not deleted again
    if (pod.metadata?.deletionTimestamp || finished(pod)) {
      plan.remove.push(pod);
      continue;
    }
    const ctl = controllerOf(pod);
    if (ctl?.kind === 'DaemonSet') {
      if (opts.ignoreDaemonSets) plan.ignored.push({ pod, reason: 'DaemonSet-managed' });
      else block('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)', pod);
      continue;
    }
    if (!ctl && !opts.force) {
      block('cannot delete Pods that declare no controller (use --force to override)', pod);
      continue;
    }
    if ((pod.spec?.volumes ?? []).some((v) => v.emptyDir) && !opts.deleteEmptyDirData) {
      block('cannot delete Pods with local storage (use --delete-emptydir-data to override)', pod);
      continue;
    }
    plan.remove.push(pod);
  }
  return plan;
}

export const podRef = (p: T.Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
