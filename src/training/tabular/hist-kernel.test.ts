import { describe, expect, it } from 'vitest';
import { buildHistAllRows, buildHistRange, rowCountsByBin } from './hist-kernel.js';
import { seededRandom } from './random.js';

/** Straightforward reference: one feature at a time, rows in the given order (the kernel's summation order). */
function reference(bins: Uint8Array, nRows: number, offsets: Int32Array, feats: number[], rows: number[], g: Float64Array, h: Float64Array): Float64Array {
  const hist = new Float64Array(offsets[offsets.length - 1]! * 3);
  for (const f of feats) {
    for (const r of rows) {
      const q = (offsets[f]! + bins[f * nRows + r]!) * 3;
      hist[q] = hist[q]! + g[r]!;
      hist[q + 1] = hist[q + 1]! + h[r]!;
      hist[q + 2] = hist[q + 2]! + 1;
    }
  }
  return hist;
}

describe('buildHistAllRows and buildHistRange', () => {
  const nRows = 500;
  const nFeatures = 9;
  const rand = seededRandom(7);
  const nBins = Array.from({ length: nFeatures }, (_, f) => 2 + ((f * 37) % 60));
  const offsets = new Int32Array(nFeatures + 1);
  for (let f = 0; f < nFeatures; f++) offsets[f + 1] = offsets[f]! + nBins[f]!;
  const bins = new Uint8Array(nFeatures * nRows);
  for (let f = 0; f < nFeatures; f++) for (let r = 0; r < nRows; r++) bins[f * nRows + r] = Math.floor(rand() * nBins[f]!);
  const g = Float64Array.from({ length: nRows }, () => rand() * 2 - 1);
  const h = Float64Array.from({ length: nRows }, () => rand() * 0.25);
  const subset = Array.from({ length: nRows }, (_, r) => r).filter(() => rand() < 0.4);

  // 1 to 9 active features covers the 4-wide passes and every remainder (3, 2, 1, 0)
  for (let k = 1; k <= nFeatures; k++) {
    it(`equal the per-feature sums bit for bit with ${k} active feature(s), over all rows (counts from rowCountsByBin) and over a row subset`, () => {
      const featList = Array.from({ length: nFeatures }, (_, f) => f).filter((f) => f % 2 === 0).concat(Array.from({ length: nFeatures }, (_, f) => f).filter((f) => f % 2 === 1)).slice(0, k);
      const feats = Int32Array.from(featList);
      const hist = new Float64Array(offsets[nFeatures]! * 3).fill(99); // stale values of active features must be cleared
      const identity = Uint32Array.from({ length: nRows }, (_, r) => r);
      buildHistAllRows(hist, bins, nRows, offsets, feats, 0, k, 0, nRows, g, h, rowCountsByBin(bins, nRows, offsets));
      const want = reference(bins, nRows, offsets, featList, Array.from(identity), g, h);
      for (const f of featList) {
        const a = offsets[f]! * 3;
        const b = offsets[f + 1]! * 3;
        expect(Array.from(hist.subarray(a, b))).toEqual(Array.from(want.subarray(a, b)));
      }
      // inactive features are left alone
      const inactive = Array.from({ length: nFeatures }, (_, f) => f).filter((f) => !featList.includes(f));
      for (const f of inactive) expect(hist[offsets[f]! * 3]).toBe(99);

      const idx = new Uint32Array(nRows);
      idx.set(subset, 5);
      // gradients by position: og[i] belongs to row idx[i]
      const og = new Float64Array(nRows);
      const oh = new Float64Array(nRows);
      subset.forEach((r, i) => {
        og[5 + i] = g[r]!;
        oh[5 + i] = h[r]!;
      });
      const sub = new Float64Array(offsets[nFeatures]! * 3);
      buildHistRange(sub, bins, nRows, offsets, feats, 0, k, idx, 5, 5 + subset.length, og, oh);
      const wantSub = reference(bins, nRows, offsets, featList, subset, g, h);
      for (const f of featList) {
        const a = offsets[f]! * 3;
        const b = offsets[f + 1]! * 3;
        expect(Array.from(sub.subarray(a, b))).toEqual(Array.from(wantSub.subarray(a, b)));
      }
    });
  }
});
