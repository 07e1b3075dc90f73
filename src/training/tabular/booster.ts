/**
 * The boosting engine on binned data: leaf-wise (best-first) histogram trees with the
 * subtraction trick, learnt missing-value directions and LightGBM-style categorical partitions.
 * Pure computation: no tables, no I/O. `gbdt.ts` wraps it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildHistAllRows, buildHistRange, CTRL, rowCountsByBin, type WorkerInit } from './hist-kernel.js';
import { identity, seededRandom } from './random.js';

/** Loss being minimised. */
export type Objective = 'binary' | 'multiclass' | 'regression';

/** Tree-growing and boosting parameters (all required here; defaults live in gbdt.ts). */
export interface BoosterParams {
  learningRate: number;
  maxRounds: number;
  maxLeaves: number;
  /** 0 = unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  minChildWeight: number;
  lambda: number;
  minSplitGain: number;
  subsample: number;
  colsample: number;
  earlyStoppingRounds: number;
  /** Also stop when the best validation loss fell by less than this fraction over the last `earlyStoppingRounds` rounds. */
  earlyStoppingTol: number;
  catSmooth: number;
  catL2: number;
  maxCatThreshold: number;
  minDataPerGroup: number;
  maxCatToOnehot: number;
  seed: number;
}

/** A feature matrix in bins: bins[f * nRows + r]. */
export interface BinnedData {
  nRows: number;
  bins: Uint8Array;
}

/** Feature layout shared by train and validation data. */
export interface FeatureLayout {
  nFeatures: number;
  /** Bins per feature, missing bin 0 included. */
  nBins: Int32Array;
  /** 1 for categorical features. */
  isCat: Uint8Array;
}

/** A tree in bin space. Node 0 is the root; feature -1 marks a leaf. */
export interface BinTree {
  nNodes: number;
  feature: Int32Array;
  /** Numeric split: rows with 1 ≤ bin ≤ threshold go left. */
  threshold: Int32Array;
  missingLeft: Uint8Array;
  /** Categorical split: 8 words per node, bit b set ⇒ bin b goes left (bin 0 = missing). */
  catBits: Uint32Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf output (learning rate applied). */
  value: Float64Array;
  /** Training rows reaching each node (for reports and ONNX hit counts). */
  count: Float64Array;
  /** Split gain of internal nodes (feature importance). */
  gain: Float64Array;
}

/** One boosting round, for progress reports. */
export interface RoundInfo {
  round: number;
  trainLoss: number | undefined;
  validLoss: number | undefined;
  bestRound: number;
}

/** Hooks the engine calls between rounds; `afterRound` may pause (await) or throw to stop. */
export interface BoosterHooks {
  wantTrainLoss: boolean;
  afterRound(info: RoundInfo): void | Promise<void>;
}

/** What {@link boost} returns. */
export interface BoostResult {
  /** Trees in round-major order: trees[round * nOutputs + k]. */
  trees: BinTree[];
  nOutputs: number;
  baseScore: Float64Array;
  /** Rounds kept (best round + 1 with early stopping). */
  rounds: number;
  bestRound: number;
  /** Validation loss per round (empty without validation). */
  validLoss: number[];
  /** Raw scores of the validation rows under the kept trees (nValid × nOutputs). */
  validScores: Float64Array | undefined;
}

const CAT_WORDS = 8;

/** Buffers shared with the histogram worker (plain ArrayBuffers when single-threaded). */
export interface SharedState {
  idx: Uint32Array;
  g: Float64Array;
  h: Float64Array;
  /** g and h gathered into idx order for the node being built (og[i] = g[idx[i]]). */
  og: Float64Array;
  oh: Float64Array;
  /** Active feature ids (colsample), first nActive entries used. */
  feats: Int32Array;
  /** One Float64Array view per histogram slot. */
  slots: Float64Array[];
  ctrl: Int32Array;
  seq: number;
  /** Set when a worker shares histogram building. */
  worker: boolean;
  /** Nodes with fewer rows are built on the main thread alone (sync costs more than it saves). */
  minRowsForWorker: number;
  /** Per-bin counts of every training row ({@link rowCountsByBin}): the root's counts when it holds every row. */
  rowCounts: Float64Array;
}

interface Leaf {
  node: number;
  begin: number;
  end: number;
  depth: number;
  /** Histogram slot. */
  hist: number;
  g: number;
  h: number;
  c: number;
  // best split
  gain: number;
  feature: number;
  threshold: number;
  missingLeft: number;
  catBits: Uint32Array;
  lg: number;
  lh: number;
  lc: number;
}

/** Total histogram entries (bins over all features) for a layout, and per-feature offsets. */
export function histOffsets(layout: FeatureLayout): Int32Array {
  const offsets = new Int32Array(layout.nFeatures + 1);
  for (let f = 0; f < layout.nFeatures; f++) offsets[f + 1] = offsets[f]! + layout.nBins[f]!;
  return offsets;
}

/** Grows one tree on shared gradients over rows shared.idx[0..n). Reorders idx. */
class TreeGrower {
  private readonly offsets: Int32Array;
  private readonly free: number[] = [];
  private readonly tmpL: Uint32Array;
  private readonly tmpR: Uint32Array;
  private readonly goLeft = new Uint8Array(256);
  /** Categorical split search scratch: bins in partition order and their sort keys. */
  private readonly catGroups = new Int32Array(256);
  private readonly catKeys = new Float64Array(256);
  private readonly featureMask: Uint8Array;
  /** Feature sampling scratch (a permutation of feature ids). */
  private readonly featureOrder: Int32Array;
  private nActive: number;
  /** Reused node buffers; each finished tree is a trimmed copy. */
  private readonly scratch: BinTree;
  /** The current tree's leaves, and the pool their objects come from (reused every tree). */
  private readonly leaves: Leaf[] = [];
  private readonly pool: Leaf[] = [];
  private poolUsed = 0;

  constructor(
    private readonly layout: FeatureLayout,
    private readonly data: BinnedData,
    private readonly p: BoosterParams,
    private readonly shared: SharedState,
  ) {
    this.offsets = histOffsets(layout);
    this.tmpL = new Uint32Array(data.nRows);
    this.tmpR = new Uint32Array(data.nRows);
    this.featureMask = new Uint8Array(layout.nFeatures).fill(1);
    this.featureOrder = new Int32Array(layout.nFeatures);
    this.nActive = layout.nFeatures;
    for (let f = 0; f < layout.nFeatures; f++) shared.feats[f] = f;
    const maxNodes = 2 * p.maxLeaves - 1;
    this.scratch = {
      nNodes: 1,
      feature: new Int32Array(maxNodes),
      threshold: new Int32Array(maxNodes),
      missingLeft: new Uint8Array(maxNodes),
      catBits: new Uint32Array(maxNodes * CAT_WORDS),
      left: new Int32Array(maxNodes),
      right: new Int32Array(maxNodes),
      value: new Float64Array(maxNodes),
      count: new Float64Array(maxNodes),
      gain: new Float64Array(maxNodes),
    };
  }

  /** Fills histogram `slot` for rows idx[begin..end) (rows begin..end when `all`), sharing features with the worker. */
  private buildHist(slot: number, begin: number, end: number, all: boolean): void {
    const sh = this.shared;
    const hist = sh.slots[slot]!;
    const nAct = this.nActive;
    let g = sh.g;
    let h = sh.h;
    if (!all) {
      // gradients gathered once into row order: every pass over the features then reads them sequentially
      gatherPairs(sh.idx, g, h, sh.og, sh.oh, begin, begin + ((end - begin) & 3), end);
      g = sh.og;
      h = sh.oh;
    }
    if (sh.worker && end - begin >= sh.minRowsForWorker && nAct >= 2) {
      const mid = nAct >>> 1;
      const ctrl = sh.ctrl;
      ctrl[CTRL.BEGIN] = begin;
      ctrl[CTRL.END] = end;
      ctrl[CTRL.ALL] = all ? 1 : 0;
      ctrl[CTRL.SLOT] = slot;
      ctrl[CTRL.FSTART] = mid;
      ctrl[CTRL.FEND] = nAct;
      const seq = ++sh.seq;
      Atomics.store(ctrl, CTRL.SEQ, seq);
      Atomics.notify(ctrl, CTRL.SEQ);
      if (all) buildHistAllRows(hist, this.data.bins, this.data.nRows, this.offsets, sh.feats, 0, mid, begin, end, g, h, sh.rowCounts);
      else buildHistRange(hist, this.data.bins, this.data.nRows, this.offsets, sh.feats, 0, mid, sh.idx, begin, end, g, h);
      let done = Atomics.load(ctrl, CTRL.DONE);
      while (done !== seq) {
        Atomics.wait(ctrl, CTRL.DONE, done);
        done = Atomics.load(ctrl, CTRL.DONE);
      }
    } else if (all) {
      buildHistAllRows(hist, this.data.bins, this.data.nRows, this.offsets, sh.feats, 0, nAct, begin, end, g, h, sh.rowCounts);
    } else {
      buildHistRange(hist, this.data.bins, this.data.nRows, this.offsets, sh.feats, 0, nAct, sh.idx, begin, end, g, h);
    }
  }

  /** Finds the best split of a leaf; sets leaf.gain = -Infinity when none is allowed. */
  private findSplit(leaf: Leaf): void {
    leaf.gain = -Infinity;
    const p = this.p;
    const n = leaf.c;
    if (n < 2 * p.minSamplesLeaf || leaf.h < 2 * p.minChildWeight) return;
    if (p.maxDepth > 0 && leaf.depth >= p.maxDepth) return;
    const hist = this.shared.slots[leaf.hist]!;
    const G = leaf.g;
    const H = leaf.h;
    const lam = p.lambda;
    const minS = p.minSamplesLeaf;
    const minH = p.minChildWeight;
    const parent = (G * G) / (H + lam);
    let best = p.minSplitGain;
    const nF = this.layout.nFeatures;
    for (let f = 0; f < nF; f++) {
      if (this.featureMask[f] === 0) continue;
      const o = this.offsets[f]! * 3;
      const nb = this.layout.nBins[f]!;
      if (this.layout.isCat[f] === 0) {
        const g0 = hist[o]!;
        const h0 = hist[o + 1]!;
        const c0 = hist[o + 2]!;
        // pass 1: missing goes right; k = nb-1 sends all present values left (a "missing" split)
        let gl = 0;
        let hl = 0;
        let cl = 0;
        const lastK = c0 > 0 ? nb - 1 : nb - 2;
        for (let k = 1; k <= lastK; k++) {
          const q = o + 3 * k;
          gl += hist[q]!;
          hl += hist[q + 1]!;
          cl += hist[q + 2]!;
          if (cl < minS || hl < minH) continue;
          const cr = n - cl;
          const hr = H - hl;
          if (cr < minS || hr < minH) break;
          const gain = (gl * gl) / (hl + lam) + ((G - gl) * (G - gl)) / (hr + lam) - parent;
          if (gain > best) {
            best = gain;
            leaf.feature = f;
            leaf.threshold = k;
            // with no missing rows here, unseen missing values follow the larger child
            leaf.missingLeft = c0 > 0 ? 0 : cl >= cr ? 1 : 0;
            leaf.lg = gl;
            leaf.lh = hl;
            leaf.lc = cl;
          }
        }
        if (c0 > 0) {
          // pass 2: missing goes left
          gl = g0;
          hl = h0;
          cl = c0;
          for (let k = 1; k <= nb - 2; k++) {
            const q = o + 3 * k;
            gl += hist[q]!;
            hl += hist[q + 1]!;
            cl += hist[q + 2]!;
            if (cl < minS || hl < minH) continue;
            const cr = n - cl;
            const hr = H - hl;
            if (cr < minS || hr < minH) break;
            const gain = (gl * gl) / (hl + lam) + ((G - gl) * (G - gl)) / (hr + lam) - parent;
            if (gain > best) {
              best = gain;
              leaf.feature = f;
              leaf.threshold = k;
              leaf.missingLeft = 1;
              leaf.lg = gl;
              leaf.lh = hl;
              leaf.lc = cl;
            }
          }
        }
      } else {
        best = this.findCatSplit(leaf, hist, f, o, nb, best, parent);
      }
    }
    if (best > p.minSplitGain && leaf.feature >= 0) leaf.gain = best;
  }

  private findCatSplit(leaf: Leaf, hist: Float64Array, f: number, o: number, nb: number, best: number, parent: number): number {
    const p = this.p;
    const G = leaf.g;
    const H = leaf.h;
    const n = leaf.c;
    const minS = p.minSamplesLeaf;
    const minH = p.minChildWeight;
    let used = 0;
    for (let b = 0; b < nb; b++) if (hist[o + 3 * b + 2]! > 0) used++;
    if (used < 2) return best;
    if (used <= p.maxCatToOnehot) {
      const lam = p.lambda;
      for (let b = 0; b < nb; b++) {
        const cl = hist[o + 3 * b + 2]!;
        if (cl === 0) continue;
        const gl = hist[o + 3 * b]!;
        const hl = hist[o + 3 * b + 1]!;
        const cr = n - cl;
        const hr = H - hl;
        if (cl < minS || hl < minH || cr < minS || hr < minH) continue;
        const gain = (gl * gl) / (hl + lam) + ((G - gl) * (G - gl)) / (hr + lam) - parent;
        if (gain > best) {
          best = gain;
          this.catGroups[0] = b;
          this.setCat(leaf, f, this.catGroups, 0, 1, gl, hl, cl);
        }
      }
      return best;
    }
    // LightGBM-style: order categories by smoothed gradient/hessian ratio, scan prefixes from both ends
    const lam = p.lambda + p.catL2;
    const parentCat = (G * G) / (H + lam);
    const smooth = p.catSmooth;
    const groups = this.catGroups;
    const keys = this.catKeys;
    let nG = 0;
    for (let b = 0; b < nb; b++) {
      if (hist[o + 3 * b + 2]! < p.minDataPerGroup) continue;
      // insertion sort by (ratio, bin): at most 256 groups, usually a few dozen
      const key = hist[o + 3 * b]! / (hist[o + 3 * b + 1]! + smooth);
      let i = nG++;
      while (i > 0 && keys[i - 1]! > key) {
        keys[i] = keys[i - 1]!;
        groups[i] = groups[i - 1]!;
        i--;
      }
      keys[i] = key;
      groups[i] = b;
    }
    if (nG < 2) return best;
    const maxTake = Math.min(p.maxCatThreshold, Math.floor((nG + 1) / 2));
    for (let dir = 0; dir < 2; dir++) {
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let i = 0; i < Math.min(maxTake, nG - 1); i++) {
        const b = groups[dir === 0 ? i : nG - 1 - i]!;
        gl += hist[o + 3 * b]!;
        hl += hist[o + 3 * b + 1]!;
        cl += hist[o + 3 * b + 2]!;
        if (cl < minS || hl < minH) continue;
        const cr = n - cl;
        const hr = H - hl;
        if (cr < minS || hr < minH) break;
        const gain = (gl * gl) / (hl + lam) + ((G - gl) * (G - gl)) / (hr + lam) - parentCat;
        if (gain > best) {
          best = gain;
          if (dir === 0) this.setCat(leaf, f, groups, 0, i + 1, gl, hl, cl);
          else this.setCat(leaf, f, groups, nG - 1 - i, i + 1, gl, hl, cl);
        }
      }
    }
    return best;
  }

  /** Sets a categorical split sending bins[from..from+k) left. */
  private setCat(leaf: Leaf, f: number, bins: Int32Array, from: number, k: number, gl: number, hl: number, cl: number): void {
    leaf.feature = f;
    leaf.threshold = -1;
    leaf.catBits.fill(0);
    for (let i = from; i < from + k; i++) {
      const b = bins[i]!;
      leaf.catBits[b >>> 5] = leaf.catBits[b >>> 5]! | (1 << (b & 31));
    }
    leaf.missingLeft = leaf.catBits[0]! & 1;
    leaf.lg = gl;
    leaf.lh = hl;
    leaf.lc = cl;
  }

  /**
   * A leaf from the per-tree pool (reset): no allocation per leaf, so a fit allocates no
   * Leaf objects or category bitsets after the first tree (less garbage collection).
   */
  private newLeaf(node: number, begin: number, end: number, depth: number, hist: number, g: number, h: number, c: number): Leaf {
    let leaf = this.pool[this.poolUsed];
    if (leaf === undefined) {
      leaf = {
        node: 0, begin: 0, end: 0, depth: 0, hist: 0, g: 0, h: 0, c: 0,
        gain: -Infinity, feature: -1, threshold: 0, missingLeft: 0, catBits: new Uint32Array(CAT_WORDS), lg: 0, lh: 0, lc: 0,
      };
      this.pool.push(leaf);
    }
    this.poolUsed++;
    leaf.node = node;
    leaf.begin = begin;
    leaf.end = end;
    leaf.depth = depth;
    leaf.hist = hist;
    leaf.g = g;
    leaf.h = h;
    leaf.c = c;
    leaf.gain = -Infinity;
    leaf.feature = -1;
    leaf.threshold = 0;
    leaf.missingLeft = 0;
    // catBits is only read after setCat, which clears it first
    leaf.lg = 0;
    leaf.lh = 0;
    leaf.lc = 0;
    return leaf;
  }

  /**
   * Samples this tree's features (colsample): featureMask, shared.feats[0..nActive) ascending.
   * A partial Fisher–Yates shuffle over a typed array, then the mask read in order (the sorted
   * sample without a sort): no closures (Array.from, sort, forEach), which V8 inlined into grow.
   */
  private sampleFeatures(rand: () => number): void {
    const nF = this.layout.nFeatures;
    const k = Math.max(1, Math.round(this.p.colsample * nF));
    const mask = this.featureMask;
    const order = this.featureOrder;
    mask.fill(0);
    identityInt(order, nF);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (nF - i));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
      mask[order[i]!] = 1;
    }
    const feats = this.shared.feats;
    let a = 0;
    for (let f = 0; f < nF; f++) if (mask[f] === 1) feats[a++] = f;
    this.nActive = k;
  }

  /**
   * Grows one tree on shared.g/h over rows shared.idx[0..n) (`all`: idx is the identity over
   * every row). Each leaf's rows end up contiguous in idx; `onLeaf` receives their range.
   * The loop over splits stays small (one split is {@link splitLeaf}): V8 compiles it on the
   * fly (OSR) and again whole, and a big loop body made both compiles the largest of a fit.
   */
  grow(n: number, all: boolean, rand: () => number, onLeaf: (value: number, begin: number, end: number) => void): BinTree {
    const p = this.p;
    const sh = this.shared;
    if (p.colsample < 1) this.sampleFeatures(rand);
    const t = this.scratch;
    t.nNodes = 1;
    t.feature.fill(-1);
    t.threshold.fill(0);
    t.missingLeft.fill(0);
    t.catBits.fill(0);
    t.left.fill(-1);
    t.right.fill(-1);
    t.value.fill(0);
    t.count.fill(0);
    t.gain.fill(0);
    const G = all ? sumRange(sh.g, n) : sumAt(sh.g, sh.idx, n);
    const H = all ? sumRange(sh.h, n) : sumAt(sh.h, sh.idx, n);
    this.free.length = 0;
    for (let s = sh.slots.length - 1; s >= 0; s--) this.free.push(s);
    const rootHist = this.free.pop()!;
    this.buildHist(rootHist, 0, n, all);
    this.poolUsed = 0;
    const leaves = this.leaves;
    leaves.length = 0;
    leaves.push(this.newLeaf(0, 0, n, 0, rootHist, G, H, n));
    this.findSplit(leaves[0]!);
    while (leaves.length < p.maxLeaves) {
      const bi = bestLeaf(leaves);
      if (bi < 0) break;
      this.splitLeaf(bi);
    }
    this.finishLeaves(onLeaf);
    return trimTree(t);
  }

  /** Leaf values (learning rate applied) and counts into the tree; `onLeaf` gets each leaf's value and rows. */
  private finishLeaves(onLeaf: (value: number, begin: number, end: number) => void): void {
    const t = this.scratch;
    const leaves = this.leaves;
    const lam = this.p.lambda;
    const lr = this.p.learningRate;
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i]!;
      const v = leaf.h + lam > 0 ? (-leaf.g / (leaf.h + lam)) * lr : 0;
      t.value[leaf.node] = v;
      t.count[leaf.node] = leaf.c;
      onLeaf(v, leaf.begin, leaf.end);
    }
  }

  /** Whether a new leaf may still be split (rows, depth, leaves left). */
  private canSplit(l: Leaf): boolean {
    const p = this.p;
    return l.c >= 2 * p.minSamplesLeaf && (p.maxDepth <= 0 || l.depth < p.maxDepth) && this.leaves.length < p.maxLeaves;
  }

  /** Splits leaves[bi] at its best split: partitions its rows, records the node, and finds its children's splits. */
  private splitLeaf(bi: number): void {
    const sh = this.shared;
    const t = this.scratch;
    const leaves = this.leaves;
    const goLeft = this.goLeft;
    const leaf = leaves[bi]!;
    const f = leaf.feature;
    // routing table bin → left?
    if (leaf.threshold >= 0) {
      goLeft.fill(0);
      goLeft.fill(1, 1, leaf.threshold + 1);
      goLeft[0] = leaf.missingLeft;
    } else {
      catRouting(leaf.catBits, goLeft);
    }
    const nl = partitionRows(sh.idx, this.tmpL, this.tmpR, this.data.bins, f * this.data.nRows, goLeft, leaf.begin, leaf.end);
    const node = leaf.node;
    const ln = t.nNodes;
    const rn = t.nNodes + 1;
    t.nNodes += 2;
    t.feature[node] = f;
    t.threshold[node] = leaf.threshold;
    t.missingLeft[node] = leaf.missingLeft;
    if (leaf.threshold < 0) t.catBits.set(leaf.catBits, node * CAT_WORDS);
    t.left[node] = ln;
    t.right[node] = rn;
    t.gain[node] = leaf.gain;
    t.count[node] = leaf.c;
    const lc = nl - leaf.begin;
    const left = this.newLeaf(ln, leaf.begin, nl, leaf.depth + 1, -1, leaf.lg, leaf.lh, lc);
    const right = this.newLeaf(rn, nl, leaf.end, leaf.depth + 1, -1, leaf.g - leaf.lg, leaf.h - leaf.lh, leaf.c - lc);
    leaves[bi] = left;
    leaves.push(right);
    if (this.canSplit(left) || this.canSplit(right)) {
      // subtraction trick: build the smaller child, derive the larger one from the parent
      const small = left.c <= right.c ? left : right;
      const large = small === left ? right : left;
      const ss = this.free.pop()!;
      this.buildHist(ss, small.begin, small.end, false);
      subtractHist(sh.slots[leaf.hist]!, sh.slots[ss]!, this.offsets, sh.feats, this.nActive);
      small.hist = ss;
      large.hist = leaf.hist;
      this.findSplit(left);
      this.findSplit(right);
    } else {
      this.free.push(leaf.hist);
    }
  }
}

/**
 * Index of the leaf with the largest gain (the first on ties), −1 when none is above −∞. A function
 * of its own, as are catRouting and finishLeaves: loops in grow and splitLeaf spent V8's budget,
 * which then compiled those big functions (and everything they inline) for little gain.
 */
function bestLeaf(leaves: readonly Leaf[]): number {
  let bi = -1;
  let bg = -Infinity;
  for (let i = 0; i < leaves.length; i++) {
    if (leaves[i]!.gain > bg) {
      bg = leaves[i]!.gain;
      bi = i;
    }
  }
  return bi;
}

/** goLeft[b] = bit b of a categorical split's bitset, for every bin b < 256. */
function catRouting(catBits: Uint32Array, goLeft: Uint8Array): void {
  for (let b = 0; b < 256; b++) goLeft[b] = (catBits[b >>> 5]! >>> (b & 31)) & 1;
}

/**
 * Stably moves the rows of idx[begin..end) whose bin routes left to the front; returns where the
 * right rows start. Branch-free: the side is a coin flip per row, so a branch mispredicts half the time.
 * Both sides go to scratch buffers first (no store into idx while it is read), then back in two copies.
 */
function partitionRows(idx: Uint32Array, tmpL: Uint32Array, tmpR: Uint32Array, bins: Uint8Array, base: number, goLeft: Uint8Array, begin: number, end: number): number {
  // the odd-row count is worked out here: arithmetic before splitRows' long loop has no type
  // feedback on its first call (V8 allocates it lazily) and cost a recompile on the second
  const nl = splitRows(idx, tmpL, tmpR, bins, base, goLeft, begin, begin + ((end - begin) & 3), end);
  idx.set(tmpL.subarray(0, nl), begin);
  idx.set(tmpR.subarray(0, end - begin - nl), begin + nl);
  return begin + nl;
}

/**
 * The scan of {@link partitionRows} (a function of its own: one loop per function compiles once).
 * Rows begin..head ((end − begin) mod 4 of them) one by one, then four per iteration: their loads are
 * independent, and V8's loop runs ~2× faster than row by row.
 */
function splitRows(idx: Uint32Array, tmpL: Uint32Array, tmpR: Uint32Array, bins: Uint8Array, base: number, goLeft: Uint8Array, begin: number, head: number, end: number): number {
  let nl = 0;
  let nr = 0;
  let i = begin;
  // the (end − begin) mod 4 odd rows (up to `head`) first, then fours (same order, so the same
  // partition): the first call's on-the-fly compile happens in the long loop, and code after it
  // that had never run (the odd-row loop, when it came last) made V8 throw that code away, six times a fit
  for (; i < head; i++) {
    const r = idx[i]!;
    const l = goLeft[bins[base + r]!]!;
    tmpL[nl] = r;
    tmpR[nr] = r;
    nl += l;
    nr += 1 - l;
  }
  for (; i < end; i += 4) {
    const r0 = idx[i]!;
    const r1 = idx[i + 1]!;
    const r2 = idx[i + 2]!;
    const r3 = idx[i + 3]!;
    const l0 = goLeft[bins[base + r0]!]!;
    const l1 = goLeft[bins[base + r1]!]!;
    const l2 = goLeft[bins[base + r2]!]!;
    const l3 = goLeft[bins[base + r3]!]!;
    tmpL[nl] = r0;
    tmpR[nr] = r0;
    nl += l0;
    nr += 1 - l0;
    tmpL[nl] = r1;
    tmpR[nr] = r1;
    nl += l1;
    nr += 1 - l1;
    tmpL[nl] = r2;
    tmpR[nr] = r2;
    nl += l2;
    nr += 1 - l2;
    tmpL[nl] = r3;
    tmpR[nr] = r3;
    nl += l3;
    nr += 1 - l3;
  }
  return nl;
}

/** og[i] = g[idx[i]], oh[i] = h[idx[i]] for begin ≤ i < end: rows begin..head one by one, then four per iteration. */
function gatherPairs(idx: Uint32Array, g: Float64Array, h: Float64Array, og: Float64Array, oh: Float64Array, begin: number, head: number, end: number): void {
  let i = begin;
  // odd rows (up to `head`) first, as in splitRows
  for (; i < head; i++) {
    const r = idx[i]!;
    og[i] = g[r]!;
    oh[i] = h[r]!;
  }
  for (; i < end; i += 4) {
    const r0 = idx[i]!;
    const r1 = idx[i + 1]!;
    const r2 = idx[i + 2]!;
    const r3 = idx[i + 3]!;
    og[i] = g[r0]!;
    oh[i] = h[r0]!;
    og[i + 1] = g[r1]!;
    oh[i + 1] = h[r1]!;
    og[i + 2] = g[r2]!;
    oh[i + 2] = h[r2]!;
    og[i + 3] = g[r3]!;
    oh[i + 3] = h[r3]!;
  }
}

/** a[i] = i for i < n. */
function identityInt(a: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] = i;
}

/** cnt[y[i]] += 1 for i < n. */
function countLabels(y: Float64Array, n: number, cnt: Float64Array): void {
  for (let i = 0; i < n; i++) cnt[y[i]!]!++;
}

/** Row-major n × K scores all set to base (F[i·K + k] = base[k]). */
function fillScores(F: Float64Array, base: Float64Array, n: number, K: number): void {
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) F[i * K + k] = base[k]!;
}

/** Σ a[0..n). */
function sumRange(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  return s;
}

/** Σ a[idx[i]] over i < n. */
function sumAt(a: Float64Array, idx: Uint32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[idx[i]!]!;
  return s;
}

/** Adds a leaf's value to the raw scores of its rows idx[b..e) (output k of K). */
function addLeafValue(F: Float64Array, idx: Uint32Array, b: number, e: number, K: number, k: number, v: number): void {
  for (let i = b; i < e; i++) {
    const q = idx[i]! * K + k;
    F[q] = F[q]! + v;
  }
}

/** Class k's column of row-major n × K gradients and hessians into gk, hk. */
function classColumn(g: Float64Array, h: Float64Array, gk: Float64Array, hk: Float64Array, N: number, K: number, k: number): void {
  for (let i = 0; i < N; i++) {
    gk[i] = g[i * K + k]!;
    hk[i] = h[i * K + k]!;
  }
}

/** parent -= child over the active features, in place: the parent's slot becomes the sibling's histogram. */
function subtractHist(parent: Float64Array, child: Float64Array, offsets: Int32Array, feats: Int32Array, nActive: number): void {
  for (let j = 0; j < nActive; j++) {
    const f = feats[j]!;
    const end = offsets[f + 1]! * 3;
    for (let i = offsets[f]! * 3; i < end; i++) parent[i] = parent[i]! - child[i]!;
  }
}

function trimTree(t: BinTree): BinTree {
  const n = t.nNodes;
  return {
    nNodes: n,
    feature: t.feature.slice(0, n),
    threshold: t.threshold.slice(0, n),
    missingLeft: t.missingLeft.slice(0, n),
    catBits: t.catBits.slice(0, n * CAT_WORDS),
    left: t.left.slice(0, n),
    right: t.right.slice(0, n),
    value: t.value.slice(0, n),
    count: t.count.slice(0, n),
    gain: t.gain.slice(0, n),
  };
}

/** Adds tree outputs of binned rows to scores[r * stride + k]. */
export function addTreeScores(t: BinTree, data: BinnedData, scores: Float64Array, stride: number, k: number): void {
  const N = data.nRows;
  const bins = data.bins;
  for (let r = 0; r < N; r++) {
    let node = 0;
    while (t.feature[node]! >= 0) {
      const f = t.feature[node]!;
      const b = bins[f * N + r]!;
      const th = t.threshold[node]!;
      let left: boolean;
      if (th >= 0) left = b === 0 ? t.missingLeft[node] === 1 : b <= th;
      else left = ((t.catBits[node * CAT_WORDS + (b >>> 5)]! >>> (b & 31)) & 1) === 1;
      node = left ? t.left[node]! : t.right[node]!;
    }
    scores[r * stride + k] = scores[r * stride + k]! + t.value[node]!;
  }
}

/** Mean loss of raw scores against encoded targets. */
export function meanLoss(objective: Objective, scores: Float64Array, y: Float64Array, K: number): number {
  const n = y.length;
  let s = 0;
  if (objective === 'regression') {
    for (let i = 0; i < n; i++) {
      const d = scores[i]! - y[i]!;
      s += d * d;
    }
  } else if (objective === 'binary') {
    for (let i = 0; i < n; i++) {
      const m = scores[i]!;
      // log(1 + e^m) - y m, stable; no operation only one branch runs (a unary minus first met
      // when a score turns positive made V8 throw away the loop's compiled code)
      s += (m > 0 ? m : 0) + Math.log1p(Math.exp(-Math.abs(m))) - y[i]! * m;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, scores[i * K + k]!);
      let z = 0;
      for (let k = 0; k < K; k++) z += Math.exp(scores[i * K + k]! - mx);
      s += mx + Math.log(z) - scores[i * K + y[i]!]!;
    }
  }
  return n > 0 ? s / n : 0;
}

/** Squared-error gradients and hessians. */
function squaredGradients(F: Float64Array, y: Float64Array, g: Float64Array, h: Float64Array, N: number): void {
  for (let i = 0; i < N; i++) {
    g[i] = F[i]! - y[i]!;
    h[i] = 1;
  }
}

/** Softmax cross-entropy gradients and hessians, row-major N × K (hessian scaled by K/(K−1) as in LightGBM). */
function softmaxGradients(F: Float64Array, y: Float64Array, g: Float64Array, h: Float64Array, N: number, K: number, prob: Float64Array): void {
  const factor = K / (K - 1);
  for (let i = 0; i < N; i++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, F[i * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) {
      prob[k] = Math.exp(F[i * K + k]! - mx);
      z += prob[k]!;
    }
    const yi = y[i]!;
    for (let k = 0; k < K; k++) {
      const pk = prob[k]! / z;
      g[i * K + k] = pk - (yi === k ? 1 : 0);
      h[i * K + k] = Math.max(factor * pk * (1 - pk), 1e-16);
    }
  }
}

/** E[i] = e^−F[i]. */
function expNeg(F: Float64Array, E: Float64Array, N: number): void {
  for (let i = 0; i < N; i++) E[i] = Math.exp(-F[i]!);
}

/** Adds a leaf's value v to the raw scores of rows idx[b..e) and multiplies their e^−F by ev = e^−v. */
function addLeafValueExp(F: Float64Array, E: Float64Array, idx: Uint32Array, b: number, e: number, v: number, ev: number): void {
  for (let i = b; i < e; i++) {
    const r = idx[i]!;
    F[r] = F[r]! + v;
    E[r] = E[r]! * ev;
  }
}

/** Logistic-loss gradients and hessians from E = e^−F (p = 1 / (1 + E); no exp per row and round). */
function binaryGradients(E: Float64Array, y: Float64Array, g: Float64Array, h: Float64Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const pr = 1 / (1 + E[i]!);
    g[i] = pr - y[i]!;
    h[i] = Math.max(pr * (1 - pr), 1e-16);
  }
}

/** Threading of histogram building. */
export interface ThreadOptions {
  /** 1 = main thread only; 2 = one histogram worker shares the features (default 1 here). */
  threads: number;
  /** URL of the compiled hist-worker.js (default: beside this module). */
  workerUrl?: URL;
  /** Nodes with fewer rows skip the worker (default 2048). */
  minRowsForWorker?: number;
}

function sharedBuffer(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** Starts the histogram worker, or returns undefined when its compiled file is not there (e.g. running from TS sources). */
async function startWorker(url: URL, init: WorkerInit): Promise<Worker | undefined> {
  if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) return undefined;
  const worker = new Worker(url, { workerData: init });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`histogram worker exited with code ${code}`)));
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return worker;
}

/**
 * Runs boosting. `y` holds 0/1 (binary), class ids (multiclass) or values (regression).
 */
export async function boost(
  objective: Objective,
  nClasses: number,
  layout: FeatureLayout,
  train: BinnedData,
  y: Float64Array,
  valid: { data: BinnedData; y: Float64Array } | undefined,
  p: BoosterParams,
  hooks: BoosterHooks,
  threading: ThreadOptions = { threads: 1 },
): Promise<BoostResult> {
  const N = train.nRows;
  const K = objective === 'multiclass' ? nClasses : 1;
  // Row loops here are calls (sumRange, countLabels, fillScores): a long loop in boost itself
  // spent enough of V8's budget to have it optimised whole, inlined callees and all, which a
  // fresh process paid for in compile time (boost runs its body once per round; its callees do the work).
  const base = new Float64Array(K);
  if (objective === 'regression') {
    const s = sumRange(y, N);
    base[0] = N > 0 ? s / N : 0;
  } else if (objective === 'binary') {
    const s = sumRange(y, N);
    const pr = Math.min(Math.max(s / N, 1e-6), 1 - 1e-6);
    base[0] = Math.log(pr / (1 - pr));
  } else {
    const cnt = new Float64Array(K);
    countLabels(y, N, cnt);
    for (let k = 0; k < K; k++) base[k] = Math.log(Math.max(cnt[k]! / N, 1e-6));
  }
  const F = new Float64Array(N * K);
  // binary: e^−F per row, so gradients need no exp per row and round (see binaryGradients)
  const E = new Float64Array(objective === 'binary' ? N : 0);
  let expStale = true;
  fillScores(F, base, N, K);
  const nV = valid?.data.nRows ?? 0;
  const Fv = new Float64Array(nV * K);
  fillScores(Fv, base, nV, K);

  // buffers the worker may share
  const useWorker = threading.threads >= 2 && layout.nFeatures >= 2;
  const offsets = histOffsets(layout);
  const slotSize = offsets[layout.nFeatures]! * 3;
  const nSlots = p.maxLeaves + 1;
  const histBuf = sharedBuffer(nSlots * slotSize * 8, useWorker);
  const binsBuf = sharedBuffer(train.bins.length, useWorker);
  const bins = new Uint8Array(binsBuf);
  bins.set(train.bins);
  const trainData: BinnedData = { nRows: N, bins };
  const gBuf = sharedBuffer(N * 8, useWorker);
  const hBuf = sharedBuffer(N * 8, useWorker);
  const ogBuf = sharedBuffer(N * 8, useWorker);
  const ohBuf = sharedBuffer(N * 8, useWorker);
  const idxBuf = sharedBuffer(N * 4, useWorker);
  const featsBuf = sharedBuffer(layout.nFeatures * 4, useWorker);
  const ctrlBuf = sharedBuffer(CTRL.SIZE * 4, useWorker);
  const shared: SharedState = {
    idx: new Uint32Array(idxBuf),
    g: new Float64Array(gBuf),
    h: new Float64Array(hBuf),
    og: new Float64Array(ogBuf),
    oh: new Float64Array(ohBuf),
    feats: new Int32Array(featsBuf),
    slots: Array.from({ length: nSlots }, (_, s) => new Float64Array(histBuf, s * slotSize * 8, slotSize)),
    ctrl: new Int32Array(ctrlBuf),
    seq: 0,
    worker: false,
    minRowsForWorker: threading.minRowsForWorker ?? 2048,
    rowCounts: rowCountsByBin(bins, N, offsets),
  };
  let worker: Worker | undefined;
  if (useWorker) {
    worker = await startWorker(threading.workerUrl ?? new URL('./hist-worker.js', import.meta.url), {
      ctrl: ctrlBuf as SharedArrayBuffer,
      bins: binsBuf as SharedArrayBuffer,
      nRows: N,
      offsets,
      feats: featsBuf as SharedArrayBuffer,
      idx: idxBuf as SharedArrayBuffer,
      g: gBuf as SharedArrayBuffer,
      h: hBuf as SharedArrayBuffer,
      hist: histBuf as SharedArrayBuffer,
      og: ogBuf as SharedArrayBuffer,
      oh: ohBuf as SharedArrayBuffer,
      slotSize,
      counts: shared.rowCounts,
    });
    shared.worker = worker !== undefined;
  }
  try {
    const grower = new TreeGrower(layout, trainData, p, shared);
    const rand = seededRandom(p.seed);
    const g = K === 1 ? shared.g : new Float64Array(N * K);
    const h = K === 1 ? shared.h : new Float64Array(N * K);
    const idx = shared.idx;
    const trees: BinTree[] = [];
    const validLoss: number[] = [];
    let bestRound = -1;
    let bestLoss = Infinity;
    const bestSoFar: number[] = [];
    const prob = new Float64Array(K);
    const sampled = p.subsample < 1;
    // validation scores at the best round so far: the same additions in the same order as re-scoring the kept trees
    const bestFv = Fv.slice();
    for (let round = 0; round < p.maxRounds; round++) {
      // gradients
      if (objective === 'regression') squaredGradients(F, y, g, h, N);
      else if (objective === 'binary') {
        // e^−F exactly every 32 rounds (and after a sampled round); between, kept by one multiply per leaf row
        if (expStale || round % 32 === 0) expNeg(F, E, N);
        expStale = false;
        binaryGradients(E, y, g, h, N);
      }
      else softmaxGradients(F, y, g, h, N, K, prob);
      // row sample, the same for every class of the round
      let n = N;
      let sample: Uint32Array | undefined;
      if (sampled) {
        sample = new Uint32Array(N);
        n = 0;
        for (let i = 0; i < N; i++) if (rand() < p.subsample) sample[n++] = i;
        if (n === 0) sample[n++] = 0;
      }
      for (let k = 0; k < K; k++) {
        if (K > 1) classColumn(g, h, shared.g, shared.h, N, K, k);
        if (sample) idx.set(sample.subarray(0, n));
        else identity(idx, N);
        const tree = grower.grow(n, !sampled, rand, (v, b, e) => {
          if (sampled) return;
          if (E.length > 0) addLeafValueExp(F, E, idx, b, e, v, Math.exp(-v));
          else addLeafValue(F, idx, b, e, K, k, v);
        });
        if (sampled) {
          addTreeScores(tree, trainData, F, K, k);
          expStale = true;
        }
        trees.push(tree);
        if (valid) addTreeScores(tree, valid.data, Fv, K, k);
      }
      let vl: number | undefined;
      if (valid) {
        vl = meanLoss(objective, Fv, valid.y, K);
        validLoss.push(vl);
        if (vl < bestLoss - 1e-12) {
          bestLoss = vl;
          bestRound = round;
          bestFv.set(Fv);
        }
      } else {
        bestRound = round;
      }
      await hooks.afterRound({
        round,
        trainLoss: hooks.wantTrainLoss ? meanLoss(objective, F, y, K) : undefined,
        validLoss: vl,
        bestRound,
      });
      if (valid) {
        bestSoFar.push(bestLoss);
        if (round - bestRound >= p.earlyStoppingRounds) break;
        // A loss that still creeps down (near-separable classes) would otherwise run to maxRounds.
        const before = bestSoFar[round - p.earlyStoppingRounds];
        if (before !== undefined && Number.isFinite(before) && bestLoss > before * (1 - p.earlyStoppingTol)) break;
      }
    }
    const rounds = bestRound + 1;
    const kept = trees.slice(0, rounds * K);
    const validScores = valid ? bestFv : undefined;
    return { trees: kept, nOutputs: K, baseScore: base, rounds, bestRound, validLoss, validScores };
  } finally {
    if (worker) {
      Atomics.store(shared.ctrl, CTRL.QUIT, 1);
      Atomics.store(shared.ctrl, CTRL.SEQ, ++shared.seq);
      Atomics.notify(shared.ctrl, CTRL.SEQ);
      await worker.terminate();
    }
  }
}
