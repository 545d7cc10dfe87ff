// Builders of Deployments and ReplicaSets for the pure-function tests.
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../../lib/api/generated/types.js';
import { REVISION_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION } from './revision.js';

export const T0 = Date.parse('2024-01-01T00:00:00Z');

export function template(image = 'nginx:1'): PodTemplateSpec {
  return { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } };
}

export interface DeployOpts {
  replicas?: number;
  surge?: number | string;
  unavailable?: number | string;
  strategy?: 'RollingUpdate' | 'Recreate';
  image?: string;
  paused?: boolean;
  generation?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
}

export function deployment(o: DeployOpts = {}): Deployment {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: o.generation ?? 1 },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      template: template(o.image),
      strategy:
        o.strategy === 'Recreate'
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.surge ?? '25%', maxUnavailable: o.unavailable ?? '25%' } },
      paused: o.paused,
      revisionHistoryLimit: o.revisionHistoryLimit,
      progressDeadlineSeconds: o.progressDeadlineSeconds,
    },
  };
}

export interface RSOpts {
  spec?: number;
  /** status.replicas; defaults to spec */
  pods?: number;
  available?: number;
  ready?: number;
  created?: number;
  revision?: number;
  image?: string;
  desired?: number;
  max?: number;
  generation?: number;
  observedGeneration?: number;
}

export function replicaSet(name: string, o: RSOpts = {}): ReplicaSet {
  const spec = o.spec ?? 0;
  const annotations: Record<string, string> = {};
  if (o.revision !== undefined) annotations[REVISION_ANNOTATION] = String(o.revision);
  if (o.desired !== undefined) annotations[DESIRED_REPLICAS_ANNOTATION] = String(o.desired);
  if (o.max !== undefined) annotations[MAX_REPLICAS_ANNOTATION] = String(o.max);
  return {
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      generation: o.generation ?? 1,
      creationTimestamp: new Date(T0 + (o.created ?? 0) * 1000).toISOString(),
      annotations,
    },
    spec: { replicas: spec, template: template(o.image ?? name) },
    status: {
      replicas: o.pods ?? spec,
      availableReplicas: o.available ?? o.pods ?? spec,
      readyReplicas: o.ready ?? o.available ?? o.pods ?? spec,
      observedGeneration: o.observedGeneration ?? o.generation ?? 1,
    },
  };
}
