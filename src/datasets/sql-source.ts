/** Reads the result of a PostgreSQL query into a JSON Lines file, in batches through a cursor. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import pg from 'pg';
import { MloopError } from '../errors/index.js';

const BATCH = 5000;

/** A parser set that keeps 64-bit integers and numerics as JSON numbers when they fit. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
    if (oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/** Runs `query` on `databaseUrl` read-only and writes its rows to `outPath`; returns the row count. */
export async function queryToJsonl(databaseUrl: string, query: string, outPath: string, shownUrl: string): Promise<number> {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw MloopError.invalidArgument('--database-url must be a postgres:// URL', { hint: 'such as postgres://user@host:5432/db' });
  }
  if (query.trim() === '') throw MloopError.invalidArgument('the --sql query is empty');
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, types: TYPES });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw MloopError.unavailable(`cannot connect to ${shownUrl}`, { cause: err, details: { database: shownUrl }, hint: 'check the URL, that the server runs, and the credentials' });
  }
  const out = createWriteStream(outPath, { flags: 'wx' });
  let rows = 0;
  try {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(`DECLARE mloop_import NO SCROLL CURSOR FOR ${query.trim().replace(/;\s*$/, '')}`);
    } catch (err) {
      const e = err as { message?: string; position?: string };
      throw MloopError.invalidArgument(`the query failed on ${shownUrl}: ${e.message ?? 'error'}`, {
        cause: err,
        details: { database: shownUrl, ...(e.position ? { position: Number(e.position) } : {}) },
      });
    }
    for (;;) {
      const batch = await client.query(`FETCH ${BATCH} FROM mloop_import`);
      if (batch.rows.length === 0) break;
      rows += batch.rows.length;
      if (!out.write(batch.rows.map((r) => JSON.stringify(r)).join('\n') + '\n')) await once(out, 'drain');
    }
    await client.query('COMMIT');
  } catch (err) {
    if (err instanceof MloopError) throw err;
    const e = err as { message?: string };
    throw MloopError.invalidArgument(`the query failed on ${shownUrl}: ${e.message ?? 'error'}`, { cause: err, details: { database: shownUrl } });
  } finally {
    out.end();
    await once(out, 'close').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  if (rows === 0) throw MloopError.invalidArgument(`the query returned no rows on ${shownUrl}`, { details: { database: shownUrl } });
  return rows;
}
