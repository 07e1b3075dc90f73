/** Distances between two discrete distributions given as counts or proportions over the same cells. */

/** The epsilon that replaces zero proportions in PSI (the reference implementation's `EPS`). */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index Σ (c_i − r_i) ln(c_i / r_i) over proportions, zero proportions
 * replaced by `epsilon` first. Always ≥ 0 (each term is).
 */
export function psiFromCounts(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  const nRef = sum(refCounts);
  const nCur = sum(curCounts);
  let psi = 0;
  for (let i = 0; i < refCounts.length; i++) {
    let r = (refCounts[i] as number) / nRef;
    let c = (curCounts[i] as number) / nCur;
    if (r === 0) r = epsilon;
    if (c === 0) c = epsilon;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/**
 * Jensen–Shannon distance with base-2 logarithms (so it lies in [0, 1]):
 * sqrt(½ KL(p‖m) + ½ KL(q‖m)), m = ½(p + q), as `scipy.spatial.distance.jensenshannon(p, q, base=2)`.
 */
export function jensenShannonDistance(refCounts: ArrayLike<number>, curCounts: ArrayLike<number>): number {
  const nRef = sum(refCounts);
  const nCur = sum(curCounts);
  let js = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const p = (refCounts[i] as number) / nRef;
    const q = (curCounts[i] as number) / nCur;
    const m = (p + q) / 2;
    if (p > 0) js += p * Math.log(p / m);
    if (q > 0) js += q * Math.log(q / m);
  }
  const divergence = js / 2 / Math.LN2;
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s;
}

/**
 * 1-Wasserstein distance between two empirical distributions on the real line given as
 * ascending-sorted samples: ∫ |F1(x) − F2(x)| dx (as `scipy.stats.wasserstein_distance`).
 */
export function wassersteinSorted(s1: ArrayLike<number>, s2: ArrayLike<number>): number {
  const n1 = s1.length;
  const n2 = s2.length;
  let i = 0;
  let j = 0;
  let prev = Math.min(s1[0] as number, s2[0] as number);
  let w = 0;
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && (s1[i] as number) <= (s2[j] as number)) ? (s1[i] as number) : (s2[j] as number);
    w += Math.abs(i / n1 - j / n2) * (x - prev);
    while (i < n1 && (s1[i] as number) === x) i++;
    while (j < n2 && (s2[j] as number) === x) j++;
    prev = x;
  }
  return w;
}
