/** `mloop data …` end to end in-process: output, --json and exit codes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../cli/test-support/run-cli.js';
import { initWorkspace, openWorkspace } from '../workspace/index.js';

let dir: string;
let ws: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mloop-data-cli-'));
  ws = join(dir, 'ws');
  await initWorkspace(ws, { env: {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCliInProcess(['--workspace', ws, ...args], { cwd: dir });

describe('mloop data', () => {
  it('imports, re-imports, lists, shows, validates, profiles, splits and exports', async () => {
    const file = join(dir, 'adult-like.csv');
    const lines = ['age,workclass,sex,income'];
    for (let i = 0; i < 200; i++) lines.push(`${20 + (i % 50)},${i % 7 === 0 ? '?' : 'Private'},${i % 3 ? 'Male' : 'Female'},${i % 4 ? '<=50K' : '>50K'}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const first = await cli('data', 'import', file, '--name', 'adult', '--label', 'income', '--sensitive', 'sex', '--na', '?', '--licence', 'CC-BY-4.0', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: true, ref: 'adult@1', row_count: 200, provenance: { licence: 'CC-BY-4.0', source: { kind: 'file', format: 'csv' } } });
    const again = await cli('data', 'import', file, '--name', 'adult', '--label', 'income', '--sensitive', 'sex', '--na', '?', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, ref: 'adult@1' });

    const list = await cli('data', 'list');
    expect(list.stdout).toMatch(/adult\s+1\s+adult@1\s+200/);
    expect((await cli('data', 'show', 'adult@1')).stdout).toMatch(/income\s+categorical\s+VARCHAR\s+label/);

    const validate = JSON.parse((await cli('data', 'validate', 'adult@1', '--json')).stdout) as { passed: boolean; results: Array<{ id: string; offending: number }> };
    expect(validate.passed).toBe(true);
    expect(validate.results.find((r) => r.id === 'column:workclass:max_missing_rate')?.offending).toBe(29);

    const schema = join(dir, 'schema.json');
    writeFileSync(schema, JSON.stringify({ min_rows: 1000, columns: { age: { range: [0, 60] } } }));
    const failed = await cli('data', 'validate', 'adult@1', '--schema', schema);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAIL\s+dataset:min_rows/);
    expect(failed.stdout).toMatch(/FAIL\s+column:age:range .* e\.g\. /);

    const html = join(dir, 'profile.html');
    const profile = await cli('data', 'profile', 'adult@1', '--json', '--html', html);
    expect(JSON.parse(profile.stdout)).toMatchObject({ rows: 200, labels: [{ column: 'income', distribution: [{ value: '<=50K', count: 150 }, { value: '>50K', count: 50 }] }] });
    expect(readFileSync(html, 'utf8')).toMatch(/Profile of <code>adult@1<\/code>/);

    const split = JSON.parse((await cli('data', 'split', 'adult@1', '--by', 'stratified', '--ratios', '0.5,0.5', '--seed', '7', '--json')).stdout) as { parts: Array<{ ref: string; row_count: number }> };
    expect(split.parts.map((p) => [p.ref, p.row_count])).toEqual([['adult-train@1', 100], ['adult-test@1', 100]]);
    const lineage = JSON.parse((await cli('data', 'lineage', 'adult-train@1', '--json')).stdout) as { parents: Array<{ ref: string }> };
    expect(lineage.parents[0]?.ref).toBe('adult@1');
    expect((await cli('data', 'lineage', 'adult-train@1')).stdout).toMatch(/adult-train@1 {2}← split .*\n {2}adult@1 {2}← import of adult-like\.csv/);

    const out = join(dir, 'out.parquet');
    expect((await cli('data', 'export', 'adult-test@1', '--output', out)).code).toBe(0);
  });

  it('profile and validate read a kept result in the next process; --recompute computes it again', async () => {
    const file = join(dir, 'kept.csv');
    writeFileSync(file, 'x,y\n1,a\n2,b\n3,a\n');
    expect((await cli('data', 'import', file, '--name', 'kept', '--label', 'y')).code).toBe(0);
    const first = JSON.parse((await cli('data', 'profile', 'kept@1', '--json')).stdout) as { rows: number };
    expect((await cli('data', 'validate', 'kept@1', '--json')).code).toBe(0);
    // Mark what the workspace keeps: a process that reads it back shows the mark, one that computes does not.
    const opened = await openWorkspace({ workspace: ws, env: {} });
    try {
      const id = (await opened.datasets.show('kept@1')).id;
      const kept = await opened.backend.db.selectFrom('dataset_results').select('kind').where('version_id', '=', id).execute();
      expect(kept.map((k) => k.kind).sort()).toEqual(['profile', 'validation']);
      const mark = (kind: string, result: unknown) => opened.backend.db.updateTable('dataset_results').set({ result_json: JSON.stringify(result) }).where('version_id', '=', id).where('kind', '=', kind).execute();
      await mark('profile', { ...first, rows: -1 });
      await mark('validation', { ref: 'kept@1', against: null, passed: false, rows: -1, counts: { pass: 0, fail: 1, warn: 0 }, results: [] });
    } finally {
      await opened.close();
    }
    expect(JSON.parse((await cli('data', 'profile', 'kept@1', '--json')).stdout)).toMatchObject({ rows: -1 });
    expect((await cli('data', 'validate', 'kept@1', '--json')).code).toBe(1);
    expect(JSON.parse((await cli('data', 'profile', 'kept@1', '--json', '--recompute')).stdout)).toEqual(first);
    expect(JSON.parse((await cli('data', 'profile', 'kept@1', '--json')).stdout)).toEqual(first); // the recomputed profile is the one kept now
    expect((await cli('data', 'validate', 'kept@1', '--recompute')).code).toBe(0);
    expect((await cli('data', 'validate', 'kept@1')).code).toBe(0);
  });

  it('fails with error codes, never a stack trace', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    const r = await cli('data', 'import', bad, '--name', 'bad');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^importing .*\nerror\[INVALID_ARGUMENT\]: 'bad\.csv' line 3: expected 2 fields, found 1\nhint: .*--skip-bad-rows/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect((await cli('data', 'import', bad, '--name', '../x')).code).toBe(2);
    expect((await cli('data', 'show', 'ghost@1')).code).toBe(3);
    const json = await cli('data', 'show', 'ghost@1', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await cli('data', 'split', 'ghost@1', '--by', 'random')).code).toBe(3);
    expect((await cli('data', 'import', '--name', 'x')).code).toBe(2);
  });
});
