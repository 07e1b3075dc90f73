/** Reading a version's columns into typed arrays, for training and evaluation. */
import { MloopError } from '../errors/index.js';
import type { DatasetVersion } from './dataset.js';
import type { DatasetService } from './dataset-service.js';
import { ident, sqlString } from './duckdb-session.js';

/** A column in memory: numbers as Float64Array (NaN = missing), everything else as strings. */
export type ColumnData = { kind: 'numeric'; values: Float64Array } | { kind: 'string'; values: Array<string | null> };

export interface ColumnsRead {
  version: DatasetVersion;
  rows: number;
  columns: Record<string, ColumnData>;
}

const NUMERIC_TYPES = new Set(['numeric', 'integer', 'boolean']);

/**
 * Reads `columns` of a dataset version in row order. Numeric, integer and boolean columns become
 * Float64Array (missing → NaN, non-finite values stay as they are); the others become strings, and
 * so do boolean columns named in `options.labels` (class labels: `true`/`false`, never 1/0).
 * NOT_FOUND names the missing column and lists the version's columns.
 */
export async function readColumns(datasets: DatasetService, ref: string, columns: readonly string[], options: { labels?: readonly string[] } = {}): Promise<ColumnsRead> {
  const version = await datasets.show(ref);
  const schema = new Map(version.schema.map((c) => [c.name, c]));
  for (const name of columns) {
    if (!schema.has(name)) {
      throw MloopError.notFound('column', `${version.ref}:${name}`, { hint: `columns of ${version.ref}: ${version.schema.map((c) => c.name).join(', ')}` });
    }
  }
  const path = await datasets.parquetPath(version);
  const asLabel = (name: string) => schema.get(name)!.type === 'boolean' && (options.labels ?? []).includes(name);
  const kinds = columns.map((name) => (NUMERIC_TYPES.has(schema.get(name)!.type) && !asLabel(name) ? 'numeric' : 'string'));
  const select = columns
    .map((name, i) => (kinds[i] === 'numeric' ? `TRY_CAST(${ident(name)} AS DOUBLE)` : `CAST(${ident(name)} AS VARCHAR)`) + ` AS c${i}`)
    .join(', ');
  const n = version.rowCount;
  const out: ColumnData[] = kinds.map((k) => (k === 'numeric' ? { kind: 'numeric', values: new Float64Array(n) } : { kind: 'string', values: new Array<string | null>(n) }));
  let row = 0;
  await datasets.withEngine(async (db) => {
    for await (const chunk of db.stream<Record<string, unknown>>(`SELECT ${select || '1'} FROM read_parquet(${sqlString(path)})`)) {
      for (const r of chunk) {
        if (row >= n) throw MloopError.internal(`${version.ref} holds more rows than recorded`);
        columns.forEach((_, i) => {
          const v = r[`c${i}`];
          const col = out[i]!;
          if (col.kind === 'numeric') col.values[row] = v === null || v === undefined ? Number.NaN : Number(v);
          else col.values[row] = v === null || v === undefined ? null : String(v);
        });
        row++;
      }
    }
  });
  if (row !== n) throw MloopError.internal(`${version.ref} holds ${row} rows but ${n} were recorded`);
  return { version, rows: n, columns: Object.fromEntries(columns.map((name, i) => [name, out[i]!])) };
}
