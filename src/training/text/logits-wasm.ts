/**
 * The inference logits `bias + x·W` in WebAssembly SIMD, one instance per model.
 *
 * Each {@link SoftmaxModel} gets, on its first call, a module specialised to its shape (class
 * stride, feature count and addresses are constants in the code) and a memory of its own holding W
 * with the classes padded to a multiple of 4 (zero weights), the bias, and scratch space for a
 * batch's indptr, indices, values and logits that grows when a batch needs more.
 *
 * Accumulation is float32 (f32x4 lanes, as training's forward pass): each product is rounded to float32 and
 * summed in float32, so a logit differs from the JavaScript kernel's (float64 sums) by at most about
 * (nnz + 4)·2⁻²⁴·(Σ|x·w| + |bias|). The bias is then added in float32, which equals the JavaScript kernel's
 * float64 add rounded on store (for two float32 operands that double rounding is innocuous). Float64
 * accumulation (f64x2 lanes, `'f64'`) is bit-identical to the JavaScript kernel (every f32×f32 product is exact
 * in float64 and each class sums in index order), but does 2.7× the vector instructions per class (load,
 * promote, multiply and add per 2 classes against load, multiply and add per 4). Measured with throwaway
 * vitest timings on this machine (Node 20, 2 cores shared with other work, synthetic models, median of 7
 * rounds, 4 runs; µs per row, f32 / f64 / JS): demo shape (17 classes, 18,639 features, 204 nonzeros):
 * single-row calls 1.02–1.21 / 1.63–1.81 / 3.5–3.7, 256-row batches 0.63–0.72 / 1.33–1.44 / 3.2–3.5;
 * CLINC150 shape (150 classes, 20,000 features, 100 nonzeros): single rows 4.3–5.9 / 7.5–8.5 / 17.7–19.7,
 * batches 3.3–4.1 / 6.6–8.1 / 17.5–20.1. Float64 costs 45–115 % more than float32, past the 30 % we would
 * pay for identical results, so float32 is the default; `'f64'` stays available and its tests check it bit
 * for bit against the JavaScript kernel. A single-row call costs about 0.35 µs more per row than a batch
 * (copies in, the call, the output array).
 *
 * When the runtime has no WebAssembly SIMD, or the model's memory cannot be had (over 4 GiB, over
 * {@link setLogitsWasmMaxBytes}, or the process cannot reserve it), the model uses the JavaScript
 * kernel, silently.
 */
import { assembleModule, I32, op, V128, type WasmFunction } from './wasm-emit.js';
import type { SoftmaxModel } from './softmax-regression.js';
import type { CsrMatrix } from './tfidf.js';

/** How the x·W sums are accumulated: float32 lanes (f32x4) or float64 lanes (f64x2, identical to the JavaScript kernel). */
export type LogitsAccumulation = 'f32' | 'f64';
/** The accumulation `softmaxLogits` uses (see the file's comment for the measurements). */
export const DEFAULT_LOGITS_ACCUMULATION: LogitsAccumulation = 'f32';

interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface Instance {
  exports: { logits: (rows: number, indptrAt: number, idxAt: number, p0: number, delta: number, outAt: number) => void };
}
/** The slice of the WebAssembly JavaScript API used here (the project's `lib` has no WebAssembly types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => Instance;
  Memory: new (descriptor: { initial: number; maximum: number }) => Memory;
}
const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Vectors summed per pass over a row: the accumulators, the row value and the address fit 16 SIMD registers. */
const WIDE = 12;

let maxBytes = MAX_PAGES * PAGE;

/**
 * Caps the memory of each model's instance (bytes, at most 4 GiB, the default) for the instances built
 * after the call; a model over the cap, or whose batch would grow past it, runs the JavaScript kernel.
 * Returns the previous cap.
 */
export function setLogitsWasmMaxBytes(bytes: number): number {
  const previous = maxBytes;
  maxBytes = Math.max(0, Math.min(MAX_PAGES * PAGE, Math.floor(bytes)));
  return previous;
}

/** Passes of at most WIDE vectors covering `n` vectors, balanced (e.g. 38 → 10, 10, 9, 9). */
function passSizes(n: number): number[] {
  const passes = Math.ceil(n / WIDE);
  return Array.from({ length: passes }, (_, t) => Math.floor(n / passes) + (t < n % passes ? 1 : 0));
}

/**
 * `logits(rows, indptrAt, idxAt, p0, delta, outAt)`: for row i < rows, whose nonzeros are the i32 column
 * indices at byte addresses idxAt + 4·(indptr[i] − p0) up to idxAt + 4·(indptr[i+1] − p0) (indptr being the
 * i32s at indptrAt) and whose f32 values are `delta` bytes after them, writes bias[c] + Σ value·W[index, c]
 * as f32 to outAt + 4·(i·k + c), c < k, using 16 bytes past the last row. A column index ≥ cols traps.
 */
function logitsFunction(k: number, cols: number, wAt: number, biasAt: number, acc: LogitsAccumulation): WasmFunction {
  const stride = Math.ceil(k / 4) * 4;
  const [rows, indptrAt, idxAt, p0, delta, outAt] = [0, 1, 2, 3, 4, 5];
  const [q, qEnd, pStart, pEnd, p, o, addr, v] = [6, 7, 8, 9, 10, 11, 12, 13];
  const a = (j: number): number => 14 + j;
  // Bytes of W (f32) per vector of accumulators: 16 for f32x4, 8 (two classes) for f64x2.
  const wStep = acc === 'f32' ? 16 : 8;
  const vectors = (stride * 4) / wStep;
  const rowStart = (offset: number): number[] => [
    ...op.get(q),
    ...op.i32Load(offset),
    ...op.get(p0),
    ...op.i32Sub(),
    ...op.i32Const(2),
    ...op.i32Shl(),
    ...op.get(idxAt),
    ...op.i32Add(),
  ];
  const pass = (first: number, n: number, check: boolean): number[] => {
    const cb = first * wStep; // byte offset of the pass's first class in a row of W
    const load = (j: number): number[] =>
      acc === 'f32'
        ? [...op.get(addr), ...op.v128Load(wAt + cb + 16 * j), ...op.get(v), ...op.f32x4Mul()]
        : [...op.get(addr), ...op.v128Load64Zero(wAt + cb + 8 * j), ...op.f64x2PromoteLowF32x4(), ...op.get(v), ...op.f64x2Mul()];
    const add = acc === 'f32' ? op.f32x4Add : op.f64x2Add;
    const store = (j: number): number[] =>
      acc === 'f32'
        ? [
            ...op.get(o),
            ...op.get(a(j)),
            ...op.i32Const(0),
            ...op.v128Load(biasAt + cb + 16 * j),
            ...op.f32x4Add(),
            ...op.v128Store(cb + 16 * j),
          ]
        : [
            ...op.get(o),
            ...op.get(a(j)),
            ...op.i32Const(0),
            ...op.v128Load(biasAt + 2 * (cb + 8 * j)),
            ...op.f64x2Add(),
            ...op.f32x4DemoteF64x2Zero(),
            ...op.v128Store64Lane(cb + 8 * j, 0),
          ];
    return [
      ...Array.from({ length: n }, (_, j) => [...op.v128Zero(), ...op.set(a(j))]).flat(),
      ...op.get(pStart),
      ...op.set(p),
      ...op.block(),
      ...op.loop(),
      ...op.get(p),
      ...op.get(pEnd),
      ...op.i32GeU(),
      ...op.brIf(1),
      ...op.get(p),
      ...op.get(delta),
      ...op.i32Add(),
      ...op.f32Load(),
      ...(acc === 'f32' ? op.f32x4Splat() : [...op.f64PromoteF32(), ...op.f64x2Splat()]),
      ...op.set(v),
      ...op.get(p),
      ...op.i32Load(),
      ...op.tee(addr),
      // The first pass checks the column (unsigned, so negatives too): out of range traps.
      ...(check ? [...op.i32Const(cols), ...op.i32GeU(), ...op.if(), ...op.unreachable(), ...op.end(), ...op.get(addr)] : []),
      ...op.i32Const(stride * 4),
      ...op.i32Mul(),
      ...op.set(addr),
      ...Array.from({ length: n }, (_, j) => [...op.get(a(j)), ...load(j), ...add(), ...op.set(a(j))]).flat(),
      ...op.get(p),
      ...op.i32Const(4),
      ...op.i32Add(),
      ...op.set(p),
      ...op.br(0),
      ...op.end(),
      ...op.end(),
      ...Array.from({ length: n }, (_, j) => store(j)).flat(),
    ];
  };
  let first = 0;
  const passes = passSizes(vectors).map((n, t) => {
    const code = pass(first, n, t === 0);
    first += n;
    return code;
  });
  return {
    name: 'logits',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32, V128, ...new Array<typeof V128>(WIDE).fill(V128)],
    body: [
      ...op.get(indptrAt),
      ...op.set(q),
      ...op.get(rows),
      ...op.i32Const(2),
      ...op.i32Shl(),
      ...op.get(indptrAt),
      ...op.i32Add(),
      ...op.set(qEnd),
      ...op.get(outAt),
      ...op.set(o),
      ...op.block(),
      ...op.loop(),
      ...op.get(q),
      ...op.get(qEnd),
      ...op.i32GeU(),
      ...op.brIf(1),
      ...rowStart(0),
      ...op.set(pStart),
      ...rowStart(4),
      ...op.set(pEnd),
      ...passes.flat(),
      ...op.get(q),
      ...op.i32Const(4),
      ...op.i32Add(),
      ...op.set(q),
      ...op.get(o),
      ...op.i32Const(4 * k),
      ...op.i32Add(),
      ...op.set(o),
      ...op.br(0),
      ...op.end(),
      ...op.end(),
    ],
  };
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** One model's instance, memory and scratch capacity. */
class LogitsKernel {
  private f32: Float32Array;
  private i32: Int32Array;
  private rowCap = 0;
  private nnzCap = 0;
  private at = { indptr: 0, idx: 0, val: 0, out: 0 };

  constructor(
    private readonly k: number,
    private readonly scratchAt: number,
    private readonly memory: Memory,
    private readonly run: Instance['exports']['logits'],
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
  }

  /** The logits of `X` (row-major `rows × k`), or null when the scratch cannot grow to hold the batch. */
  logits(X: CsrMatrix): Float32Array | null {
    const rows = X.rows;
    const k = this.k;
    if (rows === 0) return new Float32Array(0);
    const { indptr, indices, data } = X;
    const p0 = indptr[0] as number;
    const p1 = indptr[rows] as number;
    if (!this.reserve(rows, p1 - p0)) return null;
    const at = this.at;
    this.i32.set(indptr.length === rows + 1 ? indptr : indptr.subarray(0, rows + 1), at.indptr >> 2);
    if (p0 === 0 && p1 === indices.length) this.i32.set(indices, at.idx >> 2);
    else this.i32.set(indices.subarray(p0, p1), at.idx >> 2);
    if (p0 === 0 && p1 === data.length) this.f32.set(data, at.val >> 2);
    else this.f32.set(data.subarray(p0, p1), at.val >> 2);
    try {
      this.run(rows, at.indptr, at.idx, p0, at.val - at.idx, at.out);
    } catch {
      // A column index out of range trapped: the JavaScript kernel gives such rows its (NaN) logits.
      return null;
    }
    return this.f32.slice(at.out >> 2, (at.out >> 2) + rows * k);
  }

  /** Makes room for `rows` rows and `nnz` nonzeros (capacities at least double when they grow). */
  private reserve(rows: number, nnz: number): boolean {
    if (rows <= this.rowCap && nnz <= this.nnzCap) return true;
    const rowCap = Math.max(rows, this.rowCap * 2, 16);
    const nnzCap = Math.max(nnz, this.nnzCap * 2, 1024);
    const indptr = this.scratchAt;
    const idx = indptr + align16(4 * (rowCap + 1));
    const val = idx + align16(4 * nnzCap);
    const out = val + align16(4 * nnzCap);
    const end = out + align16(4 * rowCap * this.k) + 16;
    if (end > maxBytes) return false;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        return false;
      }
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    this.rowCap = rowCap;
    this.nnzCap = nnzCap;
    this.at = { indptr, idx, val, out };
    return true;
  }
}

let simd: boolean | undefined;

/** Whether the runtime validates a module using the SIMD instructions of these kernels. */
function hasSimd(api: WasmApi): boolean {
  if (simd === undefined) {
    try {
      const probe = (acc: LogitsAccumulation): WasmFunction => ({ ...logitsFunction(5, 1, 0, 32, acc), name: acc });
      simd = api.validate(assembleModule([probe('f64'), probe('f32')], { minPages: 1, maxPages: 1, shared: false }));
    } catch {
      simd = false;
    }
  }
  return simd;
}

/** Builds `model`'s instance, or null when the runtime or the memory cannot have it. */
function build(model: SoftmaxModel, acc: LogitsAccumulation): LogitsKernel | null {
  const api = wasmApi();
  if (api === undefined || !hasSimd(api)) return null;
  const k = model.numClasses;
  const cols = model.numFeatures;
  const stride = Math.ceil(k / 4) * 4;
  if (k < 1 || cols < 1) return null;
  const wAt = 0;
  const biasAt = align16(cols * stride * 4 + 16);
  const scratchAt = biasAt + align16(stride * (acc === 'f32' ? 4 : 8));
  // The first batch's scratch (16 rows, 1024 nonzeros) is reserved with W.
  if (scratchAt + 16 * 1024 + 16 * stride * 4 > maxBytes) return null;
  try {
    const pages = Math.ceil((scratchAt + 16 * 1024 + 64 * stride * 4) / PAGE);
    const memory = new api.Memory({ initial: pages, maximum: MAX_PAGES });
    const bytes = assembleModule([logitsFunction(k, cols, wAt, biasAt, acc)], {
      minPages: 1,
      maxPages: MAX_PAGES,
      shared: false,
    });
    const instance = new api.Instance(new api.Module(bytes), { env: { memory } });
    const buf = memory.buffer;
    const W = new Float32Array(buf, wAt, cols * stride);
    if (stride === k) W.set(model.weights.subarray(0, cols * k));
    else {
      const src = model.weights;
      for (let f = 0; f < cols; f++) {
        const s = f * k;
        const d = f * stride;
        for (let c = 0; c < k; c++) W[d + c] = src[s + c] as number;
      }
    }
    if (acc === 'f32') new Float32Array(buf, biasAt, k).set(model.bias.subarray(0, k));
    else new Float64Array(buf, biasAt, k).set(model.bias.subarray(0, k));
    return new LogitsKernel(k, scratchAt, memory, instance.exports.logits);
  } catch {
    // No memory could be reserved (address space or RAM), or the module was refused: the JavaScript kernel runs.
    return null;
  }
}

const kernels: Record<LogitsAccumulation, WeakMap<SoftmaxModel, LogitsKernel | null>> = {
  f32: new WeakMap(),
  f64: new WeakMap(),
};

/**
 * The logits `bias + x·W` of every row of `X` (row-major `rows × numClasses`) computed in WebAssembly,
 * or null when this model (or this batch, or a column index out of range) runs the JavaScript kernel
 * instead. `X.cols` must equal `model.numFeatures` (the caller checks). The model's weights and bias are
 * copied into the instance on its first call: later changes to them are not seen. With `'f32'` (the
 * default) the sums are float32 (see the file's comment for the bound); with `'f64'` the result equals the
 * JavaScript kernel's bit for bit. Each accumulation has its own instance per model.
 */
export function wasmSoftmaxLogits(
  model: SoftmaxModel,
  X: CsrMatrix,
  accumulation: LogitsAccumulation = DEFAULT_LOGITS_ACCUMULATION,
): Float32Array | null {
  const kernel = kernelFor(model, accumulation);
  return kernel === null ? null : kernel.logits(X);
}

/**
 * Which kernel {@link wasmSoftmaxLogits} uses for `model` with `accumulation` (building its instance if this
 * is the first call): `'wasm'`, or `'js'` when the instance cannot be built.
 */
export function logitsKernelOf(
  model: SoftmaxModel,
  accumulation: LogitsAccumulation = DEFAULT_LOGITS_ACCUMULATION,
): 'wasm' | 'js' {
  return kernelFor(model, accumulation) === null ? 'js' : 'wasm';
}

function kernelFor(model: SoftmaxModel, accumulation: LogitsAccumulation): LogitsKernel | null {
  const cache = kernels[accumulation];
  let kernel = cache.get(model);
  if (kernel === undefined) {
    kernel = build(model, accumulation);
    cache.set(model, kernel);
  }
  return kernel;
}
