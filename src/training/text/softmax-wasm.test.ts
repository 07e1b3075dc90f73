import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { trainSoftmax, type SoftmaxOptions } from './softmax-regression.js';
import { SOFTMAX_WASM_BYTES, softmaxWasmModule, wasmLayout } from './softmax-wasm.js';
import type { CsrMatrix } from './tfidf.js';
import { assembleModule, I32, op, sleb, uleb } from './wasm-emit.js';

type Api = {
  validate(b: Uint8Array): boolean;
  Instance: new (m: unknown, i: object) => { exports: Record<'forward' | 'update', (...a: number[]) => void> };
};
const api = (globalThis as unknown as { WebAssembly: Api }).WebAssembly;

/** Seeded random sparse rows (L2-normalised), labels from a hidden linear rule so there is something to learn. */
function problem(n: number, d: number, k: number, seed: number): { X: CsrMatrix; y: Int32Array } {
  let s = seed;
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    const cols = new Set<number>();
    for (let t = 0; t < 8; t++) cols.add(rnd() < 0.6 ? (c * 5 + Math.floor(rnd() * 5)) % d : Math.floor(rnd() * d));
    const sorted = [...cols].sort((a, b) => a - b);
    const vals = sorted.map(() => 0.2 + rnd());
    const norm = Math.hypot(...vals);
    sorted.forEach((j, t) => {
      indices.push(j);
      data.push(vals[t]! / norm);
    });
    indptr.push(indices.length);
  }
  const X = { rows: n, cols: d, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), data: Float32Array.from(data) };
  return { X, y };
}

const OPTS: SoftmaxOptions = {
  C: 10,
  learningRate: 2,
  lrDecay: 0,
  batchSize: 16,
  maxEpochs: 5,
  averageFrom: 2,
  tol: 1e-4,
  patience: 3,
  seed: 3,
  workers: 0,
};

describe('wasm-emit', () => {
  it('encodes LEB128 as the spec examples and rejects values out of range', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(() => uleb(-1)).toThrow(RangeError);
    expect(() => sleb(2 ** 31)).toThrow(RangeError);
  });

  it('assembles modules the runtime validates, and one it rejects when the body is ill-typed', () => {
    expect(api.validate(SOFTMAX_WASM_BYTES)).toBe(true);
    const memory = { minPages: 1, maxPages: 1, shared: false };
    const ok = assembleModule([{ name: 'f', params: [I32], locals: [], body: [] }], memory);
    const bad = assembleModule([{ name: 'f', params: [I32], locals: [], body: op.get(0) }], memory); // leaves a value
    expect(api.validate(ok)).toBe(true);
    expect(api.validate(bad)).toBe(false);
  });
});

describe('softmax WebAssembly kernel', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sums x·W like float64 JavaScript within float32 rounding, for every class count 1–60', () => {
    const module = softmaxWasmModule();
    expect(module).not.toBeNull();
    const { X, y } = problem(30, 50, 7, 11);
    for (let kw = 1; kw <= 60; kw++) {
      const layout = wasmLayout(X, y, 8, [0, kw])!;
      const { exports } = new api.Instance(module, { env: { memory: layout.memory } });
      const v = layout.shards[0]!;
      v.weights.forEach((_, j) => (v.weights[j] = Math.sin(j * 0.37 + kw) * 0.8));
      for (let i = 0; i < X.rows; i++) {
        const p0 = X.indptr[i]!;
        const p1 = X.indptr[i + 1]!;
        const base = layout.indices.byteOffset;
        v.out.fill(Number.NaN);
        exports.forward(base + 4 * p0, base + 4 * p1, layout.data.byteOffset - base, v.weights.byteOffset, kw * 4, v.out.byteOffset);
        for (let c = 0; c < kw; c++) {
          let ref = 0;
          let mag = 0;
          for (let p = p0; p < p1; p++) {
            ref += v.weights[X.indices[p]! * kw + c]! * X.data[p]!;
            mag += Math.abs(v.weights[X.indices[p]! * kw + c]! * X.data[p]!);
          }
          // float32 summation of ≤ 8 terms: error ≤ 8 · 2^-24 · Σ|terms|
          expect(Math.abs(v.out[c]! - ref)).toBeLessThanOrEqual(8 * 2 ** -24 * mag + 1e-30);
        }
      }
    }
  });

  it('updates the weights bit for bit as the JavaScript update does', () => {
    const module = softmaxWasmModule();
    const { X, y } = problem(20, 30, 9, 5);
    const kw = 9;
    const layout = wasmLayout(X, y, 8, [0, kw])!;
    const { exports } = new api.Instance(module, { env: { memory: layout.memory } });
    const v = layout.shards[0]!;
    v.weights.forEach((_, j) => (v.weights[j] = Math.cos(j) * 0.3));
    const ref = Float32Array.from(v.weights);
    const act = [1, 4, 8];
    const g = [0.25, -0.7, 1e-3];
    act.forEach((c, a) => ((v.act[a] = c), (v.g[a] = g[a]!)));
    const step = 1.7;
    for (let i = 0; i < X.rows; i++) {
      const p0 = X.indptr[i]!;
      const p1 = X.indptr[i + 1]!;
      const base = layout.indices.byteOffset;
      exports.update(base + 4 * p0, base + 4 * p1, layout.data.byteOffset - base, v.weights.byteOffset, kw * 4, v.act.byteOffset, v.g.byteOffset, 3, step);
      for (let p = p0; p < p1; p++) {
        const val = X.data[p]! * step;
        for (let a = 0; a < 3; a++) ref[X.indices[p]! * kw + act[a]!]! -= val * g[a]!;
      }
    }
    expect(v.weights).toEqual(ref);
  });

  it('trains a model close to the JavaScript kernel’s, identical for any number of workers', async () => {
    const { X, y } = problem(800, 120, 13, 2);
    const js = await trainSoftmax(X, y, 13, { ...OPTS, kernel: 'js' });
    const wasm = await trainSoftmax(X, y, 13, { ...OPTS, kernel: 'wasm' });
    const wasm2 = await trainSoftmax(X, y, 13, { ...OPTS, kernel: 'wasm', workers: 2 });
    expect([js.kernel, wasm.kernel, wasm2.kernel]).toEqual(['js', 'wasm', 'wasm']);
    let scale = 0;
    let diff = 0;
    js.model.weights.forEach((w, j) => {
      scale = Math.max(scale, Math.abs(w));
      diff = Math.max(diff, Math.abs(w - wasm.model.weights[j]!));
    });
    expect(diff).toBeLessThan(1e-3 * scale);
    expect(diff).toBeGreaterThan(0); // float32 sums: not the same model bit for bit
    wasm.losses.forEach((l, e) => expect(l).toBeCloseTo(js.losses[e]!, 5));
    expect(wasm2.model.weights).toEqual(wasm.model.weights);
    expect(wasm2.model.bias).toEqual(wasm.model.bias);
  });

  it('falls back to the JavaScript kernel without WebAssembly, and kernel "wasm" then fails clearly', async () => {
    const { X, y } = problem(200, 60, 5, 9);
    const js = await trainSoftmax(X, y, 5, { ...OPTS, kernel: 'js' });
    vi.stubGlobal('WebAssembly', undefined);
    const auto = await trainSoftmax(X, y, 5, { ...OPTS, kernel: 'auto' });
    expect(auto.kernel).toBe('js');
    expect(auto.model.weights).toEqual(js.model.weights);
    const err = await trainSoftmax(X, y, 5, { ...OPTS, kernel: 'wasm' }).catch((e: unknown) => e);
    expect(isMloopError(err) && err.code === 'FAILED_PRECONDITION').toBe(true);
    expect(String((err as Error).message)).toMatch(/WebAssembly/);
  });

  it('rejects an unknown kernel with INVALID_ARGUMENT', async () => {
    const { X, y } = problem(20, 10, 2, 1);
    const err = await trainSoftmax(X, y, 2, { ...OPTS, kernel: 'gpu' as never }).catch((e: unknown) => e);
    expect(isMloopError(err) && err.code === 'INVALID_ARGUMENT').toBe(true);
  });
});
