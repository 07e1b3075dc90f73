/**
 * Expectations a data owner keeps in a schema file, checked against a version: each expectation is
 * a result with pass/fail, the offending count and examples. Schema changes between versions are
 * reported the same way.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MloopError, type ValidationIssue } from '../errors/index.js';
import { COLUMN_TYPES, type ColumnSchema, type ColumnType, type DatasetVersion } from './dataset.js';
import { engineMessage, ident, sqlString, type DuckSession } from './duckdb-session.js';

/** Expectations on one column. Every key is optional. */
export interface ColumnExpectations {
  /** The column must exist (default true for every listed column). */
  required?: boolean;
  /** The column's semantic type; `numeric` also accepts `integer`. */
  type?: ColumnType;
  /** Inclusive bounds for numbers (or ISO dates for datetimes); either may be null. */
  range?: [number | string | null, number | string | null];
  /** Values allowed (missing values are not counted here; see max_missing_rate). */
  allowed?: Array<string | number | boolean>;
  /** Largest allowed share of missing values, in [0, 1]. */
  max_missing_rate?: number;
  /** No value appears twice (missing values ignored). */
  unique?: boolean;
  /** A regular expression (RE2) every non-missing value must match in full. */
  pattern?: string;
}

/** A schema file: dataset-level and per-column expectations. */
export interface SchemaExpectations {
  min_rows?: number;
  columns?: Record<string, ColumnExpectations>;
}

/** Outcome of one expectation. `warn` never fails validation. */
export type CheckStatus = 'pass' | 'fail' | 'warn';

/** The result of one expectation, as data. */
export interface ExpectationResult {
  /** Stable id such as `column:age:range` or `dataset:min_rows`. */
  id: string;
  column: string | null;
  expectation: string;
  status: CheckStatus;
  /** What was expected, as given. */
  expected: unknown;
  /** What was observed (a rate, a count, a type). */
  observed: unknown;
  /** How many rows break the expectation (0 when it passes); for max_missing_rate, the missing count. */
  offending: number;
  /** Up to five offending values. */
  examples: unknown[];
}

/** A validation report for one version. */
export interface ValidationReport {
  ref: string;
  against: string | null;
  passed: boolean;
  rows: number;
  counts: { pass: number; fail: number; warn: number };
  results: ExpectationResult[];
}

const COLUMN_KEYS = ['required', 'type', 'range', 'allowed', 'max_missing_rate', 'unique', 'pattern'];
const EXAMPLES = 5;

/** Reads and checks a schema file (JSON, or YAML by extension `.yaml`/`.yml`). */
export function loadSchemaFile(path: string): SchemaExpectations {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw MloopError.notFound('schema file', path);
    throw MloopError.invalidArgument(`cannot read schema file ${path}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw MloopError.invalidArgument(`schema file ${path} is not valid ${extname(path).toLowerCase().startsWith('.y') ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`, { details: { file: path } });
  }
  return parseExpectations(doc, path);
}

/** Checks the shape of an expectations document; INVALID_ARGUMENT listing every problem. */
export function parseExpectations(doc: unknown, origin = 'schema'): SchemaExpectations {
  const issues: ValidationIssue[] = [];
  const bad = (path: string, message: string) => issues.push({ path, code: 'invalid_expectation', message });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw MloopError.invalidArgument(`${origin} must hold an object with "columns" and optional "min_rows"`);
  }
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!['min_rows', 'columns', '$schema', 'description'].includes(k)) bad(k, `unknown key '${k}'; known: min_rows, columns`);
  if (d['min_rows'] !== undefined && !(Number.isSafeInteger(d['min_rows']) && (d['min_rows'] as number) >= 0)) bad('min_rows', 'must be a non-negative integer');
  const columns = d['columns'];
  if (columns !== undefined && (columns === null || typeof columns !== 'object' || Array.isArray(columns))) bad('columns', 'must map column names to expectations');
  for (const [name, raw] of Object.entries((columns as Record<string, unknown> | undefined) ?? {})) {
    const at = `columns.${name}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      bad(at, 'must be an object of expectations');
      continue;
    }
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!COLUMN_KEYS.includes(k)) bad(`${at}.${k}`, `unknown expectation '${k}'; known: ${COLUMN_KEYS.join(', ')}`);
    if (e['required'] !== undefined && typeof e['required'] !== 'boolean') bad(`${at}.required`, 'must be true or false');
    if (e['unique'] !== undefined && typeof e['unique'] !== 'boolean') bad(`${at}.unique`, 'must be true or false');
    if (e['type'] !== undefined && !COLUMN_TYPES.includes(e['type'] as ColumnType)) bad(`${at}.type`, `must be one of ${COLUMN_TYPES.join(', ')}`);
    const range = e['range'];
    if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range.every((v) => v === null || typeof v === 'number' || typeof v === 'string'))) {
      bad(`${at}.range`, 'must be [min, max] (numbers, ISO dates or null)');
    }
    const allowed = e['allowed'];
    if (allowed !== undefined && !(Array.isArray(allowed) && allowed.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))) bad(`${at}.allowed`, 'must be a list of values');
    const rate = e['max_missing_rate'];
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) bad(`${at}.max_missing_rate`, 'must be a number from 0 to 1');
    if (e['pattern'] !== undefined && typeof e['pattern'] !== 'string') bad(`${at}.pattern`, 'must be a regular expression string');
  }
  if (issues.length > 0) {
    throw MloopError.validation(issues.length === 1 ? `${origin}: ${issues[0]!.path} ${issues[0]!.message}` : `${origin} has ${issues.length} problems`, issues);
  }
  return d as SchemaExpectations;
}

/**
 * Default expectations when no schema file is given, from the version's own schema and roles: every
 * column present with its type, labels never missing, ids unique, and every column's missing count
 * reported (a limit of 1 that always passes but shows the count).
 */
export function defaultExpectations(v: DatasetVersion): SchemaExpectations {
  const columns: Record<string, ColumnExpectations> = {};
  for (const c of v.schema) {
    const e: ColumnExpectations = { required: true, type: c.type, max_missing_rate: c.roles.includes('label') ? 0 : 1 };
    if (c.roles.includes('id')) e.unique = true;
    columns[c.name] = e;
  }
  return { min_rows: 1, columns };
}

function typeMatches(actual: ColumnType, expected: ColumnType): boolean {
  if (actual === expected) return true;
  if (expected === 'numeric' && actual === 'integer') return true;
  // An identifier or free text is still a string column; categorical vs text vs id is a judgement.
  const stringy: ColumnType[] = ['categorical', 'text', 'id'];
  return stringy.includes(actual) && stringy.includes(expected);
}

function jsonValue(v: unknown): unknown {
  return typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
}

function literal(v: string | number | boolean): string {
  return typeof v === 'string' ? sqlString(v) : String(v);
}

/**
 * Checks `expectations` against the Parquet relation of `version` and returns one result per
 * expectation. Never throws for a failed expectation; throws INVALID_ARGUMENT for a bad pattern.
 */
export async function runExpectations(db: DuckSession, relation: string, version: DatasetVersion, expectations: SchemaExpectations): Promise<ExpectationResult[]> {
  const results: ExpectationResult[] = [];
  const rows = version.rowCount;
  const push = (r: Omit<ExpectationResult, 'examples' | 'offending'> & { offending?: number; examples?: unknown[] }) =>
    results.push({ offending: 0, examples: [], ...r });
  if (expectations.min_rows !== undefined) {
    push({ id: 'dataset:min_rows', column: null, expectation: 'min_rows', status: rows >= expectations.min_rows ? 'pass' : 'fail', expected: expectations.min_rows, observed: rows });
  }
  const byName = new Map<string, ColumnSchema>(version.schema.map((c) => [c.name, c]));
  for (const [name, e] of Object.entries(expectations.columns ?? {})) {
    const col = byName.get(name);
    const id = (what: string) => `column:${name}:${what}`;
    if (!col) {
      push({ id: id('required'), column: name, expectation: 'required', status: e.required === false ? 'pass' : 'fail', expected: e.required !== false, observed: 'missing' });
      continue;
    }
    const q = ident(name);
    if (e.required !== undefined) push({ id: id('required'), column: name, expectation: 'required', status: 'pass', expected: e.required, observed: 'present' });
    if (e.type !== undefined) push({ id: id('type'), column: name, expectation: 'type', status: typeMatches(col.type, e.type) ? 'pass' : 'fail', expected: e.type, observed: col.type });
    const offenders = async (what: string, condition: string, expected: unknown, extra: Partial<ExpectationResult> = {}) => {
      let count: number;
      let examples: unknown[];
      try {
        const [row] = await db.all<{ n: string }>(`SELECT count(*) AS n FROM ${relation} WHERE ${q} IS NOT NULL AND (${condition})`);
        count = Number(row?.n ?? 0);
        examples = count === 0 ? [] : (await db.all<{ v: unknown }>(`SELECT DISTINCT ${q} AS v FROM ${relation} WHERE ${q} IS NOT NULL AND (${condition}) LIMIT ${EXAMPLES}`)).map((r) => jsonValue(r.v));
      } catch (err) {
        throw MloopError.invalidArgument(`expectation ${id(what)} cannot be checked: ${engineMessage(err)}`, { cause: err, details: { expectation: id(what) } });
      }
      push({ id: id(what), column: name, expectation: what, status: count === 0 ? 'pass' : 'fail', expected, observed: `${count} offending rows`, offending: count, examples, ...extra });
    };
    if (e.range !== undefined) {
      const [min, max] = e.range;
      const parts = [min === null ? null : `${q} < ${literal(min)}`, max === null ? null : `${q} > ${literal(max)}`].filter((p) => p !== null);
      if (parts.length > 0) await offenders('range', parts.join(' OR '), e.range);
    }
    if (e.allowed !== undefined) {
      const list = e.allowed.length === 0 ? 'NULL' : e.allowed.map((v) => literal(typeof v === 'string' ? v : String(v))).join(', ');
      await offenders('allowed', `CAST(${q} AS VARCHAR) NOT IN (${list})`, e.allowed);
    }
    if (e.pattern !== undefined) await offenders('pattern', `NOT regexp_full_match(CAST(${q} AS VARCHAR), ${sqlString(e.pattern)})`, e.pattern);
    if (e.max_missing_rate !== undefined) {
      const [row] = await db.all<{ n: string }>(`SELECT count(*) - count(${q}) AS n FROM ${relation}`);
      const missing = Number(row?.n ?? 0);
      const rate = rows === 0 ? 0 : missing / rows;
      push({ id: id('max_missing_rate'), column: name, expectation: 'max_missing_rate', status: rate <= e.max_missing_rate ? 'pass' : 'fail', expected: e.max_missing_rate, observed: Number(rate.toFixed(6)), offending: missing });
    }
    if (e.unique === true) {
      const dups = await db.all<{ v: unknown; n: string }>(`SELECT ${q} AS v, count(*) AS n FROM ${relation} WHERE ${q} IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT ${EXAMPLES}`);
      const [total] = await db.all<{ n: string }>(`SELECT count(${q}) - count(DISTINCT ${q}) AS n FROM ${relation}`);
      const extra = Number(total?.n ?? 0);
      push({ id: id('unique'), column: name, expectation: 'unique', status: extra === 0 ? 'pass' : 'fail', expected: true, observed: `${extra} repeated values`, offending: extra, examples: dups.map((d) => jsonValue(d.v)) });
    }
  }
  return results;
}

/**
 * Schema changes from `reference` to `current`: removed and retyped columns fail; added columns
 * and new categories of categorical columns warn.
 */
export async function compareSchemas(db: DuckSession, current: { version: DatasetVersion; relation: string }, reference: { version: DatasetVersion; relation: string }): Promise<ExpectationResult[]> {
  const out: ExpectationResult[] = [];
  const before = new Map(reference.version.schema.map((c) => [c.name, c]));
  const after = new Map(current.version.schema.map((c) => [c.name, c]));
  const against = reference.version.ref;
  for (const [name, c] of before) {
    const now = after.get(name);
    if (!now) {
      out.push({ id: `schema:${name}:removed`, column: name, expectation: 'schema_unchanged', status: 'fail', expected: `present as in ${against}`, observed: 'removed', offending: 0, examples: [] });
    } else if (now.type !== c.type || now.physicalType !== c.physicalType) {
      out.push({ id: `schema:${name}:retyped`, column: name, expectation: 'schema_unchanged', status: 'fail', expected: `${c.type} (${c.physicalType})`, observed: `${now.type} (${now.physicalType})`, offending: 0, examples: [] });
    } else if (c.type === 'categorical') {
      const q = ident(name);
      const fresh = await db.all<{ v: unknown; n: string }>(
        `SELECT CAST(${q} AS VARCHAR) AS v, count(*) AS n FROM ${current.relation} WHERE ${q} IS NOT NULL AND CAST(${q} AS VARCHAR) NOT IN (SELECT DISTINCT CAST(${q} AS VARCHAR) FROM ${reference.relation} WHERE ${q} IS NOT NULL) GROUP BY 1 ORDER BY 2 DESC`,
      );
      const rows = fresh.reduce((s, r) => s + Number(r.n), 0);
      out.push({
        id: `schema:${name}:new_categories`,
        column: name,
        expectation: 'no_new_categories',
        status: fresh.length === 0 ? 'pass' : 'warn',
        expected: `categories of ${against}`,
        observed: `${fresh.length} new categories`,
        offending: rows,
        examples: fresh.slice(0, EXAMPLES).map((r) => r.v),
      });
    }
  }
  for (const [name, c] of after) {
    if (!before.has(name)) out.push({ id: `schema:${name}:added`, column: name, expectation: 'schema_unchanged', status: 'warn', expected: `absent as in ${against}`, observed: `added (${c.type})`, offending: 0, examples: [] });
  }
  return out;
}

/** Builds the report from results. */
export function summarize(ref: string, against: string | null, rows: number, results: ExpectationResult[]): ValidationReport {
  const counts = { pass: 0, fail: 0, warn: 0 };
  for (const r of results) counts[r.status] += 1;
  return { ref, against, passed: counts.fail === 0, rows, counts, results };
}
