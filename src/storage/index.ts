/** Storage: the metadata store over SQLite or PostgreSQL (Kysely), with migrations and capabilities. */
export { openBackend, KNOWN_SCHEMES } from './backend-registry.js';
export type { StorageBackend, BackendName, OpenBackendOptions } from './backend.js';
export type { BackendCapabilities } from './capabilities.js';
export { SQLITE_CAPABILITIES, POSTGRES_CAPABILITIES } from './capabilities.js';
export { migrate, schemaStatus } from './migration.js';
export type { MigrationSpec, MigrationStatus, SchemaVersion } from './migration.js';
export { MIGRATIONS } from './migrations/index.js';
export type * from './schema.js';
export { isUniqueViolation, nowIso, newId } from './sql-helpers.js';
