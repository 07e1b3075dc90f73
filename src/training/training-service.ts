/**
 * `mloop train`: from a dataset version to a registered, calibrated model version with its
 * validation metrics and, when asked, the threshold for automation at a target precision.
 */
import { MLOOP_VERSION } from '../config/index.js';
import { readColumns, type ColumnData, type DatasetService, type DatasetVersion } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import {
  automationAt,
  chooseRejectionThreshold,
  chooseThreshold,
  evaluateClassification,
  evaluateRegression,
  REJECTION_RULES,
  subset,
  type ClassificationData,
  type RejectionChoice,
  type RejectionRule,
  type ThresholdChoice,
  type ThresholdMethod,
} from '../evaluation/index.js';
import { TASKS, type ModelVersion, type RegistryService, type Task, type VersionFile } from '../registry/index.js';
import { mulberry32 } from '../stats/index.js';
import { checkGrid, crossValidatedSearch, DEFAULT_GRIDS, type ParamGrid, type SearchResult } from './hyperparameter-search.js';
import { checkLearnerParams } from './learner-params.js';
import { DEFAULT_LEARNER, getLearner, predictWithInScope, type ColumnBatch, type InScopeScore, type InputSpec, type Predictor, type TrainHooks } from './predictor.js';

/** Out-of-scope rejection chosen at training time (`mloop train --oos-label`). */
export interface OutOfScopeRequest {
  /**
   * The label of out-of-scope rows (say `oos`): left out of training, kept in the validation data
   * as out of scope. Without it, validation labels never seen in training are the out-of-scope rows.
   */
  label?: string;
  /** How the threshold is chosen on validation data; default `min-in-scope-accuracy` when `minInScopeAccuracy` is set, else `balanced`. */
  rule?: RejectionRule;
  /** The in-scope accuracy with rejection to keep on validation data (rule `min-in-scope-accuracy`), in (0, 1]. */
  minInScopeAccuracy?: number;
}

/**
 * The rejection threshold stored with a model version (`record.thresholds.out_of_scope`): rows
 * whose in-scope `score` is below `threshold` are out of scope (serving sends them to review).
 */
export interface StoredOutOfScope {
  /** The out-of-scope label named at training, or null when unseen labels were out of scope. */
  label: string | null;
  /** The score the threshold applies to: `max_logit` for text models, else `max_probability`. */
  score: InScopeScore;
  /** How the threshold was chosen on validation data. */
  rule: RejectionRule;
  /** The in-scope accuracy floor of rule `min-in-scope-accuracy`, else null. */
  min_in_scope_accuracy: number | null;
  /** False when no threshold kept the stated in-scope accuracy (then nothing is rejected). */
  achievable: boolean;
  /** Reject below this score; null rejects nothing. */
  threshold: number | null;
  /** On the validation rows at the threshold. */
  validation: { in_scope_accuracy: number; out_of_scope_recall: number; in_scope: number; out_of_scope: number };
}

/** A version's stored out-of-scope rejection (`record.thresholds.out_of_scope`), or null when it has none or it is malformed. */
export function storedOutOfScope(thresholds: Record<string, unknown> | undefined): StoredOutOfScope | null {
  const o = thresholds?.['out_of_scope'] as Partial<StoredOutOfScope> | undefined;
  if (typeof o !== 'object' || o === null) return null;
  if (o.score !== 'max_logit' && o.score !== 'max_probability') return null;
  if (o.threshold !== null && !(typeof o.threshold === 'number' && Number.isFinite(o.threshold))) return null;
  return o as StoredOutOfScope;
}

export interface TrainRequest {
  /** Training data, `name@N`. */
  dataset: string;
  /** Model name to register under. */
  name: string;
  label?: string;
  text?: string;
  features?: string[];
  task?: Task;
  learner?: string;
  params?: Record<string, unknown>;
  seed?: number;
  /** Validation data, `name@N`; default: a seeded (stratified) holdout of `validationFraction`. */
  validation?: string;
  validationFraction?: number;
  targetPrecision?: number;
  thresholdMethod?: ThresholdMethod;
  /** Use columns marked sensitive as features (off unless asked). */
  allowSensitive?: boolean;
  /**
   * Choose learner parameters by k-fold cross-validation on the training rows before the final fit:
   * `grid` (default {@link DEFAULT_GRIDS} for the learner) over `folds` folds (default 3).
   */
  search?: { grid?: ParamGrid; folds?: number };
  /** Registry run key: a retried training run (same key) yields the version it made before, not another. */
  runKey?: string;
  /** Choose and store an out-of-scope rejection threshold on validation data (classification). */
  outOfScope?: OutOfScopeRequest;
  actor: string;
}

export interface TrainResult {
  version: ModelVersion;
  task: Task;
  learner: string;
  metrics: Record<string, number>;
  trainSeconds: number;
  rows: { train: number; validation: number; droppedMissingLabel: number };
  threshold: ThresholdChoice | null;
  /** The out-of-scope rejection chosen on validation data, when asked for. */
  outOfScope: (RejectionChoice & { label: string | null; score: InScopeScore }) | null;
  warnings: string[];
  /** The cross-validated search, when asked for. */
  search: SearchResult | null;
}

const NUMERIC = new Set(['numeric', 'integer', 'boolean']);
const MAX_STORED_VALIDATION = 100_000;

interface Plan {
  task: Task;
  label: string;
  inputs: InputSpec[];
  warnings: string[];
}

/** Decides task, label and inputs from the request and the dataset's schema and roles. */
export function planColumns(v: DatasetVersion, req: Pick<TrainRequest, 'label' | 'text' | 'features' | 'task' | 'allowSensitive'>): Plan {
  const byName = new Map(v.schema.map((c) => [c.name, c]));
  const columnsHint = `columns of ${v.ref}: ${v.schema.map((c) => c.name).join(', ')}`;
  const need = (name: string, what: string) => {
    const c = byName.get(name);
    if (!c) throw MloopError.notFound(`${what} column`, name, { hint: columnsHint });
    return c;
  };
  const label = req.label ?? v.schema.find((c) => c.roles.includes('label'))?.name;
  if (label === undefined) throw MloopError.invalidArgument(`name the label column with --label (${columnsHint})`);
  const labelCol = need(label, 'label');
  if (req.task !== undefined && !TASKS.includes(req.task)) throw MloopError.invalidArgument(`unknown task '${req.task}'; valid tasks: ${TASKS.join(', ')}`);
  const textName =
    req.text ??
    (req.task === undefined || req.task === 'text-classification'
      ? (v.schema.find((c) => c.roles.includes('text')) ?? (req.task === 'text-classification' ? v.schema.find((c) => c.type === 'text' && c.name !== label) : undefined))?.name
      : undefined);
  const task: Task = req.task ?? (textName !== undefined ? 'text-classification' : labelCol.type === 'numeric' ? 'regression' : 'tabular-classification');
  const warnings: string[] = [];
  if (task === 'text-classification') {
    if (textName === undefined) throw MloopError.invalidArgument(`name the text column with --text (${columnsHint})`);
    need(textName, 'text');
    if (textName === label) throw MloopError.invalidArgument('the text column and the label column must differ');
    return { task, label, inputs: [{ name: textName, kind: 'text' }], warnings };
  }
  const explicit = req.features !== undefined;
  const candidates = explicit ? req.features! : v.schema.map((c) => c.name).filter((n) => n !== label);
  const inputs: InputSpec[] = [];
  for (const name of candidates) {
    const c = need(name, 'feature');
    if (name === label) throw MloopError.invalidArgument(`the label '${label}' cannot also be a feature`);
    if (c.roles.includes('sensitive') && !req.allowSensitive) {
      if (explicit) throw MloopError.invalidArgument(`'${name}' is marked sensitive; pass --allow-sensitive to use it as a feature`);
      warnings.push(`'${name}' is sensitive and kept out of the features (kept for fairness audits)`);
      continue;
    }
    if (!explicit && (c.roles.includes('id') || c.roles.includes('time') || c.type === 'id' || c.type === 'datetime' || c.type === 'text')) {
      warnings.push(`'${name}' (${c.roles.includes('id') || c.type === 'id' ? 'id' : c.type === 'datetime' || c.roles.includes('time') ? 'time' : 'free text'}) is not used as a feature`);
      continue;
    }
    inputs.push({ name, kind: NUMERIC.has(c.type) ? 'numeric' : 'categorical' });
  }
  if (inputs.length === 0) throw MloopError.invalidArgument(`no usable feature columns in ${v.ref}; name them with --features`);
  return { task, label, inputs, warnings };
}

/** The input columns of `rows` as a learner batch. */
export function batchOf(columns: Record<string, ColumnData>, inputs: readonly InputSpec[], rows: readonly number[]): ColumnBatch {
  const batch: ColumnBatch = {};
  for (const input of inputs) {
    const c = columns[input.name]!;
    if (c.kind === 'numeric') batch[input.name] = input.kind === 'numeric' ? Float64Array.from(rows, (i) => c.values[i]!) : rows.map((i) => (Number.isNaN(c.values[i]!) ? null : String(c.values[i])));
    else batch[input.name] = rows.map((i) => c.values[i] ?? null);
  }
  return batch;
}

/** Seeded holdout: per class for classification (classes with one row stay in training), else random. */
export function holdout(labels: ReadonlyArray<string | number>, fraction: number, seed: number, stratify: boolean): { train: number[]; validation: number[] } {
  const rand = mulberry32(seed);
  const groups = new Map<string | number, number[]>();
  labels.forEach((l, i) => {
    const key = stratify ? l : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  });
  const train: number[] = [];
  const validation: number[] = [];
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const take = rows.length < 2 ? 0 : Math.max(1, Math.round(rows.length * fraction));
    validation.push(...rows.slice(0, take));
    train.push(...rows.slice(take));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

/** Builds evaluation input from a predictor's probabilities; unknown true labels become -1 (out of scope). */
export function classificationData(classes: readonly string[], truth: ReadonlyArray<string>, proba: Float64Array): ClassificationData {
  const k = classes.length;
  const index = new Map(classes.map((c, i) => [c, i]));
  const n = truth.length;
  const yPred = new Int32Array(n);
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    yPred[i] = best;
    confidence[i] = proba[i * k + best]!;
  }
  return { classes, yTrue: Int32Array.from(truth, (t) => index.get(t) ?? -1), yPred, confidence, proba };
}

/** CANCELLED (with `details.cancelled`) when `signal` is aborted. */
function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new MloopError('CANCELLED', 'training was cancelled', { details: { cancelled: true }, cause: signal.reason });
}

function headline(metrics: Record<string, { value: number }>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, e]) => Number.isFinite(e.value)).map(([k, e]) => [k, e.value]));
}

/**
 * Trains and registers a model version.
 *
 * @example
 * const r = await trainModel({ datasets, registry }, { dataset: 'tickets@1', name: 'support', label: 'intent', text: 'text', targetPrecision: 0.97, actor: 'alice' });
 */
export async function trainModel(deps: { datasets: DatasetService; registry: RegistryService }, req: TrainRequest, hooks: TrainHooks = {}): Promise<TrainResult> {
  const started = performance.now();
  const seed = req.seed ?? 42;
  const fraction = req.validationFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 0.9)) throw MloopError.invalidArgument(`--validation-fraction must be between 0 and 0.9, got ${fraction}`);
  throwIfCancelled(hooks.signal);
  const version = await deps.datasets.show(req.dataset);
  const plan = planColumns(version, req);
  const learnerId = req.learner ?? DEFAULT_LEARNER[plan.task];
  const learner = getLearner(learnerId, plan.task);
  checkLearnerParams(learnerId, req.params, req.search?.grid);
  const warnings = [...plan.warnings];
  hooks.onProgress?.({ stage: 'reading', done: 0, total: 1 });
  // A boolean class label is read as text, so its classes are true/false, not 1/0.
  const asText = { labels: plan.task === 'regression' ? [] : [plan.label] };
  const read = await readColumns(deps.datasets, version.ref, [plan.label, ...plan.inputs.map((i) => i.name)], asText);
  const classification = plan.task !== 'regression';

  const labelsOf = (data: Record<string, ColumnData>, n: number) => {
    const col = data[plan.label]!;
    const keep: number[] = [];
    const values: Array<string | number> = [];
    for (let i = 0; i < n; i++) {
      const v = col.values[i];
      const missing = v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === '';
      if (missing) continue;
      if (!classification && typeof v === 'number' && !Number.isFinite(v)) continue;
      keep.push(i);
      values.push(classification ? String(v) : Number(v));
    }
    return { keep, values };
  };
  const oos = req.outOfScope;
  const oosLabel = oos?.label;
  if (oos !== undefined) checkOutOfScope(oos, classification);
  const all = labelsOf(read.columns, read.rows);
  const dropped = read.rows - all.keep.length;
  if (dropped > 0) warnings.push(`${dropped} rows without a label were left out`);
  if (classification) {
    const classes = new Set(all.values);
    if (oosLabel !== undefined) classes.delete(oosLabel);
    if (classes.size < 2) throw MloopError.invalidArgument(`the label column '${plan.label}' has ${classes.size === 0 ? 'no values' : `one class only (${[...classes][0]})`}: a classifier needs at least two`);
  }

  let trainRows: number[];
  let valBatch: ColumnBatch;
  let valLabels: Array<string | number>;
  let valRef: string;
  if (req.validation !== undefined) {
    const vv = await deps.datasets.show(req.validation);
    const vread = await readColumns(deps.datasets, vv.ref, [plan.label, ...plan.inputs.map((i) => i.name)], asText);
    const vl = labelsOf(vread.columns, vread.rows);
    if (vl.keep.length === 0) throw MloopError.invalidArgument(`validation data ${vv.ref} has no labelled rows`);
    trainRows = all.keep;
    valBatch = batchOf(vread.columns, plan.inputs, vl.keep);
    valLabels = vl.values;
    valRef = vv.ref;
  } else {
    if (all.keep.length < 10) throw MloopError.invalidArgument(`${version.ref} has ${all.keep.length} labelled rows: too few to hold out validation data (need at least 10)`);
    const split = holdout(all.values, fraction, seed, classification);
    if (split.validation.length === 0) throw MloopError.invalidArgument(`${version.ref} is too small to hold out validation data`);
    trainRows = split.train.map((i) => all.keep[i]!);
    valBatch = batchOf(read.columns, plan.inputs, split.validation.map((i) => all.keep[i]!));
    valLabels = split.validation.map((i) => all.values[i]!);
    valRef = `${version.ref} (seeded holdout ${fraction})`;
  }
  const trainIndex = new Map(all.keep.map((row, j) => [row, j]));
  if (oosLabel !== undefined) {
    // Out-of-scope rows teach the model nothing it should predict: they only choose the threshold.
    const before = trainRows.length;
    trainRows = trainRows.filter((r) => all.values[trainIndex.get(r)!] !== oosLabel);
    if (trainRows.length < before) warnings.push(`${before - trainRows.length} training rows labelled '${oosLabel}' (out of scope) were left out of training`);
  }
  const trainLabels = trainRows.map((r) => all.values[trainIndex.get(r)!]!);
  if (classification) {
    const counts = new Map<string, number>();
    for (const l of trainLabels) counts.set(String(l), (counts.get(String(l)) ?? 0) + 1);
    const single = [...counts].filter(([, c]) => c === 1).map(([l]) => l);
    if (single.length > 0) warnings.push(`classes with a single training example (the model will rarely predict them): ${single.slice(0, 10).join(', ')}`);
  }

  if (oos !== undefined) {
    // Checked before training: the threshold needs out-of-scope validation rows.
    const known = new Set(trainLabels.map(String));
    if (!valLabels.some((l) => !known.has(String(l)))) {
      throw MloopError.invalidArgument(
        oosLabel === undefined
          ? 'the validation data has no out-of-scope rows (labels unseen in training) to choose the rejection threshold on'
          : `the validation data has no rows labelled '${oosLabel}' to choose the rejection threshold on`,
        { hint: oosLabel === undefined ? 'name the out-of-scope label with --oos-label, or give --validation data holding unseen labels' : `check the label's spelling, or give --validation data with '${oosLabel}' rows` },
      );
    }
  }
  const fitLabels = classification ? trainLabels.map(String) : Float64Array.from(trainLabels as number[]);
  let search: SearchResult | null = null;
  if (req.search !== undefined) {
    const defaultGrid = Object.hasOwn(DEFAULT_GRIDS, learnerId) ? DEFAULT_GRIDS[learnerId] : undefined;
    if (req.search.grid === undefined && defaultGrid === undefined) throw MloopError.invalidArgument(`learner '${learnerId}' has no default search grid; give one with --grid`);
    const grid = checkGrid(req.search.grid ?? defaultGrid, 'the search grid');
    search = await crossValidatedSearch(
      {
        task: plan.task,
        labels: fitLabels,
        batchOf: (rows) => batchOf(read.columns, plan.inputs, rows.map((j) => trainRows[j]!)),
        params: req.params ?? {},
        grid,
        folds: req.search.folds ?? 3,
        seed,
        train: (batch, labels, n, params, h) => learner.train({ task: plan.task, inputs: plan.inputs, label: plan.label, train: { batch, labels, n }, params, seed }, h),
      },
      hooks,
    );
  }
  const params = search?.params ?? req.params ?? {};

  const predictor: Predictor = await learner.train(
    {
      task: plan.task,
      inputs: plan.inputs,
      label: plan.label,
      train: { batch: batchOf(read.columns, plan.inputs, trainRows), labels: fitLabels, n: trainRows.length },
      ...(classification ? { validation: learnerValidation(valBatch, valLabels.map(String), oos === undefined ? null : new Set(fitLabels as string[])) } : {}),
      params,
      seed,
    },
    hooks,
  );
  const learnerWarnings = (predictor.report['warnings'] as unknown[] | undefined) ?? [];
  for (const w of learnerWarnings) warnings.push(typeof w === 'string' ? w : ((w as { message?: string }).message ?? JSON.stringify(w)));

  hooks.onProgress?.({ stage: 'evaluating', done: 0, total: 1 });
  const nVal = valLabels.length;
  let metrics: Record<string, number>;
  let threshold: ThresholdChoice | null = null;
  let outOfScope: TrainResult['outOfScope'] = null;
  let details: Record<string, unknown>;
  const files: VersionFile[] = predictor.toFiles();
  if (classification && oos !== undefined) {
    const scored = predictWithInScope(predictor, valBatch, nVal);
    const data = classificationData(predictor.classes!, valLabels.map(String), scored.proba);
    const inRows: number[] = [];
    data.yTrue.forEach((t, i) => {
      if (t >= 0) inRows.push(i);
    });
    const rule = oos.rule ?? (oos.minInScopeAccuracy === undefined ? 'balanced' : 'min-in-scope-accuracy');
    const choice = chooseRejectionThreshold({ ...data, confidence: scored.inScope }, { rule, ...(oos.minInScopeAccuracy === undefined ? {} : { minInScopeAccuracy: oos.minInScopeAccuracy }) });
    outOfScope = { ...choice, label: oosLabel ?? null, score: scored.score };
    if (!choice.achievable) warnings.push(`out of scope: ${choice.message}`);
    const accepted = (i: number) => scored.inScope[i]! >= choice.threshold;
    // Automation is decided on the rows the rejection lets through (an out-of-scope row among them is an error).
    if (req.targetPrecision !== undefined) {
      const kept = [...Array(nVal).keys()].filter(accepted);
      threshold = chooseThreshold(subset(data, kept), req.targetPrecision, req.thresholdMethod ? { method: req.thresholdMethod } : {});
    }
    const report = evaluateClassification(subset(data, inRows), { replicates: 300, seed });
    metrics = { ...headline(report.metrics), oos_in_scope_accuracy: choice.validation.inScopeAccuracy, oos_recall: choice.validation.outOfScopeRecall };
    const automation = threshold?.achievable
      ? automationAt(data, threshold.threshold, { replicates: 300, seed, rowThresholds: Float64Array.from({ length: nVal }, (_, i) => (accepted(i) ? threshold!.threshold : Infinity)) })
      : null;
    details = { intervals: report.metrics, reliability: report.reliability, automation, out_of_scope: { rule: choice.rule, message: choice.message, validation: choice.validation } };
    files.push(validationFile(data, valLabels.map(String), seed, scored.inScope));
  } else if (classification) {
    const data = classificationData(predictor.classes!, valLabels.map(String), predictor.predictProba(valBatch, nVal));
    if (req.targetPrecision !== undefined) threshold = chooseThreshold(data, req.targetPrecision, req.thresholdMethod ? { method: req.thresholdMethod } : {});
    const report = evaluateClassification(data, { replicates: 300, seed, ...(threshold?.achievable ? { threshold: threshold.threshold } : {}) });
    metrics = headline(report.metrics);
    details = { intervals: report.metrics, reliability: report.reliability, automation: report.automation ?? null };
    files.push(validationFile(data, valLabels.map(String), seed));
  } else {
    const report = evaluateRegression({ yTrue: Float64Array.from(valLabels as number[]), yPred: predictor.predictValues(valBatch, nVal) }, { replicates: 300, seed });
    metrics = headline(report.metrics);
    details = { intervals: report.metrics };
  }
  // A run cancelled after the learner finished still registers nothing.
  throwIfCancelled(hooks.signal);
  const trainSeconds = (performance.now() - started) / 1000;
  const registered = await deps.registry.registerVersion(req.actor, {
    model: req.name,
    task: plan.task,
    ...(req.runKey === undefined ? {} : { runKey: req.runKey }),
    record: {
      datasets: [version.ref],
      evaluationDataset: valRef,
      inputSchema: plan.inputs.map((i) => ({ name: i.name, type: i.kind })),
      label: plan.label,
      ...(predictor.classes ? { classes: [...predictor.classes] } : {}),
      learner: learnerId,
      params,
      seed,
      codeVersion: `mloop ${MLOOP_VERSION}`,
      metrics,
      ...(threshold || outOfScope
        ? {
            thresholds: {
              ...(threshold
                ? {
                    target_precision: threshold.targetPrecision,
                    method: threshold.method,
                    achievable: threshold.achievable,
                    confidence: threshold.achievable ? threshold.threshold : null,
                    validation: threshold.validation,
                    ...(threshold.bestAchievable ? { best_achievable: threshold.bestAchievable } : {}),
                  }
                : {}),
              ...(outOfScope ? { out_of_scope: toStoredOutOfScope(outOfScope) } : {}),
            },
          }
        : {}),
      trainSeconds,
      extra: {
        warnings,
        rows: { train: trainRows.length, validation: nVal },
        validation: details,
        learner_report: predictor.report,
        ...(search ? { search: { metric: search.metric, folds: search.folds, best: search.best, candidates: search.candidates, seconds: search.seconds } } : {}),
      },
    },
    files,
  });
  return {
    version: registered.version,
    task: plan.task,
    learner: learnerId,
    metrics,
    trainSeconds,
    rows: { train: trainRows.length, validation: nVal, droppedMissingLabel: dropped },
    threshold,
    outOfScope,
    warnings,
    search,
  };
}

function checkOutOfScope(oos: OutOfScopeRequest, classification: boolean): void {
  if (!classification) throw MloopError.invalidArgument('out-of-scope rejection needs a classifier, not a regression model');
  if (oos.label !== undefined && (typeof oos.label !== 'string' || oos.label === '')) throw MloopError.invalidArgument('the out-of-scope label must be a non-empty string');
  if (oos.rule !== undefined && !REJECTION_RULES.includes(oos.rule)) {
    throw MloopError.invalidArgument(`unknown rejection rule '${String(oos.rule)}'; known rules: ${REJECTION_RULES.join(', ')}`);
  }
  const floor = oos.minInScopeAccuracy;
  if (floor !== undefined && !(typeof floor === 'number' && floor > 0 && floor <= 1)) {
    throw MloopError.invalidArgument(`the minimum in-scope accuracy must be in (0, 1], got ${String(floor)}`);
  }
  if (floor !== undefined && oos.rule !== undefined && oos.rule !== 'min-in-scope-accuracy') {
    throw MloopError.invalidArgument(`a minimum in-scope accuracy applies only to rule 'min-in-scope-accuracy', not '${oos.rule}'`);
  }
  if (floor === undefined && oos.rule === 'min-in-scope-accuracy') throw MloopError.invalidArgument(`rule 'min-in-scope-accuracy' needs the in-scope accuracy to keep (--oos-min-in-scope)`);
}

function toStoredOutOfScope(o: NonNullable<TrainResult['outOfScope']>): StoredOutOfScope {
  return {
    label: o.label,
    score: o.score,
    rule: o.rule,
    min_in_scope_accuracy: o.minInScopeAccuracy ?? null,
    achievable: o.achievable,
    threshold: Number.isFinite(o.threshold) ? o.threshold : null,
    validation: { in_scope_accuracy: o.validation.inScopeAccuracy, out_of_scope_recall: o.validation.outOfScopeRecall, in_scope: o.validation.inScope, out_of_scope: o.validation.outOfScope },
  };
}

/** The validation rows a learner may calibrate on: all of them, or only those of `known` classes (out-of-scope mode). */
function learnerValidation(batch: ColumnBatch, labels: string[], known: Set<string> | null): { batch: ColumnBatch; labels: string[]; n: number } {
  if (known === null) return { batch, labels, n: labels.length };
  const rows: number[] = [];
  labels.forEach((l, i) => {
    if (known.has(l)) rows.push(i);
  });
  const picked: ColumnBatch = {};
  for (const [name, col] of Object.entries(batch)) picked[name] = col instanceof Float64Array ? Float64Array.from(rows, (i) => col[i]!) : rows.map((i) => col[i] ?? null);
  return { batch: picked, labels: rows.map((i) => labels[i]!), n: rows.length };
}

/** The validation predictions kept with the version (at most MAX_STORED_VALIDATION rows), with in-scope scores in out-of-scope mode. */
function validationFile(data: ClassificationData, labels: string[], seed: number, inScope?: Float64Array): VersionFile {
  const n = labels.length;
  const stored = n <= MAX_STORED_VALIDATION ? [...Array(n).keys()] : holdout(labels, MAX_STORED_VALIDATION / n, seed, true).validation;
  return {
    name: 'validation-predictions.json',
    data: JSON.stringify({
      classes: data.classes,
      y_true: stored.map((i) => data.yTrue[i]),
      y_pred: stored.map((i) => data.yPred[i]),
      confidence: stored.map((i) => data.confidence[i]),
      ...(inScope === undefined ? {} : { in_scope: stored.map((i) => inScope[i]) }),
    }),
  };
}
