// Item 4 of issue 8: resident memory of the control plane, read from
// /proc/<pid>/status (VmRSS) while the scheduling benchmark runs and after it
// settles, each beside an empty Node.js process measured in the same run.
import { ProcessSet, rssBytes } from './procs.js';
import { fmtMB, fmtRatio, type Row } from './report.js';
import type { SchedulingBenchResult } from './scheduling.js';
import { median, ratio } from './stats.js';

export const CONTROL_PLANE = ['apiserver', 'controller-manager', 'scheduler'] as const;

/** RSS of a Node.js process that loads nothing: what any component costs before its own code. */
export async function bareNodeRss(): Promise<number | undefined> {
  const procs = new ProcessSet();
  try {
    const p = procs.node('bare-node', 'bench/idle-node.js', []);
    await new Promise((r) => setTimeout(r, 1500));
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const v = rssBytes(p.pid);
      if (v !== undefined) samples.push(v);
      await new Promise((r) => setTimeout(r, 200));
    }
    return samples.length ? median(samples) : undefined;
  } finally {
    await procs.stopAll();
  }
}

export interface Footprint {
  rows: Row[];
  controlPlanePeak: number;
  controlPlaneAfter: number;
}

export function footprintRows(s: SchedulingBenchResult, bare: number | undefined, scale: string): Footprint {
  const floor = `empty Node.js process ${fmtMB(bare)}`;
  const rows: Row[] = [];
  let peakSum = 0;
  let afterSum = 0;
  for (const name of CONTROL_PLANE) {
    const peak = s.rssPeak.get(name);
    const after = s.rssAfter.get(name);
    peakSum += peak ?? 0;
    afterSum += after ?? 0;
    rows.push({
      section: 'Footprint',
      figure: `${name} RSS, ${scale}`,
      value: `at start ${fmtMB(s.rssStart.get(name))}, peak ${fmtMB(peak)}, after ${fmtMB(after)}`,
      reference: floor,
      ratio: fmtRatio(ratio(peak, bare)),
      note: 'at start: no nodes, no pods; peak: sampled every 250 ms during the scheduling rounds; after: the last pods Running, then 3 s; ratio: peak / floor',
    });
  }
  rows.push({
    section: 'Footprint',
    figure: `control plane total (apiserver + controller-manager + scheduler), ${scale}`,
    value: `peak ${fmtMB(peakSum)}, after ${fmtMB(afterSum)}`,
    reference: `3 empty Node.js processes ${fmtMB(bare === undefined ? undefined : 3 * bare)}`,
    ratio: fmtRatio(ratio(peakSum, bare === undefined ? undefined : 3 * bare)),
    note: 'sum of each process\'s own peak (an upper bound: the peaks need not coincide)',
  });
  rows.push({
    section: 'Footprint',
    figure: `etcd RSS (not part of the target), ${scale}`,
    value: `peak ${fmtMB(s.rssPeak.get('etcd'))}, after ${fmtMB(s.rssAfter.get('etcd'))}`,
    reference: `control plane after: ${fmtMB(afterSum)}`,
    ratio: fmtRatio(ratio(s.rssAfter.get('etcd'), afterSum)),
    note: 'the store holds the same objects the apiserver caches',
  });
  const fleetPeaks = [...s.rssPeak].filter(([n]) => n.startsWith('hollow-fleet-')).map(([, v]) => v);
  if (fleetPeaks.length) {
    const perNode = median(fleetPeaks) / s.hollowNodesPerFleet;
    rows.push({
      section: 'Footprint',
      figure: 'hollow-node fleet process, per hollow node (test tool)',
      value: fmtMB(perNode),
      reference: `hollow agent process with 0 pods: ${fmtMB(s.idleHollowAgentRss)}`,
      ratio: fmtRatio(ratio(perNode, s.idleHollowAgentRss)),
      note: `peak RSS of a fleet process / its ${s.hollowNodesPerFleet} nodes (one shared client)`,
    });
  }
  rows.push({
    section: 'Footprint',
    figure: 'hollow agent RSS with 0 pods (`tug-agent --hollow`, a test tool)',
    value: fmtMB(s.idleHollowAgentRss),
    reference: floor,
    ratio: fmtRatio(ratio(s.idleHollowAgentRss, bare)),
    note: 'it loads the agent entry point but runs no runtime, CNI, proxy or DNS; the real agent\'s rows come from the pod-start benchmark on real nodes',
  });
  return { rows, controlPlanePeak: peakSum, controlPlaneAfter: afterSum };
}
