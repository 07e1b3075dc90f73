/**
 * The profile of a version: per-column statistics, duplicates and near-duplicates, label
 * distribution, label coverage per slice, and PII counts per column. Computed by DuckDB over the
 * Parquet file; only PII candidates (rows matching a cheap prefilter) are read into JavaScript.
 */
import { MloopError } from '../errors/index.js';
import type { ColumnSchema, DatasetVersion } from './dataset.js';
import { ident, sqlString, type DuckSession } from './duckdb-session.js';
import { findPii, PII_PREFILTER, type PiiType } from './pii.js';

/** Thresholds of the coverage analysis. */
export interface ProfileOptions {
  /** A slice with fewer rows is flagged as too small to learn or evaluate. Default 30. */
  minSliceRows?: number;
  /** A label with fewer examples inside a slice is flagged. Default 5. */
  minLabelRows?: number;
  /** Columns with at most this many distinct values are used as slices. Default 50. */
  maxSliceValues?: number;
  /**
   * Columns to slice by, instead of the default (sensitive columns and categorical columns with at
   * most `maxSliceValues` values). Numbers and datetimes with more values are cut into quartiles.
   */
  sliceBy?: string[];
}

export interface ColumnProfile {
  name: string;
  type: ColumnSchema['type'];
  physicalType: string;
  roles: string[];
  missing: number;
  missingRate: number;
  distinct: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  /** p01, p05, p25, p50, p75, p95, p99. */
  quantiles?: Record<string, number | null>;
  topValues?: Array<{ value: unknown; count: number }>;
  /** Lengths of text values in characters. */
  textLength?: { min: number; mean: number; max: number; quantiles: Record<string, number | null> };
  pii?: Partial<Record<PiiType, number>>;
}

export interface SliceCoverage {
  value: unknown;
  rows: number;
  labels: Record<string, number>;
  /** Labels seen in the dataset with fewer than `minLabelRows` examples (or none) in this slice. */
  thinLabels: string[];
  tooSmall: boolean;
}

export interface DatasetProfile {
  ref: string;
  rows: number;
  columns: ColumnProfile[];
  duplicates: { rows: number; rate: number };
  nearDuplicates: Array<{ column: string; rows: number; rate: number; examples: Array<{ normalized: string; count: number }> }>;
  labels: Array<{ column: string; distribution: Array<{ value: unknown; count: number; share: number }> }>;
  coverage: Array<{ label: string; slice: string; slices: SliceCoverage[]; flagged: number }>;
  pii: { rowsWithPii: number; byColumn: Record<string, Partial<Record<PiiType, number>>> };
  options: Required<ProfileOptions>;
}

const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
const QNAMES = ['p01', 'p05', 'p25', 'p50', 'p75', 'p95', 'p99'];

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const round = (v: number | null, digits = 6): number | null => (v === null || !Number.isFinite(v) ? v : Number(v.toFixed(digits)));
const jsonScalar = (v: unknown): unknown => (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v);

function quantileMap(list: unknown): Record<string, number | null> {
  const values = Array.isArray(list) ? list : [];
  return Object.fromEntries(QNAMES.map((q, i) => [q, round(num(values[i]))]));
}

const NUMERIC_TYPES = new Set(['integer', 'numeric']);
/** DuckDB types whose values are not scalars: `STRUCT(…)`, `MAP(…)`, `UNION(…)`, `JSON`, lists (`T[]`) and arrays (`T[3]`). */
const NESTED_TYPE = /^(STRUCT|MAP|UNION)\(|^JSON$|\]$/;
const MAX_NESTED_TEXT = 80;
const shorten = (text: string): string => (text.length > MAX_NESTED_TEXT ? `${text.slice(0, MAX_NESTED_TEXT - 1)}…` : text);
const normalized = (q: string) => `trim(regexp_replace(lower(CAST(${q} AS VARCHAR)), '[^a-z0-9]+', ' ', 'g'))`;

/** The options a profile is computed with: the defaults where `options` gives none (or gives undefined). */
export function resolveProfileOptions(options: ProfileOptions = {}): Required<ProfileOptions> {
  return {
    minSliceRows: options.minSliceRows ?? 30,
    minLabelRows: options.minLabelRows ?? 5,
    maxSliceValues: options.maxSliceValues ?? 50,
    sliceBy: options.sliceBy ?? [],
  };
}

/** Profiles `relation` (the version's Parquet) and returns the report as data. */
export async function profileVersion(db: DuckSession, relation: string, v: DatasetVersion, options: ProfileOptions = {}): Promise<DatasetProfile> {
  const opts = resolveProfileOptions(options);
  const unknown = opts.sliceBy.filter((n) => !v.schema.some((c) => c.name === n));
  if (unknown.length > 0) throw MloopError.invalidArgument(`cannot slice by ${unknown.map((n) => `'${n}'`).join(', ')}: no such column in ${v.ref}`, { details: { columns: v.schema.map((c) => c.name) } });
  const rows = v.rowCount;
  const columns: ColumnProfile[] = [];
  for (const c of v.schema) {
    const q = ident(c.name);
    const [base = {}] = await db.all(`SELECT count(*) - count(${q}) AS missing, count(DISTINCT ${q}) AS distinct FROM ${relation}`);
    const missing = Number(base['missing'] ?? 0);
    const p: ColumnProfile = { name: c.name, type: c.type, physicalType: c.physicalType, roles: c.roles, missing, missingRate: round(rows === 0 ? 0 : missing / rows) ?? 0, distinct: Number(base['distinct'] ?? 0) };
    if (NUMERIC_TYPES.has(c.type) && c.physicalType !== 'VARCHAR') {
      const [s = {}] = await db.all(
        `SELECT min(${q})::DOUBLE AS min, max(${q})::DOUBLE AS max, avg(${q})::DOUBLE AS mean, stddev_samp(${q})::DOUBLE AS std, quantile_cont(${q}::DOUBLE, [${QUANTILES.join(', ')}]) AS q FROM ${relation}`,
      );
      Object.assign(p, { min: num(s['min']), max: num(s['max']), mean: round(num(s['mean'])), std: round(num(s['std'])), quantiles: quantileMap(s['q']) });
    } else if (c.type === 'datetime') {
      const [s = {}] = await db.all(`SELECT CAST(min(${q}) AS VARCHAR) AS min, CAST(max(${q}) AS VARCHAR) AS max FROM ${relation}`);
      Object.assign(p, { min: s['min'] ?? null, max: s['max'] ?? null });
    }
    if (c.physicalType === 'VARCHAR') {
      const [s = {}] = await db.all(
        `SELECT min(length(${q})) AS min, avg(length(${q}))::DOUBLE AS mean, max(length(${q})) AS max, quantile_cont(length(${q})::DOUBLE, [${QUANTILES.join(', ')}]) AS q FROM ${relation}`,
      );
      p.textLength = { min: Number(s['min'] ?? 0), mean: round(num(s['mean'])) ?? 0, max: Number(s['max'] ?? 0), quantiles: quantileMap(s['q']) };
    }
    if (c.type !== 'text' && c.type !== 'numeric') {
      // Nested values (STRUCT, MAP, lists, JSON) are shown as their JSON text, cut to MAX_NESTED_TEXT characters.
      const nested = NESTED_TYPE.test(c.physicalType);
      const value = nested ? `CAST(to_json(${q}) AS VARCHAR)` : q;
      const top = await db.all<{ v: unknown; n: string }>(`SELECT ${value} AS v, count(*) AS n FROM ${relation} WHERE ${q} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`);
      p.topValues = top.map((t) => ({ value: nested ? shorten(String(t.v)) : jsonScalar(t.v), count: Number(t.n) }));
    }
    columns.push(p);
  }

  const [dup = {}] = await db.all(`SELECT count(*) AS n FROM (SELECT DISTINCT * FROM ${relation})`);
  const duplicateRows = rows - Number(dup['n'] ?? rows);

  const nearDuplicates: DatasetProfile['nearDuplicates'] = [];
  for (const c of v.schema.filter((x) => x.type === 'text')) {
    const q = ident(c.name);
    const groups = await db.all<{ k: string; n: string }>(
      `SELECT ${normalized(q)} AS k, count(*) AS n FROM ${relation} WHERE ${q} IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 5`,
    );
    const [total = {}] = await db.all(`SELECT count(${q}) - count(DISTINCT ${normalized(q)}) AS n FROM ${relation}`);
    const n = Number(total['n'] ?? 0);
    nearDuplicates.push({ column: c.name, rows: n, rate: round(rows === 0 ? 0 : n / rows) ?? 0, examples: groups.map((g) => ({ normalized: g.k.slice(0, 200), count: Number(g.n) })) });
  }

  const labels: DatasetProfile['labels'] = [];
  const coverage: DatasetProfile['coverage'] = [];
  for (const l of v.schema.filter((x) => x.roles.includes('label'))) {
    const lq = ident(l.name);
    const dist = await db.all<{ v: unknown; n: string }>(`SELECT CAST(${lq} AS VARCHAR) AS v, count(*) AS n FROM ${relation} GROUP BY 1 ORDER BY 2 DESC, 1`);
    labels.push({ column: l.name, distribution: dist.map((d) => ({ value: d.v, count: Number(d.n), share: round(rows === 0 ? 0 : Number(d.n) / rows) ?? 0 })) });
    const known = dist.filter((d) => d.v !== null).map((d) => String(d.v));
    const sliceColumns =
      opts.sliceBy.length > 0
        ? columns.filter((c) => c.name !== l.name && opts.sliceBy.includes(c.name))
        : columns.filter((c) => c.name !== l.name && (c.roles.includes('sensitive') || ((c.type === 'categorical' || c.type === 'boolean') && c.distinct <= opts.maxSliceValues)));
    for (const s of sliceColumns) {
      const sq = ident(s.name);
      let key = `CAST(${sq} AS VARCHAR)`;
      if ((NUMERIC_TYPES.has(s.type) || s.type === 'datetime') && s.distinct > opts.maxSliceValues) {
        // Quartile bins, labelled by their bounds, so a continuous column can be a slice too.
        const [q = {}] = await db.all(`SELECT CAST(quantile_disc(${sq}, [0.25, 0.5, 0.75]) AS VARCHAR[]) AS q, CAST(min(${sq}) AS VARCHAR) AS lo, CAST(max(${sq}) AS VARCHAR) AS hi FROM ${relation}`);
        const [q1, q2, q3] = (q['q'] as string[] | null) ?? [];
        const cast = (x: unknown) => `CAST(${sqlString(String(x))} AS ${s.physicalType})`;
        key = `CASE WHEN ${sq} IS NULL THEN NULL WHEN ${sq} <= ${cast(q1)} THEN ${sqlString(`[${q['lo']}, ${q1}]`)} WHEN ${sq} <= ${cast(q2)} THEN ${sqlString(`(${q1}, ${q2}]`)} WHEN ${sq} <= ${cast(q3)} THEN ${sqlString(`(${q2}, ${q3}]`)} ELSE ${sqlString(`(${q3}, ${q['hi']}]`)} END`;
      }
      const cells = await db.all<{ s: unknown; l: string | null; n: string }>(
        `SELECT ${key} AS s, CAST(${lq} AS VARCHAR) AS l, count(*) AS n FROM ${relation} GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      const bySlice = new Map<string, SliceCoverage>();
      for (const cell of cells) {
        const key = String(cell.s);
        let slice = bySlice.get(key);
        if (!slice) bySlice.set(key, (slice = { value: cell.s, rows: 0, labels: {}, thinLabels: [], tooSmall: false }));
        slice.rows += Number(cell.n);
        if (cell.l !== null) slice.labels[cell.l] = Number(cell.n);
      }
      const slices = [...bySlice.values()];
      for (const slice of slices) {
        slice.tooSmall = slice.rows < opts.minSliceRows;
        slice.thinLabels = known.filter((k) => (slice.labels[k] ?? 0) < opts.minLabelRows);
      }
      coverage.push({ label: l.name, slice: s.name, slices, flagged: slices.filter((x) => x.tooSmall || x.thinLabels.length > 0).length });
    }
  }

  const byColumn: DatasetProfile['pii']['byColumn'] = {};
  const textColumns = v.schema.filter((c) => c.physicalType === 'VARCHAR' && c.type !== 'id');
  let rowsWithPii = 0;
  if (textColumns.length > 0) {
    const cols = textColumns.map((c) => ident(c.name));
    const where = cols.map((q) => `regexp_matches(${q}, ${sqlString(PII_PREFILTER)})`).join(' OR ');
    for await (const chunk of db.stream<Record<string, string | null>>(`SELECT ${cols.join(', ')} FROM ${relation} WHERE ${where}`)) {
      for (const row of chunk) {
        let any = false;
        for (const c of textColumns) {
          const value = row[c.name];
          if (typeof value !== 'string') continue;
          for (const m of findPii(value)) {
            const counts = (byColumn[c.name] ??= {});
            counts[m.kind] = (counts[m.kind] ?? 0) + 1;
            any = true;
          }
        }
        if (any) rowsWithPii += 1;
      }
    }
  }
  for (const c of columns) if (byColumn[c.name]) c.pii = byColumn[c.name]!;

  return {
    ref: v.ref,
    rows,
    columns,
    duplicates: { rows: duplicateRows, rate: round(rows === 0 ? 0 : duplicateRows / rows) ?? 0 },
    nearDuplicates,
    labels,
    coverage,
    pii: { rowsWithPii, byColumn },
    options: opts,
  };
}
