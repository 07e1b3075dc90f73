/** Column-oriented input for the tabular learners, and the checks every learner shares. */
import { MloopError } from '../../errors/index.js';

/** How a feature is treated: ordered numbers (NaN = missing) or unordered labels (null = missing). */
export type FeatureKind = 'numeric' | 'categorical';

/** One input feature: its column name and how to treat it. */
export interface FeatureSpec {
  /** The column name in the table. */
  name: string;
  /** `numeric` columns hold numbers (null/undefined/NaN = missing); `categorical` columns hold labels. */
  kind: FeatureKind;
}

/** Values of one column: a typed array or a plain array of numbers, strings, booleans or null. */
export type ColumnValues =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint8Array
  | ReadonlyArray<number | string | boolean | null | undefined>;

/** A table held as columns of equal length. */
export interface Table {
  /** Column name → values; every column has the same length. */
  readonly columns: Readonly<Record<string, ColumnValues>>;
}

/** One row as a record, for serving-style prediction. Missing keys count as missing values. */
export type Row = Readonly<Record<string, number | string | boolean | null | undefined>>;

/** What `predict*` accepts: a column table or an array of row records. */
export type TabularInput = Table | readonly Row[];

/** Number of rows of a table; throws when columns differ in length. */
export function rowCount(table: Table): number {
  let n: number | undefined;
  let first = '';
  for (const [name, col] of Object.entries(table.columns)) {
    if (n === undefined) {
      n = col.length;
      first = name;
    } else if (col.length !== n) {
      throw MloopError.invalidArgument(
        `column '${name}' has ${col.length} rows but column '${first}' has ${n}`,
        { details: { column: name, rows: col.length, expected: n } },
      );
    }
  }
  return n ?? 0;
}

/** Turns row records into a column table over `names` (missing keys become null). */
export function toTable(input: TabularInput, names: readonly string[]): Table {
  if (!Array.isArray(input)) return input as Table;
  const rows = input as readonly Row[];
  const columns: Record<string, (number | string | boolean | null | undefined)[]> = {};
  for (const name of names) {
    const col = new Array<number | string | boolean | null | undefined>(rows.length);
    for (let i = 0; i < rows.length; i++) col[i] = rows[i]![name];
    columns[name] = col;
  }
  return { columns };
}

/** The column `name`, or an INVALID_ARGUMENT error listing the known columns. */
export function getColumn(table: Table, name: string, role = 'column'): ColumnValues {
  const col = Object.prototype.hasOwnProperty.call(table.columns, name) ? table.columns[name] : undefined;
  if (col === undefined) {
    const known = Object.keys(table.columns);
    throw MloopError.invalidArgument(`unknown ${role} '${name}'`, {
      details: { column: name, known },
      hint: `known columns: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', …' : ''}`,
    });
  }
  return col;
}

/**
 * A numeric column as Float64Array: null/undefined/NaN become NaN (missing), booleans 0/1.
 * ±Infinity is kept (the learners order it beyond every finite value; see binning.ts).
 */
export function numericValues(col: ColumnValues, name: string): Float64Array {
  if (col instanceof Float64Array) return col;
  const out = new Float64Array(col.length);
  if (col instanceof Float32Array || col instanceof Int32Array || col instanceof Uint8Array) {
    out.set(col);
    return out;
  }
  const arr = col as ReadonlyArray<number | string | boolean | null | undefined>;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v === 'number') out[i] = v;
    else if (v === null || v === undefined) out[i] = NaN;
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else {
      throw MloopError.invalidArgument(`numeric column '${name}' holds the string '${v}' at row ${i}`, {
        details: { column: name, row: i },
        hint: 'convert the column to numbers first, or declare it categorical',
      });
    }
  }
  return out;
}

/** A categorical column as labels; null/undefined/NaN become null (missing), numbers their string form. */
export function categoricalValues(col: ColumnValues): (string | null)[] {
  const out = new Array<string | null>(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = (col as ArrayLike<unknown>)[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) out[i] = null;
    else out[i] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

/**
 * A categorical column coded in one pass: codes[i] = position of row i's label in the returned
 * labels (first-seen order), −1 when missing; labels as {@link categoricalValues} gives them.
 * One loop and one Map lookup per row, no copy of the column: the target and every categorical
 * feature go through this one function, so a fresh process (what `mloop train` is) warms one loop
 * instead of three per column kind.
 */
export function labelCodes(col: ColumnValues, codes: Int32Array): string[] {
  const labels: string[] = [];
  const index = new Map<string, number>();
  const n = col.length;
  const values = col as ArrayLike<unknown>;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let label: string;
    if (typeof v === 'string') label = v;
    else if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      codes[i] = -1;
      continue;
    } else label = String(v);
    let c = index.get(label);
    if (c === undefined) {
      c = labels.length;
      index.set(label, c);
      labels.push(label);
    }
    codes[i] = c;
  }
  return labels;
}

/** Feature specs inferred from the table: numeric typed arrays or all-number columns are numeric. */
export function inferFeatures(table: Table, exclude: readonly string[]): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  for (const [name, col] of Object.entries(table.columns)) {
    if (exclude.includes(name)) continue;
    let numeric = !Array.isArray(col);
    if (!numeric) {
      numeric = true;
      for (const v of col as readonly unknown[]) {
        if (v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'boolean') {
          numeric = false;
          break;
        }
      }
    }
    specs.push({ name, kind: numeric ? 'numeric' : 'categorical' });
  }
  return specs;
}

/** Checks feature specs: unique names, known kinds, present in the table, not the target. */
export function checkFeatureSpecs(table: Table, features: readonly FeatureSpec[], target: string): void {
  if (features.length === 0) throw MloopError.invalidArgument('no features given: the table has only the target column');
  const seen = new Set<string>();
  for (const f of features) {
    if (f.kind !== 'numeric' && f.kind !== 'categorical') {
      throw MloopError.invalidArgument(`feature '${f.name}' has unknown kind '${String(f.kind)}'`, {
        details: { column: f.name, valid: ['numeric', 'categorical'] },
      });
    }
    if (f.name === target) throw MloopError.invalidArgument(`column '${target}' is the target and cannot be a feature`);
    if (seen.has(f.name)) throw MloopError.invalidArgument(`feature '${f.name}' is listed twice`);
    seen.add(f.name);
    getColumn(table, f.name, 'feature column');
  }
}
