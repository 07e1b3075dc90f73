/** Percentile bootstrap confidence intervals over rows, seeded. */
import { mulberry32 } from './random.js';

/** A value with its confidence interval. `lower`/`upper` are null when the interval is undefined. */
export interface Estimate {
  value: number;
  lower: number | null;
  upper: number | null;
}

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  replicates?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
  /** Two-sided level (default 0.95). */
  level?: number;
}

/**
 * Percentile bootstrap of several statistics at once over the same resamples of `n` rows.
 * `stats` each receive a weight vector (how many times each row was drawn) and return a value.
 * Resamples where a statistic is not finite are left out of that statistic's interval.
 */
export function bootstrap(
  n: number,
  stats: Record<string, (weights: Uint32Array) => number>,
  options: BootstrapOptions = {},
): Record<string, Estimate> {
  const replicates = options.replicates ?? 1000;
  const level = options.level ?? 0.95;
  const rand = mulberry32(options.seed ?? 0);
  const names = Object.keys(stats);
  const ones = new Uint32Array(n).fill(1);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const weights = new Uint32Array(n);
  for (let r = 0; r < replicates && n > 0; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(rand() * n)]!++;
    for (const k of names) {
      const v = stats[k]!(weights);
      if (Number.isFinite(v)) samples[k]!.push(v);
    }
  }
  const out: Record<string, Estimate> = {};
  for (const k of names) {
    const value = n > 0 ? stats[k]!(ones) : Number.NaN;
    const s = samples[k]!.sort((a, b) => a - b);
    if (s.length < Math.max(10, replicates / 2)) {
      out[k] = { value, lower: null, upper: null };
      continue;
    }
    out[k] = { value, lower: quantileSorted(s, (1 - level) / 2), upper: quantileSorted(s, 1 - (1 - level) / 2) };
  }
  return out;
}

/** Linear-interpolated quantile of a sorted array (numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Wilson score interval for a proportion of `k` successes in `n` trials. */
export function wilson(k: number, n: number, level = 0.95): Estimate {
  if (n === 0) return { value: Number.NaN, lower: null, upper: null };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return { value: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Inverse of the standard normal CDF (Acklam's algorithm, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowP) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
