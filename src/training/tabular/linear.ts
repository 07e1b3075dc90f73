/**
 * Regularised linear baseline: logistic regression (binary and multinomial) and ridge
 * regression on standardised numeric features and one-hot categorical features, fitted by L-BFGS.
 *
 * Objective: Σ_i loss_i + (l2 / 2) · ‖W‖² with unpenalised intercepts, where loss is the log loss
 * (classification) or ½ (y − ŷ)² (regression). This equals scikit-learn's
 * LogisticRegression(C = 1 / l2) (multinomial for > 2 classes) and Ridge(alpha = l2).
 *
 * Encoding: numeric x → (x − mean) / std (population std, as StandardScaler) with ±Infinity
 * clipped to the training min/max; missing → 0 plus a missing-indicator column when training had
 * missing values. Categorical: one column per kept category (see binning.ts for pooling), an
 * "other" column when training had pooled categories (unseen labels use it too, else all zero),
 * a missing column when training had missing labels.
 */
import { MloopError, type ValidationIssue } from '../../errors/index.js';
import { fitBinners, type BinningOptions } from './binning.js';
import { chooseCalibrator, type CalibrationChoice, type Calibrator } from './calibration.js';
import { argmax, probabilities } from './probabilities.js';
import { minimizeLbfgs } from './lbfgs.js';
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

/** Options of {@link trainLinear}. */
export interface LinearOptions {
  /** `classification` (logistic; multinomial above two classes) or `regression` (ridge). */
  task: TabularTask;
  /** Features; default: every column but the target (see {@link inferFeatures}). */
  features?: FeatureSpec[];
  /** L2 strength on coefficients, intercepts unpenalised (default 1 ⇔ scikit-learn C = 1). */
  l2?: number;
  /** L-BFGS iterations at most (default 1000). */
  maxIter?: number;
  /** Stop when ‖gradient‖∞ ≤ tolerance · max(1, |objective|) on the mean objective (default 1e-7). */
  tolerance?: number;
  /** Held-out fraction for calibration (default 0: logistic regression is usually calibrated already). */
  validationFraction?: number;
  /** Calibration on held-out rows, binary only (default `auto` when validationFraction > 0). */
  calibration?: CalibrationChoice;
  /** Category pooling (minCategoryCount, maxCategories ≤ 254). */
  binning?: Pick<BinningOptions, 'minCategoryCount' | 'maxCategories'>;
  /** Seed of the hold-out split (default 0). */
  seed?: number;
}

/** How one feature becomes design-matrix columns. */
export type LinearFeature =
  | {
      name: string;
      kind: 'numeric';
      mean: number;
      std: number;
      min: number;
      max: number;
      /** Column of the standardised value. */
      column: number;
      /** Column of the missing indicator, or null. */
      missingColumn: number | null;
    }
  | {
      name: string;
      kind: 'categorical';
      categories: string[];
      /** columns[i] is the indicator of categories[i]. */
      columns: number[];
      otherColumn: number | null;
      missingColumn: number | null;
    };

/** Summary of a linear fit. */
export interface LinearReport {
  iterations: number;
  converged: boolean;
  /** Final objective divided by the number of training rows. */
  objective: number;
  trainRows: number;
  validRows: number;
  calibration: { method: Calibrator['method']; cvLogLoss: Record<string, number> };
  warnings: ValidationIssue[];
  seconds: number;
}

/** Serialised linear model: data only. raw_k = intercept[k] + Σ_j coef[k][j] · x_j. */
export interface LinearModelJson {
  format: 'mloop.linear';
  version: 1;
  task: TabularTask;
  objective: 'binary' | 'multiclass' | 'regression';
  classes: string[] | null;
  features: LinearFeature[];
  nColumns: number;
  /** One row per output (binary: scores for classes[1]). */
  coef: number[][];
  intercept: number[];
  calibrator: Calibrator;
  report: LinearReport;
}

/** The design matrix in CSR form (one-hot columns make it sparse). */
interface Csr {
  n: number;
  rowPtr: Uint32Array;
  col: Uint32Array;
  val: Float64Array;
}

/** Encodes rows of `table` into the design matrix. */
function design(table: Table, features: readonly LinearFeature[]): Csr {
  const n = rowCount(table);
  // at most two entries per feature per row (value + missing indicator never both; one-hot one)
  const perRow = features.length;
  const col = new Uint32Array(n * perRow);
  const val = new Float64Array(n * perRow);
  const cnt = new Uint32Array(n);
  for (const f of features) {
    const c = getColumn(table, f.name, 'feature column');
    if (f.kind === 'numeric') {
      const v = numericValues(c, f.name);
      for (let i = 0; i < n; i++) {
        let x = v[i]!;
        const q = i * perRow + cnt[i]!;
        if (Number.isNaN(x)) {
          if (f.missingColumn !== null) {
            col[q] = f.missingColumn;
            val[q] = 1;
            cnt[i]!++;
          }
          continue;
        }
        if (x === Infinity) x = f.max;
        else if (x === -Infinity) x = f.min;
        col[q] = f.column;
        val[q] = (x - f.mean) / f.std;
        cnt[i]!++;
      }
    } else {
      const labels = categoricalValues(c);
      const index = new Map(f.categories.map((cat, i) => [cat, f.columns[i]!] as const));
      for (let i = 0; i < n; i++) {
        const l = labels[i]!;
        const j = l === null ? f.missingColumn : (index.get(l) ?? f.otherColumn);
        if (j !== null) {
          const q = i * perRow + cnt[i]!;
          col[q] = j;
          val[q] = 1;
          cnt[i]!++;
        }
      }
    }
  }
  // compact
  const rowPtr = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i]! + cnt[i]!;
  const nnz = rowPtr[n]!;
  const c2 = new Uint32Array(nnz);
  const v2 = new Float64Array(nnz);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < cnt[i]!; t++) {
      c2[rowPtr[i]! + t] = col[i * perRow + t]!;
      v2[rowPtr[i]! + t] = val[i * perRow + t]!;
    }
  }
  return { n, rowPtr, col: c2, val: v2 };
}

/** A trained linear / logistic model. */
export class LinearModel {
  readonly task: TabularTask;
  readonly classes: readonly string[] | null;
  readonly report: LinearReport;
  private readonly json: LinearModelJson;

  private constructor(json: LinearModelJson) {
    this.json = json;
    this.task = json.task;
    this.classes = json.classes;
    this.report = json.report;
  }

  /** Feature encodings in model order. */
  get features(): readonly LinearFeature[] {
    return this.json.features;
  }

  /** The calibration map applied by {@link predictProba} (binary only). */
  get calibrator(): Calibrator {
    return this.json.calibrator;
  }

  /** Raw scores, row-major n × outputs (outputs = classes for multiclass, else 1). */
  predictRaw(data: TabularInput): Float64Array {
    const { features, coef, intercept } = this.json;
    const table = toTable(data, features.map((f) => f.name));
    const X = design(table, features);
    const K = intercept.length;
    const out = new Float64Array(X.n * K);
    for (let i = 0; i < X.n; i++) {
      for (let k = 0; k < K; k++) {
        let s = intercept[k]!;
        const w = coef[k]!;
        for (let q = X.rowPtr[i]!; q < X.rowPtr[i + 1]!; q++) s += w[X.col[q]!]! * X.val[q]!;
        out[i * K + k] = s;
      }
    }
    return out;
  }

  /** Class probabilities per row in `classes` order; binary applies the calibrator unless `calibrated` is false. */
  predictProba(data: TabularInput, options: { calibrated?: boolean } = {}): Float64Array[] {
    if (this.classes === null) throw MloopError.failedPrecondition('predictProba needs a classification model; this one is regression');
    const raw = this.predictRaw(data);
    const K = this.json.intercept.length;
    const cal: Calibrator = options.calibrated === false ? { method: 'none' } : this.json.calibrator;
    return probabilities(raw, K, cal);
  }

  /** Predicted labels (classification) or values (regression). */
  predict(data: TabularInput): string[] | number[] {
    if (this.classes === null) return Array.from(this.predictRaw(data));
    const classes = this.classes;
    return this.predictProba(data).map((p) => classes[argmax(p)]!);
  }

  /** Plain-data copy for storage. */
  toJSON(): LinearModelJson {
    return structuredClone(this.json);
  }

  /** Restores a model from {@link LinearModel.toJSON}; checks its shape. */
  static fromJSON(json: unknown): LinearModel {
    const j = json as LinearModelJson;
    const bad = (msg: string): MloopError => MloopError.invalidArgument(`not a linear model: ${msg}`);
    if (typeof j !== 'object' || j === null || j.format !== 'mloop.linear') throw bad("format is not 'mloop.linear'");
    if (j.version !== 1) throw bad(`unsupported version ${String(j.version)}`);
    if (!Array.isArray(j.features) || !Array.isArray(j.coef) || !Array.isArray(j.intercept)) throw bad('features, coef or intercept missing');
    if (j.coef.length !== j.intercept.length || j.coef.some((r) => !Array.isArray(r) || r.length !== j.nColumns)) throw bad('coef has the wrong shape');
    for (const f of j.features) {
      const cols = f.kind === 'numeric' ? [f.column, f.missingColumn] : [...f.columns, f.otherColumn, f.missingColumn];
      if (cols.some((c) => c !== null && !(Number.isInteger(c) && c >= 0 && c < j.nColumns))) throw bad(`feature '${f.name}' maps outside the columns`);
    }
    return new LinearModel(structuredClone(j));
  }

  /** @internal */
  static fromParts(json: LinearModelJson): LinearModel {
    return new LinearModel(json);
  }
}

/**
 * Trains a regularised linear model (logistic or ridge) on `table` to predict `target`.
 *
 * @example
 * const m = await trainLinear(table, 'churned', { task: 'classification', l2: 1 });
 * m.predictProba([{ tenure: 3, plan: 'basic' }]);
 */
export async function trainLinear(table: Table, target: string, options: LinearOptions, hooks: TrainingHooks = {}): Promise<LinearModel> {
  checkTask(options.task);
  const l2 = options.l2 ?? 1;
  const maxIter = options.maxIter ?? 1000;
  const tol = options.tolerance ?? 1e-7;
  const fraction = options.validationFraction ?? 0;
  const seed = options.seed ?? 0;
  const issues: ValidationIssue[] = [];
  if (!(typeof l2 === 'number' && l2 >= 0 && Number.isFinite(l2))) issues.push({ path: 'l2', code: 'out_of_range', message: `l2 must be a finite number ≥ 0, got ${String(l2)}` });
  if (!(Number.isInteger(maxIter) && maxIter >= 1)) issues.push({ path: 'maxIter', code: 'out_of_range', message: `maxIter must be an integer ≥ 1, got ${String(maxIter)}` });
  if (!(tol > 0)) issues.push({ path: 'tolerance', code: 'out_of_range', message: `tolerance must be > 0, got ${String(tol)}` });
  if (!(fraction >= 0 && fraction <= 0.9)) issues.push({ path: 'validationFraction', code: 'out_of_range', message: `validationFraction must be in [0, 0.9], got ${String(fraction)}` });
  if (issues.length > 0) throw MloopError.validation(`invalid linear options: ${issues.map((i) => i.message).join('; ')}`, issues);
  const ticker = new Ticker(hooks);
  ticker.check();
  const nAll = rowCount(table);
  const specs = options.features ?? inferFeatures(table, [target]);
  checkFeatureSpecs(table, specs, target);
  const { y, classes } = encodeTarget(table, target, options.task);
  const nClasses = classes?.length ?? 0;
  const objective = classes === null ? 'regression' : nClasses === 2 ? 'binary' : 'multiclass';
  ticker.report({ stage: 'preparing', iteration: 0, maxIterations: maxIter });
  const warnings: ValidationIssue[] = [];
  let { train, valid } = holdOut(y, nClasses, fraction, seed);
  if (fraction > 0 && valid.length < 10) {
    warnings.push({ path: 'validationFraction', code: 'too_few_rows', message: `only ${valid.length} validation rows: calibration is off` });
    train = Uint32Array.from({ length: nAll }, (_, i) => i);
    valid = new Uint32Array(0);
  }
  if (train.length < 2) throw MloopError.invalidArgument(`too few rows to train: ${train.length}`, { details: { rows: train.length } });

  // encoding, fitted on training rows
  const { binners, warnings: fw } = fitBinners(table, specs, train, { maxBins: 2, ...options.binning, seed });
  warnings.push(...fw);
  if (binners.length === 0) throw MloopError.invalidArgument('no usable features: every feature is all-missing or constant', { details: { issues: warnings } });
  const features: LinearFeature[] = [];
  let d = 0;
  for (const b of binners) {
    const col = getColumn(table, b.name, 'feature column');
    if (b.kind === 'numeric') {
      const v = numericValues(col, b.name);
      let s = 0;
      let c = 0;
      let mn = Infinity;
      let mx = -Infinity;
      let missing = 0;
      for (let i = 0; i < train.length; i++) {
        const x = v[train[i]!]!;
        if (Number.isNaN(x)) missing++;
        else if (Number.isFinite(x)) {
          s += x;
          c++;
          mn = Math.min(mn, x);
          mx = Math.max(mx, x);
        }
      }
      const mean = c > 0 ? s / c : 0;
      let ss = 0;
      let nInf = 0;
      for (let i = 0; i < train.length; i++) {
        let x = v[train[i]!]!;
        if (Number.isNaN(x)) continue;
        if (!Number.isFinite(x)) {
          nInf++;
          x = x > 0 ? mx : mn;
        }
        ss += (x - mean) * (x - mean);
      }
      const std = Math.sqrt(ss / Math.max(1, c + nInf));
      if (!(std > 0)) {
        if (missing === 0) {
          warnings.push({ path: b.name, code: 'constant', message: `feature '${b.name}' has a single finite value; dropped` });
          continue;
        }
      }
      features.push({ name: b.name, kind: 'numeric', mean, std: std > 0 ? std : 1, min: mn, max: mx, column: d++, missingColumn: missing > 0 ? d++ : null });
    } else {
      const labels = categoricalValues(col);
      let missing = 0;
      let other = 0;
      for (let i = 0; i < train.length; i++) {
        const l = labels[train[i]!]!;
        if (l === null) missing++;
        else if (!b.index.has(l)) other++;
      }
      const columns = b.categories.map(() => d++);
      features.push({ name: b.name, kind: 'categorical', categories: [...b.categories], columns, otherColumn: other > 0 ? d++ : null, missingColumn: missing > 0 ? d++ : null });
    }
  }
  const trainTable = toTableRows(table, features, train);
  const X = design(trainTable, features);
  const { rowPtr, col: xc, val: xv } = X;
  const yt = pick(y, train);
  const n = train.length;
  const K = objective === 'multiclass' ? nClasses : 1;
  // regression is solved on a standardised target (same minimiser, better conditioning)
  let yMean = 0;
  let yStd = 1;
  if (objective === 'regression') {
    yMean = yt.reduce((a, b) => a + b, 0) / n;
    yStd = Math.sqrt(yt.reduce((a, b) => a + (b - yMean) * (b - yMean), 0) / n) || 1;
    for (let i = 0; i < n; i++) yt[i] = (yt[i]! - yMean) / yStd;
  }
  const P = d + 1; // per output: d coefficients then the intercept
  const z = new Float64Array(n * K);
  const fg = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < K; k++) {
        let s = w[k * P + d]!;
        for (let q = rowPtr[i]!; q < rowPtr[i + 1]!; q++) s += w[k * P + xc[q]!]! * xv[q]!;
        z[i * K + k] = s;
      }
      if (objective === 'regression') {
        const r = z[i]! - yt[i]!;
        f += 0.5 * r * r;
        z[i] = r;
      } else if (objective === 'binary') {
        const m = z[i]!;
        f += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - yt[i]! * m;
        z[i] = 1 / (1 + Math.exp(-m)) - yt[i]!;
      } else {
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, z[i * K + k]!);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k]! - mx);
        f += mx + Math.log(sum) - z[i * K + yt[i]!]!;
        for (let k = 0; k < K; k++) z[i * K + k] = Math.exp(z[i * K + k]! - mx) / sum - (yt[i] === k ? 1 : 0);
      }
      for (let k = 0; k < K; k++) {
        const r = z[i * K + k]!;
        if (r === 0) continue;
        for (let q = rowPtr[i]!; q < rowPtr[i + 1]!; q++) grad[k * P + xc[q]!] = grad[k * P + xc[q]!]! + r * xv[q]!;
        grad[k * P + d] = grad[k * P + d]! + r;
      }
    }
    // penalty (scaled for the standardised regression target: same minimiser)
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) {
        const wj = w[k * P + j]!;
        f += 0.5 * l2 * wj * wj;
        grad[k * P + j] = grad[k * P + j]! + l2 * wj;
      }
    }
    for (let q = 0; q < grad.length; q++) grad[q] = grad[q]! / n;
    return f / n;
  };
  const w0 = new Float64Array(K * P);
  if (objective === 'binary') {
    const pr = Math.min(Math.max(yt.reduce((a, b) => a + b, 0) / n, 1e-6), 1 - 1e-6);
    w0[d] = Math.log(pr / (1 - pr));
  }
  const result = await minimizeLbfgs(fg, w0, {
    maxIter,
    gtol: tol,
    onIter: async (iter, value) => {
      ticker.report({ stage: 'training', iteration: iter, maxIterations: maxIter, trainLoss: value });
      await ticker.tick();
    },
  });
  const w = result.x;
  const coef: number[][] = [];
  const intercept: number[] = [];
  for (let k = 0; k < K; k++) {
    coef.push(Array.from(w.subarray(k * P, k * P + d), (v) => v * yStd));
    intercept.push(w[k * P + d]! * yStd + yMean);
  }
  const json: LinearModelJson = {
    format: 'mloop.linear',
    version: 1,
    task: options.task,
    objective,
    classes,
    features,
    nColumns: d,
    coef,
    intercept,
    calibrator: { method: 'none' },
    report: {
      iterations: result.iterations,
      converged: result.converged,
      objective: result.value * (objective === 'regression' ? yStd * yStd : 1),
      trainRows: n,
      validRows: valid.length,
      calibration: { method: 'none', cvLogLoss: {} },
      warnings,
      seconds: 0,
    },
  };
  if (!result.converged) warnings.push({ path: 'maxIter', code: 'not_converged', message: `L-BFGS stopped after ${result.iterations} iterations without meeting the tolerance` });
  const calibration = options.calibration ?? (valid.length > 0 ? 'auto' : 'none');
  if (objective === 'binary' && valid.length > 0 && calibration !== 'none' && calibration !== 'temperature') {
    ticker.report({ stage: 'calibrating', iteration: result.iterations, maxIterations: maxIter });
    const model = LinearModel.fromParts(json);
    const scores = model.predictRaw(toTableRows(table, features, valid));
    const chosen = chooseCalibrator(scores, pick(y, valid), calibration, seed);
    json.calibrator = chosen.calibrator;
    json.report.calibration = { method: chosen.calibrator.method, cvLogLoss: chosen.cvLogLoss };
  } else if (calibration !== 'none' && calibration !== 'auto') {
    warnings.push({ path: 'calibration', code: 'not_applied', message: 'calibration needs two classes and validationFraction > 0; none applied' });
  }
  json.report.seconds = (performance.now() - ticker.start) / 1000;
  ticker.report({ stage: 'done', iteration: result.iterations, maxIterations: maxIter });
  return LinearModel.fromParts(json);
}

/** The feature columns of `rows` as a new table. */
function toTableRows(table: Table, features: readonly LinearFeature[], rows: Uint32Array): Table {
  const columns: Record<string, (string | null)[] | Float64Array> = {};
  for (const f of features) {
    const col = getColumn(table, f.name, 'feature column');
    if (f.kind === 'numeric') {
      const v = numericValues(col, f.name);
      columns[f.name] = Float64Array.from(rows, (r) => v[r]!);
    } else {
      const l = categoricalValues(col);
      columns[f.name] = Array.from(rows, (r) => l[r]!);
    }
  }
  return { columns };
}
