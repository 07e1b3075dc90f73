/** A short-lived, memory-bounded DuckDB instance for one dataset operation, and SQL quoting. */
import { mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { MloopError, isMloopError } from '../errors/index.js';

/** Limits of the DuckDB engine; memory above the limit spills to `tempDir`. */
export interface EngineLimits {
  /** DuckDB `memory_limit`, such as `256MB`. */
  memoryLimit: string;
  /** Worker threads. */
  threads: number;
  /** Folder for spill files and staged Parquet; created when missing. */
  tempDir: string;
}

export const DEFAULT_LIMITS: Omit<EngineLimits, 'tempDir'> = Object.freeze({ memoryLimit: '256MB', threads: 2 });

/**
 * The limits for converting an input file to Parquet: always one engine thread. The copy keeps the
 * file's row order, and within the 256MB memory limit DuckDB's ordered Parquet writer ran on one
 * thread anyway (the other thread did under a tenth of the work on the 1 M-row benchmark file),
 * while the client thread of a second thread busy-polls the task queue when it has nothing to do
 * (perf: ExecuteTask, mutexes and the queue in ~30 % of samples): the copy took 2.2–5.2 CPU-s with
 * two threads against 2.0–2.2 with one, for no shorter wall time. With two threads the ordered
 * buffer also grows with the file (422 MB at 7.5 M rows against 262 MB for one thread).
 */
export function importLimits(limits: EngineLimits): EngineLimits {
  return { ...limits, threads: 1 };
}

type Row = Record<string, unknown>;

/** One DuckDB connection with helpers that return plain JSON rows. */
export class DuckSession {
  constructor(private readonly connection: DuckDBConnection) {}

  /** Stops the running query; it fails with an "interrupted" error. */
  interrupt(): void {
    this.connection.interrupt();
  }

  /** Runs statements, discarding results. */
  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** Runs a query and returns every row as JSON values (BIGINT as strings, use Number()). */
  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as T[];
  }

  /** Streams a query's rows in chunks, so large results need not fit in memory. */
  async *stream<T extends Row = Row>(sql: string): AsyncGenerator<T[]> {
    const result = await this.connection.stream(sql);
    for await (const rows of result.yieldRowObjectJson()) yield rows as T[];
  }
}

/**
 * Opens an in-memory DuckDB bounded by `limits`, runs `fn`, and closes it and its spill folder.
 * DuckDB's own messages never reach users: errors that `fn` does not translate become INTERNAL.
 */
export async function withDuckDb<T>(limits: EngineLimits, fn: (db: DuckSession) => Promise<T>): Promise<T> {
  const spill = join(limits.tempDir, `duckdb-${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(spill, { recursive: true });
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    // Loaded on first use: the native engine costs ~0.2 CPU-s, which `data list` or `show` never need.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    instance = await DuckDBInstance.create(':memory:', {
      memory_limit: limits.memoryLimit,
      threads: String(limits.threads),
      temp_directory: spill,
      preserve_insertion_order: 'true',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    connection = await instance.connect();
    return await fn(new DuckSession(connection));
  } catch (err) {
    if (isMloopError(err)) throw err;
    throw MloopError.internal('the data engine failed', { cause: err });
  } finally {
    connection?.closeSync();
    instance?.closeSync();
    rmSync(spill, { recursive: true, force: true });
  }
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The DuckDB error message without its SQL excerpt and sniffer dump: first lines only. */
export function engineMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.replace(/^[A-Za-z ]+Error:\s*/, '').trim();
}

/**
 * Options of every Parquet file mloop writes: zstd at level 1, and row groups small enough that the
 * writer's buffers stay well inside the memory limit (the default 122,880-row groups of wide text
 * tables take hundreds of MB). Level 1 instead of DuckDB's default 3: on the 1 M-row benchmark file
 * it cut the CPU of the CSV-to-Parquet copy by about a fifth for a 10 % larger file (ADR 0002).
 */
export const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 50000';
