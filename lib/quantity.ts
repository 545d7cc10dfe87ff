// Kubernetes resource quantities: "250m", "1.5", "128Mi", "1G", "1e3".
// Parsing is exact (BigInt mantissa and powers of 10 and 2) so that
// conversions such as "0.1" → 100 millicores never suffer from binary
// floating point; only the final value becomes a JS number.
import { ApiError } from './errors.js';

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

// sign, integer digits, fraction digits, then suffix (checked separately so the
// error can say which part is wrong).
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;

// Kubernetes caps quantities far below this; the bound only keeps BigInt
// arithmetic small for hostile input such as "1e999999999".
const MAX_EXPONENT = 64;

export const QUANTITY_FORMS =
  'a number with an optional suffix: decimal n, u, m, k, M, G, T, P, E (e.g. "250m", "1.5", "1G"), ' +
  'binary Ki, Mi, Gi, Ti, Pi, Ei (e.g. "128Mi"), or an exponent (e.g. "1e3")';

/** An exact quantity: sign × mantissa × 10^pow10 × 2^pow2. */
interface Exact {
  negative: boolean;
  mantissa: bigint;
  pow10: number;
  pow2: number;
}

function fail(s: string, why: string): never {
  throw new ApiError('BadRequest', `quantity ${JSON.stringify(s)} is not valid: ${why}; expected ${QUANTITY_FORMS}`);
}

function parseExact(input: string | number): Exact {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) fail(String(input), 'it is not a finite number');
    input = String(input);
  }
  if (typeof input !== 'string') fail(String(input), 'it is not a string');
  const s = input;
  if (s.length === 0) fail(s, 'it is empty');
  const m = NUMBER.exec(s);
  if (!m) fail(s, 'it does not start with a number');
  const [, sign, intDigits, fracDigits, suffix] = m as unknown as [string, string, string, string | undefined, string];
  if (!intDigits && !fracDigits) fail(s, 'it does not start with a number');
  const frac = fracDigits ?? '';
  let pow10 = -frac.length;
  let pow2 = 0;
  if (suffix in DECIMAL_SUFFIX) {
    pow10 += DECIMAL_SUFFIX[suffix]!;
  } else if (suffix in BINARY_SUFFIX) {
    pow2 = BINARY_SUFFIX[suffix]!;
  } else {
    const e = EXPONENT.exec(suffix);
    if (!e) fail(s, `unknown suffix ${JSON.stringify(suffix)}`);
    const exp = Number(e[1]);
    if (Math.abs(exp) > MAX_EXPONENT) fail(s, `exponent ${exp} is out of range (at most ${MAX_EXPONENT} either way)`);
    pow10 += exp;
  }
  return { negative: sign === '-', mantissa: BigInt((intDigits || '0') + frac), pow10, pow2 };
}

/** numerator / denominator of the exact value scaled by 10^scale10 (both positive BigInts). */
function ratio(q: Exact, scale10 = 0): [bigint, bigint] {
  let num = q.mantissa;
  let den = 1n;
  const p10 = q.pow10 + scale10;
  if (p10 >= 0) num *= 10n ** BigInt(p10);
  else den *= 10n ** BigInt(-p10);
  num *= 2n ** BigInt(q.pow2);
  return [num, den];
}

function toNumber(num: bigint, den: bigint): number {
  // Dividing two exactly representable numbers rounds once, correctly.
  if (num <= BigInt(Number.MAX_SAFE_INTEGER) && den <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(num) / Number(den);
  const whole = num / den;
  const rest = num % den;
  return Number(whole) + Number((rest * 1_000_000_000_000n) / den) / 1e12;
}

/** Rounds away from zero to a whole number, as Kubernetes' Value()/MilliValue() do. */
function ceilMagnitude(q: Exact, scale10: number): number {
  const [num, den] = ratio(q, scale10);
  const whole = (num + den - 1n) / den;
  const n = Number(whole);
  return q.negative ? -n : n;
}

/**
 * The value of a quantity in base units: "250m" → 0.25, "128Mi" → 134217728,
 * "1G" → 1e9. Throws ApiError BadRequest naming the value and the accepted forms.
 */
export function parseQuantity(s: string | number): number {
  const q = parseExact(s);
  const [num, den] = ratio(q);
  const v = toNumber(num, den);
  return q.negative && v !== 0 ? -v : v;
}

/** Whether `s` is a well-formed quantity. */
export function isQuantity(s: unknown): boolean {
  if (typeof s !== 'string' && typeof s !== 'number') return false;
  try {
    parseExact(s);
    return true;
  } catch {
    return false;
  }
}

/** CPU in millicores, rounded up: "250m" → 250, "2" → 2000, "0.1" → 100, undefined → 0. */
export function cpuToMillis(q: string | number | undefined): number {
  if (q === undefined || q === '') return 0;
  return ceilMagnitude(parseExact(q), 3);
}

/** Memory in bytes, rounded up: "128Mi" → 134217728, "1G" → 1e9, undefined → 0. */
export function memoryToBytes(q: string | number | undefined): number {
  if (q === undefined || q === '') return 0;
  return ceilMagnitude(parseExact(q), 0);
}

/** Millicores as a quantity: 250 → "250m", 2000 → "2". */
export function formatCpuMillis(n: number): string {
  const m = Math.ceil(n);
  if (m === 0) return '0';
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

const BINARY_STEPS: [string, number][] = [['Ei', 60], ['Pi', 50], ['Ti', 40], ['Gi', 30], ['Mi', 20], ['Ki', 10]];
const DECIMAL_STEPS: [string, number][] = [['E', 18], ['P', 15], ['T', 12], ['G', 9], ['M', 6], ['k', 3]];

/**
 * Bytes as a quantity, exact and short: 134217728 → "128Mi", 1e9 → "1G",
 * 1500 → "1500". A binary suffix wins a tie, since memory is usually binary.
 */
export function formatBytes(n: number): string {
  const v = Math.ceil(Math.abs(n));
  const sign = n < 0 && v !== 0 ? '-' : '';
  if (!Number.isFinite(v)) return String(n);
  const b = BigInt(v);
  if (b === 0n) return '0';
  // In order of preference when two forms are equally short.
  const candidates: string[] = [];
  const binary = BINARY_STEPS.find(([, p]) => b % (1n << BigInt(p)) === 0n);
  if (binary) candidates.push(`${b / (1n << BigInt(binary[1]))}${binary[0]}`);
  const decimal = DECIMAL_STEPS.find(([, p]) => b % 10n ** BigInt(p) === 0n);
  if (decimal) candidates.push(`${b / 10n ** BigInt(decimal[1])}${decimal[0]}`);
  candidates.push(String(b));
  let best = candidates[0]!;
  for (const c of candidates) if (c.length < best.length) best = c;
  return sign + best;
}
