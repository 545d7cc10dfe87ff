// `tug cluster status`: each component of a cluster with whether it is up, its
// pid and how often the supervisor restarted it.
import { isAlive, readClusterRecord, readSupervisorState, supervisorRunning, type ComponentStatus } from './state.js';
import type { ClusterPlan } from './topology.js';

export interface ClusterStatus {
  name: string;
  stateDir: string;
  plan?: ClusterPlan;
  supervisor: { pid?: number; up: boolean; phase?: string };
  components: (ComponentStatus & { up: boolean })[];
}

export function readClusterStatus(name: string, stateDir: string): ClusterStatus {
  const plan = readClusterRecord(stateDir)?.plan;
  const s = readSupervisorState(stateDir);
  const supUp = supervisorRunning(stateDir, s);
  return {
    name,
    stateDir,
    plan,
    supervisor: { pid: s?.pid, up: supUp, phase: s?.phase },
    // Without a live supervisor nothing it recorded counts as up, even if a pid was reused.
    components: (s?.components ?? []).map((c) => ({ ...c, up: supUp && c.state === 'running' && isAlive(c.pid) })),
  };
}

function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd());
}

export function formatStatus(st: ClusterStatus, now = Date.now()): string[] {
  if (!st.plan) return [`cluster "${st.name}": not found (no cluster.json in ${st.stateDir}); start it with tug cluster up --name ${st.name}`];
  const p = st.plan;
  const head = [
    `cluster "${st.name}": ${st.supervisor.up ? 'running' : 'NOT RUNNING'}  apiserver ${p.apiserver.address}  state ${st.stateDir}`,
    `supervisor: ${st.supervisor.up ? `up, pid ${st.supervisor.pid}${st.supervisor.phase && st.supervisor.phase !== 'running' ? ` (${st.supervisor.phase})` : ''}` : 'down'}`,
  ];
  const rows = [['COMPONENT', 'STATUS', 'PID', 'RESTARTS', 'UP FOR', 'LAST EXIT']];
  for (const c of st.components) {
    const status = c.up ? (c.ready ? 'up' : 'up (not ready)') : `down${c.state !== 'stopped' ? ` (${c.state})` : ''}`;
    rows.push([c.name, status, c.up && c.pid ? String(c.pid) : '-', String(c.restarts), c.up ? age(c.startedAt, now) : '-', c.lastExit ?? '-']);
  }
  if (st.components.length === 0) return [...head, 'no components recorded'];
  return [...head, ...table(rows)];
}
