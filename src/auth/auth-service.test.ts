import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import { sqliteFactory, type TestBackend } from '../storage/test-support/backends.js';
import { ACTIONS, AuthService, ROLES, ROLE_PERMISSIONS, SqlAuthStore, authorize, hashToken, isAllowed, localPrincipal, parseRoleSpec, type Principal } from './index.js';

let t: TestBackend;
let now: Date;
let auth: AuthService;
const admin = localPrincipal();

beforeEach(async () => {
  t = await sqliteFactory.make();
  now = new Date('2026-03-01T12:00:00Z');
  auth = new AuthService(new SqlAuthStore(t.backend.db), { clock: () => now });
});
afterEach(async () => t.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  return e instanceof MloopError ? e.code : e === undefined ? undefined : `non-mloop: ${String(e)}`;
}

describe('tokens', () => {
  it('bootstraps one admin whose token authenticates; only the hash is stored', async () => {
    const created = await auth.bootstrapAdmin();
    expect(created.token).toMatch(/^mlp_[A-Za-z0-9_-]{43}$/);
    const p = await auth.authenticate(created.token);
    expect(p.userName).toBe('admin');
    expect(p.grants.map((g) => g.role)).toEqual(['admin']);
    const rows = await t.backend.db.selectFrom('api_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(hashToken(created.token));
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(await codeOf(auth.bootstrapAdmin())).toBe('FAILED_PRECONDITION');
  });

  it('rejects missing, malformed, unknown, revoked and expired tokens alike', async () => {
    await auth.createUser(admin, 'eve', ['viewer']);
    const live = await auth.createToken(admin, { user: 'eve', expiresInDays: 1 });
    expect(await codeOf(auth.authenticate(undefined))).toBe('UNAUTHENTICATED');
    expect(await codeOf(auth.authenticate('hello'))).toBe('UNAUTHENTICATED');
    expect(await codeOf(auth.authenticate(`mlp_${'A'.repeat(43)}`))).toBe('UNAUTHENTICATED');
    expect((await auth.authenticate(live.token)).userName).toBe('eve');
    now = new Date(now.getTime() + 2 * 86_400_000);
    expect(await codeOf(auth.authenticate(live.token))).toBe('UNAUTHENTICATED');
    const other = await auth.createToken(admin, { user: 'eve' });
    await auth.revokeToken(admin, other.info.id);
    expect(await codeOf(auth.authenticate(other.token))).toBe('UNAUTHENTICATED');
    expect(await codeOf(auth.revokeToken(admin, other.info.id))).toBe('FAILED_PRECONDITION');
    expect(await codeOf(auth.revokeToken(admin, 'tok_missing'))).toBe('NOT_FOUND');
  });

  it('caches verified tokens for the TTL; a revocation by another process applies after it', async () => {
    await auth.createUser(admin, 'eve', ['viewer']);
    const tok = await auth.createToken(admin, { user: 'eve' });
    await auth.authenticate(tok.token);
    const store = new SqlAuthStore(t.backend.db);
    await store.revokeToken(tok.info.id, now.toISOString()); // as the CLI or another server would
    expect((await auth.authenticate(tok.token)).userName).toBe('eve');
    now = new Date(now.getTime() + 2001);
    expect(await codeOf(auth.authenticate(tok.token))).toBe('UNAUTHENTICATED');
    const noCache = new AuthService(store, { clock: () => now, cacheTtlMs: 0 });
    const fresh = await auth.createToken(admin, { user: 'eve' });
    await noCache.authenticate(fresh.token);
    await store.revokeToken(fresh.info.id, now.toISOString());
    expect(await codeOf(noCache.authenticate(fresh.token))).toBe('UNAUTHENTICATED');
  });

  it('a cached token revoked through the service, or whose role is revoked, is refused at once', async () => {
    await auth.createUser(admin, 'eve', ['engineer', 'viewer']);
    const tok = await auth.createToken(admin, { user: 'eve' });
    expect((await auth.authenticate(tok.token)).grants.map((g) => g.role).sort()).toEqual(['engineer', 'viewer']);
    await auth.revoke(admin, 'eve', 'engineer');
    expect((await auth.authenticate(tok.token)).grants.map((g) => g.role)).toEqual(['viewer']);
    await auth.revokeToken(admin, tok.info.id);
    expect(await codeOf(auth.authenticate(tok.token))).toBe('UNAUTHENTICATED');
  });

  it('a revocation that lands while a verification waits on the store is not cached over', async () => {
    await auth.createUser(admin, 'eve', ['viewer']);
    const tok = await auth.createToken(admin, { user: 'eve' });
    const real = new SqlAuthStore(t.backend.db);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slowStore = Object.assign(Object.create(real) as SqlAuthStore, {
      findTokenByHash: async (hash: string) => {
        const found = await real.findTokenByHash(hash);
        await gate;
        return found;
      },
    });
    const svc = new AuthService(slowStore, { clock: () => now, cacheTtlMs: 60_000 });
    const first = svc.authenticate(tok.token);
    await new Promise((r) => setTimeout(r, 10));
    await svc.revokeToken(admin, tok.info.id); // the store already answered "live" to the first call
    release();
    expect((await first).userName).toBe('eve');
    expect(await codeOf(svc.authenticate(tok.token))).toBe('UNAUTHENTICATED');
  });

  it('never trusts a cached token past its expiry, whatever the TTL', async () => {
    await auth.createUser(admin, 'eve', ['viewer']);
    const tok = await auth.createToken(admin, { user: 'eve', expiresInDays: 1 });
    const long = new AuthService(new SqlAuthStore(t.backend.db), { clock: () => now, cacheTtlMs: 30 * 86_400_000 });
    expect((await long.authenticate(tok.token)).userName).toBe('eve');
    now = new Date(now.getTime() + 86_400_000 - 1);
    expect((await long.authenticate(tok.token)).userName).toBe('eve');
    now = new Date(now.getTime() + 1);
    expect(await codeOf(long.authenticate(tok.token))).toBe('UNAUTHENTICATED');
  });

  it('keeps at most cacheMaxEntries tokens; an evicted one is checked against the store again', async () => {
    await auth.createUser(admin, 'eve', ['viewer']);
    const store = new SqlAuthStore(t.backend.db);
    const small = new AuthService(store, { clock: () => now, cacheTtlMs: 60_000, cacheMaxEntries: 2 });
    const toks = [];
    for (let i = 0; i < 3; i++) toks.push(await auth.createToken(admin, { user: 'eve', name: `t${i}` }));
    for (const x of toks) await small.authenticate(x.token);
    // Revoked behind the service's back (as another process would): only a cached token survives it.
    for (const x of toks) await store.revokeToken(x.info.id, now.toISOString());
    expect(await codeOf(small.authenticate(toks[0]!.token))).toBe('UNAUTHENTICATED');
    expect((await small.authenticate(toks[2]!.token)).userName).toBe('eve');
  });

  it('never waits for the last-use write, which happens at most once a minute', async () => {
    await auth.createUser(admin, 'eve', ['viewer']);
    const tok = await auth.createToken(admin, { user: 'eve' });
    const real = new SqlAuthStore(t.backend.db);
    let touches = 0;
    const hanging = Object.assign(Object.create(real) as SqlAuthStore, {
      touchToken: () => {
        touches++;
        return new Promise<void>(() => undefined);
      },
    });
    const slow = new AuthService(hanging, { clock: () => now, cacheTtlMs: 0 });
    for (let i = 0; i < 5; i++) expect((await slow.authenticate(tok.token)).userName).toBe('eve');
    await new Promise((r) => setImmediate(r));
    expect(touches).toBe(1);
  });

  it('lets users manage only their own tokens unless they may manage all', async () => {
    await auth.createUser(admin, 'ann', ['annotator:proj-a']);
    await auth.createUser(admin, 'bob', ['engineer']);
    const annToken = await auth.createToken(admin, { user: 'ann' });
    const bobToken = await auth.createToken(admin, { user: 'bob' });
    const ann = await auth.authenticate(annToken.token);
    const bob = await auth.authenticate(bobToken.token);
    const annSecond = await auth.createToken(ann, { name: 'laptop' });
    expect(annSecond.info.userName).toBe('ann');
    expect((await auth.listTokens(ann)).map((x) => x.userName)).toEqual(['ann', 'ann']);
    expect(await codeOf(auth.listTokens(ann, { user: 'bob' }))).toBe('PERMISSION_DENIED');
    expect(await codeOf(auth.createToken(ann, { user: 'bob' }))).toBe('PERMISSION_DENIED');
    expect(await codeOf(auth.revokeToken(bob, annSecond.info.id))).toBe('PERMISSION_DENIED');
    await auth.revokeToken(ann, annSecond.info.id);
    expect((await auth.listTokens(admin)).length).toBe(3);
  });

  it('validates names, roles and expiry', async () => {
    expect(await codeOf(auth.createUser(admin, 'Bad Name', []))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(auth.createUser(admin, 'ok', ['wizard']))).toBe('INVALID_ARGUMENT');
    await auth.createUser(admin, 'ok', []);
    expect(await codeOf(auth.createUser(admin, 'ok', []))).toBe('ALREADY_EXISTS');
    expect(await codeOf(auth.createToken(admin, { user: 'ok', expiresInDays: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(auth.createToken(admin, { user: 'ghost' }))).toBe('NOT_FOUND');
    expect(() => parseRoleSpec('annotator:')).toThrow(MloopError);
  });

  it('records user, role and token changes in the audit log', async () => {
    await auth.createUser(admin, 'bob', ['viewer']);
    await auth.grant(admin, 'bob', 'engineer');
    const tok = await auth.createToken(admin, { user: 'bob' });
    await auth.revokeToken(admin, tok.info.id);
    await auth.revoke(admin, 'bob', 'engineer');
    const actions = (await auth.audit(admin)).map((e) => e.action).reverse();
    expect(actions).toEqual(['user.create', 'role.grant', 'token.create', 'token.revoke', 'role.revoke']);
  });
});

describe('authorize', () => {
  const principal = (grants: Array<[string, string]>): Principal => ({
    userId: 'u',
    userName: 'u',
    grants: grants.map(([role, scope]) => ({ role: role as never, scope, grantedAt: '', grantedBy: '' })),
  });

  it('follows the matrix for global grants', () => {
    for (const role of ROLES) {
      for (const action of ACTIONS) {
        expect(isAllowed(principal([[role, '*']]), action)).toBe(ROLE_PERMISSIONS[role].includes(action));
      }
    }
  });

  it('limits project grants to their project', () => {
    const ann = principal([['annotator', 'proj-a']]);
    expect(isAllowed(ann, 'labeling:annotate', { project: 'proj-a' })).toBe(true);
    expect(isAllowed(ann, 'labeling:annotate', { project: 'proj-b' })).toBe(false);
    expect(isAllowed(ann, 'labeling:annotate')).toBe(false);
    expect(() => authorize(ann, 'workspace:read')).toThrow(/may not workspace:read/);
  });

  it('annotators and viewers can change nothing outside labeling', () => {
    const writes = ACTIONS.filter((a) => !a.endsWith(':read'));
    for (const a of writes) expect(isAllowed(principal([['viewer', '*']]), a)).toBe(false);
    expect(ROLE_PERMISSIONS.annotator).toEqual(['labeling:annotate']);
  });

  it('is monotonic: adding a grant never removes a permission (property)', () => {
    const grant = fc.tuple(fc.constantFrom(...ROLES), fc.constantFrom('*', 'p1', 'p2'));
    fc.assert(
      fc.property(fc.array(grant, { maxLength: 4 }), grant, fc.constantFrom(...ACTIONS), fc.constantFrom(undefined, 'p1', 'p2'), (gs, extra, action, project) => {
        const before = isAllowed(principal(gs), action, project === undefined ? {} : { project });
        const after = isAllowed(principal([...gs, extra]), action, project === undefined ? {} : { project });
        return !before || after;
      }),
    );
  });
});
