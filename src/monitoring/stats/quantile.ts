/** numpy-compatible quantiles and binning on sorted data. */

/**
 * Quantile of an ascending-sorted sample with numpy's default 'linear' method (Hyndman–Fan 7),
 * bit-for-bit as `numpy.quantile(a, q)` (numpy ≥ 1.22 `_lerp`).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const vi = (n - 1) * q;
  if (vi >= n - 1) return sorted[n - 1] as number;
  if (vi < 0) return sorted[0] as number;
  const prev = Math.floor(vi);
  const a = sorted[prev] as number;
  const b = sorted[prev + 1] as number;
  const t = vi - prev;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Bin edges for PSI as the reference implementation defines them:
 * `numpy.unique(numpy.quantile(ref, [1/k, …, (k-1)/k]))` (so ties can give fewer than k bins).
 */
export function quantileEdges(sorted: ArrayLike<number>, bins = 10): Float64Array {
  const raw: number[] = [];
  for (let i = 1; i < bins; i++) raw.push(quantileSorted(sorted, i / bins));
  raw.sort((x, y) => x - y);
  const out: number[] = [];
  for (const v of raw) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return Float64Array.from(out);
}

/** `numpy.searchsorted(edges, x, side='right')`: the number of edges ≤ x. */
export function searchSortedRight(edges: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts per bin [e_i, e_{i+1}) for edges.length + 1 bins (searchsorted side='right'). */
export function binCounts(values: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) {
    const b = searchSortedRight(edges, values[i] as number);
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}
