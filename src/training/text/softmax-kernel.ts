/**
 * The inner loop of softmax regression: minibatch SGD over sparse rows for one shard of classes.
 *
 * `runSoftmaxShard` must stay self-contained (no imports, no module-level names, no helpers
 * outside its body): worker threads run its source text (`Function.prototype.toString`), which
 * works the same from the TypeScript sources under vitest and from the compiled `dist/`. With
 * `job.wasm` it instantiates the WebAssembly module of softmax-wasm.ts on the job's shared memory
 * and runs the x·W pass and the update there; the softmax, bias and averaging stay here.
 */

/** One shard's job: the whole data set, and the classes `[classStart, classEnd)` this shard owns. */
export interface ShardJob {
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
  /** Class index of each row. */
  y: Int32Array;
  rows: number;
  cols: number;
  numClasses: number;
  classStart: number;
  classEnd: number;
  /** L2 strength λ of the objective mean(loss) + λ/2 ‖W‖². */
  lambda: number;
  learningRate: number;
  /** Step of epoch e is learningRate / (1 + lrDecay · e). */
  lrDecay: number;
  batchSize: number;
  maxEpochs: number;
  tol: number;
  patience: number;
  /** Epoch-end iterates after this many epochs are averaged into the result (Polyak–Ruppert). */
  averageFrom: number;
  seed: number;
  /** Class gradients |p − y| below this are skipped in the update (they are ~0 for confident rows). */
  gradThreshold: number;
  /**
   * With one shard: after `refreshEvery` full epochs, only classes with probability ≥ gradThreshold / 4 at the last
   * full epoch (plus the true class) are scored for a row, the others enter the softmax as one stale log-sum-exp;
   * every `refreshEvery`-th epoch is full again. 0 disables this (every epoch full).
   */
  refreshEvery: number;
  /** Shared logits, two alternating buffers of batchSize × numClasses. */
  z: Float64Array;
  /** Shared barrier state `[count, sense]`, or null when this is the only shard. */
  barrier: Int32Array | null;
  numShards: number;
  /** Output: weights of the owned classes, feature-major `cols × (classEnd − classStart)`; zero on entry. */
  weights: Float32Array;
  /** Output: biases of the owned classes. */
  bias: Float64Array;
  /**
   * The WebAssembly kernel (softmax-wasm.ts): its compiled module, and the shared memory that backs every typed array
   * of this job (indices, data, weights) and the kernel's scratch. Null runs the JavaScript loops only.
   */
  wasm: ShardWasm | null;
}

/** The WebAssembly part of a shard's job. */
export interface ShardWasm {
  /** A `WebAssembly.Module` of softmax-wasm.ts. */
  module: unknown;
  /** The shared `WebAssembly.Memory` it runs on. */
  memory: unknown;
  /** Scratch in that memory: x·W sums of the owned classes (rounded up to 4, plus 4). */
  out: Float32Array;
  /** Scratch in that memory: the active classes of a row and their gradients. */
  act: Int32Array;
  g: Float64Array;
}

/** What a shard reports back. */
export interface ShardResult {
  epochs: number;
  losses: number[];
  converged: boolean;
}

/**
 * Trains the owned classes. Every shard sees the same rows in the same order and the same full
 * logits, so all shards compute the same losses and stop after the same epoch; the result does
 * not depend on the number of shards. `onEpoch` returns false to stop (in-thread cancellation).
 */
export function runSoftmaxShard(job: ShardJob, onEpoch: (epoch: number, loss: number) => boolean): ShardResult {
  const { indptr, indices, data, y, rows, numClasses: K, classStart: c0, classEnd: c1, z, barrier } = job;
  const kw = c1 - c0;
  const W = job.weights;
  const bias = job.bias;
  const B = job.batchSize;
  const avgW = new Float32Array(job.averageFrom < job.maxEpochs ? W.length : 0);
  const avgB = new Float64Array(kw);
  let nAvg = 0;
  let scale = 1;
  let sense = 0;
  const wasm = job.wasm;
  const act = wasm === null ? new Int32Array(kw) : wasm.act;
  const actG = wasm === null ? new Float64Array(kw) : wasm.g;
  // The WebAssembly pass and update address the memory by byte offsets of the same views.
  type Exports = Record<'forward' | 'update', (...args: number[]) => void>;
  type Api = { Instance: new (module: unknown, imports: object) => { exports: Exports } };
  const exportsW =
    wasm === null
      ? null
      : new (globalThis as unknown as { WebAssembly: Api }).WebAssembly.Instance(wasm.module, { env: { memory: wasm.memory } }).exports;
  const idxBase = indices.byteOffset;
  const dataDelta = data.byteOffset - indices.byteOffset;
  const wBase = W.byteOffset;
  const stride = kw * 4;
  const out = wasm === null ? new Float32Array(0) : wasm.out;
  const ex = new Float64Array(K);
  const order = new Int32Array(rows);
  // Active sets (one shard only): each row's most probable classes (≤ MAX_ACTIVE); count -1 until first scored.
  const MAX_ACTIVE = 32;
  const useActive = job.refreshEvery > 0 && job.numShards === 1;
  const candC = new Int32Array(useActive ? K : 0);
  const candP = new Float64Array(useActive ? K : 0);
  const candIdx: number[] = [];
  const activeN = new Int32Array(useActive ? rows : 0).fill(-1);
  const activeC = new Int32Array(useActive ? rows * MAX_ACTIVE : 0);
  const restLse = new Float64Array(useActive ? rows : 0);
  const za = new Float64Array(useActive ? B * MAX_ACTIVE : 0);
  const candFloor = job.gradThreshold / 4;
  for (let i = 0; i < rows; i++) order[i] = i;

  // mulberry32: small, fast, and identical in every shard for the same seed.
  let state = job.seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const wait = (): void => {
    if (barrier === null) return;
    sense ^= 1;
    if (Atomics.add(barrier, 0, 1) === job.numShards - 1) {
      Atomics.store(barrier, 0, 0);
      Atomics.store(barrier, 1, sense);
      Atomics.notify(barrier, 1);
      return;
    }
    for (let spin = 0; spin < 4000; spin++) if (Atomics.load(barrier, 1) === sense) return;
    while (Atomics.load(barrier, 1) !== sense) Atomics.wait(barrier, 1, sense ^ 1);
  };

  // Partial logits of the owned classes for row i into z[zo + c0 ..]; blocks of 8 classes keep the sums in registers.
  const forward = (i: number, zo: number): void => {
    const p0 = indptr[i] as number;
    const p1 = indptr[i + 1] as number;
    if (exportsW !== null) {
      exportsW.forward(idxBase + 4 * p0, idxBase + 4 * p1, dataDelta, wBase, stride, out.byteOffset);
      const o = zo + c0;
      for (let c = 0; c < kw; c++) z[o + c] = (bias[c] as number) + (out[c] as number) * scale;
      return;
    }
    let c = 0;
    for (; c + 8 <= kw; c += 8) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
      for (let p = p0; p < p1; p++) {
        const off = (indices[p] as number) * kw + c;
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
      const o = zo + c0 + c;
      z[o] = (bias[c] as number) + a0 * scale;
      z[o + 1] = (bias[c + 1] as number) + a1 * scale;
      z[o + 2] = (bias[c + 2] as number) + a2 * scale;
      z[o + 3] = (bias[c + 3] as number) + a3 * scale;
      z[o + 4] = (bias[c + 4] as number) + a4 * scale;
      z[o + 5] = (bias[c + 5] as number) + a5 * scale;
      z[o + 6] = (bias[c + 6] as number) + a6 * scale;
      z[o + 7] = (bias[c + 7] as number) + a7 * scale;
    }
    // The 1–7 classes left: blocks of 4 and 2 (one pass over the row each) before single classes.
    if (c + 4 <= kw) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0; // prettier-ignore
      for (let p = p0; p < p1; p++) {
        const off = (indices[p] as number) * kw + c;
        const v = data[p] as number;
        a0 += (W[off] as number) * v;
        a1 += (W[off + 1] as number) * v;
        a2 += (W[off + 2] as number) * v;
        a3 += (W[off + 3] as number) * v;
      }
      const o = zo + c0 + c;
      z[o] = (bias[c] as number) + a0 * scale;
      z[o + 1] = (bias[c + 1] as number) + a1 * scale;
      z[o + 2] = (bias[c + 2] as number) + a2 * scale;
      z[o + 3] = (bias[c + 3] as number) + a3 * scale;
      c += 4;
    }
    if (c + 2 <= kw) {
      let a0 = 0, a1 = 0; // prettier-ignore
      for (let p = p0; p < p1; p++) {
        const off = (indices[p] as number) * kw + c;
        const v = data[p] as number;
        a0 += (W[off] as number) * v;
        a1 += (W[off + 1] as number) * v;
      }
      const o = zo + c0 + c;
      z[o] = (bias[c] as number) + a0 * scale;
      z[o + 1] = (bias[c + 1] as number) + a1 * scale;
      c += 2;
    }
    for (; c < kw; c++) {
      let a = 0;
      for (let p = p0; p < p1; p++) a += (W[(indices[p] as number) * kw + c] as number) * (data[p] as number);
      z[zo + c0 + c] = (bias[c] as number) + a * scale;
    }
  };

  // W[j, act[a]] −= x_ij · step · g[a] over row i's nonzeros and the na active classes (the same arithmetic in both).
  const sparseUpdate = (i: number, na: number, step: number): void => {
    const p0 = indptr[i] as number;
    const p1 = indptr[i + 1] as number;
    if (exportsW !== null) {
      exportsW.update(idxBase + 4 * p0, idxBase + 4 * p1, dataDelta, wBase, stride, act.byteOffset, actG.byteOffset, na, step);
      return;
    }
    for (let p = p0; p < p1; p++) {
      const off = (indices[p] as number) * kw;
      const v = (data[p] as number) * step;
      for (let a = 0; a < na; a++) W[off + (act[a] as number)]! -= v * (actG[a] as number);
    }
  };

  // Keeps row i's (at most MAX_ACTIVE) most probable candidates; the other classes become one log-sum-exp.
  const refreshActive = (i: number, nCand: number, m: number, sum: number): void => {
    const base = i * MAX_ACTIVE;
    let kept = 0;
    if (nCand <= MAX_ACTIVE) {
      for (let a = 0; a < nCand; a++) activeC[base + a] = candC[a] as number;
      kept = nCand;
    } else {
      candIdx.length = 0;
      for (let a = 0; a < nCand; a++) candIdx.push(a);
      candIdx.sort((a, b) => (candP[b] as number) - (candP[a] as number) || a - b);
      for (let a = 0; a < MAX_ACTIVE; a++) activeC[base + a] = candC[candIdx[a] as number] as number;
      kept = MAX_ACTIVE;
    }
    activeN[i] = kept;
    let keptSum = 0;
    for (let a = 0; a < kept; a++) keptSum += ex[activeC[base + a] as number] as number;
    const rest = sum - keptSum;
    restLse[i] = rest > sum * 1e-12 ? Math.log(rest) + m : -Infinity;
  };

  // Logits of row i's active classes into za[ao ..] (one shard: class c is column c).
  const forwardActive = (i: number, ao: number): void => {
    const p0 = indptr[i] as number;
    const p1 = indptr[i + 1] as number;
    const n = activeN[i] as number;
    const base = i * MAX_ACTIVE;
    for (let a = 0; a < n; a++) za[ao + a] = 0;
    for (let p = p0; p < p1; p++) {
      const off = (indices[p] as number) * kw;
      const v = data[p] as number;
      for (let a = 0; a < n; a++) za[ao + a]! += (W[off + (activeC[base + a] as number)] as number) * v;
    }
    for (let a = 0; a < n; a++) za[ao + a] = (bias[activeC[base + a] as number] as number) + (za[ao + a] as number) * scale;
  };

  // Softmax over the active classes plus the stale rest, then the SGD update of the active classes; returns the loss.
  const updateActive = (i: number, ao: number, eta: number, step: number): number => {
    const n = activeN[i] as number;
    const base = i * MAX_ACTIVE;
    const r = restLse[i] as number;
    let m = r;
    for (let a = 0; a < n; a++) if ((za[ao + a] as number) > m) m = za[ao + a] as number;
    let sum = r === -Infinity ? 0 : Math.exp(r - m);
    for (let a = 0; a < n; a++) sum += Math.exp((za[ao + a] as number) - m);
    const yi = y[i] as number;
    let zy = 0;
    let na = 0;
    for (let a = 0; a < n; a++) {
      const c = activeC[base + a] as number;
      const za_ = za[ao + a] as number;
      let g = Math.exp(za_ - m) / sum;
      if (c === yi) {
        g -= 1;
        zy = za_;
      }
      if (g > job.gradThreshold || g < -job.gradThreshold) {
        act[na] = c;
        actG[na++] = g;
      }
    }
    for (let a = 0; a < na; a++) bias[act[a] as number]! -= eta * (actG[a] as number);
    sparseUpdate(i, na, step);
    return Math.log(sum) + m - zy;
  };

  const losses: number[] = [];
  let best = Infinity;
  let stall = 0;
  let converged = false;
  let batchNo = 0;
  for (let epoch = 0; epoch < job.maxEpochs; epoch++) {
    for (let i = rows - 1; i > 0; i--) {
      const k = Math.floor(random() * (i + 1));
      const t = order[i] as number;
      order[i] = order[k] as number;
      order[k] = t;
    }
    const eta = job.learningRate / (1 + job.lrDecay * epoch);
    const full = !useActive || epoch < job.refreshEvery || epoch % job.refreshEvery === job.refreshEvery - 1;
    let loss = 0;
    for (let q0 = 0; q0 < rows; q0 += B) {
      const q1 = Math.min(rows, q0 + B);
      const zBase = (batchNo++ & 1) * B * K;
      for (let q = q0; q < q1; q++) {
        const i = order[q] as number;
        if (full || (activeN[i] as number) < 0) forward(i, zBase + (q - q0) * K);
        else forwardActive(i, (q - q0) * MAX_ACTIVE);
      }
      wait();
      scale *= 1 - eta * job.lambda * (q1 - q0);
      const step = eta / scale;
      for (let q = q0; q < q1; q++) {
        const i = order[q] as number;
        if (!full && (activeN[i] as number) >= 0) {
          loss += updateActive(i, (q - q0) * MAX_ACTIVE, eta, step);
          continue;
        }
        const zo = zBase + (q - q0) * K;
        let m = -Infinity;
        for (let c = 0; c < K; c++) if ((z[zo + c] as number) > m) m = z[zo + c] as number;
        let sum = 0;
        for (let c = 0; c < K; c++) {
          const e = Math.exp((z[zo + c] as number) - m);
          ex[c] = e;
          sum += e;
        }
        const yi = y[i] as number;
        loss += Math.log(sum) - ((z[zo + yi] as number) - m);
        let na = 0;
        let nCand = 0;
        for (let c = 0; c < kw; c++) {
          const pc = (ex[c0 + c] as number) / sum;
          const g = c0 + c === yi ? pc - 1 : pc;
          if (g > job.gradThreshold || g < -job.gradThreshold) {
            act[na] = c;
            actG[na++] = g;
          }
          if (useActive && (pc >= candFloor || c === yi)) {
            candC[nCand] = c;
            candP[nCand++] = c === yi ? 2 : pc; // the true class always stays
          }
        }
        if (useActive) refreshActive(i, nCand, m, sum);
        if (na === 0) continue;
        for (let a = 0; a < na; a++) bias[act[a] as number]! -= eta * (actG[a] as number);
        sparseUpdate(i, na, step);
      }
    }
    if (scale < 1e-4) {
      for (let j = 0; j < W.length; j++) W[j]! *= scale;
      scale = 1;
    }
    if (epoch >= job.averageFrom) {
      nAvg++;
      for (let j = 0; j < W.length; j++) avgW[j]! += ((W[j] as number) * scale - (avgW[j] as number)) / nAvg;
      for (let c = 0; c < kw; c++) avgB[c]! += ((bias[c] as number) - (avgB[c] as number)) / nAvg;
    }
    loss /= rows;
    losses.push(loss);
    // Averaged iterates need a few epochs; the noisy early losses must not stop the run. Losses of
    // active-set epochs use a stale normaliser, so only full epochs count.
    if (full) {
      if (epoch >= job.averageFrom && loss > best - job.tol) stall++;
      else stall = 0;
      if (loss < best) best = loss;
    }
    const keepGoing = onEpoch(epoch, loss);
    if (stall >= job.patience) converged = true;
    if (converged || !keepGoing) break;
  }
  if (nAvg > 0) {
    W.set(avgW);
    bias.set(avgB);
  } else if (scale !== 1) {
    for (let j = 0; j < W.length; j++) W[j]! *= scale;
  }
  return { epochs: losses.length, losses, converged };
}
