/** Target encoding and the train/validation split shared by the tabular learners. */
import { MloopError } from '../../errors/index.js';
import { seededRandom, shuffledIndices } from './random.js';
import { categoricalValues, getColumn, numericValues, type Table } from './table.js';

/** What is predicted: a class label or a number. */
export type TabularTask = 'classification' | 'regression';

/** The learners' task names, for error messages and registries. */
export const TABULAR_TASKS: readonly TabularTask[] = Object.freeze(['classification', 'regression'] as const);

/** An encoded target: class ids (classification) or values (regression). */
export interface EncodedTarget {
  y: Float64Array;
  /** Class labels in id order (classification only): numeric-looking labels sort numerically. */
  classes: string[] | null;
}

/** Checks the task name. */
export function checkTask(task: unknown): asserts task is TabularTask {
  if (!TABULAR_TASKS.includes(task as TabularTask)) {
    throw MloopError.invalidArgument(`unknown task '${String(task)}'`, {
      details: { valid: TABULAR_TASKS },
      hint: `valid tasks: ${TABULAR_TASKS.join(', ')}`,
    });
  }
}

/**
 * Encodes the target column. Classification: labels as strings (numbers → their string form),
 * at least two classes. Regression: finite numbers. Missing targets are an error.
 */
export function encodeTarget(table: Table, target: string, task: TabularTask): EncodedTarget {
  const col = getColumn(table, target, 'target column');
  const n = col.length;
  if (task === 'regression') {
    const y = numericValues(col, target);
    let bad = 0;
    let first = -1;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(y[i]!)) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad > 0) {
      throw MloopError.invalidArgument(`target '${target}' has ${bad} missing or infinite values (first at row ${first})`, {
        details: { column: target, rows: bad, firstRow: first },
        hint: 'drop those rows or impute the target before training',
      });
    }
    return { y: y === col ? Float64Array.from(y) : y, classes: null };
  }
  const labels = categoricalValues(col);
  let missing = 0;
  let first = -1;
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (v === null) {
      missing++;
      if (first < 0) first = i;
    } else seen.add(v);
  }
  if (missing > 0) {
    throw MloopError.invalidArgument(`target '${target}' has ${missing} missing labels (first at row ${first})`, {
      details: { column: target, rows: missing, firstRow: first },
      hint: 'drop unlabelled rows before training',
    });
  }
  if (seen.size < 2) {
    throw MloopError.invalidArgument(
      `target '${target}' has ${seen.size === 0 ? 'no rows' : `one class ('${[...seen][0]}')`}; classification needs at least two`,
      { details: { column: target, classes: [...seen] } },
    );
  }
  const classes = [...seen];
  const numeric = classes.every((c) => c.trim() !== '' && Number.isFinite(Number(c)));
  classes.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const id = new Map(classes.map((c, i) => [c, i] as const));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = id.get(labels[i]!)!;
  return { y, classes };
}

/**
 * Seeded hold-out split: stratified by class for classification (each class with ≥ 2 rows
 * contributes round(fraction · count), at least 1), uniform for regression. Sorted row ids.
 */
export function holdOut(
  y: Float64Array,
  nClasses: number,
  fraction: number,
  seed: number,
): { train: Uint32Array; valid: Uint32Array } {
  const n = y.length;
  const rand = seededRandom(seed ^ 0x5bd1e995);
  const isValid = new Uint8Array(n);
  if (fraction > 0) {
    if (nClasses > 0) {
      const byClass: number[][] = Array.from({ length: nClasses }, () => []);
      for (let i = 0; i < n; i++) byClass[y[i]!]!.push(i);
      for (const rows of byClass) {
        if (rows.length < 2) continue;
        const take = Math.max(1, Math.round(fraction * rows.length));
        const order = shuffledIndices(rows.length, rand);
        for (let k = 0; k < take; k++) isValid[rows[order[k]!]!] = 1;
      }
    } else {
      const take = Math.round(fraction * n);
      const order = shuffledIndices(n, rand);
      for (let k = 0; k < take; k++) isValid[order[k]!] = 1;
    }
  }
  let nv = 0;
  for (let i = 0; i < n; i++) nv += isValid[i]!;
  const train = new Uint32Array(n - nv);
  const valid = new Uint32Array(nv);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isValid[i]) valid[b++] = i;
    else train[a++] = i;
  }
  return { train, valid };
}

/** Values of `y` at `rows`. */
export function pick(y: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]!]!;
  return out;
}
