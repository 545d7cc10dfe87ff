// Equality as the wire sees it: protobuf drops zero numbers, false, empty
// strings, empty lists and maps, so a status read back from the apiserver and
// the same status computed here may differ only in those. Comparing this way
// keeps controllers from rewriting an unchanged status forever.
function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === false || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as object).every(isZero);
  return false;
}

export function wireEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => wireEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) if (!wireEqual(ao[k], bo[k])) return false;
  return true;
}
