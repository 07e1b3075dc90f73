/**
 * `mloop data label-issues`: k models on stratified folds give every labelled row an out-of-fold
 * probability; confident learning over those lists the rows most likely mislabelled.
 */
import { readColumns, type ColumnData, type DatasetService, type DatasetVersion } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import { findLabelIssues } from '../labeling/index.js';
import type { Task } from '../registry/index.js';
import { DEFAULT_LEARNER, getLearner, type ColumnBatch, type TrainHooks } from './predictor.js';
import { stratifiedFolds } from './hyperparameter-search.js';
import { batchOf, planColumns } from './training-service.js';

export { stratifiedFolds };

/** What to check for label errors. */
export interface LabelIssuesRequest {
  /** Labelled data, `name@N` (or `name` for the latest version). */
  dataset: string;
  /** Label column; default: the column with the `label` role. */
  label?: string;
  /** Text column (text classification); default: the column with the `text` role. */
  text?: string;
  /** Feature columns (tabular classification); default: as `mloop train` chooses them. */
  features?: string[];
  /** `text-classification` or `tabular-classification`; default: inferred as by `mloop train`. */
  task?: Task;
  /** Learner id (see `LEARNERS`); default: the task's default learner. */
  learner?: string;
  /** Learner parameters, as for `mloop train`. */
  params?: Record<string, unknown>;
  /** Number of stratified folds, 2 to 20; default 5. Every class needs at least this many labelled rows. */
  folds?: number;
  /** Seed of the fold assignment and of the learners; default 42. */
  seed?: number;
  /** Use columns marked sensitive as features. */
  allowSensitive?: boolean;
}

/** One row likely mislabelled. */
export interface LabelIssueRow {
  /** Row number in the dataset version, from 0. */
  row: number;
  /** The value of the dataset's id column, or the row number as a string when it has none. */
  id: string;
  /** The label the row carries. */
  givenLabel: string;
  /** The class the out-of-fold models confidently put it in. */
  suggestedLabel: string;
  /** Out-of-fold probability of the given label. */
  selfConfidence: number;
  /** Self-confidence minus the largest other probability; the lower, the likelier an error. */
  margin: number;
}

/** Result of {@link findDatasetLabelIssues}. */
export interface LabelIssuesReport {
  /** Stable method id. */
  method: 'label-issues:confident-learning';
  /** The dataset version checked, `name@N`. */
  dataset: string;
  task: Task;
  label: string;
  /** Columns the models read. */
  inputs: string[];
  learner: string;
  folds: number;
  seed: number;
  /** The column the ids come from; null when ids are row numbers. */
  idColumn: string | null;
  /** Class names, sorted. */
  classes: string[];
  /** Labelled rows checked, and rows left out for a missing label. */
  rows: { labelled: number; droppedMissingLabel: number };
  /** Accuracy of the out-of-fold predictions (argmax) against the given labels. */
  outOfFoldAccuracy: number;
  /** Rows counted in the confident joint. */
  examplesCounted: number;
  /** `confidentJoint[given][confident]`, in `classes` order. */
  confidentJoint: number[][];
  /** Every likely label error, likeliest first (lowest margin, then row). */
  issues: LabelIssueRow[];
  warnings: string[];
}

const MAX_FOLDS = 20;

/** The dataset's id column: the first with the `id` role, else the first of type `id`; null when none. */
function idColumnOf(v: DatasetVersion, label: string): string | null {
  const c = v.schema.find((s) => s.roles.includes('id') && s.name !== label) ?? v.schema.find((s) => s.type === 'id' && s.name !== label);
  return c?.name ?? null;
}

function cancelled(signal: AbortSignal): MloopError {
  return new MloopError('CANCELLED', 'label-issue detection was cancelled', { details: { cancelled: true }, cause: signal.reason });
}

/**
 * Trains `folds` models on stratified folds of a labelled dataset version, collects out-of-fold
 * probabilities, and runs confident learning over them. Progress reports stage `cross-validating`
 * (done = folds trained) and forwards each learner's own stages prefixed with `fold i/k`;
 * aborting `hooks.signal` stops with CANCELLED (`details.cancelled`).
 *
 * @example
 * const r = await findDatasetLabelIssues({ datasets }, { dataset: 'tickets@1', label: 'intent', text: 'text', folds: 5, seed: 1 });
 * r.issues.slice(0, 10); // rows to re-review first
 */
export async function findDatasetLabelIssues(deps: { datasets: DatasetService }, req: LabelIssuesRequest, hooks: TrainHooks = {}): Promise<LabelIssuesReport> {
  const folds = req.folds ?? 5;
  const seed = req.seed ?? 42;
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= MAX_FOLDS)) throw MloopError.invalidArgument(`--folds must be an integer from 2 to ${MAX_FOLDS}, got ${folds}`);
  if (!Number.isInteger(seed)) throw MloopError.invalidArgument(`--seed must be an integer, got ${seed}`);
  const version = await deps.datasets.show(req.dataset);
  const plan = planColumns(version, req);
  if (plan.task === 'regression') {
    throw MloopError.invalidArgument(`the label column '${plan.label}' is numeric: label-issue detection needs classes`, {
      hint: 'name a text column with --text, or pass --task tabular-classification',
    });
  }
  const learnerId = req.learner ?? DEFAULT_LEARNER[plan.task];
  const learner = getLearner(learnerId, plan.task);
  const idColumn = idColumnOf(version, plan.label);
  const warnings = [...plan.warnings];

  hooks.onProgress?.({ stage: 'reading', done: 0, total: 1 });
  const wanted = [...new Set([plan.label, ...plan.inputs.map((i) => i.name), ...(idColumn ? [idColumn] : [])])];
  const read = await readColumns(deps.datasets, version.ref, wanted, { labels: [plan.label] });
  const labelCol = read.columns[plan.label]!;
  const keep: number[] = [];
  const given: string[] = [];
  for (let r = 0; r < read.rows; r++) {
    const v = labelCol.values[r];
    if (v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v))) continue;
    keep.push(r);
    given.push(String(v));
  }
  const dropped = read.rows - keep.length;
  if (dropped > 0) warnings.push(`${dropped} rows without a label were left out`);

  const counts = new Map<string, number>();
  for (const l of given) counts.set(l, (counts.get(l) ?? 0) + 1);
  const classes = [...counts.keys()].sort();
  if (classes.length < 2) {
    throw MloopError.invalidArgument(
      `the label column '${plan.label}' of ${version.ref} has ${classes.length === 0 ? 'no values' : `one class only (${classes[0]})`}: finding label errors needs at least two`,
    );
  }
  const small = classes.filter((c) => counts.get(c)! < folds);
  if (small.length > 0) {
    throw MloopError.invalidArgument(
      `too few rows per fold: with ${folds} folds every class needs at least ${folds} labelled rows; ${small
        .slice(0, 10)
        .map((c) => `'${c}' has ${counts.get(c)}`)
        .join(', ')}`,
      { hint: 'use fewer --folds, or label more rows of those classes' },
    );
  }

  const k = classes.length;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const fold = stratifiedFolds(given, folds, seed);
  const proba = new Float64Array(keep.length * k);
  for (let f = 0; f < folds; f++) {
    if (hooks.signal?.aborted) throw cancelled(hooks.signal);
    hooks.onProgress?.({ stage: 'cross-validating', done: f, total: folds });
    const trainPos: number[] = [];
    const testPos: number[] = [];
    for (let j = 0; j < keep.length; j++) (fold[j] === f ? testPos : trainPos).push(j);
    const trainBatch: ColumnBatch = batchOf(read.columns, plan.inputs, trainPos.map((j) => keep[j]!));
    const predictor = await learner.train(
      { task: plan.task, inputs: plan.inputs, label: plan.label, train: { batch: trainBatch, labels: trainPos.map((j) => given[j]!), n: trainPos.length }, params: req.params ?? {}, seed },
      {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (p) => hooks.onProgress?.({ stage: `fold ${f + 1}/${folds} ${p.stage}`, done: p.done, total: p.total }),
      },
    );
    const p = predictor.predictProba(batchOf(read.columns, plan.inputs, testPos.map((j) => keep[j]!)), testPos.length);
    // A fold model knows the classes it saw, in its own order; place them by name.
    const own = predictor.classes ?? [];
    const kk = own.length;
    testPos.forEach((j, t) => {
      own.forEach((c, ci) => {
        const g = classIndex.get(c);
        if (g !== undefined) proba[j * k + g] = p[t * kk + ci]!;
      });
    });
  }
  if (hooks.signal?.aborted) throw cancelled(hooks.signal);
  hooks.onProgress?.({ stage: 'cross-validating', done: folds, total: folds });

  const labels = Int32Array.from(given, (l) => classIndex.get(l)!);
  const rows = Array.from({ length: keep.length }, (_, j) => proba.subarray(j * k, (j + 1) * k));
  const idOf = (r: number): string => {
    if (idColumn === null) return String(r);
    const c: ColumnData = read.columns[idColumn]!;
    const v = c.values[r];
    return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? String(r) : String(v);
  };
  const result = findLabelIssues({ labels, probabilities: rows, classes, ids: keep.map(idOf) });
  let correct = 0;
  for (let j = 0; j < keep.length; j++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[j * k + c]! > proba[j * k + best]!) best = c;
    if (best === labels[j]) correct++;
  }
  return {
    method: result.metric,
    dataset: version.ref,
    task: plan.task,
    label: plan.label,
    inputs: plan.inputs.map((i) => i.name),
    learner: learnerId,
    folds,
    seed,
    idColumn,
    classes,
    rows: { labelled: keep.length, droppedMissingLabel: dropped },
    outOfFoldAccuracy: correct / keep.length,
    examplesCounted: result.examplesCounted,
    confidentJoint: result.confidentJoint,
    issues: result.issues.map((i) => ({
      row: keep[i.index]!,
      id: i.id ?? String(keep[i.index]),
      givenLabel: i.givenLabel,
      suggestedLabel: i.suggestedLabel,
      selfConfidence: i.selfConfidence,
      margin: i.margin,
    })),
    warnings,
  };
}
