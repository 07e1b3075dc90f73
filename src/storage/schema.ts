/**
 * Table types of the metadata store, as Kysely sees them. Timestamps are ISO-8601 UTC strings and
 * JSON documents are text in both backends, so one SQL implementation serves SQLite and PostgreSQL.
 */
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  name: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

export interface RoleGrantsTable {
  id: string;
  user_id: string;
  role: string;
  /** '*' for a global grant, otherwise the project (labeling project, model) it is limited to. */
  scope: string;
  granted_at: string;
  granted_by: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  /** sha256 hex of the whole token; the token itself is never stored. */
  token_hash: string;
  /** First characters of the token, shown in listings so people can tell tokens apart. */
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
}

/** A named dataset; its content lives in {@link DatasetVersionsTable}. */
export interface DatasetsTable {
  id: string;
  name: string;
  created_at: string;
  created_by: string;
}

/** One immutable dataset version `name@N`; JSON columns hold schema, provenance and lineage. */
export interface DatasetVersionsTable {
  id: string;
  dataset_id: string;
  version: number;
  content_hash: string;
  blob_sha256: string;
  /** bigint: PostgreSQL returns it as a string; read it with Number(). */
  bytes: number | string;
  row_count: number | string;
  schema_json: string;
  source_json: string;
  description_json: string;
  lineage_json: string;
  stats_json: string;
  created_at: string;
  created_by: string;
}

/** Lineage edges: `child_id` was produced from `parent_id`. */
export interface DatasetVersionParentsTable {
  child_id: string;
  parent_id: string;
  position: number;
}

export interface DatabaseSchema {
  users: UsersTable;
  role_grants: RoleGrantsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  dataset_version_parents: DatasetVersionParentsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  alias_history: AliasHistoryTable;
}

export interface ModelsTable {
  id: string;
  name: string;
  task: string;
  description_json: string;
  /** The highest version number allocated; bumped in the transaction that inserts a version. */
  last_version: number;
  created_at: string;
  created_by: string;
}

export interface ModelVersionsTable {
  id: string;
  model_id: string;
  version: number;
  task: string;
  /** Natural key of the run that produced the version: one run makes at most one version. */
  run_key: string | null;
  record_json: string;
  artifacts_json: string;
  tags_json: string;
  notes: string;
  created_at: string;
  created_by: string;
}

export interface ModelAliasesTable {
  model_id: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AliasHistoryTable {
  seq: Generated<number>;
  model_id: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  actor: string;
  reason: string;
  evidence_json: string;
}
