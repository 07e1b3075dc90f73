import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openBackend } from './index.js';
import { BACKENDS } from './test-support/backends.js';

/** How the backend's sessions commit: SQLite's synchronous level, PostgreSQL's synchronous_commit. */
async function commitMode(name: string, url: string, durability?: 'full' | 'relaxed'): Promise<string> {
  const b = await openBackend(url, { busyTimeoutMs: 0, poolSize: 1, connectTimeoutMs: 3000, create: false, ...(durability ? { durability } : {}) });
  try {
    if (name === 'sqlite') return String((await sql<{ synchronous: number }>`pragma synchronous`.execute(b.db)).rows[0]!.synchronous);
    return (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(b.db)).rows[0]!.synchronous_commit;
  } finally {
    await b.close();
  }
}

describe.each(BACKENDS)('$name: durability of a connection', (factory) => {
  it('waits for the disk by default and not when relaxed (the prediction log writer)', async (ctx) => {
    if (!(await factory.available())) return ctx.skip();
    const t = await factory.make({ migrate: false });
    try {
      const full = factory.name === 'sqlite' ? '2' : 'on';
      const relaxed = factory.name === 'sqlite' ? '1' : 'off';
      expect(await commitMode(factory.name, t.url, undefined)).toBe(full);
      expect(await commitMode(factory.name, t.url, 'full')).toBe(full);
      expect(await commitMode(factory.name, t.url, 'relaxed')).toBe(relaxed);
    } finally {
      await t.cleanup();
    }
  });
});
