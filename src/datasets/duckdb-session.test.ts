import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LARGE_INPUT_BYTES, currentLoad, limitsForInput, withDuckDb } from './duckdb-session.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('engine limits', () => {
  const base = { ...DEFAULT_LIMITS, tempDir: '/tmp/x' };

  const idle = { load: 0.3, cores: 2 };

  it('keeps two threads for ordinary files and drops to one above 1 GiB, where ordered output buffers grow with the file', () => {
    expect(limitsForInput(base, 278 * 1024 ** 2, idle)).toEqual(base);
    expect(limitsForInput(base, LARGE_INPUT_BYTES, idle)).toEqual(base);
    expect(limitsForInput(base, LARGE_INPUT_BYTES + 1, idle)).toEqual({ ...base, threads: 1 });
  });

  it('drops to one thread when no core is idle, and keeps the configured threads while one is', () => {
    expect(limitsForInput(base, 1024, { load: 1.01, cores: 2 })).toEqual({ ...base, threads: 1 });
    expect(limitsForInput(base, 1024, { load: 9, cores: 2 })).toEqual({ ...base, threads: 1 });
    expect(limitsForInput(base, 1024, { load: 1, cores: 2 })).toEqual(base);
    expect(limitsForInput({ ...base, threads: 4 }, 1024, { load: 2.5, cores: 4 })).toEqual({ ...base, threads: 4 });
    expect(limitsForInput({ ...base, threads: 4 }, 1024, { load: 3.5, cores: 4 })).toEqual({ ...base, threads: 1 });
  });

  it('reads the load of this machine', () => {
    const now = currentLoad();
    expect(now.cores).toBeGreaterThanOrEqual(1);
    expect(now.load).toBeGreaterThanOrEqual(0);
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
