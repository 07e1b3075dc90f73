/**
 * Feature binning for histogram-based boosting.
 *
 * Numeric: up to `maxBins` bins from the (seeded) sample's distinct values, cut greedily so every
 * bin holds about the same number of rows (heavy values such as a 90 % zero get their own bin);
 * cut points are midpoints between neighbouring distinct values, rounded to a float32 between
 * them when one exists so a float32 exporter (ONNX) routes rows the same way. Bin 0 = missing
 * (NaN); a value v goes to bin 1 + #{edges e : e < v}, so "bin ≤ k" ⇔ "v ≤ edges[k-1]".
 * ±Infinity: not missing; clipped to ±Number.MAX_VALUE (so it falls in the outermost bins and
 * compares like the largest finite value). A split that sends every present value one way and
 * missing values the other has threshold Number.MAX_VALUE.
 *
 * Categorical: bin 0 = missing (null), bin 1 = "other" (categories rarer than `minCategoryCount`,
 * beyond the `maxCategories` most frequent, or unseen at prediction), bin 2 + i = categories[i]
 * (ordered by decreasing count, then label).
 */
import { MloopError } from '../../errors/index.js';
import { randomStream, shuffleStream } from './random.js';
import { getColumn, labelCodes, numericValues, type ColumnValues, type FeatureSpec, type Table } from './table.js';

/** Binning of one numeric feature. */
export interface NumericBinner {
  readonly kind: 'numeric';
  readonly name: string;
  /** Ascending cut points; bin k (1-based) holds edges[k-2] < v ≤ edges[k-1]. */
  readonly edges: Float64Array;
  /** Bins including the missing bin 0: edges.length + 2. */
  readonly nBins: number;
}

/** Binning of one categorical feature. */
export interface CategoricalBinner {
  readonly kind: 'categorical';
  readonly name: string;
  /** Kept categories; category i is bin i + 2. */
  readonly categories: readonly string[];
  /** Label → bin. */
  readonly index: ReadonlyMap<string, number>;
  /** Bins including missing (0) and other (1): categories.length + 2. */
  readonly nBins: number;
}

export type FeatureBinner = NumericBinner | CategoricalBinner;

/** Options of {@link fitBinners}. */
export interface BinningOptions {
  /** Maximum bins per numeric feature, missing bin excluded (2–255, default 255). */
  maxBins?: number;
  /** Rows sampled (seeded) to choose numeric cut points (default 200 000). */
  sampleSize?: number;
  /** Categories seen fewer times are pooled into "other" (default 2). */
  minCategoryCount?: number;
  /** Most frequent categories kept per feature, the rest pooled (1–254, default 254). */
  maxCategories?: number;
  /** Seed of the sample (default 0). */
  seed?: number;
}

/** A problem with one feature that did not stop training (the feature was dropped). */
export interface FeatureWarning {
  /** Column name. */
  path: string;
  /** `all_missing` or `constant`. */
  code: 'all_missing' | 'constant';
  /** Human sentence. */
  message: string;
}

/** A categorical column coded once: codes[i] indexes labels, −1 = missing. */
interface CategoryCodes {
  readonly codes: Int32Array;
  readonly labels: readonly string[];
}

/**
 * Categorical columns coded once per training run, keyed by column array, so fitting and binning
 * look each label up in a Map once instead of once per pass (the caller drops it after training).
 */
export type CategoryCodeCache = Map<unknown, CategoryCodes>;

/** Codes of a categorical column (same labels as categoricalValues), from `cache` when given. */
function categoryCodes(col: ColumnValues, cache: CategoryCodeCache | undefined): CategoryCodes {
  const hit = cache?.get(col);
  if (hit) return hit;
  const codes = new Int32Array(col.length);
  const labels = labelCodes(col, codes);
  const out = { codes, labels };
  cache?.set(col, out);
  return out;
}

// The row loops below are functions of their own: V8 compiles a hot loop while it runs (OSR) and
// code after it in the same function, not yet run, would make it throw that code away.

/** Rows per code over `rows` (counts[c]); returns the rows with a missing value. */
function countCodes(codes: Int32Array, rows: Uint32Array, counts: Float64Array): number {
  let missing = 0;
  for (let i = 0; i < rows.length; i++) {
    const c = codes[rows[i]!]!;
    if (c < 0) missing++;
    else counts[c]!++;
  }
  return missing;
}

/**
 * The present (non-NaN) values at `rows`, ±Infinity clipped to ±Number.MAX_VALUE, into out[0..m);
 * returns m; stats = [min, max, 1 if a value is not a 32-bit integer else 0] of the unclipped
 * values. One loop for what were three (gather, range, filter): in a fresh process every distinct
 * row loop runs its first ~10⁴ iterations unoptimised. stats is written inside the loop (when it
 * changes), not after it: V8 compiles the loop on the fly and threw that code away at stores after
 * it that had not run yet.
 */
function collectPresent(values: Float64Array, rows: Uint32Array, out: Float64Array, stats: Float64Array): number {
  let m = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  stats[0] = lo;
  stats[1] = hi;
  stats[2] = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]!]!;
    if (v === v) {
      if (v < lo) stats[0] = lo = v;
      if (v > hi) stats[1] = hi = v;
      if ((v | 0) !== v) stats[2] = 1;
      out[m++] = v > Number.MAX_VALUE ? Number.MAX_VALUE : v < -Number.MAX_VALUE ? -Number.MAX_VALUE : v;
    }
  }
  return m;
}

/**
 * Sorts values in place, ascending; 32-bit integers (`ints`) as an Int32Array, which V8 sorts about
 * twice as fast as doubles (−0 becomes 0, which moves no cut point).
 */
function sortValues(values: Float64Array, ints: boolean): Float64Array {
  if (!ints) return values.sort();
  values.set(Int32Array.from(values).sort());
  return values;
}

/** The non-NaN values, ±Infinity clipped to ±Number.MAX_VALUE, sorted ascending. */
function sortedFinite(values: Float64Array): Float64Array {
  let m = 0;
  const finite = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) finite[m++] = v > Number.MAX_VALUE ? Number.MAX_VALUE : v < -Number.MAX_VALUE ? -Number.MAX_VALUE : v;
  }
  return finite.subarray(0, m).sort();
}

/**
 * Distinct values of a sorted array and how often each occurs, into distinct[0..d) and
 * counts[0..d) (typed arrays sized for the worst case: no growing plain arrays of doubles, which a
 * fresh process pays for in copies and garbage collection: fnlwgt on Adult has ~20 000 distinct
 * values); returns d. Nothing after the loop needs type feedback (V8 compiles the loop on the fly
 * and would throw that code away at an untried property access after it).
 */
function distinctCounts(sorted: Float64Array, distinct: Float64Array, counts: Float64Array): number {
  let d = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (d > 0 && distinct[d - 1] === v) counts[d - 1]!++;
    else {
      distinct[d] = v;
      counts[d++] = 1;
    }
  }
  return d;
}

/** bins[base + i] = numericBin(values[rows ? rows[i] : i]) for i < n. */
function binNumeric(values: Float64Array, edges: Float64Array, rows: Uint32Array | undefined, bins: Uint8Array, base: number, n: number): void {
  for (let i = 0; i < n; i++) bins[base + i] = numericBin(values[rows ? rows[i]! : i]!, edges);
}

/** bins[base + i] = binOf[codes[rows ? rows[i] : i]] (0 when missing) for i < n. */
function binCodes(codes: Int32Array, binOf: Uint8Array, rows: Uint32Array | undefined, bins: Uint8Array, base: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const c = codes[rows ? rows[i]! : i]!;
    bins[base + i] = c < 0 ? 0 : binOf[c]!;
  }
}

/** Binned features: bins[f * nRows + r], column-major. */
export interface BinnedMatrix {
  readonly nRows: number;
  readonly nFeatures: number;
  readonly bins: Uint8Array;
}

/** The cut points chosen for `values` (NaN ignored, ±Infinity clipped to ±Number.MAX_VALUE). */
export function numericEdges(values: Float64Array, maxBins = 255): Float64Array {
  return edgesOfSorted(sortedFinite(values), maxBins);
}

/** {@link numericEdges} of values already clipped, NaN-free and sorted ascending. */
function edgesOfSorted(sorted: Float64Array, maxBins: number): Float64Array {
  const m = sorted.length;
  const distinct = new Float64Array(m);
  const counts = new Float64Array(m);
  const nDistinct = distinctCounts(sorted, distinct, counts);
  const cuts: number[] = [];
  if (nDistinct <= maxBins) {
    for (let i = 0; i + 1 < nDistinct; i++) cuts.push(i);
  } else {
    let restCount = m;
    let restBins = maxBins;
    let cur = 0;
    for (let i = 0; i + 1 < nDistinct && restBins > 1; i++) {
      cur += counts[i]!;
      const target = restCount / restBins;
      if (cur >= target || counts[i + 1]! >= target) {
        cuts.push(i);
        restCount -= cur;
        restBins--;
        cur = 0;
      }
    }
  }
  const edges = new Float64Array(cuts.length);
  for (let k = 0; k < cuts.length; k++) edges[k] = cutPoint(distinct[cuts[k]!]!, distinct[cuts[k]! + 1]!);
  return edges;
}

/** A threshold t with a ≤ t < b, preferring the midpoint, as a float32 when possible. */
function cutPoint(a: number, b: number): number {
  const mid = a / 2 + b / 2;
  const f = Math.fround(mid);
  if (f >= a && f < b) return f;
  return mid < b ? mid : a;
}

/** Bin of one numeric value (0 = missing). */
export function numericBin(v: number, edges: Float64Array): number {
  if (Number.isNaN(v)) return 0;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Bin of one categorical label (0 = missing, 1 = other/unseen). */
export function categoricalBin(v: string | null, index: ReadonlyMap<string, number>): number {
  if (v === null) return 0;
  return index.get(v) ?? 1;
}

/**
 * Chooses bins for every feature from `rows` of the table (all rows when omitted).
 * Features whose values are all missing, or that are constant, are dropped with a warning.
 */
export function fitBinners(
  table: Table,
  features: readonly FeatureSpec[],
  rows: Uint32Array,
  options: BinningOptions = {},
  cache?: CategoryCodeCache,
): { binners: FeatureBinner[]; warnings: FeatureWarning[] } {
  const maxBins = options.maxBins ?? 255;
  const sampleSize = options.sampleSize ?? 200_000;
  const minCount = options.minCategoryCount ?? 2;
  const maxCategories = options.maxCategories ?? 254;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 255) {
    throw MloopError.invalidArgument(`maxBins must be an integer in 2..255, got ${maxBins}`);
  }
  if (!Number.isInteger(maxCategories) || maxCategories < 1 || maxCategories > 254) {
    throw MloopError.invalidArgument(`maxCategories must be an integer in 1..254, got ${maxCategories}`);
  }
  let sample = rows;
  if (rows.length > sampleSize) {
    const order = shuffleStream(rows.length, randomStream(options.seed ?? 0));
    sample = new Uint32Array(sampleSize);
    for (let i = 0; i < sampleSize; i++) sample[i] = rows[order[i]!]!;
    sample.sort();
  }
  const binners: FeatureBinner[] = [];
  const warnings: FeatureWarning[] = [];
  const present = new Float64Array(sample.length);
  const range = new Float64Array(3);
  for (const spec of features) {
    const col = getColumn(table, spec.name, 'feature column');
    if (spec.kind === 'numeric') {
      const all = numericValues(col, spec.name);
      // present values of the sample (clipped) and, over every row, present count and range
      const nSample = collectPresent(all, sample, present, range);
      const nPresent = sample === rows ? nSample : collectPresent(all, rows, new Float64Array(rows.length), range);
      if (nPresent === 0) {
        warnings.push({ path: spec.name, code: 'all_missing', message: `feature '${spec.name}' has only missing values; dropped` });
        continue;
      }
      if (range[0] === range[1] && nPresent === rows.length) {
        warnings.push({ path: spec.name, code: 'constant', message: `feature '${spec.name}' has a single value; dropped` });
        continue;
      }
      const edges = edgesOfSorted(sortValues(present.subarray(0, nSample), range[2] === 0), maxBins);
      binners.push({ kind: 'numeric', name: spec.name, edges, nBins: edges.length + 2 });
    } else {
      const { codes, labels } = categoryCodes(col, cache);
      const perCode = new Float64Array(labels.length);
      const missing = countCodes(codes, rows, perCode);
      const counts = new Map<string, number>();
      for (let c = 0; c < labels.length; c++) if (perCode[c]! > 0) counts.set(labels[c]!, perCode[c]!);
      if (counts.size === 0) {
        warnings.push({ path: spec.name, code: 'all_missing', message: `feature '${spec.name}' has only missing values; dropped` });
        continue;
      }
      if (counts.size === 1 && missing === 0) {
        warnings.push({ path: spec.name, code: 'constant', message: `feature '${spec.name}' has a single value; dropped` });
        continue;
      }
      const ordered = [...counts.entries()]
        .filter(([, c]) => c >= minCount)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, maxCategories)
        .map(([k]) => k);
      const index = new Map<string, number>();
      ordered.forEach((k, i) => index.set(k, i + 2));
      binners.push({ kind: 'categorical', name: spec.name, categories: ordered, index, nBins: ordered.length + 2 });
    }
  }
  return { binners, warnings };
}

/** Bins `rows` of the table (all rows when omitted) with fitted binners; column-major Uint8. */
export function binTable(table: Table, binners: readonly FeatureBinner[], rows?: Uint32Array, cache?: CategoryCodeCache): BinnedMatrix {
  const first = binners[0] ? getColumn(table, binners[0].name, 'feature column') : undefined;
  const nRows = rows ? rows.length : (first?.length ?? 0);
  const bins = new Uint8Array(binners.length * nRows);
  binners.forEach((b, f) => {
    const col = getColumn(table, b.name, 'feature column');
    const base = f * nRows;
    if (b.kind === 'numeric') {
      const vals = numericValues(col, b.name);
      binNumeric(vals, b.edges, rows, bins, base, nRows);
    } else {
      const { codes, labels } = categoryCodes(col, cache);
      binCodes(codes, Uint8Array.from(labels, (l) => categoricalBin(l, b.index)), rows, bins, base, nRows);
    }
  });
  return { nRows, nFeatures: binners.length, bins };
}
