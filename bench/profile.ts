// Summary of a V8 .cpuprofile (node --cpu-prof): where a process spent its
// CPU, by function and by source file, as shares of the non-idle time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  topFunctions: { name: string; share: number }[];
  topFiles: { name: string; share: number }[];
  /** time in a function and everything it called */
  topInclusive: { name: string; share: number }[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) return p.slice(nm + 'node_modules/'.length);
  const dist = p.lastIndexOf('/dist/');
  if (dist >= 0) return p.slice(dist + '/dist/'.length);
  return p.replace(/^node:/, 'node:');
}

/** Pure: self time per function and per file from a parsed profile. */
export function summariseProfile(profile: CpuProfile, file: string, top = 8): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (cf: CpuProfile['nodes'][number]['callFrame']) => (cf.url ? `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : cf.functionName);
  const inclusive = new Map<string, number>();
  // our own code: built files outside node_modules
  const ours = new Set<string>();
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const cf = byId.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    if (!cf || cf.functionName === '(idle)') continue;
    busy += dt;
    const where = shortUrl(cf.url);
    const name = label(cf);
    const onStack = new Set<string>();
    for (let id: number | undefined = profile.samples[i]!; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id);
      if (!f) continue;
      const l = label(f);
      onStack.add(l);
      if (f.url.includes('/dist/') && !f.url.includes('node_modules')) ours.add(l);
    }
    for (const l of onStack) inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    fn.set(name, (fn.get(name) ?? 0) + dt);
    const fileKey = cf.url ? where : cf.functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + dt);
  }
  const topOf = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, share: busy > 0 ? ms / busy : 0 }));
  const own = [...inclusive].filter(([n]) => ours.has(n));
  return { file, busyMs: busy, topFunctions: topOf(fn), topFiles: topOf(files), topInclusive: topOf(new Map(own)) };
}

/** Every .cpuprofile in dir, summarised. */
export function summariseProfiles(dir: string, top = 8): ProfileSummary[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return names.map((n) => summariseProfile(JSON.parse(readFileSync(join(dir, n), 'utf8')) as CpuProfile, join(dir, n), top));
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `${s.file}: ${(s.busyMs / 1000).toFixed(1)} s busy`,
    `  by file: ${s.topFiles.map((f) => `${f.name} ${pct(f.share)}`).join(', ')}`,
    `  by function: ${s.topFunctions.map((f) => `${f.name} ${pct(f.share)}`).join(', ')}`,
  ].join('\n');
}

export function formatInclusive(s: ProfileSummary): string {
  return `  our functions with callees: ${s.topInclusive.map((f) => `${f.name} ${(f.share * 100).toFixed(1)} %`).join(', ')}`;
}

// `node dist/bench/profile.js DIR [TOP]` prints the summaries.
if (process.argv[1]?.endsWith('/bench/profile.js') && process.argv[2]) {
  for (const s of summariseProfiles(process.argv[2], Number(process.argv[3] ?? 12))) process.stdout.write(`${formatSummary(s)}\n${formatInclusive(s)}\n\n`);
}
