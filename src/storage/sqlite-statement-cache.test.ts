import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openBackend, type StorageBackend } from './index.js';

let dir: string;
let backend: StorageBackend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open(statementCache: number): Promise<StorageBackend> {
  dir = mkdtempSync(join(tmpdir(), 'mloop-stmt-cache-'));
  backend = await openBackend(`sqlite:${join(dir, 'x.db')}`, { busyTimeoutMs: 0, poolSize: 1, connectTimeoutMs: 1000, statementCache });
  await sql`create table t (k integer primary key, v text not null)`.execute(backend.db);
  return backend;
}

describe('SQLite statement cache', () => {
  it('answers like fresh statements when statements are reused and evicted (cache of 2, four shapes)', async () => {
    const b = await open(2);
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 4; k++) await sql`insert into t (k, v) values (${round * 4 + k}, ${`r${round}k${k}`})`.execute(b.db);
      const all = await sql<{ n: number }>`select count(*) as n from t`.execute(b.db);
      const one = await sql<{ v: string }>`select v from t where k = ${round * 4 + 1}`.execute(b.db);
      const streamed: string[] = [];
      for await (const r of b.db.selectFrom('t' as never).select('v' as never).where('k' as never, '<', (round * 4 + 4) as never).stream()) streamed.push((r as { v: string }).v);
      expect(all.rows[0]!.n).toBe(round * 4 + 4);
      expect(one.rows[0]!.v).toBe(`r${round}k1`);
      expect(streamed).toHaveLength(round * 4 + 4);
    }
    const failed = await sql`insert into t (k, v) values (${0}, ${'dup'})`.execute(b.db).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(failed).toMatch(/UNIQUE/);
    // The statement that failed is reusable afterwards.
    await sql`insert into t (k, v) values (${100}, ${'ok'})`.execute(b.db);
    expect((await sql<{ v: string }>`select v from t where k = ${100}`.execute(b.db)).rows[0]!.v).toBe('ok');
  });

  it('binds few and many parameters alike (as arguments up to 8,192, beyond as one array)', async () => {
    const b = await open(4);
    const rows = Array.from({ length: 3000 }, (_, k) => ({ k, v: `v${k}` }));
    // 3,000 rows of 2 values: 6,000 parameters in one statement (as arguments); then 9,000 in an IN list (one array).
    await b.db.insertInto('t' as never).values(rows as never).execute();
    const keys = Array.from({ length: 9000 }, (_, k) => k);
    const got = await b.db.selectFrom('t' as never).select(['k' as never, 'v' as never]).where('k' as never, 'in', keys as never).orderBy('k' as never).execute();
    expect(got).toEqual(rows);
    const none = await sql<{ n: number }>`select count(*) as n from t where k > ${2999}`.execute(b.db);
    expect(none.rows[0]!.n).toBe(0);
  });

  it('runs a transaction of reused inserts and rolls it back as a whole on failure', async () => {
    const b = await open(8);
    const bad = b.db.transaction().execute(async (tx) => {
      for (let k = 0; k < 5; k++) await sql`insert into t (k, v) values (${k}, ${'x'})`.execute(tx);
      await sql`insert into t (k, v) values (${1}, ${'dup'})`.execute(tx);
    });
    await expect(bad).rejects.toThrow(/UNIQUE/);
    expect((await sql<{ n: number }>`select count(*) as n from t`.execute(b.db)).rows[0]!.n).toBe(0);
  });
});
