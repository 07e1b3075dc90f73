/**
 * `mloop train`: from a dataset version to a registered, calibrated model version with its
 * validation metrics and, when asked, the threshold for automation at a target precision.
 */
import { MLOOP_VERSION } from '../config/index.js';
import { readColumns, type ColumnData, type DatasetService, type DatasetVersion } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import { chooseThreshold, evaluateClassification, evaluateRegression, type ClassificationData, type ThresholdChoice, type ThresholdMethod } from '../evaluation/index.js';
import { TASKS, type ModelVersion, type RegistryService, type Task, type VersionFile } from '../registry/index.js';
import { mulberry32 } from '../stats/index.js';
import { checkGrid, crossValidatedSearch, DEFAULT_GRIDS, type ParamGrid, type SearchResult } from './hyperparameter-search.js';
import { DEFAULT_LEARNER, getLearner, type ColumnBatch, type InputSpec, type Predictor, type TrainHooks } from './predictor.js';

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
  const warnings = [...plan.warnings];
  hooks.onProgress?.({ stage: 'reading', done: 0, total: 1 });
  const read = await readColumns(deps.datasets, version.ref, [plan.label, ...plan.inputs.map((i) => i.name)]);
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
  const all = labelsOf(read.columns, read.rows);
  const dropped = read.rows - all.keep.length;
  if (dropped > 0) warnings.push(`${dropped} rows without a label were left out`);
  if (classification) {
    const classes = new Set(all.values);
    if (classes.size < 2) throw MloopError.invalidArgument(`the label column '${plan.label}' has ${classes.size === 0 ? 'no values' : `one class only (${[...classes][0]})`}: a classifier needs at least two`);
  }

  let trainRows: number[];
  let valBatch: ColumnBatch;
  let valLabels: Array<string | number>;
  let valRef: string;
  if (req.validation !== undefined) {
    const vv = await deps.datasets.show(req.validation);
    const vread = await readColumns(deps.datasets, vv.ref, [plan.label, ...plan.inputs.map((i) => i.name)]);
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
  const trainLabels = trainRows.map((r) => all.values[trainIndex.get(r)!]!);
  if (classification) {
    const counts = new Map<string, number>();
    for (const l of trainLabels) counts.set(String(l), (counts.get(String(l)) ?? 0) + 1);
    const single = [...counts].filter(([, c]) => c === 1).map(([l]) => l);
    if (single.length > 0) warnings.push(`classes with a single training example (the model will rarely predict them): ${single.slice(0, 10).join(', ')}`);
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
      ...(classification ? { validation: { batch: valBatch, labels: valLabels.map(String), n: valLabels.length } } : {}),
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
  let details: Record<string, unknown>;
  const files: VersionFile[] = predictor.toFiles();
  if (classification) {
    const data = classificationData(predictor.classes!, valLabels.map(String), predictor.predictProba(valBatch, nVal));
    if (req.targetPrecision !== undefined) threshold = chooseThreshold(data, req.targetPrecision, req.thresholdMethod ? { method: req.thresholdMethod } : {});
    const report = evaluateClassification(data, { replicates: 300, seed, ...(threshold?.achievable ? { threshold: threshold.threshold } : {}) });
    metrics = headline(report.metrics);
    details = { intervals: report.metrics, reliability: report.reliability, automation: report.automation ?? null };
    const stored = nVal <= MAX_STORED_VALIDATION ? [...Array(nVal).keys()] : holdout(valLabels.map(String), MAX_STORED_VALIDATION / nVal, seed, true).validation;
    files.push({
      name: 'validation-predictions.json',
      data: JSON.stringify({ classes: data.classes, y_true: stored.map((i) => data.yTrue[i]), y_pred: stored.map((i) => data.yPred[i]), confidence: stored.map((i) => data.confidence[i]) }),
    });
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
      ...(threshold
        ? {
            thresholds: {
              target_precision: threshold.targetPrecision,
              method: threshold.method,
              achievable: threshold.achievable,
              confidence: threshold.achievable ? threshold.threshold : null,
              validation: threshold.validation,
              ...(threshold.bestAchievable ? { best_achievable: threshold.bestAchievable } : {}),
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
    warnings,
    search,
  };
}
