import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, importLimits, withDuckDb } from './duckdb-session.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('engine limits', () => {
  const base = { ...DEFAULT_LIMITS, tempDir: '/tmp/x' };

  it('converts files with one engine thread whatever the configured threads, keeping the other limits', () => {
    expect(importLimits(base)).toEqual({ ...base, threads: 1 });
    expect(importLimits({ ...base, threads: 4, memoryLimit: '1GB' })).toEqual({ ...base, threads: 1, memoryLimit: '1GB' });
    expect(base.threads).toBe(2);
  });

  it('opens DuckDB with those limits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-duck-'));
    try {
      const settings = await withDuckDb(importLimits({ ...base, tempDir: dir }), (db) =>
        db.all<{ name: string; value: string }>("SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit', 'preserve_insertion_order') ORDER BY name"),
      );
      expect(settings.map((s) => s.name)).toEqual(['memory_limit', 'preserve_insertion_order', 'threads']);
      expect(settings.find((s) => s.name === 'threads')?.value).toBe('1');
      expect(settings.find((s) => s.name === 'preserve_insertion_order')?.value).toBe('true');
      expect(settings.find((s) => s.name === 'memory_limit')?.value).toMatch(/^2\d\d\.\d MiB$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
