/**
 * The WebAssembly part of the softmax kernel: a SIMD x·W pass and the sparse SGD update, over one
 * shared `WebAssembly.Memory` that holds the rows, the logits and every shard's weights, so the
 * same bytes back the typed arrays the JavaScript part of the kernel reads (and the workers share).
 *
 * `forward` sums x·W for one row into a float32 scratch with f32x4 lanes (4 classes per
 * instruction, up to 48 classes per pass over the row; float32 accumulation, where the
 * JavaScript kernel accumulates in float64). `update` is the JavaScript update's arithmetic
 * (float64, rounded to float32 once per weight), bit for bit.
 */
import { assembleModule, F64, I32, op, V128, type WasmFunction } from './wasm-emit.js';
import type { CsrMatrix } from './tfidf.js';

/** A compiled module (opaque; it can be posted to worker threads). */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}
/** A shared linear memory (it can be posted to worker threads). */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}
/** The slice of the WebAssembly JavaScript API used here (the project's `lib` has no WebAssembly types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Largest memory the module accepts (64 Ki pages of 64 KiB = 4 GiB). */
const MAX_PAGES = 65536;
const PAGE = 65536;

/**
 * `forward(pIdx, pEnd, delta, wBase, stride, out)`: for the row whose column indices are the
 * i32s at byte addresses [pIdx, pEnd) and whose values are the f32s `delta` bytes after them,
 * writes Σ_p value_p · W[index_p · stride + c] for every class byte offset c < stride to the f32s
 * at `out`, rounded up to whole vectors (the lanes past the last class are garbage; `out` and
 * W need 16 bytes of slack).
 */
/** Vectors (4 classes each) summed per pass over a row: 12 accumulators + the row value + address fit 16 SIMD registers. */
const WIDE = 12;

function forwardFunction(): WasmFunction {
  const [pIdx, pEnd, delta, wBase, stride, out] = [0, 1, 2, 3, 4, 5];
  const [cb, p, v] = [6, 7, 8];
  const acc = (k: number): number => 9 + k;
  const addr = 9 + WIDE;
  // One pass over the row for `n` vectors (4n classes) from class byte offset cb.
  const pass = (n: number): number[] => [
    ...Array.from({ length: n }, (_, k) => [...op.v128Zero(), ...op.set(acc(k))]).flat(),
    ...op.get(pIdx),
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
    ...op.f32x4Splat(),
    ...op.set(v),
    ...op.get(p),
    ...op.i32Load(),
    ...op.get(stride),
    ...op.i32Mul(),
    ...op.get(wBase),
    ...op.i32Add(),
    ...op.get(cb),
    ...op.i32Add(),
    ...op.set(addr),
    ...Array.from({ length: n }, (_, k) => [
      ...op.get(acc(k)),
      ...op.get(addr),
      ...op.v128Load(16 * k),
      ...op.get(v),
      ...op.f32x4Mul(),
      ...op.f32x4Add(),
      ...op.set(acc(k)),
    ]).flat(),
    ...op.get(p),
    ...op.i32Const(4),
    ...op.i32Add(),
    ...op.set(p),
    ...op.br(0),
    ...op.end(),
    ...op.end(),
    ...Array.from({ length: n }, (_, k) => [...op.get(out), ...op.get(cb), ...op.i32Add(), ...op.get(acc(k)), ...op.v128Store(16 * k)]).flat(),
    ...op.get(cb),
    ...op.i32Const(16 * n),
    ...op.i32Add(),
    ...op.set(cb),
  ];
  // while (stride − cb > limit) pass(n)
  const whileRest = (limit: number, n: number): number[] => [
    ...op.block(),
    ...op.loop(),
    ...op.get(stride),
    ...op.get(cb),
    ...op.i32Sub(),
    ...op.i32Const(limit),
    ...op.i32LeS(),
    ...op.brIf(1),
    ...pass(n),
    ...op.br(0),
    ...op.end(),
    ...op.end(),
  ];
  const ifRest = (limit: number, n: number): number[] => [
    ...op.get(stride),
    ...op.get(cb),
    ...op.i32Sub(),
    ...op.i32Const(limit),
    ...op.i32GtS(),
    ...op.if(),
    ...pass(n),
    ...op.end(),
  ];
  return {
    name: 'forward',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, V128, ...new Array<typeof V128>(WIDE).fill(V128), I32],
    // Passes of WIDE vectors while more than WIDE − 1 are left, then 8, 4, 2 and 1 likewise.
    body: [...whileRest(16 * (WIDE - 1), WIDE), ...ifRest(112, 8), ...ifRest(48, 4), ...ifRest(16, 2), ...ifRest(0, 1)],
  };
}

/**
 * `update(pIdx, pEnd, delta, wBase, stride, act, g, na, step)`: for every nonzero of the row and
 * every active class a < na, W[index_p · stride + act[a]·4] −= (value_p · step) · g[a], in float64
 * rounded to float32 (the JavaScript update's arithmetic). `act` holds i32 class indices, `g` f64s.
 */
function updateFunction(): WasmFunction {
  const [pIdx, pEnd, delta, wBase, stride, act, g, na, step] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [p, row, v, a, addr] = [9, 10, 11, 12, 13];
  return {
    name: 'update',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F64],
    locals: [I32, I32, F64, I32, I32],
    body: [
      ...op.get(pIdx),
      ...op.set(p),
      ...op.block(),
      ...op.loop(),
      ...op.get(p),
      ...op.get(pEnd),
      ...op.i32GeU(),
      ...op.brIf(1),
      ...op.get(p),
      ...op.i32Load(),
      ...op.get(stride),
      ...op.i32Mul(),
      ...op.get(wBase),
      ...op.i32Add(),
      ...op.set(row),
      ...op.get(p),
      ...op.get(delta),
      ...op.i32Add(),
      ...op.f32Load(),
      ...op.f64PromoteF32(),
      ...op.get(step),
      ...op.f64Mul(),
      ...op.set(v),
      ...op.i32Const(0),
      ...op.set(a),
      ...op.block(),
      ...op.loop(),
      ...op.get(a),
      ...op.get(na),
      ...op.i32GeU(),
      ...op.brIf(1),
      // addr = row + act[a] · 4
      ...op.get(row),
      ...op.get(act),
      ...op.get(a),
      ...op.i32Const(2),
      ...op.i32Shl(),
      ...op.i32Add(),
      ...op.i32Load(),
      ...op.i32Const(2),
      ...op.i32Shl(),
      ...op.i32Add(),
      ...op.tee(addr),
      // W = f32(f64(W) − v · g[a])
      ...op.get(addr),
      ...op.f32Load(),
      ...op.f64PromoteF32(),
      ...op.get(v),
      ...op.get(g),
      ...op.get(a),
      ...op.i32Const(3),
      ...op.i32Shl(),
      ...op.i32Add(),
      ...op.f64Load(),
      ...op.f64Mul(),
      ...op.f64Sub(),
      ...op.f32DemoteF64(),
      ...op.f32Store(),
      ...op.get(a),
      ...op.i32Const(1),
      ...op.i32Add(),
      ...op.set(a),
      ...op.br(0),
      ...op.end(),
      ...op.end(),
      ...op.get(p),
      ...op.i32Const(4),
      ...op.i32Add(),
      ...op.set(p),
      ...op.br(0),
      ...op.end(),
      ...op.end(),
    ],
  };
}

/** The kernel module's bytes (built once). */
export const SOFTMAX_WASM_BYTES: Uint8Array = assembleModule([forwardFunction(), updateFunction()], {
  minPages: 1,
  maxPages: MAX_PAGES,
  shared: true,
});

let compiled: WasmModule | null | undefined;

/**
 * The compiled kernel module, or null when this runtime has no WebAssembly, no SIMD or no shared
 * memory (the caller then runs the JavaScript kernel).
 */
export function softmaxWasmModule(): WasmModule | null {
  const api = wasmApi();
  if (api === undefined) return null;
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (api.validate(SOFTMAX_WASM_BYTES)) {
      const module = new api.Module(SOFTMAX_WASM_BYTES);
      // Shared memories also need SharedArrayBuffer; creating a small one checks both.
      new api.Memory({ initial: 1, maximum: 1, shared: true });
      compiled = module;
    }
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Typed-array views of one shard's part of the memory. */
export interface WasmShardViews {
  /** Feature-major `cols × kw`, followed by 16 bytes of slack. */
  weights: Float32Array;
  bias: Float64Array;
  /** The kernel's scratch: x·W sums (kw rounded up to 4, plus 4), active classes and their gradients. */
  out: Float32Array;
  act: Int32Array;
  g: Float64Array;
}

/** A memory holding the whole training problem, and views of it. */
export interface WasmLayout {
  memory: WasmMemory;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
  y: Int32Array;
  z: Float64Array;
  barrier: Int32Array;
  shards: WasmShardViews[];
}

/**
 * Lays out `X`, `y`, the logits buffers (`zLength` float64s) and one weight block per class range
 * `[bounds[s], bounds[s+1])` in one shared memory, copying the inputs. Null when the problem does
 * not fit in 4 GiB or the memory cannot be reserved.
 */
export function wasmLayout(X: CsrMatrix, y: Int32Array, zLength: number, bounds: number[]): WasmLayout | null {
  let bytes = 0;
  const take = (n: number, size: number): number => {
    const at = bytes;
    bytes += Math.ceil((Math.max(1, n) * size) / 16) * 16 + 16;
    return at;
  };
  const nnz = X.indptr[X.rows] as number;
  const at = {
    indptr: take(X.rows + 1, 4),
    indices: take(nnz, 4),
    data: take(nnz, 4),
    y: take(X.rows, 4),
    z: take(zLength, 8),
    barrier: take(2, 4),
  };
  const shardAt = bounds.slice(1).map((c1, s) => {
    const kw = c1 - (bounds[s] as number);
    return { kw, weights: take(X.cols * kw + 4, 4), bias: take(kw, 8), out: take(kw + 8, 4), act: take(kw, 4), g: take(kw, 8) };
  });
  const pages = Math.ceil(bytes / PAGE);
  if (pages > MAX_PAGES) return null;
  const api = wasmApi();
  if (api === undefined) return null;
  let memory: WasmMemory;
  try {
    memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    // The process could not reserve the memory (address space or RAM): the JavaScript loops run instead.
    return null;
  }
  const buf = memory.buffer;
  const layout: WasmLayout = {
    memory,
    indptr: new Int32Array(buf, at.indptr, X.rows + 1),
    indices: new Int32Array(buf, at.indices, nnz),
    data: new Float32Array(buf, at.data, nnz),
    y: new Int32Array(buf, at.y, X.rows),
    z: new Float64Array(buf, at.z, zLength),
    barrier: new Int32Array(buf, at.barrier, 2),
    shards: shardAt.map((s) => ({
      weights: new Float32Array(buf, s.weights, X.cols * s.kw),
      bias: new Float64Array(buf, s.bias, s.kw),
      out: new Float32Array(buf, s.out, s.kw + 8),
      act: new Int32Array(buf, s.act, s.kw),
      g: new Float64Array(buf, s.g, s.kw),
    })),
  };
  layout.indptr.set(X.indptr);
  layout.indices.set(X.indices.subarray(0, nnz));
  layout.data.set(X.data.subarray(0, nnz));
  layout.y.set(y);
  return layout;
}
