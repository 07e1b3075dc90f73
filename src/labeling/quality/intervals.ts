/** Confidence intervals shared by the quality statistics: Wilson for proportions, percentile for the bootstrap. */
import { MloopError } from '../../errors/index.js';
import { normalQuantile as sharedNormalQuantile } from '../../stats/index.js';

/** A two-sided confidence interval. */
export interface ConfidenceInterval {
  /** Lower bound. */
  lower: number;
  /** Upper bound. */
  upper: number;
  /** Coverage, such as 0.95. */
  level: number;
  /** How it was computed. */
  method: 'wilson' | 'bootstrap-percentile';
}

/** Checks that `level` is a probability strictly between 0 and 1. */
export function checkLevel(level: number, path = 'level'): number {
  if (!(Number.isFinite(level) && level > 0 && level < 1)) {
    throw MloopError.invalidArgument(`${path} must be between 0 and 1 (exclusive), got ${String(level)}`);
  }
  return level;
}

/** Standard normal quantile Φ⁻¹(p) (Acklam's approximation; shared with the rest of mloop). */
export const normalQuantile: (p: number) => number = sharedNormalQuantile;

/** Wilson score interval for `successes` out of `n` trials; null when `n` is 0. */
export function wilsonInterval(successes: number, n: number, level = 0.95): ConfidenceInterval | null {
  checkLevel(level);
  if (n <= 0) return null;
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { lower: Math.max(0, center - half), upper: Math.min(1, center + half), level, method: 'wilson' };
}

/** Quantile of sorted values with linear interpolation (numpy's default, R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
