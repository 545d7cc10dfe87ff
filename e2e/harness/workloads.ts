// Reading workloads the way a user judges them (Running, Ready, available,
// spread over nodes), and the YAML the scenarios apply. Pure functions.
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import type { Deployment, Pod } from '../../lib/api/generated/types.js';

export function isPodReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminating(p: Pod): boolean {
  return !!p.metadata?.deletionTimestamp;
}

/** Pods that count as the workload: not being deleted. */
export function live(pods: Pod[]): Pod[] {
  return pods.filter((p) => !isTerminating(p));
}

/** A Deployment whose controller has seen its latest spec and whose every replica is updated and available. */
export function isDeploymentAvailable(d: Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    !!s.conditions?.some((c) => c.type === 'Available' && c.status === 'True')
  );
}

/** node name → count of pods on it. */
export function placement(pods: Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pods) {
    const n = p.spec?.nodeName ?? '(unscheduled)';
    out[n] = (out[n] ?? 0) + 1;
  }
  return out;
}

/** `hello from <pod>` lines → the pod names that answered, with how often. */
export function responders(output: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of output.matchAll(/hello from (\S+)/g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  return out;
}

export interface LoopLine {
  seq: number;
  ok: boolean;
  text: string;
}

/** Lines of the request-loop client (loopClientPod): `ok <n> hello from X` / `FAIL <n> <exit> ...`. */
export function parseLoopLog(log: string): LoopLine[] {
  const out: LoopLine[] = [];
  for (const line of log.split('\n')) {
    const m = /^(ok|FAIL) (\d+)\b(.*)$/.exec(line.trim());
    if (m) out.push({ seq: Number(m[2]), ok: m[1] === 'ok', text: line.trim() });
  }
  return out;
}

export type Manifest = Record<string, any>;

/** The documents of a YAML file, as plain objects. */
export function readManifests(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => !!d);
}

export function toYaml(docs: Manifest[]): string {
  return docs.map((d) => stringify(d)).join('---\n');
}

/**
 * examples/web.yaml's Deployment changed for a zero-downtime rolling update:
 * `replicas`, maxSurge 1 / maxUnavailable 0, and an env var in the pod
 * template (a new value makes a new revision).
 */
export function webDeploymentVariant(webExample: Manifest[], o: { replicas: number; version?: string }): Manifest {
  const dep = structuredClone(webExample.find((d) => d.kind === 'Deployment'));
  if (!dep) throw new Error('examples/web.yaml has no Deployment');
  dep.spec.replicas = o.replicas;
  dep.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
  if (o.version !== undefined) {
    const c = dep.spec.template.spec.containers[0];
    c.env = [...(c.env ?? []).filter((e: { name: string }) => e.name !== 'VERSION'), { name: 'VERSION', value: o.version }];
  }
  return dep;
}

/** A busybox pod that sleeps on a given node, to run commands from with `tug exec`. */
export function clientPod(name: string, nodeName: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'e2e-client' } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'client', image: 'busybox', command: ['sleep', '1000000'] }],
    },
  };
}

/**
 * A pod that requests `url` every 0.2 s and logs one line per request:
 * `ok <n> <body>` or `FAIL <n> <exit code> <output>`.
 */
export function loopClientPod(name: string, nodeName: string, url: string): Manifest {
  const script = `i=0; while true; do i=$((i+1)); if r=$(timeout 5 wget -q -O- ${url} 2>&1); then echo "ok $i $r"; else echo "FAIL $i $? $r"; fi; sleep 0.2; done`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'e2e-client' } },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'loop', image: 'busybox', command: ['sh', '-c', script] }] },
  };
}
