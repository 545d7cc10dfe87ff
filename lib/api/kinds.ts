// Every kind the API serves: its group/version, plural resource name, scope,
// short names, and the ApiObject field that carries it on the wire.
import type * as T from './generated/types.js';

export interface KindInfo {
  kind: KindName;
  apiVersion: string;
  /** plural lowercase, used in storage keys and requests */
  resource: string;
  /** singular lowercase, accepted by the CLI */
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** field of ApiObject that holds this kind */
  field: keyof T.ApiObject;
  /** protobuf message name */
  message: string;
  /** whether status is written only through UpdateStatus */
  hasStatus: boolean;
  /** kubectl-style "group" suffix: deployment.apps/web */
  groupSuffix: string;
}

export type KindName =
  | 'Namespace'
  | 'Node'
  | 'Pod'
  | 'ReplicaSet'
  | 'Deployment'
  | 'Service'
  | 'Endpoints'
  | 'Event'
  | 'Lease'
  | 'ConfigMap'
  | 'Secret';

export interface KindTypes {
  Namespace: T.Namespace;
  Node: T.Node;
  Pod: T.Pod;
  ReplicaSet: T.ReplicaSet;
  Deployment: T.Deployment;
  Service: T.Service;
  Endpoints: T.Endpoints;
  Event: T.Event;
  Lease: T.Lease;
  ConfigMap: T.ConfigMap;
  Secret: T.Secret;
}

/** Any top-level API object. */
export type AnyObject = KindTypes[KindName];

const k = (
  kind: KindName,
  apiVersion: string,
  resource: string,
  namespaced: boolean,
  shortNames: string[],
  field: keyof T.ApiObject,
  hasStatus: boolean,
): KindInfo => ({
  kind,
  apiVersion,
  resource,
  singular: kind.toLowerCase(),
  namespaced,
  shortNames,
  field,
  message: kind,
  hasStatus,
  groupSuffix: apiVersion.includes('/') ? `.${apiVersion.split('/')[0]}` : '',
});

export const KINDS: readonly KindInfo[] = [
  k('Namespace', 'v1', 'namespaces', false, ['ns'], 'namespace', true),
  k('Node', 'v1', 'nodes', false, ['no'], 'node', true),
  k('Pod', 'v1', 'pods', true, ['po'], 'pod', true),
  k('ReplicaSet', 'apps/v1', 'replicasets', true, ['rs'], 'replicaSet', true),
  k('Deployment', 'apps/v1', 'deployments', true, ['deploy'], 'deployment', true),
  k('Service', 'v1', 'services', true, ['svc'], 'service', true),
  k('Endpoints', 'v1', 'endpoints', true, ['ep'], 'endpoints', false),
  k('Event', 'v1', 'events', true, ['ev'], 'event', false),
  k('Lease', 'coordination.k8s.io/v1', 'leases', true, [], 'lease', false),
  k('ConfigMap', 'v1', 'configmaps', true, ['cm'], 'configMap', false),
  k('Secret', 'v1', 'secrets', true, [], 'secret', false),
];

const byKind = new Map(KINDS.map((i) => [i.kind, i]));
const byResource = new Map(KINDS.map((i) => [i.resource, i]));
const byAnyName = new Map<string, KindInfo>();
for (const i of KINDS) {
  for (const n of [i.resource, i.singular, i.kind.toLowerCase(), ...i.shortNames]) byAnyName.set(n, i);
  // kubectl also accepts the group-qualified forms: deployments.apps, deployment.apps
  if (i.groupSuffix) {
    byAnyName.set(i.resource + i.groupSuffix, i);
    byAnyName.set(i.singular + i.groupSuffix, i);
  }
}

export function kindInfo(kind: KindName): KindInfo {
  return byKind.get(kind)!;
}
export function kindByName(kind: string): KindInfo | undefined {
  return byKind.get(kind as KindName);
}
export function kindByResource(resource: string): KindInfo | undefined {
  return byResource.get(resource);
}
/** Resolves what a person types: "po", "pods", "pod", "Deployment", "deploy.apps". */
export function kindByAlias(name: string): KindInfo | undefined {
  return byAnyName.get(name.toLowerCase());
}

/** Wraps an object for the wire. */
export function wrap(info: KindInfo, obj: AnyObject): T.ApiObject {
  return { [info.field]: obj } as T.ApiObject;
}
/** The object inside an ApiObject, with its kind. */
export function unwrap(o: T.ApiObject | undefined): { info: KindInfo; obj: AnyObject } | undefined {
  if (!o) return undefined;
  for (const i of KINDS) {
    const v = o[i.field];
    if (v) return { info: i, obj: v as AnyObject };
  }
  return undefined;
}
