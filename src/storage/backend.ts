/** The metadata-store backend interface. */
import type { Kysely } from 'kysely';
import type { BackendCapabilities } from './capabilities.js';
import type { DatabaseSchema } from './schema.js';

export type BackendName = 'sqlite' | 'postgres';

/** An open connection to the metadata store. */
export interface StorageBackend {
  /** Which backend this is; for display only — logic asks `capabilities`. */
  readonly name: BackendName;
  /** What the backend can do. */
  readonly capabilities: BackendCapabilities;
  /** The typed query builder over the schema. */
  readonly db: Kysely<DatabaseSchema>;
  /** Where the data lives, with credentials redacted (a file path, or a URL). */
  readonly location: string;
  /** Checks that the database answers; throws UNAVAILABLE when it does not. */
  ping(): Promise<void>;
  /** Closes all connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Options shared by every backend's `open`. */
export interface OpenBackendOptions {
  busyTimeoutMs: number;
  poolSize: number;
  connectTimeoutMs: number;
  /** Create the database (or its file and folder) when missing. Default true. */
  create?: boolean;
  /**
   * SQLite: keep up to this many prepared statements by SQL text and reuse them (default 0: every
   * query is prepared anew, as Kysely does). For a connection that runs the same few statements
   * all day (the prediction log's inserts); PostgreSQL ignores it.
   */
  statementCache?: number;
  /**
   * `relaxed`: commits do not wait for the disk — SQLite `synchronous = NORMAL` (WAL: a power cut
   * may lose the last commits, never corrupt the file), PostgreSQL `synchronous_commit = off` for
   * this pool's sessions. For a connection whose writes may be lost anyway (the prediction log sheds
   * records under load). Default `full`.
   */
  durability?: 'full' | 'relaxed';
}
