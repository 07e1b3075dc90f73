/** Confidence intervals shared by the quality statistics: Wilson for proportions, percentile for the bootstrap. */
import { MloopError } from '../../errors/index.js';

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

/** Standard normal quantile Φ⁻¹(p) (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  const at = (arr: number[], i: number): number => arr[i]!;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((at(c, 0) * q + at(c, 1)) * q + at(c, 2)) * q + at(c, 3)) * q + at(c, 4)) * q + at(c, 5)) /
      ((((at(d, 0) * q + at(d, 1)) * q + at(d, 2)) * q + at(d, 3)) * q + 1)
    );
  }
  if (p > 1 - plow) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((at(a, 0) * r + at(a, 1)) * r + at(a, 2)) * r + at(a, 3)) * r + at(a, 4)) * r + at(a, 5)) * q) /
    (((((at(b, 0) * r + at(b, 1)) * r + at(b, 2)) * r + at(b, 3)) * r + at(b, 4)) * r + 1)
  );
}

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
