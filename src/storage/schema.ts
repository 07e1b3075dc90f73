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

export interface DatabaseSchema {
  users: UsersTable;
  role_grants: RoleGrantsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
}
