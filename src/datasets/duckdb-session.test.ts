import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LARGE_INPUT_BYTES, limitsForInput, withDuckDb } from './duckdb-session.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('engine limits', () => {
  const base = { ...DEFAULT_LIMITS, tempDir: '/tmp/x' };

  it('keeps two threads for ordinary files and drops to one above 1 GiB, where ordered output buffers grow with the file', () => {
    expect(limitsForInput(base, 278 * 1024 ** 2)).toEqual(base);
    expect(limitsForInput(base, LARGE_INPUT_BYTES)).toEqual(base);
    expect(limitsForInput(base, LARGE_INPUT_BYTES + 1)).toEqual({ ...base, threads: 1 });
  });

  it('opens DuckDB with those limits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-duck-'));
    try {
      const settings = await withDuckDb(limitsForInput({ ...base, tempDir: dir }, 2 * LARGE_INPUT_BYTES), (db) =>
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
