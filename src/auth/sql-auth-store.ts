/** The AuthStore over Kysely, shared by SQLite and PostgreSQL. */
import type { Kysely, Selectable } from 'kysely';
import { MloopError } from '../errors/index.js';
import { isUniqueViolation, newId, type ApiTokensTable, type DatabaseSchema, type UsersTable } from '../storage/index.js';
import type { ApiToken, Role, RoleGrant, User } from './auth.js';
import type { AuditEntry, AuthStore, NewToken } from './auth-store.js';

const TOUCH_INTERVAL_MS = 60_000;

function toUser(r: Selectable<UsersTable>): User {
  return { id: r.id, name: r.name, createdAt: r.created_at, createdBy: r.created_by, disabledAt: r.disabled_at };
}

function toToken(r: Selectable<ApiTokensTable> & { user_name: string }): ApiToken {
  return {
    id: r.id,
    userId: r.user_id,
    userName: r.user_name,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export class SqlAuthStore implements AuthStore {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async createUser(user: User): Promise<void> {
    try {
      await this.db
        .insertInto('users')
        .values({ id: user.id, name: user.name, created_at: user.createdAt, created_by: user.createdBy, disabled_at: user.disabledAt })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw MloopError.alreadyExists('user', user.name);
      throw err;
    }
  }

  async findUserByName(name: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toUser(r);
  }

  async findUserById(id: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('name').execute()).map(toUser);
  }

  async grantRole(userId: string, role: Role, scope: string, grantedBy: string, at: string): Promise<boolean> {
    try {
      await this.db
        .insertInto('role_grants')
        .values({ id: newId('grt'), user_id: userId, role, scope, granted_at: at, granted_by: grantedBy })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async revokeRole(userId: string, role: Role, scope: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('role_grants')
      .where('user_id', '=', userId)
      .where('role', '=', role)
      .where('scope', '=', scope)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listGrants(userId: string): Promise<RoleGrant[]> {
    const rows = await this.db
      .selectFrom('role_grants')
      .select(['role', 'scope', 'granted_at', 'granted_by'])
      .where('user_id', '=', userId)
      .orderBy('role')
      .orderBy('scope')
      .execute();
    return rows.map((r) => ({ role: r.role as Role, scope: r.scope, grantedAt: r.granted_at, grantedBy: r.granted_by }));
  }

  async createToken(t: NewToken): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: t.id,
        user_id: t.userId,
        name: t.name,
        token_hash: t.tokenHash,
        prefix: t.prefix,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
  }

  private tokensWithUser() {
    return this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('api_tokens')
      .select('users.name as user_name');
  }

  async findTokenByHash(hash: string): Promise<(ApiToken & { user: User }) | undefined> {
    const r = await this.tokensWithUser()
      .select(['users.created_at as user_created_at', 'users.created_by as user_created_by', 'users.disabled_at as user_disabled_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      ...toToken(r),
      user: { id: r.user_id, name: r.user_name, createdAt: r.user_created_at, createdBy: r.user_created_by, disabledAt: r.user_disabled_at },
    };
  }

  async findToken(idOrPrefix: string): Promise<ApiToken | undefined> {
    const rows = await this.tokensWithUser()
      .where((eb) => eb.or([eb('api_tokens.id', '=', idOrPrefix), eb('api_tokens.prefix', '=', idOrPrefix)]))
      .execute();
    if (rows.length > 1) throw MloopError.invalidArgument(`token reference '${idOrPrefix}' is ambiguous; use the token id`);
    return rows[0] && toToken(rows[0]);
  }

  async listTokens(userId?: string): Promise<ApiToken[]> {
    let q = this.tokensWithUser().orderBy('api_tokens.created_at', 'desc').orderBy('api_tokens.id');
    if (userId !== undefined) q = q.where('api_tokens.user_id', '=', userId);
    return (await q.execute()).map(toToken);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    const before = new Date(Date.parse(at) - TOUCH_INTERVAL_MS).toISOString();
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: at })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', before)]))
      .execute();
  }

  async appendAudit(entry: { at: string; actor: string; action: string; target: string; details: Record<string, unknown> }): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({ at: entry.at, actor: entry.actor, action: entry.action, target: entry.target, details: JSON.stringify(entry.details) })
      .execute();
  }

  async listAudit(options: { target?: string; limit?: number; offset?: number } = {}): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(options.limit ?? 100).offset(options.offset ?? 0);
    if (options.target !== undefined) q = q.where('target', '=', options.target);
    const rows = await q.execute();
    return rows.map((r) => ({ seq: Number(r.seq), at: r.at, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  async countAudit(options: { target?: string } = {}): Promise<number> {
    let q = this.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n'));
    if (options.target !== undefined) q = q.where('target', '=', options.target);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
