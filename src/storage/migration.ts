/** Versioned migrations that run on open and report each migration's status. */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { MloopError } from '../errors/index.js';
import type { StorageBackend } from './backend.js';
import type { BackendCapabilities } from './capabilities.js';
import { MIGRATIONS } from './migrations/index.js';

/** One migration: a stable name (its order), a description, and its `up` step. */
export interface MigrationSpec {
  readonly name: string;
  readonly description: string;
  up(db: Kysely<unknown>, caps: BackendCapabilities): Promise<void>;
}

/** Status of one migration after `migrate`. */
export interface MigrationStatus {
  name: string;
  description: string;
  /** `applied` earlier, `ran` in this call, `failed` in this call, `pending` not yet applied. */
  status: 'applied' | 'ran' | 'failed' | 'pending';
  executedAt: string | null;
}

/** The schema version: how many migrations are applied, and the newest. */
export interface SchemaVersion {
  version: number;
  latest: string | null;
  /** Number of migrations this build of mloop knows. */
  known: number;
  migrations: MigrationStatus[];
}

class CodeProvider implements MigrationProvider {
  constructor(
    private readonly specs: readonly MigrationSpec[],
    private readonly caps: BackendCapabilities,
  ) {}
  getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const spec of this.specs) out[spec.name] = { up: (db) => spec.up(db, this.caps) };
    return Promise.resolve(out);
  }
}

function migratorFor(backend: StorageBackend, specs: readonly MigrationSpec[]): Migrator {
  return new Migrator({
    db: backend.db as unknown as Kysely<unknown>,
    provider: new CodeProvider(specs, backend.capabilities),
    migrationTableName: 'mloop_migration',
    migrationLockTableName: 'mloop_migration_lock',
  });
}

async function appliedNames(backend: StorageBackend): Promise<string[]> {
  const tables = await backend.db.introspection.getTables();
  if (!tables.some((t) => t.name === 'mloop_migration')) return [];
  const db = backend.db as unknown as Kysely<{ mloop_migration: { name: string } }>;
  const rows = await db.selectFrom('mloop_migration').select('name').execute();
  return rows.map((r) => r.name);
}

/**
 * Brings the schema up to date and reports every migration's status. Refuses (FAILED_PRECONDITION)
 * a database migrated by a newer mloop, and reports a failed migration as UNAVAILABLE/INTERNAL with
 * the per-migration results under `details.migrations` (earlier ones stay applied).
 */
export async function migrate(
  backend: StorageBackend,
  specs: readonly MigrationSpec[] = MIGRATIONS,
): Promise<SchemaVersion> {
  const known = new Set(specs.map((s) => s.name));
  const unknown = (await appliedNames(backend)).filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw MloopError.failedPrecondition(
      `the database was migrated by a newer mloop (unknown migrations: ${unknown.join(', ')})`,
      { hint: 'upgrade mloop to use this database', details: { unknown } },
    );
  }
  const migrator = migratorFor(backend, specs);
  const result = await migrator.migrateToLatest();
  const ranNow = new Map((result.results ?? []).map((r) => [r.migrationName, r.status]));
  const infos = await migrator.getMigrations();
  const migrations: MigrationStatus[] = infos.map((info) => {
    const spec = specs.find((s) => s.name === info.name)!;
    const now = ranNow.get(info.name);
    const status: MigrationStatus['status'] =
      now === 'Success' ? 'ran' : now === 'Error' ? 'failed' : info.executedAt ? 'applied' : 'pending';
    return {
      name: info.name,
      description: spec.description,
      status,
      executedAt: info.executedAt ? new Date(info.executedAt).toISOString() : null,
    };
  });
  if (result.error !== undefined) {
    throw MloopError.internal(`database migration failed: ${(result.error as Error).message ?? String(result.error)}`, {
      cause: result.error,
      details: { migrations },
    });
  }
  return summarize(migrations, specs.length);
}

/** Reads the migration status without changing anything. */
export async function schemaStatus(
  backend: StorageBackend,
  specs: readonly MigrationSpec[] = MIGRATIONS,
): Promise<SchemaVersion> {
  const applied = new Set(await appliedNames(backend));
  const infos = applied.size === 0 ? [] : await migratorFor(backend, specs).getMigrations();
  const at = new Map(infos.map((i) => [i.name, i.executedAt]));
  const migrations: MigrationStatus[] = specs.map((s) => {
    const executed = at.get(s.name);
    return {
      name: s.name,
      description: s.description,
      status: applied.has(s.name) ? 'applied' : 'pending',
      executedAt: executed ? new Date(executed).toISOString() : null,
    };
  });
  return summarize(migrations, specs.length);
}

function summarize(migrations: MigrationStatus[], known: number): SchemaVersion {
  const done = migrations.filter((m) => m.status === 'applied' || m.status === 'ran');
  return { version: done.length, latest: done.at(-1)?.name ?? null, known, migrations };
}
