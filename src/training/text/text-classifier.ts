/**
 * The text-classification learner: TF-IDF features, softmax regression, temperature scaling.
 * Pure library: data in, a {@link TextModel} out; storage and the CLI live elsewhere.
 */
import { MloopError, type ValidationIssue } from '../../errors/index.js';
import { calibrationReport, fitTemperature, type CalibrationReport } from './calibration.js';
import { checkCancelled, type TrainHooks } from './progress.js';
import {
  DEFAULT_SOFTMAX_OPTIONS,
  softmaxInPlace,
  softmaxLogits,
  trainSoftmax,
  type SoftmaxModel,
  type SoftmaxOptions,
} from './softmax-regression.js';
import {
  DEFAULT_TFIDF_OPTIONS,
  fitTfidf,
  TfidfVectorizer,
  validateTfidfOptions,
  type TfidfAnalyzer,
  type TfidfOptions,
  type TfidfState,
} from './tfidf.js';

/** Settings of {@link trainTextClassifier}; every field is optional. */
export interface TextClassifierOptions {
  /** Feature settings. Default {@link DEFAULT_TFIDF_OPTIONS}. */
  tfidf?: Partial<TfidfOptions>;
  /** Solver settings, merged over {@link DEFAULT_SOFTMAX_OPTIONS}. */
  softmax?: Partial<SoftmaxOptions>;
  /** Held-out rows for temperature scaling. When absent, `holdoutFraction` of the training rows are held out. */
  validation?: { texts: readonly (string | null | undefined)[]; labels: readonly string[] };
  /** Share of each class held out for calibration when `validation` is absent, in [0, 0.5]; 0 skips calibration. Default 0.1. */
  holdoutFraction?: number;
  /** Number of equal-width reliability bins. Default 15. */
  calibrationBins?: number;
}

/** What training found out besides the model. */
export interface TextTrainReport {
  /** Non-fatal problems, one sentence each (for example a class with a single example). */
  warnings: string[];
  /** Rows the model was trained on (after any holdout). */
  trainRows: number;
  /** Rows used for calibration (0 when skipped). */
  calibrationRows: number;
  numFeatures: number;
  epochs: number;
  /** Mean training cross-entropy per epoch. */
  losses: number[];
  converged: boolean;
  /** Worker threads used by the solver (0: the calling thread). */
  workers: number;
  /** Wall-clock seconds per stage. */
  seconds: { vectorize: number; train: number; calibrate: number; total: number };
  /** Temperature scaling on the calibration rows, or null when skipped. */
  calibration: {
    temperature: number;
    /** Accuracy of the top label on the calibration rows. */
    accuracy: number;
    before: CalibrationReport;
    after: CalibrationReport;
  } | null;
}

/** The outcome of {@link trainTextClassifier}. */
export interface TextTrainResult {
  model: TextModel;
  report: TextTrainReport;
}

/** Class probabilities of a batch. */
export interface TextProbabilities {
  /** Class labels in column order (sorted). */
  labels: string[];
  /** Calibrated probabilities, row-major `texts × labels`. */
  probs: Float32Array;
}

/** The top class of one text. */
export interface TextPrediction {
  label: string;
  /** Calibrated probability of `label`. */
  confidence: number;
}

/** A data-only serialisation: a JSON manifest plus named numeric buffers. */
export interface TextModelArtifacts {
  manifest: TextModelManifest;
  buffers: Record<string, Float32Array>;
}

/** The JSON part of {@link TextModelArtifacts}. */
export interface TextModelManifest {
  format: 'mloop.text-classifier';
  version: 1;
  labels: string[];
  temperature: number;
  sublinearTf: boolean;
  blocks: { analyzer: TfidfAnalyzer; ngramRange: [number, number]; terms: string[]; idf: string }[];
  numFeatures: number;
  /** Buffer names of the feature-major weights (`numFeatures × labels`) and the bias. */
  weights: string;
  bias: string;
}

/** A trained text classifier; immutable. */
export class TextModel {
  /** Class labels in column order. */
  readonly labels: string[];
  /** Logits are divided by this before the softmax. */
  readonly temperature: number;
  private readonly vectorizer: TfidfVectorizer;
  private readonly linear: SoftmaxModel;

  constructor(parts: { labels: string[]; temperature: number; tfidf: TfidfState; softmax: SoftmaxModel }) {
    this.labels = parts.labels;
    this.temperature = parts.temperature;
    this.vectorizer = new TfidfVectorizer(parts.tfidf);
    this.linear = parts.softmax;
  }

  /** Number of TF-IDF features. */
  get numFeatures(): number {
    return this.vectorizer.numFeatures;
  }

  /** Uncalibrated logits, row-major `texts × labels`. */
  logits(texts: readonly (string | null | undefined)[]): Float32Array {
    // The rows are consumed at once: the vectorizer's own arrays, no copy (serving predicts one short text at a time).
    return softmaxLogits(this.linear, this.vectorizer.transformTransient(cleanTexts(texts, 'texts')));
  }

  /**
   * Calibrated class probabilities of each text. Missing texts (null, undefined) count as empty.
   *
   * @example
   * const { labels, probs } = model.predictProba(['where is my parcel']);
   */
  predictProba(texts: readonly (string | null | undefined)[]): TextProbabilities {
    const z = this.logits(texts);
    if (this.temperature !== 1) for (let i = 0; i < z.length; i++) z[i]! /= this.temperature;
    return { labels: this.labels, probs: softmaxInPlace(z, this.labels.length) };
  }

  /**
   * An in-scope score per text for out-of-scope rejection: the top uncalibrated logit (higher =
   * more like the training classes). It ranks unseen-intent texts below known ones better than the
   * calibrated top probability, which temperature scaling pulls towards the top-two margin
   * (CLINC150 AUROC 0.952 against 0.942, bench/RESULTS.md). Choose its threshold with the
   * evaluation concept's `chooseRejectionThreshold` on validation rows that include unseen intents.
   */
  inScopeScores(texts: readonly (string | null | undefined)[]): Float64Array {
    const z = this.logits(texts);
    const k = this.labels.length;
    const out = new Float64Array(z.length / k);
    for (let r = 0; r < out.length; r++) {
      let best = z[r * k]!;
      for (let c = 1; c < k; c++) if (z[r * k + c]! > best) best = z[r * k + c]!;
      out[r] = best;
    }
    return out;
  }

  /**
   * Calibrated probabilities and the {@link inScopeScores} of the same texts from one pass (one
   * vectorisation): what out-of-scope rejection needs at serving time.
   */
  predictProbaWithInScope(texts: readonly (string | null | undefined)[]): TextProbabilities & { inScope: Float64Array } {
    const z = this.logits(texts);
    const k = this.labels.length;
    const inScope = new Float64Array(z.length / k);
    for (let r = 0; r < inScope.length; r++) {
      let best = z[r * k]!;
      for (let c = 1; c < k; c++) if (z[r * k + c]! > best) best = z[r * k + c]!;
      inScope[r] = best;
    }
    if (this.temperature !== 1) for (let i = 0; i < z.length; i++) z[i]! /= this.temperature;
    return { labels: this.labels, probs: softmaxInPlace(z, k), inScope };
  }

  /** The top class and its calibrated probability for each text. */
  predict(texts: readonly (string | null | undefined)[]): TextPrediction[] {
    const { probs } = this.predictProba(texts);
    const k = this.labels.length;
    const out: TextPrediction[] = [];
    for (let o = 0; o < probs.length; o += k) {
      let best = 0;
      for (let c = 1; c < k; c++) if ((probs[o + c] as number) > (probs[o + best] as number)) best = c;
      out.push({ label: this.labels[best] as string, confidence: probs[o + best] as number });
    }
    return out;
  }

  /** The model as data: a JSON manifest and Float32 buffers (no code). */
  toArtifacts(): TextModelArtifacts {
    const buffers: Record<string, Float32Array> = { weights: this.linear.weights, bias: this.linear.bias };
    const blocks = this.vectorizer.state.blocks.map((b, i) => {
      buffers[`idf.${i}`] = b.idf;
      return { analyzer: b.analyzer, ngramRange: b.ngramRange, terms: b.terms, idf: `idf.${i}` };
    });
    return {
      manifest: {
        format: 'mloop.text-classifier',
        version: 1,
        labels: this.labels,
        temperature: this.temperature,
        sublinearTf: this.vectorizer.state.sublinearTf,
        blocks,
        numFeatures: this.numFeatures,
        weights: 'weights',
        bias: 'bias',
      },
      buffers,
    };
  }

  /** Rebuilds a model from {@link toArtifacts} output, checking every field. Throws `INVALID_ARGUMENT` when malformed. */
  static fromArtifacts(artifacts: TextModelArtifacts): TextModel {
    const bad = (what: string): MloopError => MloopError.invalidArgument(`invalid text model artifacts: ${what}`);
    const m = artifacts.manifest as Partial<TextModelManifest> | undefined;
    const buffers = artifacts.buffers as Record<string, unknown> | undefined;
    if (typeof m !== 'object' || m === null || typeof buffers !== 'object' || buffers === null)
      throw bad('manifest and buffers are required');
    if (m.format !== 'mloop.text-classifier' || m.version !== 1)
      throw bad(`unsupported format ${String(m.format)} version ${String(m.version)}`);
    const buffer = (name: unknown, length: number): Float32Array => {
      const b = typeof name === 'string' && Object.hasOwn(buffers, name) ? buffers[name] : undefined;
      if (!(b instanceof Float32Array) || b.length !== length)
        throw bad(`buffer '${String(name)}' must be a Float32Array of length ${length}`);
      for (const v of b) if (!Number.isFinite(v)) throw bad(`buffer '${String(name)}' holds a non-finite value`);
      return b;
    };
    const labels = m.labels;
    if (
      !Array.isArray(labels) ||
      labels.length < 2 ||
      !labels.every((l) => typeof l === 'string') ||
      new Set(labels).size !== labels.length
    ) {
      throw bad('labels must be at least 2 distinct strings');
    }
    if (typeof m.temperature !== 'number' || !(m.temperature > 0) || !Number.isFinite(m.temperature))
      throw bad('temperature must be a positive number');
    if (typeof m.sublinearTf !== 'boolean') throw bad('sublinearTf must be a boolean');
    if (!Array.isArray(m.blocks) || m.blocks.length === 0) throw bad('blocks must be a non-empty array');
    let numFeatures = 0;
    const blocks = m.blocks.map((b, i) => {
      if (typeof b !== 'object' || b === null) throw bad(`block ${i} is not an object`);
      if (!Array.isArray(b.terms) || !b.terms.every((t) => typeof t === 'string')) throw bad(`block ${i} terms must be strings`);
      const range = b.ngramRange;
      if (!Array.isArray(range) || range.length !== 2) throw bad(`block ${i} ngramRange must be [min, max]`);
      try {
        validateTfidfOptions({
          blocks: [{ analyzer: b.analyzer, ngramRange: [range[0], range[1]], minDf: 1 }],
          sublinearTf: true,
        });
      } catch (err) {
        throw bad(`block ${i}: ${(err as Error).message}`);
      }
      numFeatures += b.terms.length;
      return {
        analyzer: b.analyzer,
        ngramRange: [range[0], range[1]] as [number, number],
        terms: b.terms,
        idf: buffer(b.idf, b.terms.length),
      };
    });
    if (m.numFeatures !== numFeatures)
      throw bad(`numFeatures ${String(m.numFeatures)} does not match the vocabularies (${numFeatures})`);
    const weights = buffer(m.weights, numFeatures * labels.length);
    const bias = buffer(m.bias, labels.length);
    return new TextModel({
      labels: [...labels],
      temperature: m.temperature,
      tfidf: { sublinearTf: m.sublinearTf, blocks },
      softmax: { numFeatures, numClasses: labels.length, weights, bias },
    });
  }
}

/** Missing texts (null/undefined) become ''; anything else that is not a string is an error. */
function cleanTexts(texts: readonly unknown[], what: string): string[] {
  if (!Array.isArray(texts)) throw MloopError.invalidArgument(`${what} must be an array of strings`);
  return texts.map((t, i) => {
    if (t === null || t === undefined) return '';
    if (typeof t !== 'string') throw MloopError.invalidArgument(`${what}[${i}] must be a string, got ${typeof t}`);
    return t;
  });
}

/** mulberry32, for the holdout split. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per class, holds out floor(fraction · count) rows chosen by `seed`; classes with one row stay whole. */
function stratifiedHoldout(y: Int32Array, k: number, fraction: number, seed: number): boolean[] {
  const byClass: number[][] = Array.from({ length: k }, () => []);
  y.forEach((c, i) => byClass[c]!.push(i));
  const random = seededRandom(seed ^ 0x5bd1e995);
  const held = new Array<boolean>(y.length).fill(false);
  for (const rows of byClass) {
    const take = Math.floor(rows.length * fraction);
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random() * (rows.length - i));
      const t = rows[i] as number;
      rows[i] = rows[j] as number;
      rows[j] = t;
      held[rows[i] as number] = true;
    }
  }
  return held;
}

const MAX_LISTED = 5;

function validateTraining(
  texts: readonly unknown[],
  labels: readonly unknown[],
): { texts: string[]; labels: string[]; missing: number } {
  if (!Array.isArray(texts) || !Array.isArray(labels)) throw MloopError.invalidArgument('texts and labels must be arrays');
  if (texts.length !== labels.length) throw MloopError.invalidArgument(`got ${texts.length} texts but ${labels.length} labels`);
  const issues: ValidationIssue[] = [];
  let missing = 0;
  const clean: string[] = [];
  texts.forEach((t, i) => {
    if (t === null || t === undefined || (typeof t === 'string' && t.trim() === '')) {
      missing++;
      clean.push('');
    } else if (typeof t !== 'string') {
      issues.push({ path: `texts.${i}`, code: 'invalid_type', message: `text ${i} must be a string, got ${typeof t}` });
      clean.push('');
    } else clean.push(t);
  });
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l === '')
      issues.push({ path: `labels.${i}`, code: 'missing_label', message: `label ${i} must be a non-empty string` });
  });
  if (issues.length > 0) {
    const shown = issues
      .slice(0, MAX_LISTED)
      .map((x) => x.message)
      .join('; ');
    throw MloopError.validation(
      `training data is invalid: ${shown}${issues.length > MAX_LISTED ? ` (and ${issues.length - MAX_LISTED} more)` : ''}`,
      issues,
    );
  }
  if (texts.length > 0 && missing === texts.length)
    throw MloopError.invalidArgument(`all ${texts.length} training texts are empty or missing`);
  return { texts: clean, labels: labels as string[], missing };
}

/**
 * Trains a text classifier: TF-IDF (word 1–2-grams and char_wb 2–5-grams by default), softmax
 * regression, then temperature scaling on validation rows. Deterministic for a given
 * `softmax.seed` whatever the number of worker threads.
 *
 * @throws MloopError INVALID_ARGUMENT for bad data or options; CANCELLED when cancelled.
 * @example
 * const { model, report } = await trainTextClassifier(texts, labels, { softmax: { seed: 1 } }, {
 *   onProgress: (p) => console.log(p.stage, p.done, p.total),
 *   signal: AbortSignal.timeout(60_000),
 * });
 * model.predict(['I forgot my password']); // [{ label: 'password_reset', confidence: 0.97 }]
 */
export async function trainTextClassifier(
  texts: readonly (string | null | undefined)[],
  labels: readonly string[],
  options: TextClassifierOptions = {},
  hooks: TrainHooks = {},
): Promise<TextTrainResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const data = validateTraining(texts, labels);
  const softmaxOptions: SoftmaxOptions = { ...DEFAULT_SOFTMAX_OPTIONS, ...options.softmax };
  // A partial setting (say, only other blocks) keeps the defaults for the rest, so the model always loads.
  const tfidfOptions: TfidfOptions = { ...DEFAULT_TFIDF_OPTIONS, ...options.tfidf };
  const holdoutFraction = options.holdoutFraction ?? 0.1;
  const bins = options.calibrationBins ?? 15;
  if (!(holdoutFraction >= 0 && holdoutFraction <= 0.5))
    throw MloopError.invalidArgument(`holdoutFraction must be in [0, 0.5], got ${holdoutFraction}`);
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000)
    throw MloopError.invalidArgument(`calibrationBins must be an integer in [1, 1000], got ${bins}`);
  validateTfidfOptions(tfidfOptions);
  checkCancelled(hooks.signal);

  const classes = [...new Set(data.labels)].sort();
  if (classes.length < 2) {
    throw MloopError.invalidArgument(
      `training needs at least 2 classes, found ${classes.length}${classes.length === 1 ? ` ('${classes[0]}')` : ''}`,
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(data.labels, (l) => index.get(l) as number);
  const counts = new Int32Array(classes.length);
  for (const c of y) counts[c]! += 1;
  const singles = classes.filter((_, c) => counts[c] === 1);
  if (singles.length > 0) {
    warnings.push(
      `${singles.length} class(es) have a single example and will be hard to learn: ${singles.slice(0, MAX_LISTED).join(', ')}${singles.length > MAX_LISTED ? ', …' : ''}`,
    );
  }
  if (data.missing > 0) warnings.push(`${data.missing} training text(s) are empty or missing and were kept as empty documents`);

  // Calibration rows: the caller's validation set, or a stratified holdout.
  let trainTexts = data.texts;
  let trainY = y;
  let calTexts: string[] = [];
  let calY = new Int32Array(0);
  if (options.validation !== undefined) {
    const v = options.validation;
    if (!Array.isArray(v.texts) || !Array.isArray(v.labels) || v.texts.length !== v.labels.length) {
      throw MloopError.invalidArgument('validation.texts and validation.labels must be arrays of equal length');
    }
    const vt = cleanTexts(v.texts, 'validation.texts');
    const keep: number[] = [];
    v.labels.forEach((l, i) => {
      if (index.has(l)) keep.push(i);
    });
    if (keep.length < v.labels.length)
      warnings.push(`${v.labels.length - keep.length} validation row(s) have labels not seen in training and were ignored`);
    calTexts = keep.map((i) => vt[i] as string);
    calY = Int32Array.from(keep, (i) => index.get(v.labels[i] as string) as number);
  } else if (holdoutFraction > 0) {
    const held = stratifiedHoldout(y, classes.length, holdoutFraction, softmaxOptions.seed);
    const tr: number[] = [];
    const cal: number[] = [];
    held.forEach((h, i) => (h ? cal : tr).push(i));
    if (cal.length > 0) {
      trainTexts = tr.map((i) => data.texts[i] as string);
      trainY = Int32Array.from(tr, (i) => y[i] as number);
      calTexts = cal.map((i) => data.texts[i] as string);
      calY = Int32Array.from(cal, (i) => y[i] as number);
    }
  }
  if (calY.length === 0) warnings.push('no calibration rows: probabilities are not temperature-scaled');

  const t0 = performance.now();
  const { state, matrix } = fitTfidf(trainTexts, tfidfOptions, hooks);
  if (matrix.cols === 0) {
    throw MloopError.invalidArgument('no feature is frequent enough: every n-gram is rarer than minDf', {
      hint: 'lower tfidf minDf or provide more training texts',
    });
  }
  const t1 = performance.now();
  const fit = await trainSoftmax(matrix, trainY, classes.length, softmaxOptions, hooks);
  const t2 = performance.now();

  let temperature = 1;
  let calibration: TextTrainReport['calibration'] = null;
  if (calY.length > 0) {
    hooks.onProgress?.({ stage: 'calibrate', done: 0, total: 1 });
    checkCancelled(hooks.signal);
    const uncalibrated = new TextModel({ labels: classes, temperature: 1, tfidf: state, softmax: fit.model });
    const z = uncalibrated.logits(calTexts);
    temperature = fitTemperature(z, calY, classes.length);
    const before = calibrationReport(z, calY, classes.length, 1, bins);
    const after = calibrationReport(z, calY, classes.length, temperature, bins);
    const accuracy = after.bins.reduce((s, b) => s + b.accuracy * b.count, 0) / calY.length;
    calibration = { temperature, accuracy, before, after };
    hooks.onProgress?.({ stage: 'calibrate', done: 1, total: 1 });
  }
  const t3 = performance.now();
  const model = new TextModel({ labels: classes, temperature, tfidf: state, softmax: fit.model });
  return {
    model,
    report: {
      warnings,
      trainRows: trainTexts.length,
      calibrationRows: calY.length,
      numFeatures: matrix.cols,
      epochs: fit.epochs,
      losses: fit.losses,
      converged: fit.converged,
      workers: fit.workers,
      seconds: {
        vectorize: (t1 - t0) / 1000,
        train: (t2 - t1) / 1000,
        calibrate: (t3 - t2) / 1000,
        total: (t3 - started) / 1000,
      },
      calibration,
    },
  };
}
