/** Killing an import (kill -9) leaves no version and no record; the next import cleans up. */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mloop-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, '--workspace', join(dir, 'ws'), ...args], { encoding: 'utf8' });

async function bigCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,amount,category,comment\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `${i},${(i * 7.31) % 1000},cat${i % 13},some free text number ${i} for the record\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
}

describe.skipIf(!existsSync(BIN))('kill -9 during import (needs npm run build)', () => {
  it('leaves no partial version, and the stale staging files are removed by the next import', async () => {
    expect(spawnSync(process.execPath, [BIN, 'init', join(dir, 'ws')], { encoding: 'utf8' }).status).toBe(0);
    const file = join(dir, 'big.csv');
    await bigCsv(file, 3_000_000);
    const child = spawn(process.execPath, [BIN, '--workspace', join(dir, 'ws'), 'data', 'import', file, '--name', 'big'], { stdio: 'ignore' });
    const tmp = join(dir, 'ws', '.mloop', 'tmp', 'datasets');
    // Wait until DuckDB is working on the file, then kill without warning.
    const started = Date.now();
    while (!(existsSync(tmp) && readdirSync(tmp).some((e) => e.startsWith(`duckdb-${child.pid}-`)))) {
      if (Date.now() - started > 20_000) throw new Error('the import never started');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    expect([code, signal]).toEqual([null, 'SIGKILL']);

    const list = cli('data', 'list', '--json');
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ datasets: [] });
    expect(cli('data', 'show', 'big@1').status).toBe(3);
    expect(readdirSync(tmp).some((e) => e.includes(`-${child.pid}-`))).toBe(true);

    const small = join(dir, 'small.csv');
    await bigCsv(small, 10);
    const ok = cli('data', 'import', small, '--name', 'small', '--json');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ref: 'small@1', row_count: 10 });
    expect(readdirSync(tmp).filter((e) => e.includes(`-${child.pid}-`))).toEqual([]);
  }, 120_000);
});
