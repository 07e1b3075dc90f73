/** PostgreSQL backend for team mode, over a `pg` pool. Creates the database when it is missing. */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { MloopError } from '../errors/index.js';
import type { OpenBackendOptions, StorageBackend } from './backend.js';
import { POSTGRES_CAPABILITIES } from './capabilities.js';
import type { DatabaseSchema } from './schema.js';

/** How long a session may sit idle inside an open transaction before PostgreSQL ends it. */
const IDLE_IN_TRANSACTION_MS = 10_000;

/** Hides the password of a connection URL. */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

function describeConnectionError(err: unknown, where: string): MloopError {
  const e = err as { code?: string; message?: string };
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    '28P01': 'password authentication failed',
    '28000': 'authentication rejected',
    '3D000': 'database does not exist',
  };
  const timeout = typeof e.message === 'string' && /timeout/i.test(e.message);
  const reason = (e.code && reasons[e.code]) ?? (timeout ? 'connection timed out' : 'connection failed');
  return MloopError.unavailable(`cannot reach PostgreSQL at ${where}: ${reason}`, {
    cause: err,
    details: { database: where, reason },
    hint: 'check MLOOP_DATABASE_URL and that PostgreSQL is running',
  });
}

async function tryConnect(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(url: string, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}$/.test(name)) {
    throw MloopError.invalidArgument(`database name '${name}' is not a plain identifier; create it yourself`);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P04') return; // created concurrently by another process
    if (code === '42501') {
      throw MloopError.failedPrecondition(`PostgreSQL database '${name}' does not exist and this user may not create it`, {
        cause: err,
        hint: `ask an administrator to run: CREATE DATABASE "${name}" OWNER ${target.username || 'postgres'};`,
      });
    }
    throw describeConnectionError(err, redactPostgresUrl(url));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Opens a pool to `url`, creating the database first when it does not exist and `create` is not false. */
export async function openPostgresBackend(url: string, options: OpenBackendOptions): Promise<StorageBackend> {
  const where = redactPostgresUrl(url);
  try {
    await tryConnect(url, options.connectTimeoutMs);
  } catch (err) {
    if ((err as { code?: string }).code === '3D000' && options.create !== false) {
      await createDatabase(url, options.connectTimeoutMs);
      try {
        await tryConnect(url, options.connectTimeoutMs);
      } catch (again) {
        throw describeConnectionError(again, where);
      }
    } else {
      throw describeConnectionError(err, where);
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // A process paused inside a transaction (SIGSTOP, a debugger, a frozen VM) must not hold its
    // row locks forever: the server ends such a session and its work is retried elsewhere.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    ...(options.durability === 'relaxed' ? { options: '-c synchronous_commit=off' } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // A checked-out client (inside a transaction) whose connection drops must not crash it either.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    name: 'postgres',
    capabilities: POSTGRES_CAPABILITIES,
    db,
    location: where,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw describeConnectionError(err, where);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
