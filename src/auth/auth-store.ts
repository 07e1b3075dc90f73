/** What the auth concept needs from the metadata store. */
import type { ApiToken, Role, RoleGrant, User } from './auth.js';

export interface NewToken {
  id: string;
  userId: string;
  name: string;
  tokenHash: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
}

export interface AuthStore {
  /** Creates a user; ALREADY_EXISTS when the name is taken. */
  createUser(user: User): Promise<void>;
  /** The user with this name, or undefined. */
  findUserByName(name: string): Promise<User | undefined>;
  /** The user with this id, or undefined. */
  findUserById(id: string): Promise<User | undefined>;
  /** All users, by name. */
  listUsers(): Promise<User[]>;
  /** Grants `role` at `scope`; granting a role held already is a no-op that returns false. */
  grantRole(userId: string, role: Role, scope: string, grantedBy: string, at: string): Promise<boolean>;
  /** Removes a grant; false when there was none. */
  revokeRole(userId: string, role: Role, scope: string): Promise<boolean>;
  /** The grants of one user. */
  listGrants(userId: string): Promise<RoleGrant[]>;
  /** Stores a token by hash. */
  createToken(token: NewToken): Promise<void>;
  /** A live or revoked token by the sha256 of its secret, with its user; undefined if unknown. */
  findTokenByHash(hash: string): Promise<(ApiToken & { user: User }) | undefined>;
  /** One token by id or unique prefix. */
  findToken(idOrPrefix: string): Promise<ApiToken | undefined>;
  /** Tokens, newest first, optionally of one user. */
  listTokens(userId?: string): Promise<ApiToken[]>;
  /** Marks a token revoked; false when it was unknown or revoked already. */
  revokeToken(id: string, at: string): Promise<boolean>;
  /** Records a use; at most once a minute per token, to avoid a write per request. */
  touchToken(id: string, at: string): Promise<void>;
  /** Appends to the audit log, which nothing updates or deletes. */
  appendAudit(entry: { at: string; actor: string; action: string; target: string; details: Record<string, unknown> }): Promise<void>;
  /** Audit entries, newest first; `offset` skips that many of the newest (after the target filter). */
  listAudit(options?: { target?: string; limit?: number; offset?: number }): Promise<AuditEntry[]>;
  /** How many audit entries there are (for `target` only, when given). */
  countAudit(options?: { target?: string }): Promise<number>;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}
