import { afterEach, describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { logitsKernelOf, setLogitsWasmMaxBytes, wasmSoftmaxLogits } from './logits-wasm.js';
import { softmaxLogits, softmaxLogitsJs, type SoftmaxModel } from './softmax-regression.js';
import type { CsrMatrix } from './tfidf.js';

const lcg = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
};

/** A model with seeded weights in [-2, 2) and bias in [-1, 1). */
function model(d: number, k: number, seed: number): SoftmaxModel {
  const rnd = lcg(seed);
  return {
    numFeatures: d,
    numClasses: k,
    weights: Float32Array.from({ length: d * k }, () => 4 * rnd() - 2),
    bias: Float32Array.from({ length: k }, () => 2 * rnd() - 1),
  };
}

/** `rows` seeded sparse rows of up to `maxNnz` sorted distinct columns; every 5th row is empty. */
function matrix(rows: number, d: number, maxNnz: number, seed: number): CsrMatrix {
  const rnd = lcg(seed);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < rows; i++) {
    const cols = new Set<number>();
    if (i % 5 !== 4) for (let t = Math.floor(rnd() * maxNnz) + 1; t > 0; t--) cols.add(Math.floor(rnd() * d));
    for (const j of [...cols].sort((a, b) => a - b)) {
      indices.push(j);
      data.push(rnd() * 0.5);
    }
    indptr.push(indices.length);
  }
  return { rows, cols: d, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

const expectSameBits = (a: Float32Array, b: Float32Array): void => {
  expect(a.length).toBe(b.length);
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
};

const KS = [1, 2, 3, 4, 5, 8, 16, 17, 48, 49, 150];

/**
 * Float32 recursive summation of n terms (products rounded once each) errs by at most about (n + 1)·2⁻²⁴·Σ|terms|;
 * the bias add and the two final roundings to float32 add about 3·2⁻²⁴ of the same scale.
 */
function expectWithinBound(m: SoftmaxModel, X: CsrMatrix, got: Float32Array, ref: Float32Array): void {
  const k = m.numClasses;
  expect(got.length).toBe(ref.length);
  for (let i = 0; i < X.rows; i++) {
    const p0 = X.indptr[i]!;
    const p1 = X.indptr[i + 1]!;
    for (let c = 0; c < k; c++) {
      let scale = Math.abs(m.bias[c]!);
      for (let p = p0; p < p1; p++) scale += Math.abs(m.weights[X.indices[p]! * k + c]! * X.data[p]!);
      const err = Math.abs(got[i * k + c]! - ref[i * k + c]!);
      if (err > (p1 - p0 + 4) * 2 ** -24 * scale) expect.fail(`row ${i} class ${c}: ${got[i * k + c]} vs ${ref[i * k + c]}`);
    }
  }
}

afterEach(() => {
  setLogitsWasmMaxBytes(2 ** 32);
});

describe('wasmSoftmaxLogits', () => {
  it.each(KS)('with float64 sums equals the JavaScript kernel bit for bit with %i classes (0, 1 and many rows)', (k) => {
    const d = 300;
    const m = model(d, k, 7 * k);
    expect(logitsKernelOf(m, 'f64')).toBe('wasm');
    for (const rows of [0, 1, 2, 40]) {
      const X = matrix(rows, d, 60, rows + k);
      const wasm = wasmSoftmaxLogits(m, X, 'f64');
      expect(wasm).not.toBeNull();
      expectSameBits(wasm!, softmaxLogitsJs(m, X));
    }
  });

  it.each(KS)('with float32 sums (softmaxLogits) stays within the float32 summation bound with %i classes', (k) => {
    const d = 300;
    const m = model(d, k, 7 * k);
    expect(logitsKernelOf(m)).toBe('wasm');
    for (const rows of [0, 1, 2, 40]) {
      const X = matrix(rows, d, 60, rows + k);
      const z = softmaxLogits(m, X);
      expectSameBits(z, wasmSoftmaxLogits(m, X)!);
      expectWithinBound(m, X, z, softmaxLogitsJs(m, X));
    }
  });

  it('keeps a row’s logits independent of the batch it is in', () => {
    const d = 400;
    const m = model(d, 49, 3);
    const X = matrix(30, d, 80, 4);
    const all = softmaxLogits(m, X);
    for (const i of [0, 4, 17, 29]) {
      const one: CsrMatrix = { rows: 1, cols: d, indptr: X.indptr.subarray(i, i + 2), indices: X.indices, data: X.data };
      expectSameBits(softmaxLogits(m, one), all.subarray(i * 49, (i + 1) * 49));
    }
  });

  it('grows the scratch memory for a big batch and stays equal to its float64 reference', () => {
    const d = 5000;
    const m = model(d, 17, 1);
    const small = matrix(3, d, 10, 2);
    expectSameBits(wasmSoftmaxLogits(m, small, 'f64')!, softmaxLogitsJs(m, small));
    // 3000 rows × up to 400 nonzeros: ~480k nonzeros, 4 MiB of indices and values, over the first reservation.
    const big = matrix(3000, d, 400, 3);
    expectSameBits(wasmSoftmaxLogits(m, big, 'f64')!, softmaxLogitsJs(m, big));
    expectWithinBound(m, big, softmaxLogits(m, big), softmaxLogitsJs(m, big));
    // Back to a small batch on the grown memory, and a row window whose indptr does not start at 0.
    expectSameBits(wasmSoftmaxLogits(m, small, 'f64')!, softmaxLogitsJs(m, small));
    const window: CsrMatrix = { rows: 2, cols: d, indptr: big.indptr.subarray(10, 13), indices: big.indices, data: big.data };
    expectSameBits(wasmSoftmaxLogits(m, window, 'f64')!, softmaxLogitsJs(m, window));
    expectWithinBound(m, window, softmaxLogits(m, window), softmaxLogitsJs(m, window));
  });

  it('falls back to the JavaScript kernel when the model’s memory cannot be had', () => {
    setLogitsWasmMaxBytes(64 * 1024);
    const m = model(20000, 5, 9); // 20000 × 8 × 4 bytes of W: over the cap
    expect(logitsKernelOf(m)).toBe('js');
    const X = matrix(30, 20000, 50, 10);
    expect(wasmSoftmaxLogits(m, X)).toBeNull();
    expectSameBits(softmaxLogits(m, X), softmaxLogitsJs(m, X));
  });

  it('falls back to the JavaScript kernel for a batch whose scratch cannot grow', () => {
    const m = model(100, 4, 11);
    const X = matrix(3, 100, 10, 12);
    expect(wasmSoftmaxLogits(m, X)).not.toBeNull();
    setLogitsWasmMaxBytes(64 * 1024);
    const big = matrix(4000, 100, 40, 13);
    expect(wasmSoftmaxLogits(m, big)).toBeNull();
    expectSameBits(softmaxLogits(m, big), softmaxLogitsJs(m, big));
    // The instance still serves batches that fit.
    expect(wasmSoftmaxLogits(m, X)).not.toBeNull();
    expectWithinBound(m, X, softmaxLogits(m, X), softmaxLogitsJs(m, X));
  });

  it('gives the JavaScript kernel’s NaN logits for a column index out of range instead of reading other memory', () => {
    const m = model(50, 6, 14);
    const X: CsrMatrix = {
      rows: 2,
      cols: 50,
      indptr: Int32Array.of(0, 1, 2),
      indices: Int32Array.of(3, 50),
      data: Float32Array.of(0.5, 0.5),
    };
    expect(wasmSoftmaxLogits(m, X)).toBeNull();
    const z = softmaxLogits(m, X);
    expectSameBits(z, softmaxLogitsJs(m, X));
    expect(Number.isNaN(z[6])).toBe(true);
    expect(Number.isFinite(z[0])).toBe(true);
  });

  it('throws INVALID_ARGUMENT for a matrix with the wrong column count, with either kernel', () => {
    const m = model(10, 3, 15);
    const X = matrix(2, 11, 3, 16);
    for (const f of [softmaxLogits, softmaxLogitsJs]) {
      let err: unknown;
      try {
        f(m, X);
      } catch (e) {
        err = e;
      }
      expect(isMloopError(err) && err.code === 'INVALID_ARGUMENT').toBe(true);
      expect((err as Error).message).toBe('matrix has 11 columns, model expects 10');
    }
  });
});
