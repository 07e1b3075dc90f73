/**
 * Transforms that make child versions — split, derive (SQL), redact — and export. Each is a
 * function of the parent's content and its parameters only, so it is deterministic and its content
 * hash (parent hashes + parameters) identifies the result.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { MloopError } from '../errors/index.js';
import { assertDatasetName, type ColumnSchema, type DatasetVersion } from './dataset.js';
import { engineMessage, ident, PARQUET_OPTIONS, sqlString, type DuckSession } from './duckdb-session.js';
import { PII_PREFILTER, redactText, type PiiType } from './pii.js';

/** How rows are assigned to parts. */
export const SPLIT_METHODS = Object.freeze(['random', 'stratified', 'time'] as const);
export type SplitMethod = (typeof SPLIT_METHODS)[number];

/** A checked split plan. */
export interface SplitPlan {
  by: SplitMethod;
  ratios: number[];
  names: string[];
  seed: number;
  /** The label (stratified) or time column (time); null for random. */
  column: string | null;
}

/** Parses `0.8,0.1,0.1` and checks the plan; INVALID_ARGUMENT naming the problem. */
export function planSplit(v: DatasetVersion, o: { by: string; ratios: string | number[]; seed?: number | undefined; names?: string[] | undefined; column?: string | undefined }): SplitPlan {
  if (!SPLIT_METHODS.includes(o.by as SplitMethod)) throw MloopError.invalidArgument(`unknown split method '${o.by}'; known methods: ${SPLIT_METHODS.join(', ')}`);
  const by = o.by as SplitMethod;
  const ratios = typeof o.ratios === 'string' ? o.ratios.split(',').map((r) => Number(r.trim())) : o.ratios;
  if (ratios.length < 2 || ratios.length > 5 || ratios.some((r) => !Number.isFinite(r) || r <= 0)) {
    throw MloopError.invalidArgument(`--ratios must be 2 to 5 positive numbers, such as 0.8,0.1,0.1; got ${JSON.stringify(o.ratios)}`);
  }
  const sum = ratios.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw MloopError.invalidArgument(`--ratios must add up to 1, they add up to ${Number(sum.toFixed(6))}`);
  const names = o.names ?? (ratios.length === 2 ? ['train', 'test'] : ratios.length === 3 ? ['train', 'validation', 'test'] : ratios.map((_, i) => `part${i + 1}`));
  if (names.length !== ratios.length || new Set(names).size !== names.length) throw MloopError.invalidArgument(`--names must give ${ratios.length} distinct names`);
  for (const n of names) assertDatasetName(`${v.name}-${n}`);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw MloopError.invalidArgument(`--seed must be an integer, got ${seed}`);
  const role = by === 'stratified' ? 'label' : by === 'time' ? 'time' : undefined;
  let column: string | null = null;
  if (role !== undefined) {
    column = o.column ?? v.schema.find((c) => c.roles.includes(role))?.name ?? (by === 'time' ? (v.schema.find((c) => c.type === 'datetime')?.name ?? null) : null);
    if (column === null) throw MloopError.invalidArgument(`a ${by} split needs a ${role} column: import with --${role} <col>, or pass --column <col>`);
    if (!v.schema.some((c) => c.name === column)) throw MloopError.invalidArgument(`column '${column}' does not exist in ${v.ref}`, { details: { columns: v.schema.map((c) => c.name) } });
  }
  return { by, ratios, names, seed, column };
}

/** The half-open range of positions in [0, 1) that part `index` of `plan` takes. */
function partBounds(plan: SplitPlan, index: number): [number, number] {
  const bounds = plan.ratios.reduce<number[]>((acc, r) => [...acc, (acc.at(-1) ?? 0) + r], []);
  const lo = index === 0 ? -1 : bounds[index - 1]!;
  const hi = index === plan.ratios.length - 1 ? 2 : bounds[index]!;
  return [lo, hi];
}

/** SQL giving each row of a relation read with file_row_number its position in [0, 1) under `plan`. */
function splitPosition(plan: SplitPlan): string {
  const key = `md5(${sqlString(`${plan.seed}:`)} || CAST(file_row_number AS VARCHAR))`;
  return plan.by === 'random'
    ? `(row_number() OVER (ORDER BY ${key}) - 1) / count(*) OVER ()`
    : plan.by === 'stratified'
      ? `(row_number() OVER (PARTITION BY ${ident(plan.column!)} ORDER BY ${key}) - 1) / count(*) OVER (PARTITION BY ${ident(plan.column!)})`
      : `(row_number() OVER (ORDER BY ${ident(plan.column!)} NULLS LAST, file_row_number) - 1) / count(*) OVER ()`;
}

/**
 * SQL selecting the rows of part `index` of `plan` from `relation` (read with file_row_number), in
 * the parent's order. The assignment depends only on the seed and each row's position (random,
 * stratified) or its time (time), so it is the same on every run.
 */
export function splitQuery(relation: string, plan: SplitPlan, index: number): string {
  const [lo, hi] = partBounds(plan, index);
  return `SELECT * EXCLUDE (file_row_number, mloop_position) FROM (SELECT *, ${splitPosition(plan)} AS mloop_position FROM ${relation}) WHERE mloop_position >= ${lo} AND mloop_position < ${hi} ORDER BY file_row_number`;
}

/** The row count of every part of `plan`, in plan order, from one pass that writes nothing. */
export async function splitPartSizes(db: DuckSession, parquet: string, plan: SplitPlan): Promise<number[]> {
  const counts = plan.ratios.map((_, i) => {
    const [lo, hi] = partBounds(plan, i);
    return `count_if(mloop_position >= ${lo} AND mloop_position < ${hi}) AS p${i}`;
  });
  const [row] = await db.all<Record<string, string>>(`SELECT ${counts.join(', ')} FROM (SELECT ${splitPosition(plan)} AS mloop_position FROM read_parquet(${sqlString(parquet)}, file_row_number=true))`);
  return plan.ratios.map((_, i) => Number(row?.[`p${i}`] ?? 0));
}

/** Writes part `index` of the split and returns its row count. */
export async function writeSplitPart(db: DuckSession, parquet: string, plan: SplitPlan, index: number, out: string): Promise<number> {
  const relation = `read_parquet(${sqlString(parquet)}, file_row_number=true)`;
  await db.run(`COPY (${splitQuery(relation, plan, index)}) TO ${sqlString(out)} (${PARQUET_OPTIONS})`);
  const [row] = await db.all<{ n: string }>(`SELECT count(*) AS n FROM read_parquet(${sqlString(out)})`);
  return Number(row?.n ?? 0);
}

const PLACEHOLDER = /\{([^{}\s]+)\}/g;

/** The `{name@N}` references in a derive query, in order of first appearance. */
export function queryRefs(query: string): string[] {
  return [...new Set([...query.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Runs a derive query whose `{ref}` placeholders map to Parquet paths; returns the written columns. */
export async function writeDerived(db: DuckSession, query: string, paths: Map<string, string>, out: string): Promise<{ rowCount: number; columns: Array<{ name: string; physicalType: string }> }> {
  const sql = query.trim().replace(/;\s*$/, '').replace(PLACEHOLDER, (_, ref: string) => `read_parquet(${sqlString(paths.get(ref)!)})`);
  try {
    await db.run(`COPY (${sql}) TO ${sqlString(out)} (${PARQUET_OPTIONS})`);
  } catch (err) {
    throw MloopError.invalidArgument(`the derive query failed: ${engineMessage(err).slice(0, 300)}`, { cause: err, details: { query } });
  }
  const columns = (await db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet(${sqlString(out)})`)).map((c) => ({ name: c.column_name, physicalType: c.column_type }));
  const [row] = await db.all<{ n: string }>(`SELECT count(*) AS n FROM read_parquet(${sqlString(out)})`);
  const rowCount = Number(row?.n ?? 0);
  if (rowCount === 0) throw MloopError.invalidArgument('the derive query returned no rows', { details: { query } });
  return { rowCount, columns };
}

/** Columns redact scans by default: text-like columns that are not identifiers. */
export function redactableColumns(v: DatasetVersion, only?: string[]): ColumnSchema[] {
  if (only !== undefined && only.length > 0) {
    const missing = only.filter((n) => !v.schema.some((c) => c.name === n && c.physicalType === 'VARCHAR'));
    if (missing.length > 0) throw MloopError.invalidArgument(`not text columns of ${v.ref}: ${missing.join(', ')}`);
    return v.schema.filter((c) => only.includes(c.name));
  }
  return v.schema.filter((c) => c.physicalType === 'VARCHAR' && c.type !== 'id');
}

/**
 * Writes `parquet` with PII in `columns` replaced by typed placeholders. Only rows that match the
 * prefilter pass through JavaScript; their redacted values are joined back by row position.
 */
export async function writeRedacted(db: DuckSession, parquet: string, columns: ColumnSchema[], changesFile: string, out: string): Promise<Record<string, Partial<Record<PiiType, number>>>> {
  const relation = `read_parquet(${sqlString(parquet)}, file_row_number=true)`;
  const counts: Record<string, Partial<Record<PiiType, number>>> = {};
  const file = createWriteStream(changesFile, { flags: 'wx' });
  let changed = 0;
  if (columns.length > 0) {
    const where = columns.map((c) => `regexp_matches(${ident(c.name)}, ${sqlString(PII_PREFILTER)})`).join(' OR ');
    for await (const chunk of db.stream<Record<string, string | null>>(`SELECT file_row_number AS r, ${columns.map((c, i) => `${ident(c.name)} AS c${i}`).join(', ')} FROM ${relation} WHERE ${where}`)) {
      let lines = '';
      for (const row of chunk) {
        const update: Record<string, unknown> = { r: Number(row['r']) };
        let any = false;
        columns.forEach((c, i) => {
          const value = row[`c${i}`];
          if (typeof value !== 'string') return;
          const red = redactText(value);
          if (red.text === value) return;
          update[`c${i}`] = red.text;
          any = true;
          const per = (counts[c.name] ??= {});
          for (const [k, n] of Object.entries(red.counts)) per[k as PiiType] = (per[k as PiiType] ?? 0) + n;
        });
        if (any) {
          lines += `${JSON.stringify(update)}\n`;
          changed += 1;
        }
      }
      if (lines && !file.write(lines)) await once(file, 'drain');
    }
  }
  file.end();
  await once(file, 'close');
  if (changed === 0) {
    await db.run(`COPY (SELECT * EXCLUDE (file_row_number) FROM ${relation} ORDER BY file_row_number) TO ${sqlString(out)} (${PARQUET_OPTIONS})`);
    return counts;
  }
  const types = `{'r': 'BIGINT', ${columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ')}}`;
  const replace = columns.map((c, i) => `coalesce(x.c${i}, t.${ident(c.name)}) AS ${ident(c.name)}`).join(', ');
  await db.run(
    `COPY (SELECT t.* EXCLUDE (file_row_number) REPLACE (${replace}) FROM ${relation} t LEFT JOIN read_json(${sqlString(changesFile)}, format='newline_delimited', columns=${types}) x ON x.r = t.file_row_number ORDER BY t.file_row_number) TO ${sqlString(out)} (${PARQUET_OPTIONS})`,
  );
  return counts;
}

/** Export formats, by file extension. */
export const EXPORT_FORMATS: Readonly<Record<string, string>> = Object.freeze({ '.csv': "FORMAT csv, HEADER true", '.tsv': "FORMAT csv, HEADER true, DELIMITER '\t'", '.jsonl': 'FORMAT json', '.ndjson': 'FORMAT json', '.parquet': PARQUET_OPTIONS });
