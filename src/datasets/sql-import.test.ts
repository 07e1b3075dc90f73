/** Import from a PostgreSQL query (runs when the test PostgreSQL is reachable). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { POSTGRES_ADMIN_URL, postgresReachable } from '../storage/test-support/backends.js';
import { makeServiceFixture, type ServiceFixture } from './test-support/service-fixture.js';

const available = await postgresReachable();
const dbName = `mloop_sqlsrc_${randomBytes(5).toString('hex')}`;
const url = new URL(POSTGRES_ADMIN_URL);
url.pathname = `/${dbName}`;
url.password = 'secret-password';
url.searchParams.set('application_name', 'x');
let f: ServiceFixture;

describe.skipIf(!available)('data import --sql from PostgreSQL', () => {
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    await c.query('CREATE TABLE tickets (id bigint, body text, intent text, amount numeric, created_at timestamptz)');
    await c.query(`INSERT INTO tickets SELECT i, 'ticket ' || i, CASE WHEN i % 3 = 0 THEN 'refund' ELSE 'login' END, i * 1.5, timestamptz '2026-01-01' + i * interval '1 hour' FROM generate_series(1, 12345) i`);
    await c.end();
    f = await makeServiceFixture();
  });
  afterAll(async () => {
    await f?.cleanup();
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  it('imports the rows of a query in batches, records the query and a credential-free URL, and dedupes', async () => {
    const query = 'SELECT id, body, intent, amount, created_at FROM tickets ORDER BY id';
    const r = await f.service.importSql({ query, databaseUrl: url.toString(), name: 'tickets', roles: { text: ['body'], label: ['intent'] }, actor: 't' });
    expect(r.version.rowCount).toBe(12345);
    expect(r.version.source).toMatchObject({ kind: 'sql', query });
    const shown = (r.version.source as { database: string }).database;
    expect(shown).not.toMatch(/secret-password|application_name/);
    expect(shown).toMatch(new RegExp(`/${dbName}$`));
    expect(JSON.stringify(r.version)).not.toMatch(/secret-password/);
    expect(r.version.schema.map((c) => [c.name, c.physicalType])).toEqual([
      ['id', 'BIGINT'],
      ['body', 'VARCHAR'],
      ['intent', 'VARCHAR'],
      ['amount', 'DOUBLE'],
      ['created_at', 'TIMESTAMP'],
    ]);
    const again = await f.service.importSql({ query, databaseUrl: url.toString(), name: 'tickets', actor: 't' });
    expect([again.created, again.version.ref]).toEqual([false, 'tickets@1']);
  });

  it('fails clearly, creating nothing, for a bad query, no rows, a non-postgres URL and an unreachable server', async () => {
    const err = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as MloopError;
    const bad = await err(f.service.importSql({ query: 'SELECT nope FROM tickets', databaseUrl: url.toString(), name: 'x', actor: 't' }));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(bad.message).toMatch(/^the query failed on .*: column "nope" does not exist$/);
    expect(bad.message).not.toMatch(/secret-password/);
    const none = await err(f.service.importSql({ query: 'SELECT * FROM tickets WHERE false', databaseUrl: url.toString(), name: 'x', actor: 't' }));
    expect(none.message).toMatch(/returned no rows/);
    expect((await err(f.service.importSql({ query: 'SELECT 1', databaseUrl: 'mysql://h/db', name: 'x', actor: 't' }))).code).toBe('INVALID_ARGUMENT');
    const down = await err(f.service.importSql({ query: 'SELECT 1', databaseUrl: 'postgres://u:pw@127.0.0.1:1/db', name: 'x', actor: 't' }));
    expect(down.code).toBe('UNAVAILABLE');
    expect(down.message).not.toMatch(/pw/);
    const write = await err(f.service.importSql({ query: 'DELETE FROM tickets RETURNING id', databaseUrl: url.toString(), name: 'x', actor: 't' }));
    expect(write.code).toBe('INVALID_ARGUMENT');
    expect((await f.service.list()).map((d) => d.name)).toEqual(['tickets']);
  });
});
