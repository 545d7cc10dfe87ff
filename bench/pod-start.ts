// Item 1 of issue 8 — pod start on real nodes — is NOT MEASURED YET.
// This slot keeps its place in the table so the gap stays visible. When it is
// written it measures, in the same run: 30 pods created at once on one real
// node and on a 3-node cluster (create → Running seen by a watch, p50/p90/p99),
// beside bare `runc run` of the same image and command (the floor) and
// `podman kube play` of the same pod YAML (a peer), with ratios to both.
import type { Row } from './report.js';

export function podStartRows(): Row[] {
  const pending = 'not measured yet';
  return [
    { section: 'Pod start', figure: '30 pods at once, 1 real node: create → Running p50/p90/p99', value: pending, reference: `bare runc run: ${pending}; podman kube play: ${pending}`, ratio: pending },
    { section: 'Pod start', figure: '30 pods at once, 3-node cluster: create → Running p50/p90/p99', value: pending, reference: `bare runc run: ${pending}; podman kube play: ${pending}`, ratio: pending },
  ];
}
