/**
 * Test support: every backend a store contract suite must pass on. SQLite always runs; PostgreSQL
 * runs when reachable, and when CI=true an unreachable PostgreSQL fails the suite instead of skipping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openBackend, migrate, type StorageBackend } from '../index.js';

export const POSTGRES_ADMIN_URL = process.env['MLOOP_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const OPTIONS = { busyTimeoutMs: 5000, poolSize: 10, connectTimeoutMs: 3000 };

let reachable: Promise<boolean> | undefined;
/** Whether the test PostgreSQL answers. */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

export interface TestBackend {
  backend: StorageBackend;
  url: string;
  cleanup(): Promise<void>;
}

export interface BackendFactory {
  name: 'sqlite' | 'postgres';
  /** False when the backend cannot run here and the suite may skip (never when CI=true). */
  available(): Promise<boolean>;
  /** A fresh, empty, migrated database. */
  make(options?: { migrate?: boolean }): Promise<TestBackend>;
}

export const sqliteFactory: BackendFactory = {
  name: 'sqlite',
  available: async () => true,
  async make(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-sqlite-'));
    const url = `sqlite:${join(dir, 'mloop.db')}`;
    const backend = await openBackend(url, OPTIONS);
    if (options.migrate !== false) await migrate(backend);
    return {
      backend,
      url,
      async cleanup() {
        await backend.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresFactory: BackendFactory = {
  name: 'postgres',
  async available() {
    const ok = await postgresReachable();
    if (!ok && process.env['CI'] === 'true') {
      throw new Error(`PostgreSQL at ${POSTGRES_ADMIN_URL} is unreachable and CI=true: the PostgreSQL suite must run in CI`);
    }
    return ok;
  },
  async make(options = {}) {
    const name = `mloop_test_${randomBytes(6).toString('hex')}`;
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    const backend = await openBackend(url.toString(), OPTIONS); // creates the database
    if (options.migrate !== false) await migrate(backend);
    return {
      backend,
      url: url.toString(),
      async cleanup() {
        await backend.close();
        const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await admin.connect();
        try {
          await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      },
    };
  },
};

/** Every backend, for `describe.each`. */
export const BACKENDS: readonly BackendFactory[] = [sqliteFactory, postgresFactory];
