/** `mloop deploy/undeploy/deployments/review/feedback/predict` in-process: output, --json, exit codes; batch scoring formats. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.js';
import { servingFixture, type ServingFixture } from './test-support/serving-fixture.js';

let f: ServingFixture;
beforeAll(async () => {
  f = await servingFixture();
}, 120_000);
afterAll(async () => f?.cleanup());

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['--workspace', f.dir, ...args], { stdout, stderr, env: {}, cwd: f.dir });
  return { code, stdout: out, stderr: err };
}

describe('mloop deploy / undeploy / deployments', () => {
  it('deploys with shadow and canary, lists, undeploys, and explains mistakes', async () => {
    const d = await cli('deploy', 'support@champion', '--shadow', 'support@challenger', '--canary', 'support@2', '--canary-percent', '5');
    expect(d.code).toBe(0);
    expect(d.stdout).toContain("deployed support@champion as 'support'");
    const list = JSON.parse((await cli('--json', 'deployments')).stdout);
    expect(list.deployments[0]).toMatchObject({ name: 'support', ref: 'support@champion', shadow: 'support@challenger', canary: { ref: 'support@2', percent: 5 } });
    const bare = await cli('deploy', 'support');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('error[INVALID_ARGUMENT]');
    expect((await cli('deploy', 'support@nope')).code).toBe(3);
    expect((await cli('undeploy', 'support')).stdout).toContain("undeployed 'support'");
    expect((await cli('undeploy', 'support')).code).toBe(3);
    expect((await cli('deployments')).stdout).toContain('no deployments');
  });
});

describe('mloop models alias remove', () => {
  it('names the deployments that follow the removed alias and what they keep serving', async () => {
    await f.ws.registry.setAlias('test', 'support', 'tmp', 1, 'try');
    await f.ws.registry.setAlias('test', 'support', 'spare', 1, 'try');
    await f.ws.serving.deploy('test', 'support@tmp', { name: 'tmp-follow' });
    await f.ws.serving.deploy('test', 'support@2', { name: 'tmp-shadowed', shadow: 'support@tmp' });
    try {
      const removed = await cli('models', 'alias', 'remove', 'support', 'tmp', '--reason', 'gone');
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain('support@tmp removed (was 1; gone)');
      expect(removed.stderr).toContain("warning: deployment 'tmp-follow' serves support@tmp: servers keep serving the version it loaded (support@1)");
      expect(removed.stderr).toContain("warning: deployment 'tmp-shadowed' runs as its shadow support@tmp");
      const json = JSON.parse((await cli('--json', 'models', 'alias', 'remove', 'support', 'spare', '--reason', 'unused')).stdout);
      expect(json).toMatchObject({ alias: 'spare', from_version: 1, warnings: [] });
    } finally {
      await f.ws.serving.undeploy('test', 'tmp-follow');
      await f.ws.serving.undeploy('test', 'tmp-shadowed');
    }
  });
});

describe('mloop review and feedback', () => {
  it('lists pending review items, answers one, and imports feedback from CSV with per-row issues', async () => {
    await f.ws.serving.deploy('test', 'support@champion');
    const rt = f.ws.serving.runtime({ pollIntervalMs: 60_000 });
    await rt.start();
    const served = await rt.predict('support', f.texts.slice(0, 40).map((text) => ({ text })));
    await rt.log.flush();
    const review = served.rows.filter((r) => r.decision === 'review');
    const auto = served.rows.filter((r) => r.decision === 'auto');
    expect(review.length).toBeGreaterThan(0);
    const listed = JSON.parse((await cli('--json', 'review', 'list', '--limit', '1000')).stdout);
    expect(listed.items.map((i: { prediction_id: string }) => i.prediction_id)).toEqual(expect.arrayContaining(review.map((r) => r.predictionId)));
    const human = await cli('review', 'list');
    expect(human.stdout).toContain('prediction_id');
    const answered = await cli('review', 'answer', review[0]!.predictionId, 'refund');
    expect(answered.code).toBe(0);
    expect(answered.stdout).toContain("answered 'refund'");
    expect((await f.ws.serving.prediction(review[0]!.predictionId)).truth).toMatchObject({ label: 'refund', source: 'review' });
    expect(answered.stderr).toContain("warning: label 'refund' is not a class of support@");
    const known = await cli('review', 'answer', review[0]!.predictionId, f.intents[0]!);
    expect(known.code).toBe(0);
    expect(known.stderr).not.toContain('warning');
    expect((await cli('review', 'answer', 'prd_nope', 'x')).code).toBe(3);
    expect((await cli('review', 'list', '--status', 'weird')).code).toBe(2);

    const csv = join(f.dir, 'truth.csv');
    const ids = [...auto, ...review].slice(0, 5).map((r) => r.predictionId);
    writeFileSync(csv, `prediction_id,label\n${ids.map((id) => `${id},"billing, really"`).join('\n')}\nprd_unknown,billing\n,billing\n`);
    const imported = await cli('--json', 'feedback', 'import', 'truth.csv');
    expect(imported.code).toBe(1);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows: 7, recorded: 5, unknown_predictions: 1, unknown_labels: 5 });
    expect(JSON.parse(imported.stdout).issues.map((i: { line: number }) => i.line).sort()).toEqual([7, 8]);
    expect((await f.ws.serving.prediction(ids[0]!)).truth).toMatchObject({ label: 'billing, really', source: 'import' });
    writeFileSync(csv, 'id,truth\nx,y\n');
    expect((await cli('feedback', 'import', 'truth.csv')).code).toBe(2);
    expect((await cli('feedback', 'add', auto[0]?.predictionId ?? review[1]!.predictionId, 'billing')).code).toBe(0);
  });
});

describe('mloop predict (batch scoring)', () => {
  it('scores CSV to CSV, JSONL and Parquet with the same predictions as the online path', async () => {
    const csv = join(f.dir, 'requests.csv');
    const rows = f.texts.slice(0, 120);
    writeFileSync(csv, `id,text\n${rows.map((t, i) => `${i},"${t.replace(/"/g, '""')}"`).join('\n')}\n`);
    const r = await cli('--json', 'predict', 'support@champion', '--input', 'requests.csv', '--output', 'scored.csv', '--chunk-rows', '50');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ model: 'support', version: 1, rows: 120, format: 'csv' });
    expect(summary.automated + summary.review).toBe(120);
    expect(readFileSync(join(f.dir, 'scored.csv'), 'utf8').split('\n')[0]).toBe('id,text,prediction,confidence,decision,model_version');

    const rt = f.ws.serving.runtime();
    const online = await rt.predict('support', rows.map((text) => ({ text })));
    expect((await cli('predict', 'support@1', '--input', 'requests.csv', '--output', 'scored.jsonl')).code).toBe(0);
    const jsonl = readFileSync(join(f.dir, 'scored.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl.map((x) => x.prediction)).toEqual(online.rows.map((x) => x.label));
    expect(jsonl[0].confidence).toBeCloseTo(online.rows[0]!.confidence!, 12);
    expect(jsonl[0].decision).toBe(online.rows[0]!.decision);

    expect((await cli('predict', 'support@1', '--input', 'scored.jsonl', '--output', 'again.parquet')).code).toBe(2);
    expect((await cli('predict', 'support@1', '--input', 'requests.csv', '--output', 'scored.parquet')).code).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const count = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson()[0] as { n: string; k: string };
    const fromParquet = await count(`SELECT count(*) AS n, count(DISTINCT prediction) AS k FROM read_parquet('${join(f.dir, 'scored.parquet')}')`);
    const fromCsv = await count(`SELECT count(*) AS n, count(DISTINCT prediction) AS k FROM read_csv('${join(f.dir, 'scored.csv')}', header=true)`);
    con.closeSync();
    db.closeSync();
    expect(Number(fromParquet.n)).toBe(120);
    expect(Number(fromCsv.n)).toBe(120);
    expect(Number(fromParquet.k)).toBeGreaterThan(1);
  });

  it('reads --na strings as missing', async () => {
    writeFileSync(join(f.dir, 'na.csv'), 'id,text\n1,?\n2,n/a\n3,where is my refund\n');
    expect((await cli('predict', 'support@1', '--input', 'na.csv', '--output', 'na.jsonl', '--na', '?', '--na', 'n/a')).code).toBe(0);
    const out = readFileSync(join(f.dir, 'na.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string | null });
    expect(out.map((r) => r.text)).toEqual([null, null, 'where is my refund']);
  });

  it('refuses a missing input column, an existing output, an unknown format, a missing file, a malformed row and a missing output folder', async () => {
    writeFileSync(join(f.dir, 'bad.csv'), 'id,body\n1,hello\n');
    const missing = await cli('predict', 'support@1', '--input', 'bad.csv', '--output', 'out.csv');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("lacks the model's input column 'text'");
    writeFileSync(join(f.dir, 'exists.csv'), 'x\n');
    expect((await cli('predict', 'support@1', '--input', 'requests.csv', '--output', 'exists.csv')).code).toBe(4);
    expect((await cli('predict', 'support@1', '--input', 'requests.csv', '--output', 'out.xlsx')).code).toBe(2);
    expect((await cli('predict', 'support@1', '--input', 'nope.csv', '--output', 'out2.csv')).code).toBe(3);
    writeFileSync(join(f.dir, 'ragged.csv'), 'text,intent\nhello there,a\nfoo,bar,baz\nset an alarm,b\n');
    const ragged = await cli('predict', 'support@1', '--input', 'ragged.csv', '--output', 'out3.csv');
    expect(ragged.code).toBe(2);
    expect(ragged.stderr).toContain("error[INVALID_ARGUMENT]: 'ragged.csv' line 3: expected 2 fields, found 3");
    const noFolder = await cli('predict', 'support@1', '--input', 'requests.csv', '--output', join('no', 'such', 'out.csv'));
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain(`error[INVALID_ARGUMENT]: cannot write ${join(f.dir, 'no', 'such', 'out.csv')}: its folder`);
  });
});
