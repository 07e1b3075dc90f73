/** The histogram kernel shared by the main thread and the histogram worker (no imports on purpose). */

// Each pass is its own function with one loop: V8 compiles a hot loop on the fly (OSR) with the
// type feedback seen so far, and code after the loop in the same function, not yet run, would
// throw that code away and recompile it (measured on Adult: 4–5 compiles per kernel).

/** Rows idx[begin..end) into four features' histograms (bin offsets b*, histogram offsets o*). */
function pass4(hist: Float64Array, bins: Uint8Array, idx: Uint32Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number, b1: number, o1: number, b2: number, o2: number, b3: number, o3: number): void {
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

/** Rows idx[begin..end) into three features' histograms. */
function pass3(hist: Float64Array, bins: Uint8Array, idx: Uint32Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number, b1: number, o1: number, b2: number, o2: number): void {
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
}

/** Rows idx[begin..end) into two features' histograms. */
function pass2(hist: Float64Array, bins: Uint8Array, idx: Uint32Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number, b1: number, o1: number): void {
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
}

/** Rows idx[begin..end) into one feature's histogram. */
function pass1(hist: Float64Array, bins: Uint8Array, idx: Uint32Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number): void {
  for (let i = begin; i < end; i++) {
    const q = o0 + bins[b0 + idx[i]!]! * 3;
    hist[q] = hist[q]! + g[i]!;
    hist[q + 1] = hist[q + 1]! + h[i]!;
    hist[q + 2] = hist[q + 2]! + 1;
  }
}

/** Every row begin..end into four features' histograms, gradients and hessians only. */
function rootPass4(hist: Float64Array, bins: Uint8Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number, b1: number, o1: number, b2: number, o2: number, b3: number, o3: number): void {
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

/** Every row begin..end into three features' histograms, gradients and hessians only. */
function rootPass3(hist: Float64Array, bins: Uint8Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number, b1: number, o1: number, b2: number, o2: number): void {
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
  }
}

/** Every row begin..end into two features' histograms, gradients and hessians only. */
function rootPass2(hist: Float64Array, bins: Uint8Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number, b1: number, o1: number): void {
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

/** Every row begin..end into one feature's histogram, gradients and hessians only. */
function rootPass1(hist: Float64Array, bins: Uint8Array, begin: number, end: number, g: Float64Array, h: Float64Array, b0: number, o0: number): void {
  for (let i = begin; i < end; i++) {
    const q = o0 + bins[b0 + i]! * 3;
    hist[q] = hist[q]! + g[i]!;
    hist[q + 1] = hist[q + 1]! + h[i]!;
  }
}

/**
 * Adds gradient, hessian and count of rows idx[begin..end) into
 * hist[(offsets[f] + bin) * 3 + {0,1,2}] for features feats[fStart..fEnd), zeroing them first.
 * g and h are by position: g[i] belongs to row idx[i] (gathered once per node). Features go four
 * per pass over the rows (one load of row id and gradients feeds four histograms), the last 1–3 in one pass.
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
  for (; j + 4 <= fEnd; j += 4) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const f2 = feats[j + 2]!;
    const f3 = feats[j + 3]!;
    pass4(hist, bins, idx, begin, end, g, h, f0 * nRows, offsets[f0]! * 3, f1 * nRows, offsets[f1]! * 3, f2 * nRows, offsets[f2]! * 3, f3 * nRows, offsets[f3]! * 3);
  }
  if (j + 3 === fEnd) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const f2 = feats[j + 2]!;
    pass3(hist, bins, idx, begin, end, g, h, f0 * nRows, offsets[f0]! * 3, f1 * nRows, offsets[f1]! * 3, f2 * nRows, offsets[f2]! * 3);
    return;
  }
  if (j + 2 <= fEnd) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    pass2(hist, bins, idx, begin, end, g, h, f0 * nRows, offsets[f0]! * 3, f1 * nRows, offsets[f1]! * 3);
    j += 2;
  }
  if (j < fEnd) pass1(hist, bins, idx, begin, end, g, h, feats[j]! * nRows, offsets[feats[j]!]! * 3);
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
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const f2 = feats[j + 2]!;
    const f3 = feats[j + 3]!;
    rootPass4(hist, bins, begin, end, g, h, f0 * nRows, offsets[f0]! * 3, f1 * nRows, offsets[f1]! * 3, f2 * nRows, offsets[f2]! * 3, f3 * nRows, offsets[f3]! * 3);
  }
  if (j + 3 === fEnd) {
    // one pass for the last three (a pass of two and a pass of one read the gradients twice and warm up two more loops)
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    const f2 = feats[j + 2]!;
    rootPass3(hist, bins, begin, end, g, h, f0 * nRows, offsets[f0]! * 3, f1 * nRows, offsets[f1]! * 3, f2 * nRows, offsets[f2]! * 3);
    return;
  }
  if (j + 2 <= fEnd) {
    const f0 = feats[j]!;
    const f1 = feats[j + 1]!;
    rootPass2(hist, bins, begin, end, g, h, f0 * nRows, offsets[f0]! * 3, f1 * nRows, offsets[f1]! * 3);
    j += 2;
  }
  if (j < fEnd) rootPass1(hist, bins, begin, end, g, h, feats[j]! * nRows, offsets[feats[j]!]! * 3);
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
