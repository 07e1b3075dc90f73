/** Users, role grants and bearer tokens: the rules, over an {@link AuthStore}. */
import { createHash, randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { MloopError } from '../errors/index.js';
import { newId } from '../storage/index.js';
import { GLOBAL_SCOPE, ROLES, type ApiToken, type Principal, type Role, type RoleGrant, type User } from './auth.js';
import type { AuditEntry, AuthStore } from './auth-store.js';
import { authorize, isAllowed } from './authorize.js';

/** Every token starts with this, so secret scanners and people can recognise one. */
export const TOKEN_PREFIX = 'mlp_';
const TOKEN_PATTERN = /^mlp_[A-Za-z0-9_-]{43}$/;
const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** sha256 hex of a token. Tokens carry 256 random bits, so a fast hash is safe here. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The principal of the local CLI: whoever can open the workspace's store acts as admin. */
export function localPrincipal(): Principal {
  let name = 'local';
  try {
    name = `local:${userInfo().username}`;
  } catch {
    // no passwd entry (some containers): keep the generic name
  }
  return { userId: 'local', userName: name, grants: [{ role: 'admin', scope: GLOBAL_SCOPE, grantedAt: '', grantedBy: 'system' }] };
}

/** Parses `role` or `role:project`; INVALID_ARGUMENT listing valid roles otherwise. */
export function parseRoleSpec(spec: string): { role: Role; scope: string } {
  const [role, ...rest] = spec.split(':');
  const scope = rest.length === 0 ? GLOBAL_SCOPE : rest.join(':');
  if (!ROLES.includes(role as Role)) {
    throw MloopError.invalidArgument(`unknown role '${role}'; valid roles: ${ROLES.join(', ')}`);
  }
  if (scope === '') throw MloopError.invalidArgument(`role '${spec}' names an empty project`);
  return { role: role as Role, scope };
}

export interface CreatedToken {
  /** The secret. Shown once; only its hash is stored. */
  token: string;
  info: ApiToken;
}

export interface AuthServiceOptions {
  clock?: () => Date;
  /**
   * How long a verified token is trusted without asking the store again (default 2000 ms; 0
   * disables). Changes made through this service clear the cache at once; changes made by
   * another process (another server, the CLI) take effect within this time.
   */
  cacheTtlMs?: number;
  /** Most verified tokens cached at once (default 10,000); the oldest entry makes room. */
  cacheMaxEntries?: number;
}

const USE_FLUSH_INTERVAL_MS = 60_000;

export class AuthService {
  private readonly clock: () => Date;
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  /**
   * Verified tokens by their own text, so a hit costs a map lookup (no SHA-256, no date
   * formatting): in process memory only, each for at most the TTL and never past its expiry.
   */
  private readonly cache = new Map<string, { principal: Principal; untilMs: number; expiresMs: number }>();
  /** Bumped by every change; a verification that started before a change is not cached. */
  private generation = 0;
  private readonly pendingUses = new Map<string, string>();
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  private flushing = false;

  constructor(
    private readonly store: AuthStore,
    options: AuthServiceOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.cacheTtlMs = options.cacheTtlMs ?? 2000;
    this.cacheMaxEntries = Math.max(1, options.cacheMaxEntries ?? 10_000);
  }

  /**
   * Notes a token's use; uses are written at most once a minute, off the request's path, and a
   * failed write is dropped: last-use times are informational and must never delay or fail a
   * request (a SQLite file locked by another process would otherwise stall it).
   */
  private recordUse(tokenId: string, at: string, nowMs: number): void {
    this.pendingUses.set(tokenId, at);
    if (this.flushing || nowMs - this.lastFlushMs < USE_FLUSH_INTERVAL_MS) return;
    this.lastFlushMs = nowMs;
    this.flushing = true;
    const uses = [...this.pendingUses];
    this.pendingUses.clear();
    setImmediate(() => {
      void (async () => {
        for (const [id, when] of uses) await this.store.touchToken(id, when).catch(() => undefined);
      })().finally(() => (this.flushing = false));
    });
  }

  /** Writes pending token uses now (tests, shutdown). */
  async flushUses(): Promise<void> {
    const uses = [...this.pendingUses];
    this.pendingUses.clear();
    for (const [id, when] of uses) await this.store.touchToken(id, when).catch(() => undefined);
  }

  /** Forgets every cached token verification (after any change to users, roles or tokens). */
  private invalidate(): void {
    this.generation += 1;
    this.cache.clear();
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /** Creates a user with the given role specs (`engineer`, `annotator:project-x`). */
  async createUser(actor: Principal, name: string, roleSpecs: string[]): Promise<User & { grants: RoleGrant[] }> {
    authorize(actor, 'users:manage');
    if (!USER_NAME.test(name)) {
      throw MloopError.invalidArgument(
        `invalid user name '${name}': use 1–63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    const roles = roleSpecs.map(parseRoleSpec);
    const user: User = { id: newId('usr'), name, createdAt: this.now(), createdBy: actor.userName, disabledAt: null };
    await this.store.createUser(user);
    for (const r of roles) await this.store.grantRole(user.id, r.role, r.scope, actor.userName, user.createdAt);
    await this.store.appendAudit({ at: user.createdAt, actor: actor.userName, action: 'user.create', target: `user:${name}`, details: { roles: roleSpecs } });
    this.invalidate();
    return { ...user, grants: await this.store.listGrants(user.id) };
  }

  async listUsers(actor: Principal): Promise<Array<User & { grants: RoleGrant[] }>> {
    authorize(actor, 'users:read');
    const users = await this.store.listUsers();
    return Promise.all(users.map(async (u) => ({ ...u, grants: await this.store.listGrants(u.id) })));
  }

  private async requireUser(name: string): Promise<User> {
    const user = await this.store.findUserByName(name);
    if (!user) throw MloopError.notFound('user', name, { hint: "'mloop user list' shows the users" });
    return user;
  }

  /** Grants a role; returns false when the user held it already. */
  async grant(actor: Principal, userName: string, roleSpec: string): Promise<boolean> {
    authorize(actor, 'users:manage');
    const { role, scope } = parseRoleSpec(roleSpec);
    const user = await this.requireUser(userName);
    const at = this.now();
    const added = await this.store.grantRole(user.id, role, scope, actor.userName, at);
    if (added) await this.store.appendAudit({ at, actor: actor.userName, action: 'role.grant', target: `user:${userName}`, details: { role, scope } });
    this.invalidate();
    return added;
  }

  /** Revokes a role; NOT_FOUND when the user did not hold it. */
  async revoke(actor: Principal, userName: string, roleSpec: string): Promise<void> {
    authorize(actor, 'users:manage');
    const { role, scope } = parseRoleSpec(roleSpec);
    const user = await this.requireUser(userName);
    if (!(await this.store.revokeRole(user.id, role, scope))) throw MloopError.notFound('role grant', `${userName} ${roleSpec}`);
    await this.store.appendAudit({ at: this.now(), actor: actor.userName, action: 'role.revoke', target: `user:${userName}`, details: { role, scope } });
    this.invalidate();
  }

  /**
   * Sets a user's roles to exactly `roleSpecs`: grants the missing ones and revokes the others, each
   * recorded in the audit log as `grant` and `revoke` record them. Every spec is checked before
   * anything changes; FAILED_PRECONDITION when no active user would keep a global admin role.
   */
  async setRoles(actor: Principal, userName: string, roleSpecs: string[]): Promise<User & { grants: RoleGrant[] }> {
    authorize(actor, 'users:manage');
    const wanted = new Map(roleSpecs.map(parseRoleSpec).map((g) => [`${g.role}:${g.scope}`, g]));
    const user = await this.requireUser(userName);
    const held = await this.store.listGrants(user.id);
    const key = (g: { role: Role; scope: string }) => `${g.role}:${g.scope}`;
    const removed = held.filter((g) => !wanted.has(key(g)));
    const added = [...wanted.values()].filter((g) => !held.some((h) => key(h) === key(g)));
    if (removed.some((g) => g.role === 'admin' && g.scope === GLOBAL_SCOPE)) {
      const others = (await this.store.listUsers()).filter((u) => u.id !== user.id && !u.disabledAt);
      const grants = await Promise.all(others.map((u) => this.store.listGrants(u.id)));
      if (!grants.some((gs) => gs.some((g) => g.role === 'admin' && g.scope === GLOBAL_SCOPE))) {
        throw MloopError.failedPrecondition(`'${userName}' is the only administrator: grant admin to someone else first`);
      }
    }
    const at = this.now();
    for (const g of added) {
      if (await this.store.grantRole(user.id, g.role, g.scope, actor.userName, at)) {
        await this.store.appendAudit({ at, actor: actor.userName, action: 'role.grant', target: `user:${userName}`, details: { role: g.role, scope: g.scope } });
      }
    }
    for (const g of removed) {
      if (await this.store.revokeRole(user.id, g.role, g.scope)) {
        await this.store.appendAudit({ at, actor: actor.userName, action: 'role.revoke', target: `user:${userName}`, details: { role: g.role, scope: g.scope } });
      }
    }
    this.invalidate();
    return { ...user, grants: await this.store.listGrants(user.id) };
  }

  /**
   * Creates a token for `userName` (default: the actor). Users may make tokens for themselves;
   * making one for someone else needs `tokens:manage-all`.
   */
  async createToken(actor: Principal, options: { user?: string; name?: string; expiresInDays?: number } = {}): Promise<CreatedToken> {
    const userName = options.user ?? actor.userName;
    const user = await this.requireUser(userName);
    if (user.id !== actor.userId) authorize(actor, 'tokens:manage-all');
    if (user.disabledAt) throw MloopError.failedPrecondition(`user '${userName}' is disabled`);
    if (options.expiresInDays !== undefined && !(Number.isInteger(options.expiresInDays) && options.expiresInDays > 0 && options.expiresInDays <= 3650)) {
      throw MloopError.invalidArgument(`expiry must be a whole number of days between 1 and 3650, got ${options.expiresInDays}`);
    }
    const name = (options.name ?? 'default').trim();
    if (name === '' || name.length > 100) throw MloopError.invalidArgument('token name must be 1–100 characters');
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const expiresAt =
      options.expiresInDays === undefined ? null : new Date(this.clock().getTime() + options.expiresInDays * 86_400_000).toISOString();
    const id = newId('tok');
    await this.store.createToken({ id, userId: user.id, name, tokenHash: hashToken(token), prefix: token.slice(0, 12), createdAt, expiresAt });
    await this.store.appendAudit({ at: createdAt, actor: actor.userName, action: 'token.create', target: `user:${userName}`, details: { token_id: id, name } });
    const info = await this.store.findToken(id);
    return { token, info: info! };
  }

  /** Tokens the actor may see: their own, or everyone's with `tokens:manage-all`. */
  async listTokens(actor: Principal, options: { user?: string } = {}): Promise<ApiToken[]> {
    if (isAllowed(actor, 'tokens:manage-all')) {
      const user = options.user === undefined ? undefined : await this.requireUser(options.user);
      return this.store.listTokens(user?.id);
    }
    if (options.user !== undefined && options.user !== actor.userName) authorize(actor, 'tokens:manage-all');
    return this.store.listTokens(actor.userId);
  }

  /** Revokes a token by id or prefix. */
  async revokeToken(actor: Principal, ref: string): Promise<ApiToken> {
    const token = await this.store.findToken(ref);
    if (!token) throw MloopError.notFound('token', ref, { hint: "'mloop token list' shows token ids" });
    if (token.userId !== actor.userId) authorize(actor, 'tokens:manage-all');
    const at = this.now();
    if (!(await this.store.revokeToken(token.id, at))) throw MloopError.failedPrecondition(`token '${ref}' is revoked already`);
    await this.store.appendAudit({ at, actor: actor.userName, action: 'token.revoke', target: `user:${token.userName}`, details: { token_id: token.id } });
    this.invalidate();
    return { ...token, revokedAt: at };
  }

  /**
   * Resolves a bearer token to its principal. UNAUTHENTICATED for a malformed, unknown,
   * revoked or expired token, or a disabled user — all with the same message, so a caller
   * cannot probe which tokens exist.
   */
  /**
   * The principal of `token` when this service verified it within the cache's lifetime (and it has
   * not expired), else undefined: synchronous, no store access, no SHA-256. For the direct predict
   * path, which hands every other request to the route that calls {@link authenticate}.
   */
  cachedPrincipal(token: string): Principal | undefined {
    const cached = this.cache.get(token);
    if (cached === undefined) return undefined;
    const nowMs = this.clock().getTime();
    return cached.untilMs > nowMs && cached.expiresMs > nowMs ? cached.principal : undefined;
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    if (token === undefined || token === '') throw MloopError.unauthenticated('a bearer token is required: send Authorization: Bearer <token>');
    const nowMs = this.clock().getTime();
    // Only tokens verified against the store are ever cached, so a hit needs no other check.
    const cached = this.cache.get(token);
    if (cached !== undefined) {
      if (cached.untilMs > nowMs && cached.expiresMs > nowMs) return cached.principal;
      this.cache.delete(token);
    }
    const fail = () => MloopError.unauthenticated('the bearer token is invalid, expired or revoked');
    if (!TOKEN_PATTERN.test(token)) throw fail();
    const now = new Date(nowMs).toISOString();
    const generation = this.generation;
    const found = await this.store.findTokenByHash(hashToken(token));
    if (!found || found.revokedAt || (found.expiresAt && found.expiresAt <= now) || found.user.disabledAt) throw fail();
    this.recordUse(found.id, now, nowMs);
    const principal: Principal = { userId: found.user.id, userName: found.user.name, grants: await this.store.listGrants(found.user.id), tokenId: found.id };
    // A change made while the store answered (a revocation, say) may not be reflected in `found`.
    if (this.cacheTtlMs > 0 && generation === this.generation) {
      if (this.cache.size >= this.cacheMaxEntries) this.cache.delete(this.cache.keys().next().value!);
      const expiresMs = found.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(found.expiresAt);
      this.cache.set(token, { principal, untilMs: nowMs + this.cacheTtlMs, expiresMs });
    }
    return principal;
  }

  /** Creates the first admin user and its token; FAILED_PRECONDITION when users exist already. */
  async bootstrapAdmin(name = 'admin'): Promise<CreatedToken> {
    if ((await this.store.listUsers()).length > 0) throw MloopError.failedPrecondition('the workspace has users already');
    const system = localPrincipal();
    await this.createUser(system, name, ['admin']);
    return this.createToken(system, { user: name, name: 'bootstrap' });
  }

  /** How many users and live tokens exist, for status pages. */
  async summary(): Promise<{ users: number; activeTokens: number }> {
    const now = this.now();
    const [users, tokens] = await Promise.all([this.store.listUsers(), this.store.listTokens()]);
    const live = tokens.filter((t) => !t.revokedAt && !(t.expiresAt && t.expiresAt <= now));
    return { users: users.length, activeTokens: live.length };
  }

  /**
   * Appends a decision another concept made to the audit log (approvals, say), so the log is the
   * one place that says who did what, when. `at` defaults to now.
   */
  async recordAudit(entry: { actor: string; action: string; target: string; details: Record<string, unknown>; at?: string }): Promise<void> {
    await this.store.appendAudit({ at: entry.at ?? this.now(), actor: entry.actor, action: entry.action, target: entry.target, details: entry.details });
  }

  /** The audit log, newest first. */
  async audit(actor: Principal, options: { target?: string; limit?: number } = {}) {
    authorize(actor, 'users:read');
    return this.store.listAudit(options);
  }

  /** One page of the audit log, newest first, with how many entries match in all. */
  async auditPage(actor: Principal, options: { target?: string; limit: number; offset: number }): Promise<{ entries: AuditEntry[]; total: number }> {
    authorize(actor, 'users:read');
    const filter = options.target === undefined ? {} : { target: options.target };
    const [entries, total] = await Promise.all([this.store.listAudit({ ...filter, limit: options.limit, offset: options.offset }), this.store.countAudit(filter)]);
    return { entries, total };
  }
}
