// maxSurge / maxUnavailable style values: a count (3) or a percentage of a
// total ("25%").
import { ApiError } from '../../lib/errors.js';

/**
 * The count an int-or-percent value stands for against total. Percentages
 * round up or down as asked (Kubernetes: surge rounds up, unavailability
 * rounds down, both in the cautious direction).
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean, fallback: number | string = 0): number {
  const v = value === undefined || value === '' ? fallback : value;
  if (typeof v === 'number') return Math.max(0, Math.trunc(v));
  const m = /^\s*(\d+)\s*%\s*$/.exec(v);
  if (m) {
    const exact = (Number(m[1]) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  if (/^\s*\d+\s*$/.test(v)) return Number(v);
  throw new ApiError('Invalid', `invalid value ${JSON.stringify(v)}: must be an integer or a percentage such as "25%"`);
}
