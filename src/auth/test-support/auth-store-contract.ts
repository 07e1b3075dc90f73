/** The AuthStore contract, written once and run against every backend. */
import { describe, expect, it } from 'vitest';
import { MloopError } from '../../errors/index.js';
import type { AuthStore } from '../auth-store.js';

export function runAuthStoreContract(name: string, make: () => Promise<{ store: AuthStore; cleanup: () => Promise<void> }>, skip = false): void {
  const user = (n: string) => ({ id: `usr_${n}`, name: n, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'test', disabledAt: null });

  describe.skipIf(skip)(`AuthStore contract: ${name}`, () => {
    it('creates, finds and lists users; duplicate names are ALREADY_EXISTS', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createUser(user('bob'));
        await store.createUser(user('alice'));
        expect((await store.findUserByName('bob'))?.id).toBe('usr_bob');
        expect((await store.findUserById('usr_alice'))?.name).toBe('alice');
        expect(await store.findUserByName('carol')).toBeUndefined();
        expect((await store.listUsers()).map((u) => u.name)).toEqual(['alice', 'bob']);
        const err = await store.createUser({ ...user('bob'), id: 'usr_other' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MloopError);
        expect((err as MloopError).code).toBe('ALREADY_EXISTS');
      } finally {
        await cleanup();
      }
    });

    it('grants roles once per scope and revokes them', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createUser(user('ann'));
        expect(await store.grantRole('usr_ann', 'annotator', 'proj-a', 'test', 't')).toBe(true);
        expect(await store.grantRole('usr_ann', 'annotator', 'proj-a', 'test', 't')).toBe(false);
        expect(await store.grantRole('usr_ann', 'annotator', 'proj-b', 'test', 't')).toBe(true);
        expect((await store.listGrants('usr_ann')).map((g) => g.scope)).toEqual(['proj-a', 'proj-b']);
        expect(await store.revokeRole('usr_ann', 'annotator', 'proj-a')).toBe(true);
        expect(await store.revokeRole('usr_ann', 'annotator', 'proj-a')).toBe(false);
        expect(await store.listGrants('usr_ann')).toHaveLength(1);
      } finally {
        await cleanup();
      }
    });

    it('stores tokens by hash, finds them, revokes once, throttles touches', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createUser(user('bob'));
        const base = { userId: 'usr_bob', name: 'ci', prefix: 'mlp_abcdefgh', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: null };
        await store.createToken({ ...base, id: 'tok_1', tokenHash: 'h1' });
        await store.createToken({ ...base, id: 'tok_2', tokenHash: 'h2', prefix: 'mlp_zzzzzzzz', createdAt: '2026-01-02T00:00:00.000Z' });
        const found = await store.findTokenByHash('h1');
        expect(found?.id).toBe('tok_1');
        expect(found?.user.name).toBe('bob');
        expect(await store.findTokenByHash('nope')).toBeUndefined();
        expect((await store.findToken('mlp_zzzzzzzz'))?.id).toBe('tok_2');
        expect((await store.listTokens()).map((t) => t.id)).toEqual(['tok_2', 'tok_1']);
        expect(await store.listTokens('usr_nobody')).toEqual([]);
        expect(await store.revokeToken('tok_1', '2026-01-03T00:00:00.000Z')).toBe(true);
        expect(await store.revokeToken('tok_1', '2026-01-04T00:00:00.000Z')).toBe(false);
        expect((await store.findTokenByHash('h1'))?.revokedAt).toBe('2026-01-03T00:00:00.000Z');
        await store.touchToken('tok_2', '2026-02-01T00:00:00.000Z');
        await store.touchToken('tok_2', '2026-02-01T00:00:30.000Z');
        expect((await store.findToken('tok_2'))?.lastUsedAt).toBe('2026-02-01T00:00:00.000Z');
        await store.touchToken('tok_2', '2026-02-01T00:02:00.000Z');
        expect((await store.findToken('tok_2'))?.lastUsedAt).toBe('2026-02-01T00:02:00.000Z');
        const dup = await store.findToken('mlp_abcdefgh');
        expect(dup?.id).toBe('tok_1');
      } finally {
        await cleanup();
      }
    });

    it('appends to the audit log in order', async () => {
      const { store, cleanup } = await make();
      try {
        for (let i = 0; i < 3; i++) await store.appendAudit({ at: `t${i}`, actor: 'a', action: 'x', target: i % 2 ? 'odd' : 'even', details: { i } });
        const all = await store.listAudit();
        expect(all.map((e) => e.details['i'])).toEqual([2, 1, 0]);
        expect(all[0]!.seq).toBeGreaterThan(all[1]!.seq);
        expect((await store.listAudit({ target: 'odd' })).map((e) => e.details['i'])).toEqual([1]);
        expect(await store.listAudit({ limit: 1 })).toHaveLength(1);
        expect((await store.listAudit({ limit: 1, offset: 1 }))[0]!.seq).toBe(all[1]!.seq);
        expect(await store.countAudit()).toBe(all.length);
        expect(await store.countAudit({ target: 'odd' })).toBe(1);
      } finally {
        await cleanup();
      }
    });
  });
}
