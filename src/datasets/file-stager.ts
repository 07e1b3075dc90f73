/**
 * Reads a CSV, TSV, JSON Lines or Parquet file with DuckDB and writes it as one Parquet file,
 * streaming (bounded memory), with every failure turned into an error naming file, line or column.
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { isMloopError, MloopError } from '../errors/index.js';
import type { DataFormat } from './dataset.js';
import { engineMessage, ident, PARQUET_OPTIONS, sqlString, type DuckSession } from './duckdb-session.js';

/** How to read the input. */
export interface ReadOptions {
  /** Default: from the extension (`.csv`, `.tsv`/`.tab`, `.jsonl`/`.ndjson`, `.parquet`). */
  format?: DataFormat | undefined;
  /** Values that mean missing, besides the empty string (CSV/TSV) or JSON null. */
  na?: string[] | undefined;
  /** Skip malformed rows (CSV/TSV: wrong field count or quoting; JSON Lines: not one JSON object) instead of failing, and count them. */
  skipBadRows?: boolean | undefined;
  /** Text encoding of CSV/TSV: `utf-8` (default), `latin-1` or `utf-16`. */
  encoding?: string | undefined;
  /** Called with the column names before any data is read, so bad role names fail fast. */
  onColumns?: ((names: string[]) => void) | undefined;
  /** The name messages show for the file (uploads are staged under a temp name). */
  displayName?: string | undefined;
}

/** One rejected input row. */
export interface BadRow {
  line: number;
  column: string | null;
  message: string;
}

/** What staging wrote. */
export interface StagedFile {
  rowCount: number;
  columns: Array<{ name: string; physicalType: string }>;
  skippedRows: number;
  /** The first rejected rows (at most 20). */
  badRows: BadRow[];
}

const ENCODINGS: Record<string, string> = { 'utf-8': 'utf-8', utf8: 'utf-8', 'latin-1': 'latin-1', latin1: 'latin-1', 'iso-8859-1': 'latin-1', 'utf-16': 'utf-16' };
const EXTENSIONS: Record<string, DataFormat> = { '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet', '.pq': 'parquet' };

/** The format named by `format`, or guessed from the file extension. */
export function resolveFormat(file: string, format?: string): DataFormat {
  if (format !== undefined) {
    if (!['csv', 'tsv', 'jsonl', 'parquet'].includes(format)) {
      throw MloopError.invalidArgument(`unknown format '${format}'; known formats: csv, tsv, jsonl, parquet`);
    }
    return format as DataFormat;
  }
  const guessed = EXTENSIONS[extname(file).toLowerCase()];
  if (guessed === undefined) {
    throw MloopError.invalidArgument(`cannot tell the format of '${basename(file)}' from its extension`, {
      hint: 'pass --format csv|tsv|jsonl|parquet',
      details: { file },
    });
  }
  return guessed;
}

/** Checks that `file` is a non-empty regular file; returns its size. */
export async function checkInputFile(file: string, shown = file): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw MloopError.notFound('file', file);
    throw MloopError.invalidArgument(`cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  if (!info.isFile()) throw MloopError.invalidArgument(`'${shown}' is not a regular file`, { details: { file: shown } });
  if (info.size === 0) throw MloopError.invalidArgument(`'${basename(shown)}' is empty`, { details: { file: shown } });
  return info.size;
}

/** Splits the first record of a delimited file into field names (RFC 4180 quoting). */
export function parseHeader(text: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') break;
    else field += ch;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function csvHeader(file: string, shown: string, delimiter: string, encoding: string): Promise<string[]> {
  const head = await readHead(file, 1 << 20);
  let text: string;
  try {
    text = new TextDecoder(encoding === 'latin-1' ? 'latin1' : encoding, { fatal: true }).decode(head.subarray(0, firstLineEnd(head)));
  } catch {
    throw MloopError.invalidArgument(`'${basename(shown)}' line 1: the text is not valid ${encoding}`, {
      details: { file: shown, line: 1, encoding },
      hint: 'pass --encoding latin-1 (or utf-16) if the file uses another encoding',
    });
  }
  const names = parseHeader(text.replace(/^\uFEFF/, ''), delimiter);
  const issues = names.flatMap((n, i) => (n === '' ? [{ path: `column ${i + 1}`, code: 'empty_name', message: `column ${i + 1} has no name` }] : []));
  const seen = new Map<string, number>();
  for (const [i, n] of names.entries()) {
    const first = seen.get(asciiLower(n));
    if (first !== undefined && n !== '') {
      const other = names[first]!;
      issues.push({
        path: n,
        code: 'duplicate_column',
        message: other === n ? `column '${n}' appears twice (columns ${first + 1} and ${i + 1})` : `columns '${other}' and '${n}' differ only in case (columns ${first + 1} and ${i + 1}); column names are case-insensitive`,
      });
    } else seen.set(asciiLower(n), i);
  }
  if (issues.length > 0) {
    throw MloopError.validation(`'${basename(shown)}' line 1: ${issues.map((i) => i.message).join('; ')}`, issues, {
      details: { file: shown, line: 1 },
      hint: 'every column needs a unique, non-empty name in the header row',
    });
  }
  return names;
}

/** Column names are case-insensitive in DuckDB, for ASCII letters only. */
function asciiLower(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * DuckDB renames a JSON key that differs from another only in case (`A` beside `a` becomes `A_1`).
 * When the columns look like such a rename, the file is read again to find the two keys, and the
 * import fails naming them, as for a CSV header.
 */
async function checkJsonKeyCase(file: string, shown: string, columns: string[]): Promise<void> {
  const suspect = columns.some((c) => {
    const base = /^(.+)_\d+$/.exec(c)?.[1];
    return base !== undefined && columns.some((o) => o !== base && asciiLower(o) === asciiLower(base));
  });
  if (!suspect) return;
  const seen = new Map<string, { key: string; line: number }>();
  const input = createReadStream(file, { encoding: 'utf8' });
  let line = 0;
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '' || jsonLineProblem(text) !== undefined) continue;
      for (const key of Object.keys(JSON.parse(text) as object)) {
        const first = seen.get(asciiLower(key));
        if (first === undefined) seen.set(asciiLower(key), { key, line });
        else if (first.key !== key) {
          throw MloopError.invalidArgument(`'${basename(shown)}' line ${line}: keys '${first.key}' (line ${first.line}) and '${key}' differ only in case; column names are case-insensitive`, {
            details: { file: shown, format: 'jsonl', line, keys: [first.key, key] },
            hint: 'give every key a name that differs from the others in more than case',
          });
        }
      }
    }
  } finally {
    input.destroy();
  }
}

/** End of the header line; only it is decoded here, DuckDB checks the rest with line numbers. */
function firstLineEnd(head: Buffer): number {
  const at = head.indexOf(10);
  return at < 0 ? head.length : at;
}

const JSON_LINES_HINT = 'each line must be one JSON object; --skip-bad-rows skips the lines that are not, and counts them';

/** Turns a DuckDB read error into a user error naming the file and, when known, the line and column. */
export function readError(file: string, err: unknown, format: DataFormat): MloopError {
  const text = err instanceof Error ? err.message : String(err);
  const name = basename(file);
  const line = /Line: (\d+)/.exec(text)?.[1];
  const column = /converting column "([^"]+)"/.exec(text)?.[1];
  const original = /Original Line: (.*)/.exec(text)?.[1];
  const details: Record<string, unknown> = { file, format };
  if (line !== undefined) details['line'] = Number(line);
  if (column !== undefined) details['column'] = column;
  const where = `'${name}'${line === undefined ? '' : ` line ${line}`}${column === undefined ? '' : ` column '${column}'`}`;
  if (/not utf-8 encoded|Invalid unicode/i.test(text)) {
    return MloopError.invalidArgument(`${where}: the text is not valid UTF-8`, { details, hint: 'pass --encoding latin-1 (or utf-16) if the file uses another encoding' });
  }
  if (/Expected Number of Columns: (\d+) Found: (\d+)/.test(text)) {
    const [, want, got] = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(text)!;
    return MloopError.invalidArgument(`${where}: expected ${want} fields, found ${got}`, {
      details: { ...details, expected: Number(want), found: Number(got), ...(original ? { text: original.slice(0, 200) } : {}) },
      hint: 'fix the row, or pass --skip-bad-rows to skip malformed rows and count them',
    });
  }
  if (/unterminated quote/i.test(text)) {
    return MloopError.invalidArgument(`${where}: a quoted value is never closed`, { details, hint: 'fix the quoting, or pass --skip-bad-rows' });
  }
  if (/could not allocate|Out of Memory/i.test(text)) {
    return MloopError.resourceExhausted(`reading ${where} needs more memory than the engine's limit`, { details, cause: err, hint: 'a single row may be too long; check the file, or raise the memory limit' });
  }
  if (/maximum line size/i.test(text)) {
    return MloopError.invalidArgument(`${where}: a line is longer than the 2 MB limit`, { details, hint: 'check the quoting: an unclosed quote makes the rest of the file one value' });
  }
  if (/magic bytes|Parquet|parquet/.test(text) && format === 'parquet') {
    return MloopError.invalidArgument(`'${name}' is not a valid Parquet file (truncated or corrupt)`, { details });
  }
  if (format === 'jsonl' && /expected records/.test(text)) {
    return MloopError.invalidArgument(`'${name}' has no columns: its JSON objects have no fields`, { details });
  }
  if (format === 'jsonl' && /JSON|json/.test(text)) {
    // DuckDB's own line numbers are off by one for malformed JSON; jsonLinesError finds the line.
    return MloopError.invalidArgument(`'${name}': malformed JSON Lines: ${engineMessage(err).replace(/ in file "[^"]*"/, '').slice(0, 200)}`, {
      details,
      hint: JSON_LINES_HINT,
    });
  }
  return MloopError.invalidArgument(`cannot read ${where}: ${engineMessage(err).slice(0, 300)}`, { details, cause: err });
}

interface ColumnTypeCounts {
  nonNull: number;
  asInteger: number;
  asDouble: number;
  asBoolean: number;
  asTimestamp: number;
  leadingZero: number;
}

/**
 * Texts that convert to a number without loss. DuckDB's casts alone are too lenient: VARCHAR to
 * BIGINT rounds `0.75` to `1` and drops the `+` of `+447700900000`, and both casts accept `1_000`
 * and `0x10`. Surrounding spaces are allowed, as the fast path's sniffer allows them.
 */
const INTEGER_TEXT = String.raw`\s*-?[0-9]+\s*`;
const DOUBLE_TEXT = String.raw`\s*(-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?|(?i)-?(inf|infinity|nan))\s*`;

/** The narrowest DuckDB type every non-missing value of a text column converts to without loss. */
function narrowestType(c: ColumnTypeCounts): string {
  if (c.nonNull === 0) return 'VARCHAR';
  if (c.asBoolean === c.nonNull) return 'BOOLEAN';
  // Codes such as zip codes keep their leading zeros as text.
  if (c.asInteger === c.nonNull && c.leadingZero === 0) return 'BIGINT';
  if (c.asDouble === c.nonNull && c.leadingZero === 0) return 'DOUBLE';
  if (c.asTimestamp === c.nonNull) return 'TIMESTAMP';
  return 'VARCHAR';
}

/**
 * Reads `file` and writes it to `outPath` as Parquet (zstd). CSV/TSV are read with an explicit
 * dialect and every column as text, then each column gets the narrowest type all its values convert
 * to, so a late odd value never fails or silently truncates the import.
 */
export async function stageFile(db: DuckSession, file: string, outPath: string, options: ReadOptions): Promise<StagedFile> {
  const format = resolveFormat(file, options.format);
  const shown = options.displayName ?? file;
  await checkInputFile(file, shown);
  const na = [...new Set(options.na ?? [])];
  if (format === 'csv' || format === 'tsv') return stageDelimited(db, file, shown, outPath, format, options, na);
  if (format === 'jsonl' && options.skipBadRows === true) {
    const clean = `${outPath}.clean.jsonl`;
    try {
      const filtered = await filterJsonLines(file, clean, shown);
      const staged = await stageFile(db, clean, outPath, { ...options, format: 'jsonl', skipBadRows: false, displayName: shown });
      return { ...staged, skippedRows: filtered.skippedRows, badRows: filtered.badRows };
    } finally {
      rmSync(clean, { force: true });
    }
  }
  // records=true: a line that is not an object fails the read, instead of the whole file becoming one `json` column.
  // sample_size=-1: types from every line; from a sample, a late 1.5 in an integer column was rounded to 2.
  const reader = format === 'parquet' ? `read_parquet(${sqlString(file)})` : `read_json(${sqlString(file)}, format='newline_delimited', records=true, sample_size=-1)`;
  const failed = async (err: unknown): Promise<MloopError> => (format === 'jsonl' ? jsonLinesError(file, shown, err) : readError(shown, err, format));
  let described: Array<{ column_name: string; column_type: string }>;
  try {
    described = await db.all(`DESCRIBE SELECT * FROM ${reader}`);
  } catch (err) {
    throw await failed(err);
  }
  if (format === 'jsonl') await checkJsonKeyCase(file, shown, described.map((c) => c.column_name));
  options.onColumns?.(described.map((c) => c.column_name));
  const nulls = na.length === 0 ? '' : `(${na.map(sqlString).join(', ')})`;
  const select = described
    .map((c) => (c.column_type === 'VARCHAR' && nulls !== '' ? `CASE WHEN ${ident(c.column_name)} IN ${nulls} THEN NULL ELSE ${ident(c.column_name)} END AS ${ident(c.column_name)}` : ident(c.column_name)))
    .join(', ');
  try {
    await db.run(`COPY (SELECT ${select} FROM ${reader}) TO ${sqlString(outPath)} (${PARQUET_OPTIONS})`);
  } catch (err) {
    throw await failed(err);
  }
  const [count] = await db.all<{ n: string }>(`SELECT count(*) AS n FROM read_parquet(${sqlString(outPath)})`);
  return { rowCount: Number(count?.n ?? 0), columns: described.map((c) => ({ name: c.column_name, physicalType: c.column_type })), skippedRows: 0, badRows: [] };
}

/** Why a line of JSON Lines is not one JSON object, or undefined when it is one. */
function jsonLineProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `expected one JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  return undefined;
}

/**
 * The error for a JSON Lines file DuckDB failed to read: the file is read again, streaming, to name
 * the first line that is not one JSON object, with the line numbers `--skip-bad-rows` reports.
 * Other failures (such as a value of another type in a late row) keep the engine's reason.
 */
async function jsonLinesError(file: string, shown: string, err: unknown): Promise<MloopError> {
  const text = err instanceof Error ? err.message : String(err);
  if (!/Malformed JSON|expected records|Expected OBJECT/.test(text)) return readError(shown, err, 'jsonl');
  const input = createReadStream(file, { encoding: 'utf8' });
  let line = 0;
  try {
    for await (const row of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      const problem = row.trim() === '' ? undefined : jsonLineProblem(row);
      if (problem !== undefined) {
        return MloopError.invalidArgument(`'${basename(shown)}' line ${line}: malformed JSON Lines: ${problem.slice(0, 200)}`, {
          details: { file: shown, format: 'jsonl', line },
          hint: JSON_LINES_HINT,
        });
      }
    }
  } finally {
    input.destroy();
  }
  return readError(shown, err, 'jsonl');
}

/**
 * Copies the lines of a JSON Lines file that each hold one JSON object to `out`, streaming, and
 * counts the others (the first 20 with line and reason). Blank lines are dropped silently.
 * INVALID_ARGUMENT when no line is an object.
 */
export async function filterJsonLines(file: string, out: string, shown: string): Promise<{ keptRows: number; skippedRows: number; badRows: BadRow[] }> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const output = createWriteStream(out, { flags: 'wx' });
  const badRows: BadRow[] = [];
  let keptRows = 0;
  let skippedRows = 0;
  let line = 0;
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      const reason = jsonLineProblem(text);
      if (reason !== undefined) {
        skippedRows++;
        if (badRows.length < 20) badRows.push({ line, column: null, message: reason.slice(0, 200) });
        continue;
      }
      keptRows++;
      if (!output.write(`${text}\n`)) await once(output, 'drain');
    }
  } finally {
    output.end();
    await once(output, 'close');
    input.destroy();
  }
  if (keptRows === 0) {
    throw MloopError.invalidArgument(`'${basename(shown)}' has no valid JSON Lines rows (${skippedRows} malformed rows skipped)`, { details: { file: shown, skippedRows, badRows } });
  }
  return { keptRows, skippedRows, badRows };
}

async function stageDelimited(db: DuckSession, file: string, shown: string, outPath: string, format: 'csv' | 'tsv', options: ReadOptions, na: string[]): Promise<StagedFile> {
  const encoding = ENCODINGS[(options.encoding ?? 'utf-8').toLowerCase()];
  if (encoding === undefined) {
    throw MloopError.invalidArgument(`unknown encoding '${options.encoding}'; known encodings: utf-8, latin-1, utf-16`);
  }
  const delimiter = format === 'tsv' ? '\t' : ',';
  const delimitedError = async (err: unknown): Promise<MloopError> => {
    // DuckDB reads one line ending, taken from the first line; another one later breaks its parser.
    const mixed = /state machine reached an invalid state/.test(err instanceof Error ? err.message : '') && encoding !== 'utf-16' ? await mixedLineEnding(file) : undefined;
    if (mixed === undefined) return readError(shown, err, format);
    return MloopError.invalidArgument(`'${basename(shown)}' line ${mixed.line}: the line ends with ${mixed.ending}, but line 1 ends with ${mixed.first}; mixed line endings are not supported`, {
      details: { file: shown, format, line: mixed.line },
      hint: 'convert the file to one line ending, for example with dos2unix',
    });
  };
  const names = await csvHeader(file, shown, delimiter, encoding);
  options.onColumns?.(names);
  const dialect = `delim=${sqlString(delimiter)}, quote='"', escape='"', header=true, nullstr=[${['', ...na].map(sqlString).join(', ')}], encoding=${sqlString(encoding)}`;
  const strict = (types: string[], pass: string) =>
    `read_csv(${sqlString(file)}, auto_detect=false, ${dialect}, columns={${names.map((n, i) => `${sqlString(n)}: ${sqlString(types[i]!)}`).join(', ')}}` +
    (options.skipBadRows ? `, ignore_errors=true, store_rejects=true, rejects_table='rejects_${pass}', rejects_scan='scans_${pass}')` : ')');
  const finish = async (types: string[], pass: string, rowCount?: number): Promise<StagedFile> => {
    let skippedRows = 0;
    let badRows: BadRow[] = [];
    if (options.skipBadRows) {
      const [skipped] = await db.all<{ n: string }>(`SELECT count(*) AS n FROM rejects_${pass}`);
      skippedRows = Number(skipped?.n ?? 0);
      const rows = await db.all<{ line: string; column_name: string | null; error_message: string }>(`SELECT line, column_name, error_message FROM rejects_${pass} ORDER BY line LIMIT 20`);
      badRows = rows.map((r) => ({ line: Number(r.line), column: r.column_name, message: r.error_message }));
    }
    const [count] = rowCount === undefined ? await db.all<{ n: string }>(`SELECT count(*) AS n FROM read_parquet(${sqlString(outPath)})`) : [{ n: String(rowCount) }];
    const rows = Number(count?.n ?? 0);
    if (rows === 0) {
      throw MloopError.invalidArgument(
        skippedRows > 0 ? `'${basename(shown)}' has no valid data rows (${skippedRows} malformed rows skipped)` : `'${basename(shown)}' has a header but no data rows`,
        { details: { file: shown, columns: names, skippedRows } },
      );
    }
    return { rowCount: rows, columns: names.map((name, i) => ({ name, physicalType: types[i]! })), skippedRows, badRows };
  };

  // Fast path: DuckDB's sniffer proposes types from a sample; one strict pass converts and writes.
  // A value the sample did not foresee fails the strict pass, and the safe path below takes over.
  const sniffed = await sniffTypes(db, file, dialect, names);
  if (sniffed?.includes('BOOLEAN')) {
    // DuckDB's sniffer also reads yes/no, y/n and t/f as booleans, which loses the file's words
    // (a yes/no label would have classes 0/1); like the safe path, only true/false make a boolean.
    const probes = names.map((n, i) => (sniffed[i] === 'BOOLEAN' ? `count_if(lower(trim(${ident(n)})) NOT IN ('true', 'false')) AS nb${i}` : `0 AS nb${i}`));
    try {
      const [other = {}] = await db.all<Record<string, string | null>>(`SELECT ${probes.join(', ')} FROM (SELECT * FROM ${strict(names.map(() => 'VARCHAR'), 'bool')} LIMIT ${SNIFF_ROWS})`);
      names.forEach((_, i) => {
        if (sniffed[i] === 'BOOLEAN' && Number(other[`nb${i}`] ?? 0) > 0) sniffed[i] = 'VARCHAR';
      });
    } catch (err) {
      throw await delimitedError(err);
    }
  }
  if (sniffed !== undefined) {
    try {
      await db.run(`COPY (SELECT * FROM ${strict(sniffed, 'fast')}) TO ${sqlString(outPath)} (${PARQUET_OPTIONS})`);
      const castRejects = options.skipBadRows ? await db.all<{ n: string }>(`SELECT count(*) AS n FROM rejects_fast WHERE error_type = 'CAST'`) : [{ n: '0' }];
      if (Number(castRejects[0]?.n ?? 0) === 0) return await finish(sniffed, 'fast');
    } catch (err) {
      if (isMloopError(err)) throw err;
      if (!/Conversion Error|Could not convert/i.test(err instanceof Error ? err.message : '')) throw await delimitedError(err);
    }
  }

  // Safe path. Pass 1: read every column as text, and test its values against the candidate types.
  const text = names.map(() => 'VARCHAR');
  const probes = names.map((n, i) => {
    const c = ident(n);
    return [
      `count(${c}) AS nn${i}`,
      `count_if(regexp_full_match(${c}, ${sqlString(INTEGER_TEXT)}) AND TRY_CAST(${c} AS BIGINT) IS NOT NULL) AS ni${i}`,
      `count_if(regexp_full_match(${c}, ${sqlString(DOUBLE_TEXT)}) AND TRY_CAST(${c} AS DOUBLE) IS NOT NULL) AS nd${i}`,
      `count_if(lower(${c}) IN ('true', 'false')) AS nb${i}`,
      `count_if(length(${c}) >= 10 AND TRY_CAST(${c} AS TIMESTAMP) IS NOT NULL) AS nt${i}`,
      `count_if(length(${c}) > 1 AND (starts_with(${c}, '0') OR starts_with(${c}, '-0') OR starts_with(${c}, '+0')) AND TRY_CAST(${c} AS DOUBLE) IS NOT NULL AND NOT contains(${c}, '.')) AS nz${i}`,
    ].join(', ');
  });
  let stats: Record<string, string | null>;
  try {
    [stats = {}] = await db.all<Record<string, string | null>>(`SELECT count(*) AS rows, ${probes.join(', ')} FROM ${strict(text, 'probe')}`);
  } catch (err) {
    throw await delimitedError(err);
  }
  const types = names.map((_, i) => {
    const n = (k: string) => Number(stats[`${k}${i}`] ?? 0);
    return narrowestType({ nonNull: n('nn'), asInteger: n('ni'), asDouble: n('nd'), asBoolean: n('nb'), asTimestamp: n('nt'), leadingZero: n('nz') });
  });
  // Pass 2: convert and write Parquet; rows are kept in file order.
  const select = names
    .map((n, i) => (types[i] === 'VARCHAR' ? ident(n) : types[i] === 'BOOLEAN' ? `(lower(${ident(n)}) = 'true') AS ${ident(n)}` : `CAST(${ident(n)} AS ${types[i]}) AS ${ident(n)}`))
    .join(', ');
  if (Number(stats['rows'] ?? 0) > 0) {
    try {
      await db.run(`COPY (SELECT ${select} FROM ${strict(text, 'copy')}) TO ${sqlString(outPath)} (${PARQUET_OPTIONS})`);
    } catch (err) {
      throw await delimitedError(err);
    }
  }
  return finish(types, 'probe', Number(stats['rows'] ?? 0));
}

/**
 * The first line of an ASCII-compatible delimited file that ends with CRLF where line 1 ends with LF,
 * or the reverse; line breaks inside quoted values are part of the value and do not count.
 */
async function mixedLineEnding(file: string): Promise<{ line: number; ending: string; first: string } | undefined> {
  let first: string | undefined;
  let line = 1;
  let quoted = false;
  let previous = -1;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 0x22) quoted = !quoted;
      else if (byte === 0x0a) {
        if (!quoted) {
          const ending = previous === 0x0d ? 'CRLF' : 'LF';
          first ??= ending;
          if (ending !== first) return { line, ending, first };
        }
        line++;
      }
      previous = byte;
    }
  }
  return undefined;
}

/** Rows DuckDB's sniffer reads to propose types. */
const SNIFF_ROWS = 102_400;

/** Types DuckDB's sniffer proposes from a sample, or undefined when it cannot tell. */
async function sniffTypes(db: DuckSession, file: string, dialect: string, names: string[]): Promise<string[] | undefined> {
  try {
    const described = await db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_csv(${sqlString(file)}, ${dialect}, sample_size=${SNIFF_ROWS})`);
    if (described.length !== names.length || described.some((d, i) => d.column_name !== names[i])) return undefined;
    const types = described.map((d) => d.column_type);
    return types.every((t) => /^(VARCHAR|BIGINT|DOUBLE|BOOLEAN|DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIME)$/.test(t)) ? types : undefined;
  } catch {
    return undefined;
  }
}
