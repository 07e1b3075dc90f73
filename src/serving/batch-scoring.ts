/**
 * Batch scoring (`mloop predict`): a file in (CSV, TSV, JSON Lines or Parquet), the same file
 * with predictions out. The input is read as `mloop data import` reads it into a staged Parquet
 * file, which DuckDB streams in chunks; DuckDB also writes Parquet output, all under a memory
 * limit, so memory stays bounded whatever the file size.
 */
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeFileAtomic } from '../artifacts/index.js';
import { DuckSession, stageFile, type StagedFile } from '../datasets/index.js';
import { MloopError, isMloopError } from '../errors/index.js';
import type { ModelVersion } from '../registry/index.js';
import { predictWithInScope, type ColumnBatch, type Predictor } from '../training/index.js';
import { applyPlan, rejectOutOfScope, rowResults, storedOutOfScopeThreshold, storedPlan, storedThreshold } from './inference.js';

/** File formats batch scoring reads and writes, by extension. */
export const BATCH_FORMATS = Object.freeze({ '.csv': 'csv', '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet' } as const);
type Format = (typeof BATCH_FORMATS)[keyof typeof BATCH_FORMATS];

export interface BatchScoreOptions {
  /** Rows per predictor call. Default 4096. */
  chunkRows?: number;
  /** DuckDB memory limit. Default 256MB. */
  memoryLimit?: string;
  onProgress?(done: number, total: number): void;
  /** Replace an existing output file (default: refuse). */
  force?: boolean;
  /**
   * Strings that mean missing, as `mloop data import --na` takes them: besides empty CSV fields and
   * JSON null, text values equal to one of them are read as missing. Score with the same strings
   * the training data was imported with, or a `?` is a category of its own.
   */
  na?: readonly string[];
}

export interface BatchScoreResult {
  model: string;
  version: number;
  input: string;
  output: string;
  format: Format;
  rows: number;
  automated: number;
  review: number;
  seconds: number;
  rowsPerSecond: number;
}

function formatOf(file: string, what: string): Format {
  const ext = extname(file).toLowerCase() as keyof typeof BATCH_FORMATS;
  const f = BATCH_FORMATS[ext];
  if (f === undefined) throw MloopError.invalidArgument(`${what} ${file}: unknown format '${ext || '(no extension)'}'; use one of ${Object.keys(BATCH_FORMATS).join(', ')}`);
  return f;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Reads `input` as `mloop data import` does (CSV/TSV with a fixed dialect, so a malformed row is an
 * error naming its line, `na` strings as missing, and each column typed by all its values) into a
 * Parquet file at `staged`.
 * `onColumns` sees the column names before the rows are read.
 */
async function stageInput(connection: DuckDBConnection, input: string, format: Format, staged: string, na: readonly string[], onColumns: (names: string[]) => void): Promise<StagedFile> {
  try {
    return await stageFile(new DuckSession(connection), input, staged, { format, na: [...na], onColumns });
  } catch (err) {
    // The import's hints name options batch scoring does not have.
    if (isMloopError(err) && err.hint !== undefined && /--skip-bad-rows|--encoding/.test(err.hint)) {
      const hint = err.hint.includes('--encoding') ? 'mloop predict reads UTF-8 text: convert the file first (iconv -f latin1 -t utf-8, for example)' : 'fix the file: mloop predict scores every row';
      throw new MloopError(err.code, err.message, { ...(err.details === undefined ? {} : { details: err.details }), hint, cause: err });
    }
    throw err;
  }
}

/**
 * SQL rendering the input columns of a row as one JSON object, with the input's types: numbers as
 * JSON numbers (the engine's row objects give BIGINT and DECIMAL as strings), dates and times as
 * strings. JSON has no NaN or infinity, so those floats become null.
 */
function rowJsonSql(described: ReadonlyArray<{ column_name: string; column_type: string }>): string {
  const fields = described.map(({ column_name: c, column_type: t }) =>
    `${lit(c)}: ${/^(DOUBLE|FLOAT|REAL)$/.test(t) ? `CASE WHEN isfinite(${ident(c)}) THEN ${ident(c)} END` : ident(c)}`,
  );
  return `to_json({${fields.join(', ')}})`;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r\t]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Refuses, before any work, an output that cannot be written: its folder missing, or a folder itself. */
function checkOutput(output: string, force: boolean): void {
  const folder = dirname(output);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    isFolder = false;
  }
  if (!isFolder) throw MloopError.invalidArgument(`cannot write ${output}: its folder ${folder} does not exist`, { hint: 'create the folder first, or pick another --output' });
  if (!existsSync(output)) return;
  if (statSync(output).isDirectory()) throw MloopError.invalidArgument(`cannot write ${output}: it is a folder`, { hint: 'name a file in it, such as scored.csv' });
  if (!force) throw MloopError.alreadyExists('file', output, { hint: 'pass --force to replace it' });
}

/**
 * Scores `input` with `predictor` (a loaded `version`) into `output`. The output is written to a
 * temp file beside it and renamed when complete, so a failure leaves no partial output and an
 * existing file replaced with `force` intact. INVALID_ARGUMENT, before any scoring, when the
 * output's folder does not exist; ALREADY_EXISTS when the output exists and `force` is not set.
 *
 * @example
 * const r = await scoreFile(version, predictor, 'requests.csv', 'scored.parquet', { onProgress: (d, t) => bar.update(d) });
 */
export async function scoreFile(version: ModelVersion, predictor: Predictor, input: string, output: string, options: BatchScoreOptions = {}): Promise<BatchScoreResult> {
  const inFormat = formatOf(input, 'input');
  const outFormat = formatOf(output, 'output');
  if (!existsSync(input)) throw MloopError.notFound('file', input);
  checkOutput(output, options.force === true);
  const chunkRows = options.chunkRows ?? 4096;
  const threshold = storedThreshold(version);
  const outOfScope = predictor.classes === null ? null : storedOutOfScopeThreshold(version);
  // A mitigation plan decides each row by its group: the plan's column when the file has it.
  const plan = storedPlan(version);
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'mloop-predict-'));
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  let automated = 0;
  let review = 0;
  let done = 0;
  try {
    instance = await DuckDBInstance.create(':memory:', { memory_limit: options.memoryLimit ?? '256MB', threads: '2', temp_directory: join(work, 'spill'), preserve_insertion_order: 'true' });
    connection = await instance.connect();
    const added = ['prediction', 'confidence', 'decision', 'model_version', ...(outFormat === 'csv' || outFormat === 'tsv' || predictor.classes === null ? [] : ['probabilities'])];
    // Checked as soon as the names are known, before the rows are read.
    const checkColumns = (columns: string[]) => {
      const missing = predictor.inputs.filter((i) => !columns.includes(i.name));
      if (missing.length > 0) {
        throw MloopError.validation(
          `${input} lacks the model's input column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m.name}'`).join(', ')} (it has ${columns.join(', ')})`,
          missing.map((m) => ({ path: m.name, code: 'required', message: `missing column '${m.name}' (${m.kind})` })),
        );
      }
      // The engine's column names ignore case, so a Parquet output cannot hold 'Prediction' beside 'prediction'.
      const extra = added.filter((c) => (outFormat === 'parquet' ? columns.some((d) => d.toLowerCase() === c) : columns.includes(c)));
      if (extra.length > 0) throw MloopError.invalidArgument(`${input} already has column(s) ${extra.join(', ')} that the output adds; rename them first`);
    };
    const staged = join(work, 'input.parquet');
    const total = (await stageInput(connection, input, inFormat, staged, options.na ?? [], checkColumns)).rowCount;
    const relation = `read_parquet(${lit(staged)})`;
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)).getRowObjectsJson() as Array<{ column_name: string; column_type: string }>;
    const columns = described.map((d) => d.column_name);
    const delimiter = outFormat === 'tsv' ? '\t' : ',';
    // JSON Lines output: each row's input columns as the engine renders them in JSON, in a column of its own.
    let jsonColumn = '_mloop_input_json';
    while (columns.some((c) => c.toLowerCase() === jsonColumn)) jsonColumn += '_';
    options.onProgress?.(0, total);
    const result = await connection.stream(`SELECT *${outFormat === 'jsonl' ? `, ${rowJsonSql(described)} AS ${ident(jsonColumn)}` : ''} FROM ${relation}`);
    const score = (rows: Array<Record<string, unknown>>): string => {
      const n = rows.length;
      const batch: ColumnBatch = {};
      for (const i of predictor.inputs) {
        if (i.kind === 'numeric') {
          batch[i.name] = Float64Array.from(rows, (r) => {
            const v = r[i.name];
            const x = v === null || v === undefined || v === '' ? Number.NaN : Number(v);
            return Number.isFinite(x) ? x : Number.NaN;
          });
        } else batch[i.name] = rows.map((r) => (r[i.name] === null || r[i.name] === undefined ? (i.kind === 'text' ? '' : null) : String(r[i.name])));
      }
      const scored = outOfScope === null ? null : predictWithInScope(predictor, batch, n);
      const out = scored !== null ? scored.proba : predictor.classes === null ? predictor.predictValues(batch, n) : predictor.predictProba(batch, n);
      const decided = rowResults(predictor, threshold, out, n);
      if (scored !== null) rejectOutOfScope(decided, scored.inScope, outOfScope!);
      const attribute = plan?.attribute ?? null;
      const results =
        plan === null
          ? decided
          : applyPlan(plan, threshold, decided, rows.map((r) => (attribute !== null && r[attribute] !== undefined ? { [attribute]: r[attribute] === null ? null : String(r[attribute]) } : null)));
      let text = '';
      for (let r = 0; r < n; r++) {
        const res = results[r]!;
        if (res.decision === 'auto') automated++;
        else review++;
        const prediction = res.label ?? res.value;
        if (outFormat === 'csv' || outFormat === 'tsv') {
          text += `${[...columns.map((c) => rows[r]![c]), prediction, res.confidence, res.decision, version.version].map(csvCell).join(delimiter)}\n`;
        } else {
          const scoredFields = JSON.stringify({ prediction, confidence: res.confidence, decision: res.decision, model_version: version.version, ...(res.probabilities ? { probabilities: res.probabilities } : {}) });
          // Parquet: the predictions alone, joined to the input rows by position below.
          text += outFormat === 'parquet' ? `${scoredFields}\n` : `${(rows[r]![jsonColumn] as string).slice(0, -1)},${scoredFields.slice(1)}\n`;
        }
      }
      done += n;
      options.onProgress?.(done, total);
      return text;
    };
    async function* scoredText(): AsyncGenerator<string> {
      if (outFormat === 'csv' || outFormat === 'tsv') yield `${[...columns, 'prediction', 'confidence', 'decision', 'model_version'].map(csvCell).join(delimiter)}\n`;
      let pending: Array<Record<string, unknown>> = [];
      for await (const chunk of result.yieldRowObjectJson()) {
        for (const row of chunk) pending.push(row as Record<string, unknown>);
        if (pending.length >= chunkRows) {
          yield score(pending);
          pending = [];
        }
      }
      if (pending.length > 0) yield score(pending);
    }
    // One scored chunk in flight at a time, so memory stays bounded by --chunk-rows.
    const lines = Readable.from(scoredText(), { highWaterMark: 1 });
    if (outFormat === 'parquet') {
      const jsonOut = join(work, 'out.jsonl');
      await pipeline(lines, createWriteStream(jsonOut, { encoding: 'utf8' }));
      const parquetOut = join(work, 'out.parquet');
      // The input columns come from the input itself, so they keep its types; rows pair up by position (insertion order is preserved).
      await connection.run(
        `COPY (SELECT * FROM ${relation} POSITIONAL JOIN read_json(${lit(jsonOut)}, format='newline_delimited')) TO ${lit(parquetOut)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 50000)`,
      );
      await writeFileAtomic(output, createReadStream(parquetOut));
    } else {
      await writeFileAtomic(output, lines);
    }
  } catch (err) {
    if (isMloopError(err)) throw err;
    throw MloopError.internal('batch scoring failed', { cause: err });
  } finally {
    connection?.closeSync();
    instance?.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  return { model: version.model, version: version.version, input, output, format: outFormat, rows: done, automated, review, seconds, rowsPerSecond: seconds > 0 ? done / seconds : 0 };
}
