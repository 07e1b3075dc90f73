/** The dense, typed-array representation of crowd answers that every quality statistic reads. */
import { MloopError, type ValidationIssue } from '../../errors/index.js';

/** One answer: annotator `worker` gave `label` to `item`. */
export interface Answer {
  /** Item (task, unit) id. Non-empty. */
  item: string;
  /** Annotator id. Non-empty. */
  worker: string;
  /** The class given. Numbers are keyed by `String(label)`, so `1` and `'1'` are the same class. */
  label: string | number;
}

/** Column-oriented answers: three arrays of equal length, one position per answer. */
export interface AnswerColumns {
  /** Item id of each answer. */
  item: ArrayLike<string>;
  /** Worker id of each answer. */
  worker: ArrayLike<string>;
  /** Class given in each answer (numbers keyed by `String(label)`). */
  label: ArrayLike<string | number>;
}

/** What to do when one worker answered one item more than once. */
export type DuplicatePolicy = 'error' | 'keep-first' | 'keep-last';

/** Options of {@link buildAnswerSet}. */
export interface BuildAnswerSetOptions {
  /**
   * The class order. Every label must be in it. Default: every label seen, in numeric order when
   * every label is an integer literal (ties by string), otherwise in UTF-16 code-unit order.
   * The order matters: tie rules pick the smallest class.
   */
  classes?: readonly (string | number)[];
  /** Repeated (item, worker) answers: `error` (default) throws INVALID_ARGUMENT; the others keep one. */
  duplicates?: DuplicatePolicy;
}

/**
 * Answers with items, workers and classes mapped to dense integers. Items and workers are sorted by
 * id (code-unit order); answers are grouped by item and keep their input order within an item, so
 * results do not depend on the order of rows across items, nor on the names of workers.
 */
export interface AnswerSet {
  /** Item ids by item index. */
  readonly itemIds: readonly string[];
  /** Worker ids by worker index. */
  readonly workerIds: readonly string[];
  /** Class values by class index (the tie-breaking order). */
  readonly classes: readonly string[];
  readonly numItems: number;
  readonly numWorkers: number;
  readonly numClasses: number;
  readonly numAnswers: number;
  /** Answers of item `i` are positions `itemStart[i]` to `itemStart[i + 1] - 1`. Length `numItems + 1`. */
  readonly itemStart: Int32Array;
  /** Item index of each answer (non-decreasing). */
  readonly answerItem: Int32Array;
  /** Worker index of each answer. */
  readonly answerWorker: Int32Array;
  /** Class index of each answer. */
  readonly answerLabel: Int32Array;
  /** Votes per item and class, row-major `numItems × numClasses`. */
  readonly voteCounts: Int32Array;
  /** Item id → item index. */
  readonly itemIndex: ReadonlyMap<string, number>;
  /** Worker id → worker index. */
  readonly workerIndex: ReadonlyMap<string, number>;
  /** Class value → class index. */
  readonly classIndex: ReadonlyMap<string, number>;
}

const INTEGER = /^[+-]?\d+$/;
const MAX_ISSUES = 20;

/** The default class order: numeric when every value is an integer literal, else code-unit order. */
export function defaultClassOrder(values: Iterable<string>): string[] {
  const out = [...new Set(values)];
  if (out.every((v) => INTEGER.test(v))) {
    return out.sort((a, b) => {
      const d = Number(BigInt(a) - BigInt(b));
      return d !== 0 ? Math.sign(d) : a < b ? -1 : a > b ? 1 : 0;
    });
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function codeUnitSort(values: string[]): string[] {
  return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Builds an {@link AnswerSet} from answer rows.
 *
 * @example
 * const set = buildAnswerSet([
 *   { item: 'a', worker: 'w1', label: 'cat' },
 *   { item: 'a', worker: 'w2', label: 'dog' },
 * ]);
 * set.numItems; // 1
 */
export function buildAnswerSet(answers: Iterable<Answer>, options: BuildAnswerSetOptions = {}): AnswerSet {
  const item: string[] = [];
  const worker: string[] = [];
  const label: (string | number)[] = [];
  for (const a of answers) {
    item.push(a.item);
    worker.push(a.worker);
    label.push(a.label);
  }
  return buildAnswerSetFromColumns({ item, worker, label }, options);
}

/** Builds an {@link AnswerSet} from three parallel columns (the fast path for CSV loaders). */
export function buildAnswerSetFromColumns(columns: AnswerColumns, options: BuildAnswerSetOptions = {}): AnswerSet {
  const n = columns.item.length;
  const issues: ValidationIssue[] = [];
  const issue = (path: string, code: string, message: string): void => {
    if (issues.length < MAX_ISSUES) issues.push({ path, code, message });
  };
  if (columns.worker.length !== n || columns.label.length !== n) {
    throw MloopError.invalidArgument(
      `answer columns differ in length (item ${n}, worker ${columns.worker.length}, label ${columns.label.length})`,
    );
  }
  const duplicates = options.duplicates ?? 'error';
  if (!['error', 'keep-first', 'keep-last'].includes(duplicates)) {
    throw MloopError.invalidArgument(`unknown duplicates policy '${String(duplicates)}'; use error, keep-first or keep-last`);
  }

  // Provisional ids in first-seen order, remapped to sorted order below.
  const itemFirst = new Map<string, number>();
  const workerFirst = new Map<string, number>();
  const labelFirst = new Map<string, number>();
  const rawItem = new Int32Array(n);
  const rawWorker = new Int32Array(n);
  const rawLabel = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const it = columns.item[r];
    const wk = columns.worker[r];
    const lbRaw = columns.label[r];
    if (typeof it !== 'string' || it === '') issue(`answers.${r}.item`, 'invalid_value', 'item must be a non-empty string');
    if (typeof wk !== 'string' || wk === '') issue(`answers.${r}.worker`, 'invalid_value', 'worker must be a non-empty string');
    const lb = typeof lbRaw === 'number' ? (Number.isFinite(lbRaw) ? String(lbRaw) : '') : typeof lbRaw === 'string' ? lbRaw : '';
    if (lb === '') issue(`answers.${r}.label`, 'invalid_value', 'label must be a non-empty string or a finite number');
    rawItem[r] = firstSeen(itemFirst, String(it));
    rawWorker[r] = firstSeen(workerFirst, String(wk));
    rawLabel[r] = firstSeen(labelFirst, lb);
  }
  if (issues.length > 0) throw MloopError.validation(`${issues.length === MAX_ISSUES ? 'at least ' : ''}${issues.length} invalid answer(s)`, issues);

  const classes =
    options.classes === undefined ? defaultClassOrder(labelFirst.keys()) : options.classes.map((c) => String(c));
  const classIndex = new Map<string, number>();
  classes.forEach((c, i) => {
    if (classIndex.has(c)) throw MloopError.invalidArgument(`class '${c}' is listed twice in options.classes`);
    classIndex.set(c, i);
  });
  const labelMap = new Int32Array(labelFirst.size);
  for (const [value, first] of labelFirst) {
    const idx = classIndex.get(value);
    if (idx === undefined) {
      throw MloopError.invalidArgument(`label '${value}' is not one of the classes given`, {
        details: { label: value, classes },
      });
    }
    labelMap[first] = idx;
  }

  const itemIds = codeUnitSort([...itemFirst.keys()]);
  const workerIds = codeUnitSort([...workerFirst.keys()]);
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const workerIndex = new Map(workerIds.map((id, i) => [id, i]));
  const itemMap = remap(itemFirst, itemIndex);
  const workerMap = remap(workerFirst, workerIndex);

  const numItems = itemIds.length;
  const numWorkers = workerIds.length;
  // Stable counting sort by item.
  const counts = new Int32Array(numItems + 1);
  for (let r = 0; r < n; r++) counts[itemMap[rawItem[r]!]! + 1]!++;
  for (let i = 0; i < numItems; i++) counts[i + 1]! += counts[i]!;
  const order = new Int32Array(n);
  const cursor = counts.slice(0, numItems);
  for (let r = 0; r < n; r++) order[cursor[itemMap[rawItem[r]!]!]!++] = r;

  // Duplicates: scan each item's answers, remembering the last position per worker.
  const keep = new Uint8Array(n).fill(1);
  const seenItem = new Int32Array(numWorkers).fill(-1);
  const seenPos = new Int32Array(numWorkers);
  let dropped = 0;
  for (let i = 0; i < numItems; i++) {
    for (let p = counts[i]!; p < counts[i + 1]!; p++) {
      const w = workerMap[rawWorker[order[p]!]!]!;
      if (seenItem[w] === i) {
        if (duplicates === 'error') {
          issue(`answers.${order[p]}`, 'duplicate', `worker '${workerIds[w]}' answered item '${itemIds[i]}' more than once`);
        } else if (duplicates === 'keep-first') {
          keep[p] = 0;
        } else {
          keep[seenPos[w]!] = 0;
          seenPos[w] = p;
        }
        dropped++;
      } else {
        seenItem[w] = i;
        seenPos[w] = p;
      }
    }
  }
  if (issues.length > 0) {
    throw MloopError.validation(`${dropped} duplicate (item, worker) answer(s)`, issues, {
      hint: "pass duplicates: 'keep-first' or 'keep-last' to keep one answer per worker and item",
    });
  }

  const numAnswers = n - dropped;
  const numClasses = classes.length;
  const answerItem = new Int32Array(numAnswers);
  const answerWorker = new Int32Array(numAnswers);
  const answerLabel = new Int32Array(numAnswers);
  const itemStart = new Int32Array(numItems + 1);
  const voteCounts = new Int32Array(numItems * numClasses);
  let q = 0;
  for (let i = 0; i < numItems; i++) {
    itemStart[i] = q;
    for (let p = counts[i]!; p < counts[i + 1]!; p++) {
      if (keep[p] === 0) continue;
      const r = order[p]!;
      const c = labelMap[rawLabel[r]!]!;
      answerItem[q] = i;
      answerWorker[q] = workerMap[rawWorker[r]!]!;
      answerLabel[q] = c;
      voteCounts[i * numClasses + c]!++;
      q++;
    }
  }
  itemStart[numItems] = q;

  return {
    itemIds,
    workerIds,
    classes,
    numItems,
    numWorkers,
    numClasses,
    numAnswers,
    itemStart,
    answerItem,
    answerWorker,
    answerLabel,
    voteCounts,
    itemIndex,
    workerIndex,
    classIndex,
  };
}

function firstSeen(map: Map<string, number>, key: string): number {
  let v = map.get(key);
  if (v === undefined) {
    v = map.size;
    map.set(key, v);
  }
  return v;
}

function remap(first: Map<string, number>, sorted: Map<string, number>): Int32Array {
  const out = new Int32Array(first.size);
  for (const [id, f] of first) out[f] = sorted.get(id)!;
  return out;
}

/** Number of answers of item `i`. */
export function answersOf(set: AnswerSet, i: number): number {
  return set.itemStart[i + 1]! - set.itemStart[i]!;
}
