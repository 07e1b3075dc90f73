import { describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import { BACKENDS } from './test-support/backends.js';
import { KNOWN_SCHEMES, migrate, openBackend, schemaStatus, type MigrationSpec } from './index.js';
import { MIGRATIONS } from './migrations/index.js';

const OPTIONS = { busyTimeoutMs: 1000, poolSize: 2, connectTimeoutMs: 1000 };

for (const factory of BACKENDS) {
  describe(`storage on ${factory.name}`, async () => {
    const available = await factory.available();
    it.skipIf(!available)('migrates a new database and reports each migration', async () => {
      const t = await factory.make({ migrate: false });
      try {
        expect((await schemaStatus(t.backend)).version).toBe(0);
        const first = await migrate(t.backend);
        expect(first.version).toBe(MIGRATIONS.length);
        expect(first.migrations.every((m) => m.status === 'ran')).toBe(true);
        const again = await migrate(t.backend);
        expect(again.migrations.every((m) => m.status === 'applied')).toBe(true);
        expect(again.latest).toBe(MIGRATIONS.at(-1)!.name);
        const status = await schemaStatus(t.backend);
        expect(status.version).toBe(MIGRATIONS.length);
        expect(status.migrations[0]!.executedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      } finally {
        await t.cleanup();
      }
    });

    it.skipIf(!available)('refuses a database migrated by a newer mloop', async () => {
      const t = await factory.make({ migrate: false });
      try {
        const newer: MigrationSpec = { name: '9999_future', description: 'from the future', up: async () => undefined };
        await migrate(t.backend, [...MIGRATIONS, newer]);
        const err = await migrate(t.backend).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MloopError);
        expect((err as MloopError).code).toBe('FAILED_PRECONDITION');
        expect((err as MloopError).message).toContain('9999_future');
      } finally {
        await t.cleanup();
      }
    });

    it.skipIf(!available)('reports a failing migration with the status of each, keeping the applied ones', async () => {
      const t = await factory.make();
      try {
        const broken: MigrationSpec = {
          name: '0999_broken',
          description: 'fails',
          up: async () => {
            throw new Error('boom');
          },
        };
        const err = (await migrate(t.backend, [...MIGRATIONS, broken]).catch((e: unknown) => e)) as MloopError;
        expect(err.code).toBe('INTERNAL');
        const statuses = err.details?.['migrations'] as Array<{ name: string; status: string }>;
        expect(statuses.find((m) => m.name === '0999_broken')?.status).toBe('failed');
        expect((await schemaStatus(t.backend)).version).toBe(MIGRATIONS.length);
      } finally {
        await t.cleanup();
      }
    });

    it.skipIf(!available)('answers ping and closes twice safely', async () => {
      const t = await factory.make();
      await t.backend.ping();
      await t.cleanup();
      await t.backend.close();
    });
  });
}

describe('backend registry', () => {
  it('lists the known schemes for an unknown one', async () => {
    const err = (await openBackend('mysql://localhost/x', OPTIONS).catch((e: unknown) => e)) as MloopError;
    expect(err.code).toBe('INVALID_ARGUMENT');
    for (const s of KNOWN_SCHEMES) expect(err.message).toContain(s);
  });

  it('reports an unreachable PostgreSQL as UNAVAILABLE without the password', async () => {
    const err = (await openBackend('postgres://u:secret@127.0.0.1:1/db', OPTIONS).catch((e: unknown) => e)) as MloopError;
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('connection refused');
    expect(err.message).not.toContain('secret');
  });

  it('reports an SQLite path whose folder cannot be created', async () => {
    const err = (await openBackend('sqlite:/etc/hostname/sub/x.db', OPTIONS).catch((e: unknown) => e)) as MloopError;
    expect(err.code).toBe('UNAVAILABLE');
  });
});
