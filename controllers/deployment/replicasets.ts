// Building a Deployment's new ReplicaSet, free of I/O.
import type { Deployment, ReplicaSet } from '../../lib/api/generated/types.js';
import { newControllerRef } from '../util/owner-refs.js';
import { POD_TEMPLATE_HASH_LABEL } from '../util/template-hash.js';
import { newReplicaSetAnnotations, withReplicasAnnotations } from './revision.js';
import { desiredReplicas, maxSurge } from './rollout.js';

/** `<deployment>-<hash>`, trimmed so pod names built from it stay valid. */
export function replicaSetName(d: Deployment, hash: string): string {
  const base = d.metadata?.name ?? 'deployment';
  const room = 63 - 6 - hash.length - 1;
  return `${base.length > room ? base.slice(0, room).replace(/[-.]+$/, '') : base}-${hash}`;
}

/**
 * The ReplicaSet for the Deployment's current template: the template and the
 * selector both carry pod-template-hash, so pods of different templates never
 * match each other's ReplicaSet.
 */
export function buildNewReplicaSet(d: Deployment, hash: string, revision: number, replicas: number): ReplicaSet {
  const template = structuredClone(d.spec?.template ?? {});
  template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec?.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const annotations = withReplicasAnnotations(newReplicaSetAnnotations(d, undefined, revision), desiredReplicas(d), desiredReplicas(d) + maxSurge(d));
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(d, hash),
      namespace: d.metadata?.namespace,
      labels: { ...template.metadata.labels },
      annotations,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec?.minReadySeconds,
      selector,
      template,
    },
  };
}
