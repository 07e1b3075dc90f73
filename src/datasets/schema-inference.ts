/** Infers each column's semantic type (numeric, integer, boolean, categorical, text, datetime, id). */
import { MloopError } from '../errors/index.js';
import type { ColumnRole, ColumnSchema, ColumnType } from './dataset.js';
import { ident, type DuckSession } from './duckdb-session.js';

/** Column roles given at import, by role. */
export interface ColumnRoles {
  text?: string[] | undefined;
  label?: string[] | undefined;
  id?: string[] | undefined;
  time?: string[] | undefined;
  sensitive?: string[] | undefined;
}

/** Facts about one column that decide its type. */
export interface ColumnFacts {
  name: string;
  physicalType: string;
  nonNull: number;
  distinct: number;
  /** Mean length of text values; 0 for other types. */
  meanLength: number;
}

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;
const NUMERIC = /^(FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const DATETIME = /^(DATE|TIME|TIMESTAMP.*|TIMESTAMP WITH TIME ZONE)$/;
/** Integer columns with such names and all values distinct are ids. */
const ID_NAME = /(^|[_\s-])id$/i;

/** Throws INVALID_ARGUMENT naming every role column that does not exist. */
export function checkRoles(roles: ColumnRoles, columns: string[], file: string): void {
  const known = new Set(columns);
  const issues = Object.entries(roles).flatMap(([role, names]) =>
    ((names as string[] | undefined) ?? [])
      .filter((n) => !known.has(n))
      .map((n) => ({ path: n, code: 'unknown_column', message: `--${role} column '${n}' does not exist in ${file}` })),
  );
  if (issues.length > 0) {
    throw MloopError.validation(issues.length === 1 ? issues[0]!.message : `${issues.length} role columns do not exist in ${file}`, issues, {
      details: { columns },
      hint: `columns are: ${columns.slice(0, 30).join(', ')}${columns.length > 30 ? ', …' : ''}`,
    });
  }
}

/** The semantic type of a column from its facts and roles. */
export function inferType(f: ColumnFacts, roles: ColumnRole[]): ColumnType {
  if (roles.includes('id')) return 'id';
  if (roles.includes('time')) return 'datetime';
  if (roles.includes('text')) return 'text';
  const t = f.physicalType;
  if (t === 'BOOLEAN') return 'boolean';
  if (DATETIME.test(t)) return 'datetime';
  if (INTEGER.test(t)) {
    if (roles.includes('label')) return 'categorical';
    return f.nonNull >= 20 && f.distinct === f.nonNull && ID_NAME.test(f.name) ? 'id' : 'integer';
  }
  if (NUMERIC.test(t)) return 'numeric';
  if (t !== 'VARCHAR') return 'categorical';
  if (roles.includes('label')) return 'categorical';
  if (f.nonNull >= 20 && f.distinct >= f.nonNull * 0.99 && f.meanLength < 40) return 'id';
  if (f.meanLength >= 30 || (f.distinct > 1000 && f.distinct > f.nonNull * 0.5)) return 'text';
  return 'categorical';
}

/**
 * Rows the type heuristics look at: the first ones, like DuckDB's sniffer, so a large import does
 * not pay a second full scan. Physical types are exact (every row was converted); only the choice
 * between id, categorical and text comes from this sample.
 */
export const FACT_SAMPLE_ROWS = 200_000;

/** Reads the facts of every column of `relation` (a table expression) in one scan of its first rows. */
export async function columnFacts(db: DuckSession, relation: string, columns: Array<{ name: string; physicalType: string }>): Promise<ColumnFacts[]> {
  const parts = columns.map((c, i) => {
    const q = ident(c.name);
    const len = c.physicalType === 'VARCHAR' ? `coalesce(avg(length(${q})), 0)` : '0';
    // Distinct counts only decide between id, categorical and text; other types skip the work.
    const distinct = c.physicalType === 'VARCHAR' || INTEGER.test(c.physicalType) ? `approx_count_distinct(${q})` : '0';
    return `count(${q}) AS nn${i}, ${distinct} AS nd${i}, ${len} AS ml${i}`;
  });
  const [row = {}] = await db.all<Record<string, string | number | null>>(`SELECT ${parts.join(', ') || '1 AS none'} FROM (SELECT * FROM ${relation} LIMIT ${FACT_SAMPLE_ROWS})`);
  return columns.map((c, i) => {
    const nonNull = Number(row[`nn${i}`] ?? 0);
    // approx_count_distinct can overshoot slightly; it never exceeds the non-null count.
    return { name: c.name, physicalType: c.physicalType, nonNull, distinct: Math.min(nonNull, Number(row[`nd${i}`] ?? 0)), meanLength: Number(row[`ml${i}`] ?? 0) };
  });
}

/**
 * Whether {@link inferType} reads the facts of a column with these roles: only text columns and
 * integer columns named like an id decide on them, and only without an id, time, text or label role.
 */
export function needsFacts(column: { name: string; physicalType: string }, roles: ColumnRole[]): boolean {
  if (roles.some((r) => r === 'id' || r === 'time' || r === 'text' || r === 'label')) return false;
  if (column.physicalType === 'VARCHAR') return true;
  return INTEGER.test(column.physicalType) && ID_NAME.test(column.name);
}

/**
 * Throws INVALID_ARGUMENT, naming the column and one offending value, when a column with the time
 * role holds a value that is not a date or timestamp: a date/time type passes, text passes when
 * every value converts to a timestamp, any other type (numbers, booleans, nested values) fails.
 */
export async function checkTimeColumns(db: DuckSession, relation: string, columns: Array<{ name: string; physicalType: string }>, roles: ColumnRoles): Promise<void> {
  for (const name of roles.time ?? []) {
    const column = columns.find((c) => c.name === name);
    if (column === undefined || DATETIME.test(column.physicalType)) continue;
    const q = ident(name);
    const bad = column.physicalType === 'VARCHAR' ? `${q} IS NOT NULL AND TRY_CAST(${q} AS TIMESTAMP) IS NULL` : `${q} IS NOT NULL`;
    const [row] = await db.all<{ v: string }>(`SELECT CAST(${q} AS VARCHAR) AS v FROM ${relation} WHERE ${bad} LIMIT 1`);
    if (row === undefined) continue;
    const example = row.v.length > 40 ? `${row.v.slice(0, 40)}…` : row.v;
    throw MloopError.invalidArgument(`--time column '${name}' holds values that are not dates or timestamps (e.g. ${JSON.stringify(example)})`, {
      details: { column: name, physicalType: column.physicalType, example },
      hint: 'give --time a column of dates or timestamps, such as 2026-01-02 or 2026-01-02 10:30:00',
    });
  }
}

/** The schema of a relation, with roles applied. Only the columns whose type depends on facts are scanned. */
export async function inferSchema(db: DuckSession, relation: string, columns: Array<{ name: string; physicalType: string }>, roles: ColumnRoles): Promise<ColumnSchema[]> {
  const own = columns.map((c) => (Object.entries(roles) as Array<[ColumnRole, string[] | undefined]>).filter(([, names]) => names?.includes(c.name)).map(([role]) => role));
  const scanned = columns.filter((c, i) => needsFacts(c, own[i]!));
  const facts = new Map((scanned.length === 0 ? [] : await columnFacts(db, relation, scanned)).map((f) => [f.name, f]));
  return columns.map((c, i) => {
    const f = facts.get(c.name) ?? { name: c.name, physicalType: c.physicalType, nonNull: 0, distinct: 0, meanLength: 0 };
    return { name: c.name, physicalType: c.physicalType, type: inferType(f, own[i]!), roles: own[i]! };
  });
}
