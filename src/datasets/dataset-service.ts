/**
 * The datasets service: import, list, show and lineage of immutable, content-addressed versions.
 * Every operation that creates a version stages Parquet in a temp file, stores it in the artifact
 * store, and records the version row last in one transaction, so a failure or a kill leaves no
 * version and no record (only, at worst, an unreferenced blob or a temp file that the next import
 * removes).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { dirname, extname, join, resolve } from 'node:path';
import type { ArtifactStore, BlobInfo } from '../artifacts/index.js';
import { redactUrl } from '../config/index.js';
import { MloopError } from '../errors/index.js';
import {
  assertDatasetName,
  parseDatasetRef,
  type ColumnSchema,
  type DatasetDescription,
  type DatasetSource,
  type DatasetSummary,
  type DatasetVersion,
  type Lineage,
} from './dataset.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import type { AddVersionResult, DatasetStore } from './dataset-store.js';
import { DEFAULT_LIMITS, importLimits, sqlString, withDuckDb, type DuckSession, type EngineLimits } from './duckdb-session.js';
import { checkInputFile, resolveFormat, stageFile, type ReadOptions } from './file-stager.js';
import { checkRoles, checkTimeColumns, inferSchema, type ColumnRoles } from './schema-inference.js';
import { queryToJsonl } from './sql-source.js';
import { KeptResults, type KeptReadOptions } from './kept-results.js';
import { profileVersion, resolveProfileOptions, type DatasetProfile, type ProfileOptions } from './profile.js';
import { EXPORT_FORMATS, planSplit, queryRefs, redactableColumns, splitPartSizes, writeDerived, writeRedacted, writeSplitPart } from './transforms.js';
import { compareSchemas, defaultExpectations, runExpectations, summarize, type SchemaExpectations, type ValidationReport } from './validation.js';

/** Bumped when the meaning of a content hash changes, so old and new hashes never collide. */
const HASH_FORMAT = 'mloop-dataset/1';
/** Bumped when a profile's content changes (statistics, PII detectors), so kept profiles are not served. */
const PROFILE_FORMAT = 'mloop-profile/2';
/** Bumped when a validation's content changes (how an expectation is checked), so kept reports are not served. */
const VALIDATION_FORMAT = 'mloop-validation/1';

/** What producing a version's Parquet file reports. */
interface Staged {
  rowCount: number;
  schema: ColumnSchema[];
  stats?: Record<string, unknown>;
}

/** Descriptive provenance accepted by every operation that creates a version. */
export interface ProvenanceInput {
  owner?: string | undefined;
  licence?: string | undefined;
  description?: string | undefined;
  collectionPeriod?: string | undefined;
}

/** Options of {@link DatasetService.importFile}. */
export interface ImportFileOptions extends ReadOptions, ProvenanceInput {
  file: string;
  name: string;
  roles?: ColumnRoles;
  /** Who imports (a user name). */
  actor: string;
  /** Shown as the source file name instead of `file` (uploads stage to a temp file). */
  displayName?: string;
}

/** Options of {@link DatasetService.importSql}. */
export interface ImportSqlOptions extends ProvenanceInput {
  query: string;
  /** `postgres://…`; only its credential-free form is recorded. */
  databaseUrl: string;
  name: string;
  roles?: ColumnRoles;
  na?: string[] | undefined;
  actor: string;
}

/** A version and whether this call created it. */
export type ImportResult = AddVersionResult;

/** A version with its ancestors and descendants. */
export interface LineageReport {
  ref: string;
  source: DatasetSource;
  transform: Lineage['transform'];
  parents: LineageReport[];
  children: string[];
}

export interface DatasetServiceOptions {
  /** Folder for staged files and DuckDB spill files. */
  tempDir: string;
  limits?: Partial<Omit<EngineLimits, 'tempDir'>>;
  clock?: () => Date;
}

/** sha256 of a file, streamed in 1 MiB reads (with SHA instructions, 64 KiB reads cost more than the hash). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of a canonical JSON document (keys sorted). */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

function describe(p: ProvenanceInput): DatasetDescription {
  return { owner: p.owner ?? null, licence: p.licence ?? null, description: p.description ?? null, collectionPeriod: p.collectionPeriod ?? null };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DatasetService {
  readonly tempDir: string;
  private readonly limits: EngineLimits;
  private readonly clock: () => Date;
  private readonly kept: KeptResults;

  constructor(
    private readonly store: DatasetStore,
    private readonly artifacts: ArtifactStore,
    options: DatasetServiceOptions,
  ) {
    this.tempDir = resolve(options.tempDir);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits, tempDir: this.tempDir };
    this.clock = options.clock ?? (() => new Date());
    this.kept = new KeptResults(store, this.clock);
  }

  /**
   * Imports a CSV, TSV, JSON Lines or Parquet file as the next version of `name`. Identical
   * content (same file bytes and same reading options) returns the existing version.
   *
   * @example
   * const { version, created } = await datasets.importFile({ file: 'adult.csv', name: 'adult', roles: { label: ['income'] }, na: ['?'], actor: 'ana' });
   */
  async importFile(o: ImportFileOptions): Promise<ImportResult> {
    assertDatasetName(o.name);
    const file = resolve(o.file);
    const shown = o.displayName ?? file;
    const format = resolveFormat(file, o.format);
    const bytes = await checkInputFile(file, shown);
    const reading = { format, na: [...new Set(o.na ?? [])].sort(), skipBadRows: o.skipBadRows === true, encoding: (o.encoding ?? 'utf-8').toLowerCase() };
    const roles = o.roles ?? {};
    // Hashing the file and converting it run side by side; when the hash names a version that
    // exists already, the conversion is interrupted and that version is returned.
    let engine: DuckSession | undefined;
    let found: DatasetVersion | undefined;
    const identity = (async () => {
      const sha256 = await fileSha256(file);
      const contentHash = canonicalHash({ hash: HASH_FORMAT, kind: 'file', sha256, reading });
      found = await this.store.findByContentHash(o.name, contentHash);
      if (found) engine?.interrupt();
      return { sha256, contentHash };
    })();
    identity.catch(() => undefined);
    this.cleanupStale();
    const out = join(this.tempDir, `stage-${process.pid}-${randomBytes(8).toString('hex')}.parquet`);
    try {
      let made: (Staged & { stored: Promise<BlobInfo> }) | undefined;
      try {
        made = await withDuckDb(importLimits(this.limits), async (db) => {
          engine = db;
          if (found) return undefined;
          const staged = await stageFile(db, file, out, { ...reading, displayName: o.displayName, onColumns: (columns) => checkRoles(roles, columns, shown) });
          // The hash has usually finished by now; a version found meanwhile needs no blob.
          await identity.catch(() => undefined);
          if (found) return undefined;
          await checkTimeColumns(db, `read_parquet(${sqlString(out)})`, staged.columns, roles);
          // Storing the blob (hashing and copying it on this thread) overlaps the schema scan in
          // DuckDB's threads. A failed scan leaves at worst an unreferenced blob, as a kill would.
          const stored = this.artifacts.putFile(out);
          stored.catch(() => undefined);
          let schema: ColumnSchema[];
          try {
            schema = await inferSchema(db, `read_parquet(${sqlString(out)})`, staged.columns, roles);
          } catch (err) {
            await stored.catch(() => undefined);
            throw err;
          }
          // Awaited outside the engine, so a storage failure is not reported as an engine failure.
          return { rowCount: staged.rowCount, schema, stats: { skippedRows: staged.skippedRows, badRows: staged.badRows }, stored };
        });
      } catch (err) {
        await identity.catch(() => undefined);
        if (found) return { version: found, created: false };
        throw err;
      }
      const { sha256, contentHash } = await identity;
      if (found || made === undefined) return { version: found!, created: false };
      const source: DatasetSource = { kind: o.displayName === undefined ? 'file' : 'upload', file: shown, format, sha256, bytes };
      return await this.commit(out, made, { name: o.name, contentHash, actor: o.actor, description: describe(o), lineage: { parents: [], transform: { kind: 'import', ...reading } }, source }, await made.stored);
    } finally {
      rmSync(out, { force: true });
    }
  }

  /**
   * Imports an uploaded file from a stream (the HTTP API). The bytes are written to a staging file
   * as they arrive and the upload fails with RESOURCE_EXHAUSTED, leaving nothing, past `maxBytes`.
   */
  async importUpload(source: AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream, o: Omit<ImportFileOptions, 'file'> & { fileName: string; maxBytes: number }): Promise<ImportResult> {
    assertDatasetName(o.name);
    const format = resolveFormat(o.fileName, o.format);
    mkdirSync(this.tempDir, { recursive: true });
    const file = join(this.tempDir, `upload-${process.pid}-${randomBytes(8).toString('hex')}.${format}`);
    try {
      let size = 0;
      await pipeline(
        source,
        async function* limit(chunks: AsyncIterable<Uint8Array | string>) {
          for await (const chunk of chunks) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
            size += bytes.byteLength;
            if (size > o.maxBytes) throw MloopError.resourceExhausted(`the upload is larger than the limit of ${o.maxBytes} bytes`, { details: { maxBytes: o.maxBytes } });
            yield bytes;
          }
        },
        createWriteStream(file, { flags: 'wx' }),
      );
      return await this.importFile({ ...o, file, format, displayName: o.fileName });
    } finally {
      rmSync(file, { force: true });
    }
  }

  /**
   * Imports the result of a PostgreSQL query. The rows are fetched through a cursor in batches
   * (bounded memory) inside a read-only transaction; identical results give the same version.
   */
  async importSql(o: ImportSqlOptions): Promise<ImportResult> {
    assertDatasetName(o.name);
    const database = DatasetService.safeDatabaseUrl(o.databaseUrl);
    mkdirSync(this.tempDir, { recursive: true });
    const rowsFile = join(this.tempDir, `upload-${process.pid}-${randomBytes(8).toString('hex')}.jsonl`);
    try {
      await queryToJsonl(o.databaseUrl, o.query, rowsFile, database);
      const sha256 = await fileSha256(rowsFile);
      const na = [...new Set(o.na ?? [])].sort();
      const contentHash = canonicalHash({ hash: HASH_FORMAT, kind: 'sql', sha256, na });
      const existing = await this.store.findByContentHash(o.name, contentHash);
      if (existing) return { version: existing, created: false };
      const roles = o.roles ?? {};
      const lineage: Lineage = { parents: [], transform: { kind: 'sql-import', query: o.query, database, na } };
      return await this.createVersion(o.name, contentHash, o.actor, describe(o), lineage, { kind: 'sql', query: o.query, database, sha256 }, async (db, out) => {
        const staged = await stageFile(db, rowsFile, out, { format: 'jsonl', na, onColumns: (columns) => checkRoles(roles, columns, 'the query result') });
        await checkTimeColumns(db, `read_parquet(${sqlString(out)})`, staged.columns, roles);
        const schema = await inferSchema(db, `read_parquet(${sqlString(out)})`, staged.columns, roles);
        return { rowCount: staged.rowCount, schema };
      });
    } finally {
      rmSync(rowsFile, { force: true });
    }
  }

  /**
   * Runs `produce` to write a Parquet file, stores it, and records the version. The row is inserted
   * last; on any failure the staged file is removed and no version exists.
   */
  async createVersion(
    name: string,
    contentHash: string,
    actor: string,
    description: DatasetDescription,
    lineage: Lineage,
    source: DatasetSource,
    produce: (db: DuckSession, outPath: string) => Promise<Staged>,
  ): Promise<ImportResult> {
    assertDatasetName(name);
    this.cleanupStale();
    const out = join(this.tempDir, `stage-${process.pid}-${randomBytes(8).toString('hex')}.parquet`);
    try {
      const made = await withDuckDb(this.limits, (db) => produce(db, out));
      return await this.commit(out, made, { name, contentHash, actor, description, lineage, source });
    } finally {
      rmSync(out, { force: true });
    }
  }

  /** Stores a staged Parquet file (unless `stored` says it is) and records its version: the row is inserted last. */
  private async commit(
    out: string,
    made: Staged,
    meta: { name: string; contentHash: string; actor: string; description: DatasetDescription; lineage: Lineage; source: DatasetSource },
    stored?: BlobInfo,
  ): Promise<ImportResult> {
    const blob = stored ?? (await this.artifacts.putFile(out));
    return this.store.addVersion({
      name: meta.name,
      contentHash: meta.contentHash,
      blobSha256: blob.sha256,
      bytes: blob.size,
      rowCount: made.rowCount,
      schema: made.schema,
      source: meta.source,
      description: meta.description,
      lineage: meta.lineage,
      stats: made.stats ?? {},
      createdAt: this.clock().toISOString(),
      createdBy: meta.actor,
    });
  }

  /** Removes staged files and spill folders left by processes that no longer run (killed imports). */
  cleanupStale(): number {
    mkdirSync(this.tempDir, { recursive: true });
    let removed = 0;
    for (const entry of readdirSync(this.tempDir)) {
      const pid = /^(?:stage|duckdb|upload)-(\d+)-/.exec(entry)?.[1];
      if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
      rmSync(join(this.tempDir, entry), { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }

  /** Every dataset with its latest version. */
  list(): Promise<DatasetSummary[]> {
    return this.store.listDatasets();
  }

  /** Every version of one dataset; NOT_FOUND when it has none. */
  async versions(name: string): Promise<DatasetVersion[]> {
    assertDatasetName(name);
    const versions = await this.store.listVersions(name);
    if (versions.length === 0) throw MloopError.notFound('dataset', name);
    return versions;
  }

  /** The version `ref` names (`name@N`, `name`, `name@latest`); NOT_FOUND when missing. */
  async show(ref: string): Promise<DatasetVersion> {
    const r = parseDatasetRef(ref);
    const v = await this.store.getVersion(r.name, r.version);
    if (!v) throw MloopError.notFound('dataset version', ref, { hint: "'mloop data list' shows the datasets" });
    return v;
  }

  /** Ancestors (recursively, with each transform) and direct children of a version. */
  async lineage(ref: string): Promise<LineageReport> {
    const walk = async (v: DatasetVersion, depth: number): Promise<LineageReport> => ({
      ref: v.ref,
      source: v.source,
      transform: v.lineage.transform,
      parents: depth > 50 ? [] : await Promise.all(v.lineage.parents.map(async (p) => walk(await this.show(p), depth + 1))),
      children: (await this.store.listChildren(v.ref)).map((c) => c.ref),
    });
    return walk(await this.show(ref), 0);
  }

  /**
   * Checks a version against expectations (a schema file's, or defaults from its own schema and
   * roles) and, with `against`, reports schema changes from that version. Never throws for a failed
   * check: `passed` is false instead.
   *
   * The report is kept (in this process and in the workspace store) under the version, the
   * expectations checked and the version compared against, and read back instead of computed again;
   * other expectations or another `against` compute a new one; `recompute` computes and keeps anew.
   */
  async validate(ref: string, options: { expectations?: SchemaExpectations | undefined; against?: string | undefined } & KeptReadOptions = {}): Promise<ValidationReport> {
    const v = await this.show(ref);
    const reference = options.against === undefined ? undefined : await this.show(options.against);
    const expectations = options.expectations ?? defaultExpectations(v);
    const inputs = { format: VALIDATION_FORMAT, expectations, against: reference ? { id: reference.id, ref: reference.ref, contentHash: reference.contentHash } : null };
    return this.kept.get(
      v,
      'validation',
      inputs,
      async () => {
        const relation = `read_parquet(${sqlString(await this.parquetPath(v))})`;
        const refRelation = reference ? `read_parquet(${sqlString(await this.parquetPath(reference))})` : '';
        return this.withEngine(async (db) => {
          const results = await runExpectations(db, relation, v, expectations);
          if (reference) results.push(...(await compareSchemas(db, { version: v, relation }, { version: reference, relation: refRelation })));
          return summarize(v.ref, reference?.ref ?? null, v.rowCount, results);
        });
      },
      options,
    );
  }

  /**
   * Profiles a version: column statistics, duplicates, labels, coverage per slice and PII counts.
   * The profile is kept (in this process and in the workspace store) under the version and the
   * options it was computed with, and read back instead of computed again; `recompute` computes and
   * keeps anew.
   */
  async profile(ref: string, options: ProfileOptions & KeptReadOptions = {}): Promise<DatasetProfile> {
    const v = await this.show(ref);
    const resolved = resolveProfileOptions(options);
    return this.kept.get(
      v,
      'profile',
      { format: PROFILE_FORMAT, options: resolved },
      async () => {
        const relation = `read_parquet(${sqlString(await this.parquetPath(v))})`;
        return this.withEngine((db) => profileVersion(db, relation, v, resolved));
      },
      options,
    );
  }

  /**
   * Writes a new version of `target` (default: the same dataset) with PII in text columns replaced
   * by typed placeholders such as `[EMAIL]`; its lineage names the parent.
   */
  async redact(ref: string, o: { actor: string; target?: string | undefined; columns?: string[] | undefined }): Promise<ImportResult & { redacted: Record<string, Record<string, number>> }> {
    const v = await this.show(ref);
    const target = o.target ?? v.name;
    const columns = redactableColumns(v, o.columns);
    const parquet = await this.parquetPath(v);
    const transform = { kind: 'redact' as const, columns: columns.map((c) => c.name), detectors: 'mloop-pii/1' };
    const contentHash = canonicalHash({ hash: HASH_FORMAT, parents: [v.contentHash], transform });
    const existing = await this.store.findByContentHash(target, contentHash);
    if (existing) return { version: existing, created: false, redacted: (existing.stats['redacted'] as Record<string, Record<string, number>>) ?? {} };
    let redacted: Record<string, Record<string, number>> = {};
    const changes = join(this.tempDir, `upload-${process.pid}-${randomBytes(8).toString('hex')}.jsonl`);
    try {
      const r = await this.createVersion(target, contentHash, o.actor, v.description, { parents: [v.ref], transform }, { kind: 'derived' }, async (db, out) => {
        redacted = (await writeRedacted(db, parquet, columns, changes, out)) as Record<string, Record<string, number>>;
        return { rowCount: v.rowCount, schema: v.schema, stats: { redacted } };
      });
      return { ...r, redacted };
    } finally {
      rmSync(changes, { force: true });
    }
  }

  /**
   * Splits a version into child datasets `<name>-train`, `<name>-validation`, `<name>-test` (or
   * `names`), deterministic for a seed, each with lineage to the parent. INVALID_ARGUMENT, creating
   * nothing, when a part would have no rows.
   */
  async split(ref: string, o: { by: string; ratios: string | number[]; seed?: number | undefined; names?: string[] | undefined; column?: string | undefined; actor: string }): Promise<Array<ImportResult & { part: string }>> {
    const v = await this.show(ref);
    const plan = planSplit(v, o);
    const parquet = await this.parquetPath(v);
    const parts = [];
    for (const [index, part] of plan.names.entries()) {
      const transform = { kind: 'split' as const, by: plan.by, ratios: plan.ratios, seed: plan.seed, column: plan.column, part, index };
      const name = `${v.name}-${part}`;
      const contentHash = canonicalHash({ hash: HASH_FORMAT, parents: [v.contentHash], transform });
      parts.push({ part, index, transform, name, contentHash, existing: await this.store.findByContentHash(name, contentHash) });
    }
    if (parts.some((p) => !p.existing)) {
      const sizes = await this.withEngine((db) => splitPartSizes(db, parquet, plan));
      const empty = plan.names.filter((_, i) => sizes[i] === 0);
      if (empty.length > 0) {
        throw MloopError.invalidArgument(`${empty.length === 1 ? 'part' : 'parts'} ${empty.map((n) => `'${n}'`).join(', ')} of the split of ${v.ref} would have 0 of ${v.rowCount} rows`, {
          details: { ref: v.ref, rows: Object.fromEntries(plan.names.map((n, i) => [n, sizes[i]])) },
          hint: 'raise the ratio of the empty part; nothing was created',
        });
      }
    }
    const out: Array<ImportResult & { part: string }> = [];
    for (const { part, index, transform, name, contentHash, existing } of parts) {
      if (existing) {
        out.push({ version: existing, created: false, part });
        continue;
      }
      const r = await this.createVersion(name, contentHash, o.actor, v.description, { parents: [v.ref], transform }, { kind: 'derived' }, async (db, file) => ({
        rowCount: await writeSplitPart(db, parquet, plan, index, file),
        schema: v.schema,
      }));
      out.push({ ...r, part });
    }
    return out;
  }

  /**
   * Creates a version of `name` from a SQL query over versions written as `{name@N}`; the query and
   * the exact parent versions are its lineage.
   *
   * @example
   * await datasets.derive({ sql: 'SELECT * FROM {tickets@3} WHERE channel = \'email\'', name: 'email-tickets', actor: 'ana' });
   */
  async derive(o: { sql: string; name: string; actor: string } & ProvenanceInput): Promise<ImportResult> {
    assertDatasetName(o.name);
    const refs = queryRefs(o.sql);
    if (refs.length === 0) throw MloopError.invalidArgument('the query names no dataset: write versions as {name@N}, such as SELECT * FROM {tickets@3}');
    const parents = await Promise.all(refs.map((r) => this.show(r)));
    const paths = new Map<string, string>();
    for (const [i, r] of refs.entries()) paths.set(r, await this.parquetPath(parents[i]!));
    const resolved = Object.fromEntries(refs.map((r, i) => [r, parents[i]!.ref]));
    const transform = { kind: 'derive' as const, sql: o.sql, resolved };
    const contentHash = canonicalHash({ hash: HASH_FORMAT, parents: parents.map((p) => p.contentHash), sql: o.sql.trim() });
    const existing = await this.store.findByContentHash(o.name, contentHash);
    if (existing) return { version: existing, created: false };
    const inherited = new Map(parents.flatMap((p) => p.schema.map((c) => [c.name, c.roles] as const)).reverse());
    return this.createVersion(o.name, contentHash, o.actor, describe(o), { parents: parents.map((p) => p.ref), transform }, { kind: 'derived' }, async (db, out) => {
      const written = await writeDerived(db, o.sql, paths, out);
      const roles: ColumnRoles = {};
      for (const c of written.columns) for (const role of inherited.get(c.name) ?? []) (roles[role] ??= []).push(c.name);
      return { rowCount: written.rowCount, schema: await inferSchema(db, `read_parquet(${sqlString(out)})`, written.columns, roles) };
    });
  }

  /** Writes a version to `output` as CSV, TSV, JSON Lines or Parquet (by extension), atomically. */
  async export(ref: string, output: string, o: { force?: boolean | undefined } = {}): Promise<{ ref: string; output: string; format: string; rows: number }> {
    const v = await this.show(ref);
    const target = resolve(output);
    const ext = extname(target).toLowerCase();
    const format = EXPORT_FORMATS[ext];
    if (format === undefined) throw MloopError.invalidArgument(`cannot export to '${ext || output}': use .csv, .tsv, .jsonl or .parquet`);
    if (existsSync(target) && o.force !== true) throw MloopError.alreadyExists('file', target, { hint: 'pass --force to replace it' });
    if (!existsSync(dirname(target))) throw MloopError.notFound('folder', dirname(target));
    const parquet = await this.parquetPath(v);
    const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.mloop-export${ext}`);
    try {
      await this.withEngine((db) => db.run(`COPY (SELECT * FROM read_parquet(${sqlString(parquet)})) TO ${sqlString(temp)} (${format})`));
      renameSync(temp, target);
    } finally {
      rmSync(temp, { force: true });
    }
    return { ref: v.ref, output: target, format: ext.slice(1), rows: v.rowCount };
  }

  /** The local path of a version's Parquet file, for DuckDB to read. */
  async parquetPath(v: DatasetVersion): Promise<string> {
    if (!this.artifacts.localPath) {
      throw MloopError.failedPrecondition(`the ${this.artifacts.kind} artifact store cannot give DuckDB a local file`);
    }
    return this.artifacts.localPath(v.blobSha256);
  }

  /** Runs `fn` with a DuckDB session under this service's memory limits. */
  withEngine<T>(fn: (db: DuckSession) => Promise<T>): Promise<T> {
    mkdirSync(this.tempDir, { recursive: true });
    return withDuckDb(this.limits, fn);
  }

  /** Database URL shown in provenance: credentials removed. */
  static safeDatabaseUrl(url: string): string {
    try {
      const u = new URL(url);
      u.password = '';
      u.username = u.username ? u.username : '';
      u.search = '';
      return u.toString().replace(/\/\/([^@/]*)@/, (_, user: string) => (user ? `//${user}@` : '//'));
    } catch {
      return redactUrl(url);
    }
  }
}
