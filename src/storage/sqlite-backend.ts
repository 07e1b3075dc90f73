/** SQLite backend: better-sqlite3 in WAL mode with synchronous=FULL and a busy timeout. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { MloopError } from '../errors/index.js';
import type { OpenBackendOptions, StorageBackend } from './backend.js';
import { SQLITE_CAPABILITIES } from './capabilities.js';
import type { DatabaseSchema } from './schema.js';

/** Most parameters passed to better-sqlite3 as separate arguments; more go as one array (a call's arguments live on the stack). */
const MAX_SPREAD = 8192;

/**
 * `s` taking Kysely's parameter array as separate arguments. better-sqlite3 reads an array argument
 * element by element through V8's API, about a third of its cost of binding a value: for the
 * prediction log's 128-row inserts (2,304 parameters) that was ~0.7 µs of the writer's CPU per row
 * (bench/RESULTS.md, Serving, session 10).
 */
function spreadingParameters(s: Database.Statement): SqliteStatement {
  return {
    reader: s.reader,
    all: (p) => (p.length <= MAX_SPREAD ? s.all(...p) : s.all(p)),
    run: (p) => (p.length <= MAX_SPREAD ? s.run(...p) : s.run(p)),
    iterate: (p) => (p.length <= MAX_SPREAD ? s.iterate(...p) : s.iterate(p)),
  };
}

/**
 * `native` with its prepared statements kept by SQL text (the `size` most recently used). Kysely
 * prepares every query anew; preparing a many-row INSERT cost about a fifth of writing its rows.
 */
function cachingStatements(native: Database.Database, size: number): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => native.close(),
    prepare(text: string) {
      let s = statements.get(text);
      if (s === undefined) {
        s = spreadingParameters(native.prepare(text));
        if (statements.size >= size) statements.delete(statements.keys().next().value!);
      } else statements.delete(text);
      statements.set(text, s);
      return s;
    },
  };
}

/** Opens (and creates, when missing) the SQLite database at `path` (`:memory:` allowed). */
export async function openSqliteBackend(path: string, options: OpenBackendOptions): Promise<StorageBackend> {
  let native: Database.Database;
  try {
    if (path !== ':memory:' && options.create !== false) mkdirSync(dirname(path), { recursive: true });
    native = new Database(path, { fileMustExist: options.create === false, timeout: options.busyTimeoutMs });
    native.pragma('journal_mode = WAL');
    native.pragma(options.durability === 'relaxed' ? 'synchronous = NORMAL' : 'synchronous = FULL');
    native.pragma('foreign_keys = ON');
    native.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  } catch (err) {
    throw MloopError.unavailable(`cannot open SQLite database ${path}: ${(err as Error).message}`, {
      cause: err,
      hint: 'check that the folder exists and is writable',
    });
  }
  const size = options.statementCache ?? 0;
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: size > 0 ? cachingStatements(native, size) : native }) });
  let closed = false;
  return {
    name: 'sqlite',
    capabilities: SQLITE_CAPABILITIES,
    db,
    location: path,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
