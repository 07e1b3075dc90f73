/**
 * Multinomial logistic regression (softmax) with L2 regularisation over sparse rows.
 *
 * Solver: minibatch SGD (rows summed per batch) with a lazy L2 scale factor, updates restricted to
 * the classes whose gradient is not ~0, and Polyak–Ruppert averaging of epoch-end iterates. Of the
 * solvers we measured on TF-IDF text it reaches the best held-out accuracy soonest (CLINC150: 6–12
 * epochs, each one pass of x·W; full-batch L-BFGS costs the same per iteration and needs hundreds
 * at C=10; AdaGrad over-fits), see docs/adr/0003-text-solver.md. Training runs on one background
 * thread by default; `workers ≥ 2` splits the classes between threads that share the logits
 * through a SharedArrayBuffer. The result is bit-identical for any number of workers.
 * The x·W pass and the update run in WebAssembly (SIMD, softmax-wasm.ts) when the runtime has it,
 * about 2.3× less solver CPU than the JavaScript loops, which remain the fallback.
 */
import { Worker } from 'node:worker_threads';
import { MloopError } from '../../errors/index.js';
import { wasmSoftmaxLogits } from './logits-wasm.js';
import { cancelledError, checkCancelled, type TrainHooks } from './progress.js';
import { runSoftmaxShard, type ShardJob, type ShardResult, type ShardWasm } from './softmax-kernel.js';
import { softmaxWasmModule, wasmLayout, type WasmLayout, type WasmModule, type WasmShardViews } from './softmax-wasm.js';
import type { CsrMatrix } from './tfidf.js';

/** Settings of {@link trainSoftmax}. */
export interface SoftmaxOptions {
  /** Inverse L2 strength as in scikit-learn: the objective is C·Σ loss + ½‖W‖² (bias not penalised). Default 20. */
  C: number;
  /** Upper bound on passes over the data. Default 12. */
  maxEpochs: number;
  /** Stop when, after `averageFrom` epochs, the mean training loss has not improved by `tol` for `patience` epochs. Default 1e-4. */
  tol: number;
  /** See `tol`. Default 3. */
  patience: number;
  /** Rows per minibatch; the gradient is summed over the batch. Default 16. */
  batchSize: number;
  /** SGD step per row for L2-normalised features. Default 1. */
  learningRate: number;
  /** Step of epoch e is learningRate / (1 + lrDecay·e). Default 0 (constant, with averaging). */
  lrDecay: number;
  /** Average the iterates at the end of the epochs after this many. Default 2. */
  averageFrom: number;
  /** Seed of the row shuffling; the result is a function of data, options and seed. Default 0. */
  seed: number;
  /**
   * With one thread: every `refreshEvery`-th epoch scores all classes; the others score only each row's classes
   * that had probability ≥ 2.5e-4 then (at most 32; a stale log-sum-exp stands in for the rest). Such epochs cost
   * about half a full one on CLINC150, but the training loss drifts up, so it is opt-in. Default 0 (always all classes).
   */
  refreshEvery?: number;
  /**
   * Worker threads; 0 trains on the calling thread, 1 on one background thread, 2+ splits the classes between
   * threads that meet at a barrier per minibatch (faster on an idle multi-core machine, slower on a busy one).
   * Default 1, or 0 for tiny problems.
   */
  workers?: number;
  /**
   * The inner loop: `'wasm'` runs the x·W pass with WebAssembly SIMD (float32 sums) and the update in WebAssembly,
   * `'js'` runs JavaScript only (float64 sums), `'auto'` takes `'wasm'` when the runtime supports WebAssembly SIMD and
   * shared memory, else `'js'`. The two give slightly different models (summation precision). Default `'auto'`.
   */
  kernel?: SoftmaxKernel;
}

/** The inner loops {@link SoftmaxOptions.kernel} chooses from. */
export type SoftmaxKernel = 'auto' | 'wasm' | 'js';
const KERNELS: readonly SoftmaxKernel[] = ['auto', 'wasm', 'js'];

/** Defaults tuned on held-out intent data (CLINC150 validation, generated support requests). */
export const DEFAULT_SOFTMAX_OPTIONS: Readonly<SoftmaxOptions> = Object.freeze({
  C: 20,
  maxEpochs: 12,
  tol: 1e-4,
  patience: 3,
  batchSize: 16,
  learningRate: 1,
  lrDecay: 0,
  averageFrom: 2,
  seed: 0,
});

/** A fitted linear model: logits = bias + x·W. */
export interface SoftmaxModel {
  numFeatures: number;
  numClasses: number;
  /** Feature-major weights: W[f·numClasses + c]. */
  weights: Float32Array;
  bias: Float32Array;
}

/** The outcome of {@link trainSoftmax}. */
export interface SoftmaxFit {
  model: SoftmaxModel;
  /** Epochs run. */
  epochs: number;
  /** Mean training cross-entropy of each epoch (measured before each row's update). */
  losses: number[];
  /** True when stopped by the `tol` rule rather than `maxEpochs`. */
  converged: boolean;
  /** Worker threads used (0: the calling thread). */
  workers: number;
  /** The inner loop that ran. */
  kernel: 'wasm' | 'js';
}

const GRAD_THRESHOLD = 1e-3;
/** Below this many row × class pairs, threads cost more than they save. */
const MIN_WORK_FOR_WORKERS = 200_000;

function checkOptions(o: SoftmaxOptions): void {
  const positive: [string, number][] = [
    ['C', o.C],
    ['learningRate', o.learningRate],
  ];
  for (const [name, v] of positive) {
    if (!(Number.isFinite(v) && v > 0)) throw MloopError.invalidArgument(`${name} must be a positive number, got ${v}`);
  }
  const ints: [string, number, number][] = [
    ['maxEpochs', o.maxEpochs, 1],
    ['patience', o.patience, 1],
    ['batchSize', o.batchSize, 1],
    ['averageFrom', o.averageFrom, 0],
  ];
  for (const [name, v, min] of ints) {
    if (!Number.isInteger(v) || v < min) throw MloopError.invalidArgument(`${name} must be an integer ≥ ${min}, got ${v}`);
  }
  if (!(Number.isFinite(o.tol) && o.tol >= 0)) throw MloopError.invalidArgument(`tol must be ≥ 0, got ${o.tol}`);
  if (!(Number.isFinite(o.lrDecay) && o.lrDecay >= 0)) throw MloopError.invalidArgument(`lrDecay must be ≥ 0, got ${o.lrDecay}`);
  if (!Number.isSafeInteger(o.seed)) throw MloopError.invalidArgument(`seed must be a safe integer, got ${o.seed}`);
  if (o.kernel !== undefined && !KERNELS.includes(o.kernel))
    throw MloopError.invalidArgument(`kernel must be one of ${KERNELS.join(', ')}, got ${String(o.kernel)}`);
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 0 || o.workers > 64)) {
    throw MloopError.invalidArgument(`workers must be an integer in [0, 64], got ${o.workers}`);
  }
}

function shared<T extends Int32Array | Float32Array | Float64Array>(
  src: T | number,
  Ctor: new (b: SharedArrayBuffer) => T,
  bytes: number,
): T {
  const n = typeof src === 'number' ? src : src.length;
  const out = new Ctor(new SharedArrayBuffer(Math.max(1, n) * bytes));
  if (typeof src !== 'number') out.set(src as never);
  return out;
}

/**
 * Fits softmax regression on `X` (rows L2-normalised) and class indices `y` in [0, numClasses).
 *
 * @example
 * const fit = await trainSoftmax(matrix, y, 3, { ...DEFAULT_SOFTMAX_OPTIONS, seed: 7 });
 * const logits = softmaxLogits(fit.model, matrix);
 */
export async function trainSoftmax(
  X: CsrMatrix,
  y: Int32Array,
  numClasses: number,
  options: SoftmaxOptions = DEFAULT_SOFTMAX_OPTIONS,
  hooks: TrainHooks = {},
): Promise<SoftmaxFit> {
  checkOptions(options);
  if (y.length !== X.rows) throw MloopError.invalidArgument(`got ${X.rows} rows but ${y.length} labels`);
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw MloopError.invalidArgument('softmax regression needs at least 2 classes');
  for (const c of y)
    if (c < 0 || c >= numClasses) throw MloopError.invalidArgument(`label index ${c} is outside [0, ${numClasses})`);
  checkCancelled(hooks.signal);
  const work = X.rows * numClasses;
  const requested = options.workers ?? (work < MIN_WORK_FOR_WORKERS ? 0 : 1);
  const shards = Math.max(1, Math.min(requested, numClasses));
  const useThreads = requested > 0;
  const total = options.maxEpochs;
  const report = (epoch: number): void => hooks.onProgress?.({ stage: 'train', done: epoch + 1, total });
  hooks.onProgress?.({ stage: 'train', done: 0, total });

  const base = {
    rows: X.rows,
    cols: X.cols,
    numClasses,
    lambda: 1 / (options.C * X.rows),
    learningRate: options.learningRate,
    lrDecay: options.lrDecay,
    batchSize: options.batchSize,
    maxEpochs: options.maxEpochs,
    tol: options.tol,
    patience: options.patience,
    averageFrom: options.averageFrom,
    seed: options.seed,
    gradThreshold: GRAD_THRESHOLD,
    refreshEvery: options.refreshEvery ?? 0,
    numShards: shards,
  };
  const bounds = Array.from({ length: shards + 1 }, (_, s) => Math.round((s * numClasses) / shards));
  const zLength = 2 * options.batchSize * numClasses;
  const layout = wasmKernel(options.kernel ?? 'auto', X, y, zLength, bounds);
  const wasmOf = (s: number): ShardWasm | null => {
    if (layout === null) return null;
    const v = layout.layout.shards[s] as WasmShardViews;
    return { module: layout.module, memory: layout.layout.memory, out: v.out, act: v.act, g: v.g };
  };
  let jobs: ShardJob[];
  let result: ShardResult;
  if (!useThreads) {
    const job: ShardJob = {
      ...base,
      indptr: layout?.layout.indptr ?? X.indptr,
      indices: layout?.layout.indices ?? X.indices,
      data: layout?.layout.data ?? X.data,
      y: layout?.layout.y ?? y,
      classStart: 0,
      classEnd: numClasses,
      z: layout?.layout.z ?? new Float64Array(zLength),
      barrier: null,
      numShards: 1,
      weights: layout?.layout.shards[0]?.weights ?? new Float32Array(X.cols * numClasses),
      bias: layout?.layout.shards[0]?.bias ?? new Float64Array(numClasses),
      wasm: wasmOf(0),
    };
    jobs = [job];
    result = runSoftmaxShard(job, (epoch) => {
      report(epoch);
      return hooks.signal?.aborted !== true;
    });
    checkCancelled(hooks.signal);
  } else {
    const common = {
      ...base,
      indptr: layout?.layout.indptr ?? shared(X.indptr, Int32Array, 4),
      indices: layout?.layout.indices ?? shared(X.indices, Int32Array, 4),
      data: layout?.layout.data ?? shared(X.data, Float32Array, 4),
      y: layout?.layout.y ?? shared(y, Int32Array, 4),
      z: layout?.layout.z ?? shared(zLength, Float64Array, 8),
      barrier: shards > 1 ? (layout?.layout.barrier ?? shared(2, Int32Array, 4)) : null,
    };
    jobs = [];
    for (let s = 0; s < shards; s++) {
      const c0 = bounds[s] as number;
      const c1 = bounds[s + 1] as number;
      const views = layout?.layout.shards[s];
      jobs.push({
        ...common,
        classStart: c0,
        classEnd: c1,
        weights: views?.weights ?? shared(X.cols * (c1 - c0), Float32Array, 4),
        bias: views?.bias ?? shared(c1 - c0, Float64Array, 8),
        wasm: wasmOf(s),
      });
    }
    const results = await runWorkers(jobs, report, hooks.signal);
    result = results[0] as ShardResult;
  }
  return {
    model: assemble(jobs, X.cols, numClasses),
    epochs: result.epochs,
    losses: result.losses,
    converged: result.converged,
    workers: useThreads ? shards : 0,
    kernel: layout === null ? 'js' : 'wasm',
  };
}

/** The WebAssembly module and the problem laid out in its memory, or null for the JavaScript kernel. */
function wasmKernel(
  kernel: SoftmaxKernel,
  X: CsrMatrix,
  y: Int32Array,
  zLength: number,
  bounds: number[],
): { module: WasmModule; layout: WasmLayout } | null {
  if (kernel === 'js') return null;
  const module = softmaxWasmModule();
  const layout = module === null ? null : wasmLayout(X, y, zLength, bounds);
  if (module !== null && layout !== null) return { module, layout };
  if (kernel === 'auto') return null;
  throw MloopError.failedPrecondition(
    module === null
      ? 'kernel "wasm" needs WebAssembly with SIMD and shared memory, which this runtime does not provide'
      : 'kernel "wasm" cannot hold this problem in a WebAssembly memory (over 4 GiB, or the memory could not be reserved)',
    { hint: 'use kernel "auto" or "js"' },
  );
}

/** The worker's whole program: run the kernel on workerData, report epochs from shard 0. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const runSoftmaxShard = ${runSoftmaxShard.toString()};
const report = workerData.classStart === 0;
const result = runSoftmaxShard(workerData, (epoch, loss) => {
  if (report) parentPort.postMessage({ type: 'epoch', epoch, loss });
  return true;
});
parentPort.postMessage({ type: 'done', result });
`;

function runWorkers(jobs: ShardJob[], report: (epoch: number) => void, signal: AbortSignal | undefined): Promise<ShardResult[]> {
  return new Promise((resolve, reject) => {
    const results: (ShardResult | undefined)[] = jobs.map(() => undefined);
    let pending = jobs.length;
    let settled = false;
    const workers = jobs.map((job) => new Worker(WORKER_SOURCE, { eval: true, workerData: job }));
    const finish = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        for (const w of workers) void w.terminate();
        reject(err);
      } else resolve(results as ShardResult[]);
    };
    const onAbort = (): void => finish(cancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    workers.forEach((w, s) => {
      w.on('message', (msg: { type: 'epoch'; epoch: number } | { type: 'done'; result: ShardResult }) => {
        if (settled) return;
        if (msg.type === 'epoch') report(msg.epoch);
        else {
          results[s] = msg.result;
          if (--pending === 0) finish(undefined);
        }
      });
      w.on('error', (err) => finish(new MloopError('INTERNAL', 'a training worker failed', { cause: err })));
      w.on('exit', (code) => {
        if (results[s] === undefined) finish(new MloopError('INTERNAL', `a training worker exited with code ${code}`));
      });
    });
    if (signal?.aborted === true) onAbort();
  });
}

function assemble(jobs: ShardJob[], cols: number, k: number): SoftmaxModel {
  const bias = new Float32Array(k);
  const only = jobs.length === 1 ? jobs[0] : undefined;
  if (only !== undefined) {
    // One shard owns every class in the model's layout: one copy (the default path; the per-element loop cost ~0.1 s).
    const weights = new Float32Array(only.weights.length);
    weights.set(only.weights);
    bias.set(only.bias);
    return { numFeatures: cols, numClasses: k, weights, bias };
  }
  const weights = new Float32Array(cols * k);
  for (const job of jobs) {
    const kw = job.classEnd - job.classStart;
    for (let f = 0; f < cols; f++) {
      const src = f * kw;
      const dst = f * k + job.classStart;
      for (let c = 0; c < kw; c++) weights[dst + c] = job.weights[src + c] as number;
    }
    for (let c = 0; c < kw; c++) bias[job.classStart + c] = job.bias[c] as number;
  }
  return { numFeatures: cols, numClasses: k, weights, bias };
}

/**
 * Logits `bias + x·W` of every row, row-major `rows × numClasses`. Runs in WebAssembly SIMD (logits-wasm.ts: float32
 * sums, within about (nnz + 4)·2⁻²⁴·Σ|terms| of {@link softmaxLogitsJs}'s float64 sums; 3–5× faster) when the
 * runtime and the model's memory allow, else in JavaScript. A row's logits do not depend on the batch it is in.
 * Throws INVALID_ARGUMENT when `X` has not `model.numFeatures` columns.
 * @example
 * const probs = softmaxInPlace(softmaxLogits(model, X), model.numClasses);
 */
export function softmaxLogits(model: SoftmaxModel, X: CsrMatrix): Float32Array {
  checkColumns(model, X);
  return wasmSoftmaxLogits(model, X) ?? jsLogits(model, X);
}

/** {@link softmaxLogits} always in JavaScript (the fallback kernel, and the reference in tests). */
export function softmaxLogitsJs(model: SoftmaxModel, X: CsrMatrix): Float32Array {
  checkColumns(model, X);
  return jsLogits(model, X);
}

function checkColumns(model: SoftmaxModel, X: CsrMatrix): void {
  if (X.cols !== model.numFeatures)
    throw MloopError.invalidArgument(`matrix has ${X.cols} columns, model expects ${model.numFeatures}`);
}

function jsLogits(model: SoftmaxModel, X: CsrMatrix): Float32Array {
  const k = model.numClasses;
  const W = model.weights;
  const out = new Float32Array(X.rows * k);
  const { indptr, indices, data } = X;
  for (let i = 0; i < X.rows; i++) {
    const p0 = indptr[i] as number;
    const p1 = indptr[i + 1] as number;
    const o = i * k;
    let c = 0;
    // Blocks of 8 classes keep the sums in registers (3–4× faster than one class at a time).
    for (; c + 8 <= k; c += 8) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
      for (let p = p0; p < p1; p++) {
        const off = (indices[p] as number) * k + c;
        const v = data[p] as number;
        a0 += (W[off] as number) * v;
        a1 += (W[off + 1] as number) * v;
        a2 += (W[off + 2] as number) * v;
        a3 += (W[off + 3] as number) * v;
        a4 += (W[off + 4] as number) * v;
        a5 += (W[off + 5] as number) * v;
        a6 += (W[off + 6] as number) * v;
        a7 += (W[off + 7] as number) * v;
      }
      const b = model.bias;
      out[o + c] = a0 + (b[c] as number);
      out[o + c + 1] = a1 + (b[c + 1] as number);
      out[o + c + 2] = a2 + (b[c + 2] as number);
      out[o + c + 3] = a3 + (b[c + 3] as number);
      out[o + c + 4] = a4 + (b[c + 4] as number);
      out[o + c + 5] = a5 + (b[c + 5] as number);
      out[o + c + 6] = a6 + (b[c + 6] as number);
      out[o + c + 7] = a7 + (b[c + 7] as number);
    }
    // The 1–7 classes left: blocks of 4 and 2 (one pass over the row each) before single classes.
    if (c + 4 <= k) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0; // prettier-ignore
      for (let p = p0; p < p1; p++) {
        const off = (indices[p] as number) * k + c;
        const v = data[p] as number;
        a0 += (W[off] as number) * v;
        a1 += (W[off + 1] as number) * v;
        a2 += (W[off + 2] as number) * v;
        a3 += (W[off + 3] as number) * v;
      }
      const b = model.bias;
      out[o + c] = a0 + (b[c] as number);
      out[o + c + 1] = a1 + (b[c + 1] as number);
      out[o + c + 2] = a2 + (b[c + 2] as number);
      out[o + c + 3] = a3 + (b[c + 3] as number);
      c += 4;
    }
    if (c + 2 <= k) {
      let a0 = 0, a1 = 0; // prettier-ignore
      for (let p = p0; p < p1; p++) {
        const off = (indices[p] as number) * k + c;
        const v = data[p] as number;
        a0 += (W[off] as number) * v;
        a1 += (W[off + 1] as number) * v;
      }
      out[o + c] = a0 + (model.bias[c] as number);
      out[o + c + 1] = a1 + (model.bias[c + 1] as number);
      c += 2;
    }
    for (; c < k; c++) {
      let a = 0;
      for (let p = p0; p < p1; p++) a += (W[(indices[p] as number) * k + c] as number) * (data[p] as number);
      out[o + c] = a + (model.bias[c] as number);
    }
  }
  return out;
}

/** Row-wise softmax of logits (`rows × k`, row-major), in place; returns its argument. */
export function softmaxInPlace(logits: Float32Array, k: number): Float32Array {
  for (let o = 0; o < logits.length; o += k) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, logits[o + c] as number);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp((logits[o + c] as number) - m);
      logits[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) logits[o + c]! /= sum;
  }
  return logits;
}

/**
 * The full objective mean(cross-entropy) + λ/2‖W‖² with λ = 1/(C·rows) and its gradient, in
 * float64. For checks and tests; training never evaluates it.
 */
export function softmaxObjective(
  model: SoftmaxModel,
  X: CsrMatrix,
  y: Int32Array,
  C: number,
): { value: number; gradWeights: Float64Array; gradBias: Float64Array } {
  const k = model.numClasses;
  const n = X.rows;
  const lambda = 1 / (C * n);
  const gradWeights = new Float64Array(model.weights.length);
  const gradBias = new Float64Array(k);
  const z = new Float64Array(k);
  let value = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) z[c] = model.bias[c] as number;
    const p0 = X.indptr[i] as number;
    const p1 = X.indptr[i + 1] as number;
    for (let p = p0; p < p1; p++) {
      const off = (X.indices[p] as number) * k;
      for (let c = 0; c < k; c++) z[c]! += (model.weights[off + c] as number) * (X.data[p] as number);
    }
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[c] as number);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp((z[c] as number) - m);
    const yi = y[i] as number;
    value += (Math.log(sum) + m - (z[yi] as number)) / n;
    for (let c = 0; c < k; c++) {
      const g = (Math.exp((z[c] as number) - m) / sum - (c === yi ? 1 : 0)) / n;
      gradBias[c]! += g;
      for (let p = p0; p < p1; p++) gradWeights[(X.indices[p] as number) * k + c]! += g * (X.data[p] as number);
    }
  }
  for (let j = 0; j < model.weights.length; j++) {
    const w = model.weights[j] as number;
    value += (lambda / 2) * w * w;
    gradWeights[j]! += lambda * w;
  }
  return { value, gradWeights, gradBias };
}
