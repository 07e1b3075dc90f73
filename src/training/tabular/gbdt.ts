/**
 * Histogram gradient-boosted trees for tabular classification and regression: options,
 * input checks, the trained model, prediction from original feature values, and data-only JSON.
 */
import { availableParallelism } from 'node:os';
import { MloopError, type ValidationIssue } from '../../errors/index.js';
import { binTable, fitBinners, type BinningOptions, type CategoryCodeCache, type FeatureBinner, type FeatureWarning } from './binning.js';
import { boost, type BinTree, type BoosterParams, type Objective } from './booster.js';
import { chooseCalibrator, chooseTemperature, type CalibrationChoice, type Calibrator } from './calibration.js';
import { argmax, probabilities } from './probabilities.js';
import { Ticker, type TrainingHooks } from './progress.js';
import {
  categoricalValues,
  checkFeatureSpecs,
  getColumn,
  inferFeatures,
  numericValues,
  rowCount,
  toTable,
  type FeatureSpec,
  type TabularInput,
  type Table,
} from './table.js';
import { checkTask, encodeTarget, holdOut, pick, type TabularTask } from './target.js';

/** Options of {@link trainGbdt}. Every field but `task` has a default. */
export interface GbdtOptions {
  /** `classification` (binary or multiclass, decided by the number of labels) or `regression`. */
  task: TabularTask;
  /** Features to use; default: every column but the target, numeric when all values are numbers. */
  features?: FeatureSpec[];
  /** Shrinkage per tree (default 0.1). */
  learningRate?: number;
  /** Maximum boosting rounds (default 1000; early stopping usually ends sooner). */
  maxRounds?: number;
  /** Leaves per tree, grown best-first (default 31). */
  maxLeaves?: number;
  /** Depth limit, 0 = none (default 0). */
  maxDepth?: number;
  /** Minimum training rows in a leaf (default 20). */
  minSamplesLeaf?: number;
  /** Minimum hessian sum in a leaf (default 1e-3). */
  minChildWeight?: number;
  /** L2 penalty on leaf values (default 1). */
  lambda?: number;
  /** Minimum gain G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ) to split (default 0). */
  minSplitGain?: number;
  /** Fraction of rows sampled per round, 1 = all (default 1). */
  subsample?: number;
  /** Fraction of features sampled per tree (at least one), 1 = all (default 0.8). */
  colsample?: number;
  /** Held-out fraction for early stopping and calibration, stratified for classification; 0 = none (default 0.1). */
  validationFraction?: number;
  /** Stop after this many rounds without a better validation loss (default 20). */
  earlyStoppingRounds?: number;
  /**
   * Also stop when the best validation loss fell by less than this fraction over the last
   * `earlyStoppingRounds` rounds (default 0.002), so a loss that creeps down for ever stops.
   */
  earlyStoppingTol?: number;
  /** Categorical splits (LightGBM-style): smoothing of the gradient/hessian ratio used to order categories (default 10). */
  catSmooth?: number;
  /** Extra L2 for categorical partitions (default 10). */
  catL2?: number;
  /** Most categories on the smaller side of a partition (default 32). */
  maxCatThreshold?: number;
  /** Categories with fewer rows in a node are not placed by the partition search (they go right; default 20). */
  minDataPerGroup?: number;
  /** Up to this many categories present in a node, try one-vs-rest splits instead (default 4). */
  maxCatToOnehot?: number;
  /** Binning of features. */
  binning?: BinningOptions;
  /**
   * Probability calibration on the validation rows (default `auto`): none, Platt or isotonic for two
   * classes; temperature scaling for more, folded into the trees (leaf values and base scores ÷ T).
   */
  calibration?: CalibrationChoice;
  /** Seed of every random choice (default 0). Same data + options + seed ⇒ identical model. */
  seed?: number;
  /**
   * After early stopping, train again on all rows (training + validation) for
   * round(bestRounds / (1 − validationFraction)) rounds, keeping the calibrator fitted on the
   * first model's held-out scores (default false: about twice the training time).
   */
  refitOnAllRows?: boolean;
  /**
   * Threads building histograms: 1 or 2 (a worker thread takes half the features of big nodes).
   * Default: 2 when the machine has ≥ 2 cores and training rows × features ≥ 2 000 000, else 1
   * (on Adult, 410 000 cells, the worker's hand-over per node cost more than it saved).
   * The model does not depend on it.
   */
  threads?: number;
}

/** A feature as the model sees it. */
export interface GbdtFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Categorical only: bin 2 + i is categories[i]; bin 0 = missing, bin 1 = other/unseen. */
  categories?: string[];
}

/**
 * One tree as parallel arrays (node 0 = root), mapping onto ai.onnx.ml TreeEnsemble nodes.
 * Internal node i: numeric feature → left when value ≤ threshold[i] (BRANCH_LEQ; ±∞ clipped to
 * ±MAX_VALUE), missing (NaN) → left iff missingLeft[i] = 1; categorical feature → left when the
 * value's bin has its bit set in catBitset[i] (8 × 32-bit words, bit b = bin b; bin 0 missing,
 * bin 1 other/unseen, bin 2 + j = categories[j]). Leaves: feature = −1, output in value[i].
 */
export interface GbdtTreeJson {
  /** Output (class) this tree adds to: 0 for binary/regression, class id for multiclass. */
  output: number;
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  catBitset: (number[] | null)[];
  left: number[];
  right: number[];
  value: number[];
  /** Training rows reaching each node. */
  count: number[];
  /** Split gain of internal nodes (0 at leaves). */
  gain: number[];
}

/** Summary of a training run. */
export interface GbdtReport {
  /** Rounds kept in the model (best round + 1 with early stopping, or the refit's rounds). */
  rounds: number;
  /** True when the trees were refitted on all rows (see GbdtOptions.refitOnAllRows). */
  refitOnAllRows: boolean;
  /** Best round, 0-based. */
  bestIteration: number;
  /** Rounds run before stopping. */
  roundsRun: number;
  trainRows: number;
  validRows: number;
  /** Validation loss per round run (log loss, multiclass log loss or MSE). */
  validLoss: number[];
  /** Calibration chosen and the cross-validated log losses compared. */
  calibration: { method: Calibrator['method'] | 'temperature'; cvLogLoss: Record<string, number>; temperature?: number };
  /** Dropped features and other non-fatal problems. */
  warnings: ValidationIssue[];
  /** Wall-clock seconds of training (binning + boosting + calibration). */
  seconds: number;
}

/** The serialised model: data only (numbers, strings, arrays), safe to store and load. */
export interface GbdtModelJson {
  format: 'mloop.gbdt';
  version: 1;
  task: TabularTask;
  objective: Objective;
  /** Class labels (classification), output k of multiclass = classes[k]; binary scores are for classes[1]. */
  classes: string[] | null;
  features: GbdtFeature[];
  /** Raw score start per output (log-odds, log prior or mean). */
  baseScore: number[];
  trees: GbdtTreeJson[];
  calibrator: Calibrator;
  report: GbdtReport;
}

const DEFAULTS = {
  learningRate: 0.1,
  maxRounds: 1000,
  maxLeaves: 31,
  maxDepth: 0,
  minSamplesLeaf: 20,
  minChildWeight: 1e-3,
  lambda: 1,
  minSplitGain: 0,
  subsample: 1,
  colsample: 0.8,
  validationFraction: 0.1,
  earlyStoppingRounds: 20,
  earlyStoppingTol: 0.002,
  catSmooth: 10,
  catL2: 10,
  maxCatThreshold: 32,
  minDataPerGroup: 20,
  maxCatToOnehot: 4,
  seed: 0,
} as const;

type Range = [min: number, max: number, integer: boolean, minOpen?: boolean];
const RANGES: Record<keyof typeof DEFAULTS, Range> = {
  learningRate: [0, 10, false, true],
  maxRounds: [1, 1e6, true],
  maxLeaves: [2, 1 << 16, true],
  maxDepth: [0, 64, true],
  minSamplesLeaf: [1, 1e9, true],
  minChildWeight: [0, 1e9, false],
  lambda: [0, 1e9, false],
  minSplitGain: [0, 1e12, false],
  subsample: [0, 1, false, true],
  colsample: [0, 1, false, true],
  validationFraction: [0, 0.9, false],
  earlyStoppingRounds: [1, 1e6, true],
  earlyStoppingTol: [0, 1, false],
  catSmooth: [0, 1e9, false],
  catL2: [0, 1e9, false],
  maxCatThreshold: [1, 254, true],
  minDataPerGroup: [1, 1e9, true],
  maxCatToOnehot: [1, 256, true],
  seed: [0, 2 ** 32 - 1, true],
};

function resolveParams(options: GbdtOptions): BoosterParams & { validationFraction: number } {
  const issues: ValidationIssue[] = [];
  const out: Record<string, number> = {};
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const v = options[key] ?? DEFAULTS[key];
    const [min, max, integer, minOpen] = RANGES[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v > max || (minOpen ? v <= min : v < min) || (integer && !Number.isInteger(v))) {
      issues.push({
        path: key,
        code: 'out_of_range',
        message: `${key} must be ${integer ? 'an integer' : 'a number'} in ${minOpen ? '(' : '['}${min}, ${max}], got ${String(v)}`,
      });
    }
    out[key] = v as number;
  }
  // The reasons go in the message too: without --json the CLI shows only the message.
  if (issues.length > 0) throw MloopError.validation(`invalid GBDT options: ${issues.map((i) => i.message).join('; ')}`, issues);
  return out as unknown as BoosterParams & { validationFraction: number };
}

/** A trained gradient-boosted tree ensemble. */
export class GbdtModel {
  /** `classification` or `regression`. */
  readonly task: TabularTask;
  /** Class labels, or null for regression. */
  readonly classes: readonly string[] | null;
  /** Features in model order (tree feature ids index this list). */
  readonly features: readonly GbdtFeature[];
  /** Training summary. */
  readonly report: GbdtReport;
  private readonly json: GbdtModelJson;
  private readonly catIndex: (Map<string, number> | null)[];

  private constructor(json: GbdtModelJson) {
    this.json = json;
    this.task = json.task;
    this.classes = json.classes;
    this.features = json.features;
    this.report = json.report;
    this.catIndex = json.features.map((f) => (f.kind === 'categorical' ? new Map((f.categories ?? []).map((c, i) => [c, i + 2] as const)) : null));
  }

  /** Number of raw outputs per row: classes for multiclass, else 1. */
  get nOutputs(): number {
    return this.json.baseScore.length;
  }

  /** The calibration map applied by {@link predictProba} (binary only). */
  get calibrator(): Calibrator {
    return this.json.calibrator;
  }

  /** Raw scores (log-odds / class logits / values), row-major n × nOutputs. */
  predictRaw(data: TabularInput): Float64Array {
    const table = toTable(data, this.features.map((f) => f.name));
    const n = rowCount(table);
    const K = this.nOutputs;
    const cols: (Float64Array | Uint8Array)[] = this.features.map((f, j) => {
      const col = getColumn(table, f.name, 'feature column');
      if (f.kind === 'numeric') {
        const v = numericValues(col, f.name);
        const c = new Float64Array(n);
        for (let i = 0; i < n; i++) c[i] = v[i]! > Number.MAX_VALUE ? Number.MAX_VALUE : v[i]!;
        return c;
      }
      const labels = categoricalValues(col);
      const index = this.catIndex[j]!;
      const c = new Uint8Array(n);
      for (let i = 0; i < n; i++) c[i] = labels[i] === null ? 0 : (index.get(labels[i]!) ?? 1);
      return c;
    });
    const out = new Float64Array(n * K);
    for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) out[i * K + k] = this.json.baseScore[k]!;
    for (const t of this.json.trees) {
      const { feature, threshold, missingLeft, catBitset, left, right, value, output } = t;
      for (let i = 0; i < n; i++) {
        let node = 0;
        while (feature[node]! >= 0) {
          const col = cols[feature[node]!]!;
          let goLeft: boolean;
          const bits = catBitset[node];
          if (bits) {
            const b = col[i]!;
            goLeft = ((bits[b >>> 5]! >>> (b & 31)) & 1) === 1;
          } else {
            const v = col[i]!;
            goLeft = Number.isNaN(v) ? missingLeft[node] === 1 : v <= threshold[node]!;
          }
          node = goLeft ? left[node]! : right[node]!;
        }
        out[i * K + output] = out[i * K + output]! + value[node]!;
      }
    }
    return out;
  }

  /**
   * Class probabilities per row, in `classes` order (classification only). Binary models
   * apply the fitted calibrator unless `calibrated` is false.
   */
  predictProba(data: TabularInput, options: { calibrated?: boolean } = {}): Float64Array[] {
    if (this.classes === null) throw MloopError.failedPrecondition('predictProba needs a classification model; this one is regression');
    const cal: Calibrator = options.calibrated === false ? { method: 'none' } : this.json.calibrator;
    return probabilities(this.predictRaw(data), this.nOutputs, cal);
  }

  /** Predicted labels (classification: most probable class) or values (regression). */
  predict(data: TabularInput): string[] | number[] {
    if (this.classes === null) return Array.from(this.predictRaw(data));
    const classes = this.classes;
    return this.predictProba(data).map((p) => classes[argmax(p)]!);
  }

  /** Total split gain and split count per feature, largest gain first. */
  featureImportance(): { name: string; gain: number; splits: number }[] {
    const gain = new Float64Array(this.features.length);
    const splits = new Float64Array(this.features.length);
    for (const t of this.json.trees) {
      t.feature.forEach((f, i) => {
        if (f >= 0) {
          gain[f]! += t.gain[i]!;
          splits[f]!++;
        }
      });
    }
    return this.features.map((f, j) => ({ name: f.name, gain: gain[j]!, splits: splits[j]! })).sort((a, b) => b.gain - a.gain);
  }

  /** The model as plain data (deep copy), for storage; restore with {@link GbdtModel.fromJSON}. */
  toJSON(): GbdtModelJson {
    return structuredClone(this.json);
  }

  /** Restores a model from {@link GbdtModel.toJSON} output; checks its shape. */
  static fromJSON(json: unknown): GbdtModel {
    const j = json as GbdtModelJson;
    const bad = (msg: string): MloopError => MloopError.invalidArgument(`not a GBDT model: ${msg}`);
    if (typeof j !== 'object' || j === null || j.format !== 'mloop.gbdt') throw bad("format is not 'mloop.gbdt'");
    if (j.version !== 1) throw bad(`unsupported version ${String(j.version)}`);
    if (!Array.isArray(j.features) || !Array.isArray(j.trees) || !Array.isArray(j.baseScore)) throw bad('features, trees or baseScore missing');
    const nF = j.features.length;
    for (const [ti, t] of j.trees.entries()) {
      const n = t.feature?.length;
      const arrays = [t.threshold, t.missingLeft, t.catBitset, t.left, t.right, t.value];
      if (!Array.isArray(t.feature) || arrays.some((a) => !Array.isArray(a) || a.length !== n)) throw bad(`tree ${ti} has ragged arrays`);
      if (!(t.output >= 0 && t.output < j.baseScore.length)) throw bad(`tree ${ti} output out of range`);
      for (let i = 0; i < n; i++) {
        const f = t.feature[i]!;
        if (f < 0) continue;
        if (f >= nF) throw bad(`tree ${ti} node ${i} uses feature ${f}`);
        if (!(t.left[i]! > i && t.left[i]! < n && t.right[i]! > i && t.right[i]! < n)) throw bad(`tree ${ti} node ${i} has bad children`);
        if (j.features[f]!.kind === 'categorical' && !Array.isArray(t.catBitset[i])) throw bad(`tree ${ti} node ${i} lacks a category bitset`);
        if (j.features[f]!.kind === 'numeric') {
          if (t.catBitset[i] !== null) throw bad(`tree ${ti} node ${i} has a bitset on a numeric feature`);
          if (typeof t.threshold[i] !== 'number') throw bad(`tree ${ti} node ${i} threshold is not a number`);
        }
      }
    }
    return new GbdtModel(structuredClone(j));
  }

  /** @internal Builds a model from training output. */
  static fromParts(json: GbdtModelJson): GbdtModel {
    return new GbdtModel(json);
  }
}

function toTreeJson(t: BinTree, output: number, binners: readonly FeatureBinner[]): GbdtTreeJson {
  const n = t.nNodes;
  const tree: GbdtTreeJson = {
    output,
    feature: Array.from(t.feature),
    threshold: new Array<number>(n).fill(0),
    missingLeft: Array.from(t.missingLeft),
    catBitset: new Array<number[] | null>(n).fill(null),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
    count: Array.from(t.count),
    gain: Array.from(t.gain),
  };
  for (let i = 0; i < n; i++) {
    const f = t.feature[i]!;
    if (f < 0) {
      tree.missingLeft[i] = 0;
      continue;
    }
    const b = binners[f]!;
    if (b.kind === 'numeric') {
      const k = t.threshold[i]!;
      // k = last bin: every present value goes left (a missing-vs-present split)
      tree.threshold[i] = k - 1 < b.edges.length ? b.edges[k - 1]! : Number.MAX_VALUE;
    } else {
      tree.catBitset[i] = Array.from(t.catBits.subarray(i * 8, i * 8 + 8));
    }
  }
  return tree;
}

/**
 * Trains gradient-boosted trees on `table` to predict column `target`.
 *
 * @example
 * const model = await trainGbdt({ columns: { x: Float64Array.of(1, 2, 3, 4), y: ['a', 'a', 'b', 'b'] } }, 'y',
 *   { task: 'classification', minSamplesLeaf: 1, validationFraction: 0 });
 * model.predict([{ x: 3.5 }]); // ['b']
 */
export async function trainGbdt(table: Table, target: string, options: GbdtOptions, hooks: TrainingHooks = {}): Promise<GbdtModel> {
  checkTask(options.task);
  const params = resolveParams(options);
  const ticker = new Ticker(hooks);
  ticker.check();
  const n = rowCount(table);
  const features = options.features ?? inferFeatures(table, [target]);
  checkFeatureSpecs(table, features, target);
  const { y, classes } = encodeTarget(table, target, options.task);
  const nClasses = classes?.length ?? 0;
  const objective: Objective = classes === null ? 'regression' : nClasses === 2 ? 'binary' : 'multiclass';
  ticker.report({ stage: 'preparing', iteration: 0, maxIterations: params.maxRounds });
  const warnings: ValidationIssue[] = [];
  let { train, valid } = holdOut(y, nClasses, params.validationFraction, params.seed);
  if (params.validationFraction > 0 && valid.length < 10) {
    warnings.push({
      path: 'validationFraction',
      code: 'too_few_rows',
      message: `only ${valid.length} validation rows: early stopping and calibration are off`,
    });
    train = Uint32Array.from({ length: n }, (_, i) => i);
    valid = new Uint32Array(0);
  }
  if (train.length < 2 * params.minSamplesLeaf) {
    throw MloopError.invalidArgument(
      `too few rows to split: ${train.length} training rows, but minSamplesLeaf = ${params.minSamplesLeaf} needs at least ${2 * params.minSamplesLeaf}`,
      { details: { rows: train.length, minSamplesLeaf: params.minSamplesLeaf }, hint: 'lower minSamplesLeaf or add rows' },
    );
  }
  const codeCache: CategoryCodeCache = new Map();
  const { binners, warnings: featureWarnings } = fitBinners(table, features, train, { seed: params.seed, ...options.binning }, codeCache);
  warnings.push(...featureWarnings.map((w: FeatureWarning) => ({ ...w })));
  if (binners.length === 0) {
    throw MloopError.invalidArgument('no usable features: every feature is all-missing or constant', { details: { issues: warnings } });
  }
  await ticker.tick();
  const layout = {
    nFeatures: binners.length,
    nBins: Int32Array.from(binners, (b) => b.nBins),
    isCat: Uint8Array.from(binners, (b) => (b.kind === 'categorical' ? 1 : 0)),
  };
  const trainData = binTable(table, binners, train, codeCache);
  const yTrain = pick(y, train);
  const validSet = valid.length > 0 ? { data: binTable(table, binners, valid, codeCache), y: pick(y, valid) } : undefined;
  const threads = options.threads ?? (availableParallelism() >= 2 && train.length * binners.length >= 2_000_000 ? 2 : 1);
  if (threads !== 1 && threads !== 2) {
    throw MloopError.invalidArgument(`threads must be 1 or 2, got ${String(threads)}`, { details: { valid: [1, 2] } });
  }
  const result = await boost(objective, nClasses, layout, trainData, yTrain, validSet, params, {
    wantTrainLoss: hooks.onProgress !== undefined,
    afterRound: async (r) => {
      ticker.report({
        stage: 'training',
        iteration: r.round + 1,
        maxIterations: params.maxRounds,
        ...(r.trainLoss === undefined ? {} : { trainLoss: r.trainLoss }),
        ...(r.validLoss === undefined ? {} : { validLoss: r.validLoss }),
        bestIteration: r.bestRound,
      });
      await ticker.tick();
    },
  }, { threads });
  let finalTrees = result.trees;
  let finalBase = result.baseScore;
  let refitRounds: number | undefined;
  if (options.refitOnAllRows === true && validSet) {
    const everyRow = Uint32Array.from({ length: n }, (_, i) => i);
    refitRounds = Math.max(1, Math.round(result.rounds / (1 - params.validationFraction)));
    ticker.report({ stage: 'training', iteration: 0, maxIterations: refitRounds });
    const refit = await boost(objective, nClasses, layout, binTable(table, binners, everyRow, codeCache), y, undefined, { ...params, maxRounds: refitRounds }, {
      wantTrainLoss: false,
      afterRound: async (r) => {
        ticker.report({ stage: 'training', iteration: r.round + 1, maxIterations: refitRounds! });
        await ticker.tick();
      },
    }, { threads });
    finalTrees = refit.trees;
    finalBase = refit.baseScore;
  }
  let calibrator: Calibrator = { method: 'none' };
  let cvLogLoss: Record<string, number> = {};
  let temperature: number | undefined;
  const calibration = options.calibration ?? 'auto';
  if (objective === 'multiclass' && validSet && result.validScores && (calibration === 'auto' || calibration === 'temperature')) {
    ticker.report({ stage: 'calibrating', iteration: result.rounds, maxIterations: params.maxRounds });
    const chosen = chooseTemperature(result.validScores, validSet.y, result.nOutputs, calibration, params.seed);
    cvLogLoss = chosen.cvLogLoss;
    if (chosen.temperature !== 1) {
      // softmax(raw / T) with raw = base + Σ leaves: dividing every leaf and the base by T keeps the model format (and ONNX export) unchanged.
      temperature = chosen.temperature;
      const inv = 1 / temperature;
      finalBase = Float64Array.from(finalBase, (v) => v * inv);
      finalTrees = finalTrees.map((t) => ({ ...t, value: Float64Array.from(t.value, (v) => v * inv) }));
    }
  } else if (objective === 'binary' && validSet && result.validScores && calibration !== 'temperature') {
    ticker.report({ stage: 'calibrating', iteration: result.rounds, maxIterations: params.maxRounds });
    const chosen = chooseCalibrator(result.validScores, validSet.y, calibration, params.seed);
    calibrator = chosen.calibrator;
    cvLogLoss = chosen.cvLogLoss;
  } else if (calibration !== 'auto' && calibration !== 'none') {
    warnings.push({
      path: 'calibration',
      code: 'not_applied',
      message: !validSet
        ? 'calibration needs validation rows; none applied'
        : objective === 'binary'
          ? `${calibration} calibration applies to three or more classes (use platt or isotonic); none applied`
          : objective === 'multiclass'
            ? `${calibration} calibration applies to two classes (use temperature); none applied`
            : 'calibration applies to classifiers only; none applied',
    });
  }
  const json: GbdtModelJson = {
    format: 'mloop.gbdt',
    version: 1,
    task: options.task,
    objective,
    classes,
    features: binners.map((b) => (b.kind === 'numeric' ? { name: b.name, kind: 'numeric' } : { name: b.name, kind: 'categorical', categories: [...b.categories] })),
    baseScore: Array.from(finalBase),
    trees: finalTrees.map((t, i) => toTreeJson(t, i % result.nOutputs, binners)),
    calibrator,
    report: {
      rounds: refitRounds ?? result.rounds,
      refitOnAllRows: refitRounds !== undefined,
      bestIteration: result.bestRound,
      roundsRun: validSet ? result.validLoss.length : result.rounds,
      trainRows: train.length,
      validRows: valid.length,
      validLoss: result.validLoss,
      calibration: temperature === undefined ? { method: calibrator.method, cvLogLoss } : { method: 'temperature', cvLogLoss, temperature },
      warnings,
      seconds: (performance.now() - ticker.start) / 1000,
    },
  };
  ticker.report({ stage: 'done', iteration: result.rounds, maxIterations: params.maxRounds, bestIteration: result.bestRound });
  return GbdtModel.fromParts(json);
}
