/** Target encoding and the train/validation split shared by the tabular learners. */
import { MloopError } from '../../errors/index.js';
import { randomStream, shuffleStream } from './random.js';
import { getColumn, labelCodes, numericValues, type Table } from './table.js';

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
  const codes = new Int32Array(n);
  const labels = labelCodes(col, codes);
  const first = codes.indexOf(-1);
  if (first >= 0) {
    let missing = 0;
    for (let i = 0; i < n; i++) if (codes[i]! < 0) missing++;
    throw MloopError.invalidArgument(`target '${target}' has ${missing} missing labels (first at row ${first})`, {
      details: { column: target, rows: missing, firstRow: first },
      hint: 'drop unlabelled rows before training',
    });
  }
  if (labels.length < 2) {
    throw MloopError.invalidArgument(
      `target '${target}' has ${labels.length === 0 ? 'no rows' : `one class ('${labels[0]}')`}; classification needs at least two`,
      { details: { column: target, classes: [...labels] } },
    );
  }
  const classes = [...labels];
  const numeric = classes.every((c) => c.trim() !== '' && Number.isFinite(Number(c)));
  classes.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // label code → class id, then one lookup per row
  const id = new Map(classes.map((c, i) => [c, i] as const));
  const classOf = Float64Array.from(labels, (l) => id.get(l)!);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = classOf[codes[i]!]!;
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
  const stream = randomStream(seed ^ 0x5bd1e995);
  const isValid = new Uint8Array(n);
  let nv = 0;
  if (fraction > 0) {
    if (nClasses > 0) {
      // rows of each class in ascending order (a counting sort: no growing arrays per class)
      const start = new Int32Array(nClasses + 1);
      countClasses(y, start);
      for (let k = 0; k < nClasses; k++) start[k + 1]! += start[k]!;
      const byClass = new Uint32Array(n);
      groupByClass(y, start.slice(0, nClasses), byClass);
      for (let k = 0; k < nClasses; k++) {
        const count = start[k + 1]! - start[k]!;
        if (count < 2) continue;
        const take = Math.max(1, Math.round(fraction * count));
        markRows(byClass.subarray(start[k]!, start[k + 1]!), shuffleStream(count, stream), take, isValid);
        nv += take;
      }
    } else {
      const take = Math.round(fraction * n);
      markRows(undefined, shuffleStream(n, stream), take, isValid);
      nv = take;
    }
  }
  const train = new Uint32Array(n - nv);
  const valid = new Uint32Array(nv);
  splitByMask(isValid, train, valid);
  return { train, valid };
}

// holdOut's row loops are functions of their own: V8 compiles a long loop on the fly, and a later
// loop in the same function, not yet run, made it throw that code away and compile again.

/** start[c + 1] = rows of class c. */
function countClasses(y: Float64Array, start: Int32Array): void {
  for (let i = 0; i < y.length; i++) start[y[i]! + 1]!++;
}

/** Row ids grouped by class, ascending within a class; next[c] is class c's next free slot. */
function groupByClass(y: Float64Array, next: Int32Array, byClass: Uint32Array): void {
  for (let i = 0; i < y.length; i++) byClass[next[y[i]!]!++] = i;
}

/** isValid[rows[order[j]]] = 1 (isValid[order[j]] without rows) for j < take. */
function markRows(rows: Uint32Array | undefined, order: Uint32Array, take: number, isValid: Uint8Array): void {
  for (let j = 0; j < take; j++) isValid[rows ? rows[order[j]!]! : order[j]!] = 1;
}

/** Row ids with isValid 0 into train, 1 into valid, ascending. */
function splitByMask(isValid: Uint8Array, train: Uint32Array, valid: Uint32Array): void {
  let a = 0;
  let b = 0;
  for (let i = 0; i < isValid.length; i++) {
    if (isValid[i]) valid[b++] = i;
    else train[a++] = i;
  }
}

/** Values of `y` at `rows`. */
export function pick(y: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]!]!;
  return out;
}
