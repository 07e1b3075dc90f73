/**
 * What each backend can do, declared in one place. Logic asks a capability, never the backend's name.
 */
export interface BackendCapabilities {
  /** Several processes can write at the same time without serialising on one file lock. */
  readonly supportsConcurrentWriters: boolean;
  /** `SELECT … FOR UPDATE SKIP LOCKED` is available for work queues. */
  readonly supportsSkipLocked: boolean;
  /** Session-level advisory locks (`pg_advisory_lock`). */
  readonly supportsAdvisoryLocks: boolean;
  /** `LISTEN/NOTIFY` style change notification across processes. */
  readonly supportsNotify: boolean;
  /** SQL type used for auto-incrementing integer keys in migrations. */
  readonly autoIncrementPrimaryKey: 'integer-autoincrement' | 'identity';
  /** SQL type of a column of bytes. */
  readonly binaryColumnType: 'blob' | 'bytea';
}

export const SQLITE_CAPABILITIES: BackendCapabilities = Object.freeze({
  supportsConcurrentWriters: false,
  supportsSkipLocked: false,
  supportsAdvisoryLocks: false,
  supportsNotify: false,
  autoIncrementPrimaryKey: 'integer-autoincrement',
  binaryColumnType: 'blob',
});

export const POSTGRES_CAPABILITIES: BackendCapabilities = Object.freeze({
  supportsConcurrentWriters: true,
  supportsSkipLocked: true,
  supportsAdvisoryLocks: true,
  supportsNotify: true,
  autoIncrementPrimaryKey: 'identity',
  binaryColumnType: 'bytea',
});
