/** The histogram kernel shared by the main thread and the histogram worker (no imports on purpose). */

/**
 * Adds gradient, hessian and count of rows idx[begin..end) into
 * hist[(offsets[f] + bin) * 3 + {0,1,2}] for features feats[fStart..fEnd), zeroing them first.
 * g and h are by position: g[i] belongs to row idx[i] (gathered once per node).
 */
export function buildHistRange(
  hist: Float64Array,
  bins: Uint8Array,
  nRows: number,
  offsets: Int32Array,
  feats: Int32Array,
  fStart: number,
  fEnd: number,
  idx: Uint32Array,
  begin: number,
  end: number,
  g: Float64Array,
  h: Float64Array,
): void {
  for (let j = fStart; j < fEnd; j++) {
    const f = feats[j]!;
    hist.fill(0, offsets[f]! * 3, offsets[f + 1]! * 3);
  }
  let j = fStart;
  // four features per pass over the rows: one load of row id and gradients feeds four histograms
  for (; j + 4 <= fEnd; j += 4) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const f2 = feats[j + 2]!;
    const f3 = feats[j + 3]!;
    const b0 = f0 * nRows;
    const b1 = f1 * nRows;
    const b2 = f2 * nRows;
    const b3 = f3 * nRows;
    const o0 = offsets[f0]! * 3;
    const o1 = offsets[f1]! * 3;
    const o2 = offsets[f2]! * 3;
    const o3 = offsets[f3]! * 3;
    for (let i = begin; i < end; i++) {
      const r = idx[i]!;
      const gi = g[i]!;
      const hi = h[i]!;
      let q = o0 + bins[b0 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
      q = o1 + bins[b1 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
      q = o2 + bins[b2 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
      q = o3 + bins[b3 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
    }
  }
  // the last one to three features in one pass too (a pass per feature reloads row ids and gradients each time)
  const rest = fEnd - j;
  if (rest === 3) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const f2 = feats[j + 2]!;
    const b0 = f0 * nRows;
    const b1 = f1 * nRows;
    const b2 = f2 * nRows;
    const o0 = offsets[f0]! * 3;
    const o1 = offsets[f1]! * 3;
    const o2 = offsets[f2]! * 3;
    for (let i = begin; i < end; i++) {
      const r = idx[i]!;
      const gi = g[i]!;
      const hi = h[i]!;
      let q = o0 + bins[b0 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
      q = o1 + bins[b1 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
      q = o2 + bins[b2 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
    }
  } else if (rest === 2) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const b0 = f0 * nRows;
    const b1 = f1 * nRows;
    const o0 = offsets[f0]! * 3;
    const o1 = offsets[f1]! * 3;
    for (let i = begin; i < end; i++) {
      const r = idx[i]!;
      const gi = g[i]!;
      const hi = h[i]!;
      let q = o0 + bins[b0 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
      q = o1 + bins[b1 + r]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      hist[q + 2] = hist[q + 2]! + 1;
    }
  } else if (rest === 1) {
    const f = feats[j]!;
    const base = f * nRows;
    const o = offsets[f]! * 3;
    for (let i = begin; i < end; i++) {
      const r = idx[i]!;
      const q = o + bins[base + r]! * 3;
      hist[q] = hist[q]! + g[i]!;
      hist[q + 1] = hist[q + 1]! + h[i]!;
      hist[q + 2] = hist[q + 2]! + 1;
    }
  }
}

/**
 * The root's histogram over every row begin..end (g[r], h[r] by row): starts each active feature
 * from `counts` (the same layout, counts of all rows per bin and zero sums, computed once per
 * training run) and adds only gradients and hessians, since the root's counts never change.
 */
export function buildHistAllRows(
  hist: Float64Array,
  bins: Uint8Array,
  nRows: number,
  offsets: Int32Array,
  feats: Int32Array,
  fStart: number,
  fEnd: number,
  begin: number,
  end: number,
  g: Float64Array,
  h: Float64Array,
  counts: Float64Array,
): void {
  for (let j = fStart; j < fEnd; j++) {
    const f = feats[j]!;
    hist.set(counts.subarray(offsets[f]! * 3, offsets[f + 1]! * 3), offsets[f]! * 3);
  }
  let j = fStart;
  for (; j + 4 <= fEnd; j += 4) {
    const b0 = feats[j]! * nRows;
    const b1 = feats[j + 1]! * nRows;
    const b2 = feats[j + 2]! * nRows;
    const b3 = feats[j + 3]! * nRows;
    const o0 = offsets[feats[j]!]! * 3;
    const o1 = offsets[feats[j + 1]!]! * 3;
    const o2 = offsets[feats[j + 2]!]! * 3;
    const o3 = offsets[feats[j + 3]!]! * 3;
    for (let i = begin; i < end; i++) {
      const gi = g[i]!;
      const hi = h[i]!;
      let q = o0 + bins[b0 + i]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      q = o1 + bins[b1 + i]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      q = o2 + bins[b2 + i]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      q = o3 + bins[b3 + i]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
    }
  }
  for (; j + 2 <= fEnd; j += 2) {
    const b0 = feats[j]! * nRows;
    const b1 = feats[j + 1]! * nRows;
    const o0 = offsets[feats[j]!]! * 3;
    const o1 = offsets[feats[j + 1]!]! * 3;
    for (let i = begin; i < end; i++) {
      const gi = g[i]!;
      const hi = h[i]!;
      let q = o0 + bins[b0 + i]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
      q = o1 + bins[b1 + i]! * 3;
      hist[q] = hist[q]! + gi;
      hist[q + 1] = hist[q + 1]! + hi;
    }
  }
  if (j < fEnd) {
    const b0 = feats[j]! * nRows;
    const o0 = offsets[feats[j]!]! * 3;
    for (let i = begin; i < end; i++) {
      const q = o0 + bins[b0 + i]! * 3;
      hist[q] = hist[q]! + g[i]!;
      hist[q + 1] = hist[q + 1]! + h[i]!;
    }
  }
}

/** Counts of every row per bin, laid out like a histogram with zero sums (the root's starting point). */
export function rowCountsByBin(bins: Uint8Array, nRows: number, offsets: Int32Array): Float64Array {
  const nF = offsets.length - 1;
  const counts = new Float64Array(offsets[nF]! * 3);
  for (let f = 0; f < nF; f++) {
    const o = offsets[f]! * 3;
    const base = f * nRows;
    for (let i = 0; i < nRows; i++) {
      const q = o + bins[base + i]! * 3 + 2;
      counts[q] = counts[q]! + 1;
    }
  }
  return counts;
}

/** Layout of the shared control block (Int32Array) between the grower and the worker. */
export const CTRL = {
  /** Job sequence number, bumped by the main thread to start a job. */
  SEQ: 0,
  /** Sequence number of the last finished job, set by the worker. */
  DONE: 1,
  BEGIN: 2,
  END: 3,
  ALL: 4,
  SLOT: 5,
  FSTART: 6,
  FEND: 7,
  QUIT: 8,
  SIZE: 16,
} as const;

/** Buffers the worker needs, all SharedArrayBuffer-backed. */
export interface WorkerInit {
  ctrl: SharedArrayBuffer;
  bins: SharedArrayBuffer;
  nRows: number;
  offsets: Int32Array;
  feats: SharedArrayBuffer;
  idx: SharedArrayBuffer;
  g: SharedArrayBuffer;
  h: SharedArrayBuffer;
  hist: SharedArrayBuffer;
  og: SharedArrayBuffer;
  oh: SharedArrayBuffer;
  /** Float64 entries per histogram slot. */
  slotSize: number;
  /** {@link rowCountsByBin} of the training rows (used when ALL = 1). */
  counts: Float64Array;
}
