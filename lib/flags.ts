// Parsers for command-line flag values that several components share, in
// the forms Kubernetes components accept.

/** "40s", "5m", "1m30s", "250ms", "1h" → ms; a bare number is seconds. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (!t || consumed !== t.length) throw new Error(`"${s}" is not a duration; use forms like 40s, 5m, 1m30s or 500ms`);
  return total;
}

/** A boolean flag's value: given alone (true), or =true / =false. */
export function parseBooleanFlag(flag: string, value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`${flag} takes true or false, got "${value}"`);
}
