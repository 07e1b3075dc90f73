/**
 * Streaming summaries of a numeric feature: a reference profile built once from the reference
 * sample, and a window accumulator whose memory depends on the reference profile only.
 *
 * Cells. The profile keeps the reference's distinct values u_0 < … < u_{k-1} (exact mode) or a
 * grid of reference quantiles (sketch mode, when there are more than `maxExactValues` distinct
 * values). The real line is cut into 2k+1 cells: open_0 = (−∞, u_0), at_0 = {u_0}, open_1 =
 * (u_0, u_1), …, at_{k-1}, open_k = (u_{k-1}, ∞). A window only counts values per cell (and keeps
 * the sum, minimum and maximum of the values in each open cell), so it never holds its rows.
 *
 * Exact mode: both empirical CDFs only move at data points; F_ref is constant on an open cell and
 * F_cur is largest at the cell's maximum, so the counts give scipy's KS statistic (and its location)
 * exactly. Sketch mode: D is known at grid points only; `ksDifferenceFromCells` returns that lower
 * bound and `ksUpperBoundFromCells` a certified upper bound.
 */
import { quantileEdges, searchSortedRight } from '../stats/quantile.js';
import type { KsDifference } from '../stats/ks-2samp.js';

/** Default largest number of distinct reference values kept exactly (beyond it, a quantile grid). */
export const DEFAULT_MAX_EXACT_VALUES = 1 << 20;
/** Default grid size of a sketched reference. */
export const DEFAULT_SKETCH_SIZE = 8192;

/** Reference profile of one numeric feature (built once; read-only afterwards). */
export interface NumericProfile {
  /** Discriminant. */
  readonly kind: 'numeric';
  /** Non-missing reference values. */
  readonly n: number;
  /** Missing (NaN / null / undefined) reference values. */
  readonly missing: number;
  /** True when `values` holds every distinct reference value (KS and Wasserstein are then exact). */
  readonly exact: boolean;
  /** Ascending cell points: distinct values (exact) or a quantile grid (sketch). */
  readonly values: Float64Array;
  /** Reference count at each point. */
  readonly atCounts: Float64Array;
  /** Reference count strictly between consecutive points (length k+1); all zero in exact mode. */
  readonly openCounts: Float64Array;
  /** PSI / chi-square bin edges: numpy.unique(numpy.quantile(ref, [.1, …, .9])). */
  readonly binEdges: Float64Array;
  /** Reference counts per bin [e_i, e_{i+1}) (edges.length + 1 bins). */
  readonly binCounts: Float64Array;
  /** For each at-cell and open-cell, its PSI bin, or −1 when an edge falls inside the open cell. */
  readonly atBin: Int32Array;
  readonly openBin: Int32Array;
  /** Reference mean and population standard deviation. */
  readonly mean: number;
  readonly std: number;
}

/** Options of {@link profileNumeric}. */
export interface NumericProfileOptions {
  /** Bins for PSI / chi-square (default 10, deciles). */
  bins?: number;
  /** Keep every distinct value up to this many (default 2^20); beyond, sketch. */
  maxExactValues?: number;
  /** Grid points when sketching (default 8192). */
  sketchSize?: number;
}

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Builds a numeric reference profile (sorts a copy of the non-missing values once). */
export function profileNumeric(values: ArrayLike<number | null | undefined>, options: NumericProfileOptions = {}): NumericProfile {
  const bins = options.bins ?? 10;
  const maxExact = options.maxExactValues ?? DEFAULT_MAX_EXACT_VALUES;
  const sketchSize = options.sketchSize ?? DEFAULT_SKETCH_SIZE;
  let missing = 0;
  const buf = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissing(v)) missing++;
    else buf[n++] = Number(v);
  }
  const sorted = buf.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  const mean = n ? sum / n : Number.NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((sorted[i] as number) - mean) ** 2;
  const std = n ? Math.sqrt(ss / n) : Number.NaN;

  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const exact = distinct <= maxExact;
  let points: Float64Array;
  if (exact) {
    points = new Float64Array(distinct);
    let j = 0;
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) points[j++] = sorted[i] as number;
  } else {
    const grid: number[] = [];
    for (let g = 0; g < sketchSize; g++) {
      const v = sorted[Math.floor((g * (n - 1)) / (sketchSize - 1))] as number;
      if (grid.length === 0 || grid[grid.length - 1] !== v) grid.push(v);
    }
    points = Float64Array.from(grid);
  }
  const k = points.length;
  const atCounts = new Float64Array(k);
  const openCounts = new Float64Array(k + 1);
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number;
    while (c < k && (points[c] as number) < v) c++;
    if (c < k && points[c] === v) atCounts[c] = (atCounts[c] as number) + 1;
    else openCounts[c] = (openCounts[c] as number) + 1;
  }
  const binEdges = n ? quantileEdges(sorted, bins) : new Float64Array(0);
  const binCountsArr = new Float64Array(binEdges.length + 1);
  for (let i = 0; i < n; i++) {
    const b = searchSortedRight(binEdges, sorted[i] as number);
    binCountsArr[b] = (binCountsArr[b] as number) + 1;
  }
  const atBin = new Int32Array(k);
  const openBin = new Int32Array(k + 1);
  for (let i = 0; i < k; i++) atBin[i] = searchSortedRight(binEdges, points[i] as number);
  for (let i = 0; i <= k; i++) {
    const lo = i === 0 ? -Infinity : (points[i - 1] as number);
    const hi = i === k ? Infinity : (points[i] as number);
    // bin of any x in (lo, hi) is #edges ≤ x; constant unless an edge lies strictly inside
    const first = searchSortedRight(binEdges, lo);
    const inside = first < binEdges.length && (binEdges[first] as number) < hi;
    openBin[i] = inside ? -1 : first;
  }
  return {
    kind: 'numeric',
    n,
    missing,
    exact,
    values: points,
    atCounts,
    openCounts,
    binEdges,
    binCounts: binCountsArr,
    atBin,
    openBin,
    mean,
    std,
  };
}

/** A window's summary of one numeric feature, in the cells of its reference profile. */
export interface NumericWindowSummary {
  readonly kind: 'numeric';
  /** Non-missing values seen. */
  n: number;
  /** Missing values seen. */
  missing: number;
  /** Count equal to each profile point. */
  readonly atCounts: Float64Array;
  /** Count, sum, min and max of the values strictly inside each open cell. */
  readonly openCounts: Float64Array;
  readonly openSums: Float64Array;
  readonly openMin: Float64Array;
  readonly openMax: Float64Array;
  /** Counts per PSI bin. */
  readonly binCounts: Float64Array;
  /** Running sum of values (for the mean). */
  sum: number;
}

/** Accumulates a numeric window against a profile; memory O(profile cells), not O(rows). */
export class NumericWindow {
  readonly summary: NumericWindowSummary;
  readonly #profile: NumericProfile;
  // value-range buckets → first candidate point, so a lookup binary-searches one small bucket
  readonly #bucketStart: Int32Array;
  readonly #bucketLo: number;
  readonly #bucketScale: number;

  constructor(profile: NumericProfile) {
    this.#profile = profile;
    const k = profile.values.length;
    const nb = Math.min(1 << 16, Math.max(1, k));
    const lo = k ? (profile.values[0] as number) : 0;
    const hi = k ? (profile.values[k - 1] as number) : 0;
    const scale = hi > lo && Number.isFinite(hi - lo) ? nb / (hi - lo) : 0;
    this.#bucketStart = new Int32Array(nb + 2);
    // bucketStart[b] = first point index whose bucket ≥ b
    let j = 0;
    for (let b = 0; b <= nb + 1; b++) {
      while (j < k && Math.min(nb, Math.floor(((profile.values[j] as number) - lo) * scale)) < b) j++;
      this.#bucketStart[b] = j;
    }
    this.#bucketLo = lo;
    this.#bucketScale = scale;
    this.summary = {
      kind: 'numeric',
      n: 0,
      missing: 0,
      atCounts: new Float64Array(k),
      openCounts: new Float64Array(k + 1),
      openSums: new Float64Array(k + 1),
      openMin: new Float64Array(k + 1).fill(Infinity),
      openMax: new Float64Array(k + 1).fill(-Infinity),
      binCounts: new Float64Array(profile.binEdges.length + 1),
      sum: 0,
    };
  }

  /** Adds one value (null / undefined / NaN count as missing). */
  add(value: number | null | undefined): void {
    const s = this.summary;
    if (value === null || value === undefined || Number.isNaN(value)) {
      s.missing++;
      return;
    }
    const p = this.#profile;
    const pts = p.values;
    let lo = 0;
    let hi = pts.length;
    if (this.#bucketScale > 0) {
      // the first point ≥ value lies in [start of value's bucket, start of the next bucket]
      const t = (value - this.#bucketLo) * this.#bucketScale;
      const nb = this.#bucketStart.length - 2;
      if (t < 0) hi = 0;
      else if (t >= nb) lo = this.#bucketStart[nb] as number;
      else {
        const b = Math.floor(t);
        lo = this.#bucketStart[b] as number;
        hi = this.#bucketStart[b + 1] as number;
      }
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((pts[mid] as number) < value) lo = mid + 1;
      else hi = mid;
    }
    s.n++;
    s.sum += value;
    let bin: number;
    if (lo < pts.length && pts[lo] === value) {
      s.atCounts[lo] = (s.atCounts[lo] as number) + 1;
      bin = p.atBin[lo] as number;
    } else {
      s.openCounts[lo] = (s.openCounts[lo] as number) + 1;
      s.openSums[lo] = (s.openSums[lo] as number) + value;
      if (value < (s.openMin[lo] as number)) s.openMin[lo] = value;
      if (value > (s.openMax[lo] as number)) s.openMax[lo] = value;
      bin = p.openBin[lo] as number;
      if (bin < 0) bin = searchSortedRight(p.binEdges, value);
    }
    s.binCounts[bin] = (s.binCounts[bin] as number) + 1;
  }

  /** Adds many values. */
  addAll(values: ArrayLike<number | null | undefined>): this {
    for (let i = 0; i < values.length; i++) this.add(values[i]);
    return this;
  }
}

/**
 * Extremes of F_ref − F_cur from cell counts. In exact mode this is scipy's ks_2samp statistic
 * (same integer counts, same divisions, same first-occurrence location rule, reference first).
 */
export function ksDifferenceFromCells(profile: NumericProfile, window: NumericWindowSummary): KsDifference {
  const n1 = profile.n;
  const n2 = window.n;
  const k = profile.values.length;
  let R = 0;
  let C = 0;
  let maxV = -Infinity;
  let minV = Infinity;
  let maxLoc = Number.NaN;
  let minLoc = Number.NaN;
  // reference points first (scipy evaluates data1 before data2)
  for (let i = 0; i < k; i++) {
    R += (profile.openCounts[i] as number) + (profile.atCounts[i] as number);
    C += (window.openCounts[i] as number) + (window.atCounts[i] as number);
    if ((profile.atCounts[i] as number) === 0) continue;
    const diff = R / n1 - C / n2;
    const u = profile.values[i] as number;
    if (diff > maxV) {
      maxV = diff;
      maxLoc = u;
    }
    if (diff < minV) {
      minV = diff;
      minLoc = u;
    }
  }
  // current points: in an open cell F_ref is constant (exact mode) and F_cur peaks at the cell's max;
  // a sketch does not know F_ref inside a cell, so it keeps the grid-point lower bound only
  R = 0;
  C = 0;
  for (let i = 0; i <= (profile.exact ? k : -1); i++) {
    const oc = window.openCounts[i] as number;
    if (oc > 0) {
      const diff = R / n1 - (C + oc) / n2;
      if (diff < minV) {
        minV = diff;
        minLoc = window.openMax[i] as number;
      }
    }
    if (i < k) {
      R += (profile.openCounts[i] as number) + (profile.atCounts[i] as number);
      C += oc + (window.atCounts[i] as number);
    }
  }
  return { maxS: maxV, maxLocation: maxLoc, minS: Math.min(1, Math.max(0, -minV)), minLocation: minLoc };
}

/**
 * A certified upper bound on sup|F_ref − F_cur| from cells: inside an open cell each CDF lies
 * between its values at the cell's ends. Equals the exact D when the profile is exact.
 */
export function ksUpperBoundFromCells(profile: NumericProfile, window: NumericWindowSummary): number {
  const n1 = profile.n;
  const n2 = window.n;
  const k = profile.values.length;
  let R = 0;
  let C = 0;
  let bound = 0;
  for (let i = 0; i <= k; i++) {
    const ro = profile.openCounts[i] as number;
    const co = window.openCounts[i] as number;
    if (ro > 0 || co > 0) {
      bound = Math.max(bound, (R + ro) / n1 - C / n2, (C + co) / n2 - R / n1);
    }
    R += ro;
    C += co;
    if (i < k) {
      R += profile.atCounts[i] as number;
      C += window.atCounts[i] as number;
      bound = Math.max(bound, Math.abs(R / n1 - C / n2));
    }
  }
  return bound;
}

/**
 * 1-Wasserstein distance ∫|F_ref − F_cur| from cells. Exact except in open cells where F_cur crosses
 * the (constant) F_ref level — there the cell contributes |∫(F_ref − F_cur)|, a lower bound;
 * `exact` reports whether that happened (never, for a window of reference values).
 */
export function wassersteinFromCells(profile: NumericProfile, window: NumericWindowSummary): { distance: number; exact: boolean } {
  const n1 = profile.n;
  const n2 = window.n;
  const k = profile.values.length;
  const pts = profile.values;
  let exact = profile.exact;
  let R = 0;
  let C = 0;
  let w = 0;
  for (let i = 0; i <= k; i++) {
    const co = window.openCounts[i] as number;
    const cs = window.openSums[i] as number;
    const a = R / n1;
    const b0 = C / n2;
    if (i === 0) {
      if (co > 0) w += (co * (pts[0] as number) - cs) / n2;
    } else if (i === k) {
      if (co > 0) w += (cs - co * (pts[k - 1] as number)) / n2;
    } else {
      const lo = pts[i - 1] as number;
      const hi = pts[i] as number;
      const len = hi - lo;
      const intCur = b0 * len + (co * hi - cs) / n2;
      const b1 = (C + co) / n2;
      if (co > 0 && a > b0 && a < b1) exact = false;
      w += Math.abs(a * len - intCur);
    }
    R += profile.openCounts[i] as number;
    C += co;
    if (i < k) {
      R += profile.atCounts[i] as number;
      C += window.atCounts[i] as number;
    }
  }
  return { distance: w, exact };
}
