/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp` (scipy 1.10):
 * the same statistic (evaluated at every observation, first arg-extremum wins), the same
 * `method` semantics ('auto' = exact when max(n1, n2) ≤ 10 000) and the same p-value algorithms
 * (exact: `_compute_prob_outside_square` when n1 = n2, `_compute_outer_prob_inside_method`
 * otherwise; asymptotic: `kstwo.sf(d, round(n1·n2/(n1+n2)))`).
 */
import { kolmogn } from './kolmogorov.js';

/** How the p-value is computed; 'auto' picks 'exact' when max(n1, n2) ≤ {@link KS_MAX_AUTO_N}. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

/** scipy's `MAX_AUTO_N`: the largest sample size for which 'auto' tries the exact distribution. */
export const KS_MAX_AUTO_N = 10_000;
const INT32_MAX = 2147483647;

/** The extremes of F1 − F2 over the pooled observations, before choosing the two-sided D. */
export interface KsDifference {
  /** max(F1 − F2), ≥ 0. */
  maxS: number;
  /** Where maxS is reached (first in scipy's data_all order). */
  maxLocation: number;
  /** max(F2 − F1) clipped to [0, 1]. */
  minS: number;
  /** Where minS is reached. */
  minLocation: number;
}

/** Result of a two-sample KS test. */
export interface Ks2SampResult {
  /** D = sup |F1 − F2|; with the exact method scipy rounds it to h / lcm(n1, n2). */
  statistic: number;
  /** Two-sided p-value, clipped to [0, 1]. */
  pvalue: number;
  /** The observation where D is reached. */
  statisticLocation: number;
  /** +1 when F1 > F2 at the location (the first sample is stochastically smaller), −1 otherwise. */
  statisticSign: 1 | -1;
  /** The method that produced the p-value (exact falls back to asymp as scipy does). */
  method: 'exact' | 'asymp';
  /** Sample sizes. */
  n1: number;
  n2: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy's round-half-to-even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Largest index i with a[i] ≤ v, plus one, searching from `start` (a sorted ascending). */
function advanceRight(a: ArrayLike<number>, v: number, start: number): number {
  let i = start;
  while (i < a.length && (a[i] as number) <= v) i++;
  return i;
}

/** Extremes of F1 − F2 from two ascending-sorted samples, exactly as scipy evaluates them. */
export function ksDifferenceFromSorted(sorted1: ArrayLike<number>, sorted2: ArrayLike<number>): KsDifference {
  const n1 = sorted1.length;
  const n2 = sorted2.length;
  let maxV = -Infinity;
  let minV = Infinity;
  let maxLocation = Number.NaN;
  let minLocation = Number.NaN;
  for (const [outer, other, outerIsFirst] of [
    [sorted1, sorted2, true],
    [sorted2, sorted1, false],
  ] as const) {
    let iOuter = 0;
    let iOther = 0;
    for (let k = 0; k < outer.length; k++) {
      const v = outer[k] as number;
      iOuter = advanceRight(outer, v, Math.max(iOuter, k));
      iOther = advanceRight(other, v, iOther);
      const diff = outerIsFirst ? iOuter / n1 - iOther / n2 : iOther / n1 - iOuter / n2;
      if (diff > maxV) {
        maxV = diff;
        maxLocation = v;
      }
      if (diff < minV) {
        minV = diff;
        minLocation = v;
      }
    }
  }
  return { maxS: maxV, maxLocation, minS: Math.min(1, Math.max(0, -minV)), minLocation };
}

/** Pr(D_{n,n} ≥ h/n): paths outside the square band (scipy `_compute_prob_outside_square`). */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/** Proportion of lattice paths leaving the band |x/m − y/n| < h/lcm (scipy's inside method, Viehmann's 1 − p recursion). */
export function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      for (let t = maxj - minj; t < Math.min(lenA, maxj - minj + (lastlen - curlen)); t++) A[t] = 1;
    }
  }
  return A[maxj - minj - 1] as number;
}

/** Exact two-sided p-value; `null` when scipy would give up and fall back to asymp. */
function exactPValue(n1: number, n2: number, d: number): { d: number; p: number } | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const dRounded = h / lcm;
  if (h === 0) return { d: dRounded, p: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
  if (!Number.isFinite(p) || !(p >= 0 && p <= 1)) return null;
  return { d: dRounded, p };
}

/**
 * Two-sided p-value of a two-sample KS statistic `d` for sample sizes n1, n2 with scipy's
 * method selection. Returns the statistic as scipy reports it (rounded to h/lcm under 'exact').
 */
export function ks2sampPValue(
  d: number,
  n1: number,
  n2: number,
  method: KsMethod = 'auto',
): { statistic: number; pvalue: number; method: 'exact' | 'asymp' } {
  let mode: KsMethod = method;
  const g = gcd(n1, n2);
  if (mode === 'auto') mode = Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp';
  else if (mode === 'exact' && n1 / g >= INT32_MAX / (n2 / g)) mode = 'asymp';
  if (mode === 'exact') {
    const r = exactPValue(n1, n2, d);
    if (r) return { statistic: r.d, pvalue: Math.min(1, Math.max(0, r.p)), method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const p = kolmogn(roundHalfEven(en), d, false);
  return { statistic: d, pvalue: Math.min(1, Math.max(0, p)), method: 'asymp' };
}

/** Chooses the two-sided D from the extremes and attaches the p-value. */
export function ks2sampFromDifference(diff: KsDifference, n1: number, n2: number, method: KsMethod = 'auto'): Ks2SampResult {
  const useMin = diff.minS > diff.maxS;
  const d = useMin ? diff.minS : diff.maxS;
  const p = ks2sampPValue(d, n1, n2, method);
  return {
    statistic: p.statistic,
    pvalue: p.pvalue,
    statisticLocation: useMin ? diff.minLocation : diff.maxLocation,
    statisticSign: useMin ? -1 : 1,
    method: p.method,
    n1,
    n2,
  };
}

/**
 * Two-sample two-sided KS test of two raw samples (copied and sorted; NaN must be removed by
 * the caller).
 *
 * @example
 * ks2samp([1, 2, 3, 4], [3, 4, 5, 6]).pvalue; // 0.5428571428571429, as scipy
 */
export function ks2samp(data1: ArrayLike<number>, data2: ArrayLike<number>, method: KsMethod = 'auto'): Ks2SampResult {
  if (data1.length === 0 || data2.length === 0) throw new RangeError('ks2samp needs two non-empty samples');
  const s1 = Float64Array.from(data1).sort();
  const s2 = Float64Array.from(data2).sort();
  return ks2sampFromDifference(ksDifferenceFromSorted(s1, s2), s1.length, s2.length, method);
}
