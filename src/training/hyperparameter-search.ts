/**
 * `mloop train --search`: k-fold cross-validation over a small grid of learner parameters, run on
 * the training rows only (the validation data stays untouched for the final report).
 */
import { MloopError } from '../errors/index.js';
import { mulberry32 } from '../stats/index.js';
import type { ColumnBatch, Predictor, TrainHooks } from './predictor.js';
import type { Task } from '../registry/index.js';

/** A grid: parameter path (dots reach into nested settings, e.g. `softmax.C`) → values to try. */
export type ParamGrid = Record<string, readonly unknown[]>;

/** The grids `--search` tries when no grid file is given: few points, each known to matter. */
export const DEFAULT_GRIDS: Readonly<Record<string, ParamGrid>> = Object.freeze({
  'text-softmax': { 'softmax.C': [5, 20, 80] },
  gbdt: { learningRate: [0.05, 0.1], maxLeaves: [15, 31, 63] },
  linear: { l2: [0.1, 1, 10] },
});

/** Most parameter combinations one search may try. */
export const MAX_GRID_POINTS = 64;

/** The cross-validated score of one parameter combination. */
export interface SearchCandidate {
  /** The combination, as dotted paths → values. */
  point: Record<string, unknown>;
  /** Mean of the fold scores. */
  mean: number;
  /** Sample standard deviation of the fold scores (0 with one fold). */
  std: number;
  folds: number[];
}

/** What a search found. */
export interface SearchResult {
  /** `accuracy` (higher is better) for classifiers, `rmse` (lower is better) for regression. */
  metric: 'accuracy' | 'rmse';
  folds: number;
  /** Every combination in grid order. */
  candidates: SearchCandidate[];
  /** The best combination (ties: the earlier one). */
  best: Record<string, unknown>;
  /** The learner parameters the final model is trained with: the caller's, overlaid with `best`. */
  params: Record<string, unknown>;
  seconds: number;
}

/** Checks a grid from a file or the defaults; INVALID_ARGUMENT naming the problem. */
export function checkGrid(grid: unknown, where: string): ParamGrid {
  if (grid === null || typeof grid !== 'object' || Array.isArray(grid)) throw MloopError.invalidArgument(`${where} must be an object of parameter → list of values`);
  const entries = Object.entries(grid as Record<string, unknown>);
  if (entries.length === 0) throw MloopError.invalidArgument(`${where} names no parameter`);
  for (const [k, v] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(k)) throw MloopError.invalidArgument(`${where}: '${k}' is not a parameter path (name or name.name)`);
    if (!Array.isArray(v) || v.length === 0) throw MloopError.invalidArgument(`${where}: '${k}' must list at least one value`);
  }
  const points = entries.reduce((n, [, v]) => n * (v as unknown[]).length, 1);
  if (points > MAX_GRID_POINTS) throw MloopError.invalidArgument(`${where} has ${points} combinations; at most ${MAX_GRID_POINTS}`, { hint: 'list fewer values' });
  return grid as ParamGrid;
}

/** Every combination of the grid, the last parameter varying fastest. */
export function expandGrid(grid: ParamGrid): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  return points;
}

/** `params` with each dotted path of `point` set (nested objects copied, never mutated). */
export function applyPoint(params: Record<string, unknown>, point: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  for (const [path, value] of Object.entries(point)) {
    const keys = path.split('.');
    let node = out;
    keys.slice(0, -1).forEach((k) => {
      const child = node[k];
      node[k] = child !== null && typeof child === 'object' && !Array.isArray(child) ? { ...(child as Record<string, unknown>) } : {};
      node = node[k] as Record<string, unknown>;
    });
    node[keys.at(-1)!] = value;
  }
  return out;
}

/** What the search needs of the training data and the learner. */
export interface SearchInput {
  task: Task;
  /** Training labels: class names, or numbers for regression. */
  labels: ReadonlyArray<string> | Float64Array;
  /** The input columns of a subset of the training rows (indices into `labels`). */
  batchOf(rows: readonly number[]): ColumnBatch;
  params: Record<string, unknown>;
  grid: ParamGrid;
  folds: number;
  seed: number;
  train(batch: ColumnBatch, labels: ReadonlyArray<string> | Float64Array, n: number, params: Record<string, unknown>, hooks: TrainHooks): Promise<Predictor>;
}

/**
 * Scores every grid combination by k-fold cross-validation (stratified for classifiers, seeded)
 * and returns the best. Fold models are trained with the same seed as the final model.
 *
 * @example
 * const r = await crossValidatedSearch({ task, labels, batchOf, params: {}, grid: DEFAULT_GRIDS.gbdt, folds: 3, seed: 42, train });
 */
export async function crossValidatedSearch(input: SearchInput, hooks: TrainHooks = {}): Promise<SearchResult> {
  const started = performance.now();
  const { folds, labels } = input;
  const n = labels.length;
  if (!Number.isInteger(folds) || folds < 2 || folds > 20) throw MloopError.invalidArgument(`--folds must be an integer in [2, 20], got ${folds}`);
  const classification = input.task !== 'regression';
  const keys = classification ? (labels as readonly string[]) : new Array<string>(n).fill('');
  if (classification) {
    const counts = new Map<string, number>();
    for (const l of keys) counts.set(l, (counts.get(l) ?? 0) + 1);
    if (Math.min(...counts.values()) < 2)
      throw MloopError.invalidArgument('every class needs at least 2 training rows for a cross-validated search');
  }
  if (n < folds * 2) throw MloopError.invalidArgument(`${n} training rows are too few for ${folds}-fold cross-validation`);
  const fold = stratifiedFolds(keys, folds, input.seed);
  const points = expandGrid(input.grid);
  const candidates: SearchCandidate[] = [];
  const total = points.length * folds;
  for (const point of points) {
    const params = applyPoint(input.params, point);
    const scores: number[] = [];
    for (let f = 0; f < folds; f++) {
      if (hooks.signal?.aborted === true) throw new MloopError('CANCELLED', 'training was cancelled', { details: { cancelled: true }, cause: hooks.signal.reason });
      hooks.onProgress?.({ stage: 'search', done: candidates.length * folds + f, total });
      const trainRows: number[] = [];
      const testRows: number[] = [];
      for (let i = 0; i < n; i++) (fold[i] === f ? testRows : trainRows).push(i);
      const sub = classification ? trainRows.map((i) => (labels as readonly string[])[i]!) : Float64Array.from(trainRows, (i) => (labels as Float64Array)[i]!);
      const model = await input.train(input.batchOf(trainRows), sub, trainRows.length, params, hooks.signal ? { signal: hooks.signal } : {});
      scores.push(scoreFold(model, input.batchOf(testRows), testRows.map((i) => labels[i]!), classification));
    }
    const mean = scores.reduce((a, b) => a + b, 0) / folds;
    const std = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / Math.max(1, folds - 1));
    candidates.push({ point, mean, std, folds: scores });
  }
  hooks.onProgress?.({ stage: 'search', done: total, total });
  let best = candidates[0]!;
  for (const c of candidates) if (classification ? c.mean > best.mean : c.mean < best.mean) best = c;
  return {
    metric: classification ? 'accuracy' : 'rmse',
    folds,
    candidates,
    best: best.point,
    params: applyPoint(input.params, best.point),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Seeded stratified fold of each position: each class shuffled, then dealt round-robin. */
export function stratifiedFolds(labels: readonly string[], folds: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const groups = new Map<string, number[]>();
  labels.forEach((l, i) => {
    let g = groups.get(l);
    if (!g) groups.set(l, (g = []));
    g.push(i);
  });
  const fold = new Int32Array(labels.length);
  // Continuing the deal across classes keeps fold sizes within one of each other.
  let next = 0;
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    for (const r of rows) fold[r] = next++ % folds;
  }
  return fold;
}

function scoreFold(model: Predictor, batch: ColumnBatch, truth: ReadonlyArray<string | number>, classification: boolean): number {
  const n = truth.length;
  if (!classification) {
    const pred = model.predictValues(batch, n);
    let se = 0;
    for (let i = 0; i < n; i++) se += (pred[i]! - (truth[i] as number)) ** 2;
    return Math.sqrt(se / n);
  }
  const classes = model.classes!;
  const k = classes.length;
  const proba = model.predictProba(batch, n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    if (classes[best] === truth[i]) correct++;
  }
  return correct / n;
}
