import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSupportRequests, supportRequestsToCsv, type SupportRequest } from '../demo/index.js';
import { MloopError } from '../errors/index.js';
import { profileHtml } from './profile-html.js';
import { makeServiceFixture, type ServiceFixture } from './test-support/service-fixture.js';

let f: ServiceFixture;
let rows: SupportRequest[];
beforeAll(async () => {
  f = await makeServiceFixture();
  rows = generateSupportRequests({ seed: 11, count: 3000, piiRate: 0.2 });
  const file = join(f.dir, 'support.csv');
  writeFileSync(file, supportRequestsToCsv(rows));
  await f.service.importFile({ file, name: 'support', actor: 't', roles: { text: ['text'], label: ['intent'], time: ['created_at'], id: ['id'], sensitive: ['region'] } });
});
afterAll(async () => {
  await f.cleanup();
});

async function failure(p: Promise<unknown>): Promise<MloopError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MloopError);
  return err as MloopError;
}

async function column(ref: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const v = await f.service.show(ref);
  const path = await f.service.parquetPath(v);
  return f.service.withEngine((db) => db.all(sql.replace('$T', `read_parquet('${path}')`)));
}

describe('profile', () => {
  it('computes column statistics, labels, coverage and PII counts matching the ground truth', async () => {
    const p = await f.service.profile('support@1', { minSliceRows: 30, minLabelRows: 5 });
    expect(p.rows).toBe(3000);
    const by = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    expect(by['id']).toMatchObject({ type: 'id', distinct: 3000, missing: 0 });
    expect(by['text']?.type).toBe('text');
    expect(by['text']?.textLength?.min).toBeGreaterThan(0);
    expect(by['created_at']?.type).toBe('datetime');
    // Label distribution equals a direct count of the generated rows.
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r.intent] = (counts[r.intent] ?? 0) + 1;
    const dist = Object.fromEntries(p.labels[0]!.distribution.map((d) => [d.value, d.count]));
    expect(dist).toEqual(counts);
    // PII per kind equals the generator's ground truth (each kind at most once per row).
    const truth: Record<string, number> = {};
    for (const r of rows) for (const k of r.pii) truth[k] = (truth[k] ?? 0) + 1;
    expect(p.pii.byColumn['text']).toEqual(truth);
    expect(p.pii.rowsWithPii).toBe(rows.filter((r) => r.pii.length > 0).length);
    // Coverage: the rare intents are thin in some region slices.
    const region = p.coverage.find((c) => c.slice === 'region');
    expect(region?.slices.map((s) => s.value).sort()).toEqual(['east', 'north', 'south', 'west']);
    expect(region?.slices.some((s) => s.thinLabels.length > 0)).toBe(true);
    expect(p.duplicates.rows).toBe(0);
    const html = profileHtml(p);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('shows nested (STRUCT, list) values as their JSON text, cut when long', async () => {
    const long = 'x'.repeat(200);
    const lines = [
      { text: 'hi', meta: { src: 'web', n: 1 }, tags: ['a', 'b'], label: 'a' },
      { text: 'yo', meta: { src: 'app', n: 2 }, tags: ['c'], label: 'b' },
      { text: 'ok', meta: { src: long, n: 3 }, tags: ['a', 'b'], label: 'a' },
    ];
    const file = join(f.dir, 'nest.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await f.service.importFile({ file, name: 'nest', actor: 't', roles: { label: ['label'] } });
    const p = await f.service.profile('nest@1');
    const top = (name: string) => p.columns.find((c) => c.name === name)!.topValues!;
    expect(top('meta').map((t) => t.value).slice(0, 2)).toEqual(['{"src":"app","n":2}', '{"src":"web","n":1}']);
    const cut = top('meta')[2]!.value as string;
    expect([cut.length, cut.startsWith('{"src":"xxx'), cut.endsWith('…')]).toEqual([80, true, true]);
    expect(top('tags')).toEqual([{ value: '["a","b"]', count: 2 }, { value: '["c"]', count: 1 }]);
    expect(profileHtml(p)).not.toContain('[object Object]');
    expect(profileHtml(p)).toContain('{&quot;src&quot;:&quot;web&quot;,&quot;n&quot;:1}');
  });

  it('slices by any column on request, cutting numbers into quartiles, and rejects unknown columns', async () => {
    const p = await f.service.profile('support@1', { sliceBy: ['channel', 'created_at'] });
    expect(p.coverage.map((c) => c.slice).sort()).toEqual(['channel', 'created_at']);
    const time = p.coverage.find((c) => c.slice === 'created_at')!;
    expect(time.slices).toHaveLength(4);
    expect(time.slices.reduce((n, s) => n + s.rows, 0)).toBe(3000);
    // The launch intent appears only late, so the early quartiles lack it.
    expect(time.slices[0]!.thinLabels).toContain('device_setup');
    await expect(f.service.profile('support@1', { sliceBy: ['nope'] })).rejects.toThrow(/cannot slice by 'nope'/);
  });

  it('counts numeric statistics like a hand computation, and near-duplicates of normalised text', async () => {
    const file = join(f.dir, 'nums.csv');
    writeFileSync(file, 'x,note\n1,Hello World!\n2,hello   world\n3,HELLO-WORLD\n4,other\n,other\n');
    await f.service.importFile({ file, name: 'nums', actor: 't', roles: { text: ['note'] } });
    const p = await f.service.profile('nums@1');
    const x = p.columns.find((c) => c.name === 'x')!;
    expect(x).toMatchObject({ missing: 1, missingRate: 0.2, min: 1, max: 4, mean: 2.5 });
    expect(x.std).toBeCloseTo(1.290994, 5);
    expect(x.quantiles?.['p50']).toBeCloseTo(2.5, 9);
    expect(p.nearDuplicates[0]).toMatchObject({ column: 'note', rows: 3, examples: [{ normalized: 'hello world', count: 3 }, { normalized: 'other', count: 2 }] });
  });
});

describe('redact', () => {
  it('writes a new version with typed placeholders and lineage, leaving other text intact', async () => {
    const r = await f.service.redact('support@1', { actor: 't' });
    expect(r.version.ref).toBe('support@2');
    expect(r.version.lineage).toMatchObject({ parents: ['support@1'], transform: { kind: 'redact', columns: expect.arrayContaining(['text']) as unknown } });
    expect(r.version.rowCount).toBe(3000);
    const after = await f.service.profile('support@2');
    expect(after.pii.rowsWithPii).toBe(0);
    const sample = await column('support@2', "SELECT text FROM $T WHERE text LIKE '%[EMAIL]%' LIMIT 1");
    expect(String(sample[0]?.['text'])).toMatch(/\[EMAIL\]/);
    const same = await column('support@2', 'SELECT count(*) AS n FROM $T');
    expect(same).toEqual([{ n: '3000' }]);
    // Rows without PII are unchanged and in the same order.
    const clean = rows.findIndex((row) => row.pii.length === 0 && !/\d{4}/.test(row.text));
    const got = await column('support@2', `SELECT text FROM $T WHERE id = '${rows[clean]!.id}'`);
    expect(got[0]?.['text']).toBe(rows[clean]!.text);
    const again = await f.service.redact('support@1', { actor: 't' });
    expect([again.created, again.version.ref]).toEqual([false, 'support@2']);
    expect((await failure(f.service.redact('support@1', { actor: 't', columns: ['nope'] }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('split', () => {
  it('splits randomly with exact ratios, deterministically for a seed, with lineage', async () => {
    const parts = await f.service.split('support@1', { by: 'random', ratios: '0.8,0.1,0.1', seed: 3, actor: 't' });
    expect(parts.map((p) => [p.part, p.version.ref, p.version.rowCount])).toEqual([
      ['train', 'support-train@1', 2400],
      ['validation', 'support-validation@1', 300],
      ['test', 'support-test@1', 300],
    ]);
    expect(parts[0]!.version.lineage).toMatchObject({ parents: ['support@1'], transform: { kind: 'split', by: 'random', seed: 3 } });
    const ids = await Promise.all(parts.map((p) => column(p.version.ref, 'SELECT id FROM $T')));
    const all = ids.flat().map((r) => r['id']);
    expect(new Set(all).size).toBe(3000);
    const again = await f.service.split('support@1', { by: 'random', ratios: '0.8,0.1,0.1', seed: 3, actor: 't' });
    expect(again.every((p) => !p.created)).toBe(true);
    const other = await f.service.split('support@1', { by: 'random', ratios: '0.8,0.1,0.1', seed: 4, actor: 't' });
    expect(other[0]!.version.ref).toBe('support-train@2');
    expect((await column('support-train@2', 'SELECT id FROM $T')).map((r) => r['id'])).not.toEqual(ids[0]!.map((r) => r['id']));
    expect((await f.service.lineage('support@1')).children).toEqual(expect.arrayContaining(['support-train@1', 'support-test@2']));
  });

  it('keeps label proportions when stratified and cuts by time when asked', async () => {
    const parts = await f.service.split('support@1', { by: 'stratified', ratios: [0.5, 0.5], seed: 1, names: ['a', 'b'], actor: 't' });
    const a = await column(parts[0]!.version.ref, 'SELECT intent, count(*) AS n FROM $T GROUP BY 1');
    const b = Object.fromEntries((await column(parts[1]!.version.ref, 'SELECT intent, count(*) AS n FROM $T GROUP BY 1')).map((r) => [r['intent'], Number(r['n'])]));
    for (const r of a) expect(Math.abs(Number(r['n']) - (b[String(r['intent'])] ?? 0))).toBeLessThanOrEqual(1);
    const t = await f.service.split('support@1', { by: 'time', ratios: [0.9, 0.1], names: ['past', 'recent'], actor: 't' });
    const [maxPast] = await column(t[0]!.version.ref, 'SELECT max(created_at) AS m FROM $T');
    const [minRecent] = await column(t[1]!.version.ref, 'SELECT min(created_at) AS m FROM $T');
    expect(String(maxPast!['m']) <= String(minRecent!['m'])).toBe(true);
    expect(t[1]!.version.rowCount).toBe(300);
  });

  it('rejects bad plans', async () => {
    expect((await failure(f.service.split('support@1', { by: 'random', ratios: '0.8,0.3', actor: 't' }))).message).toMatch(/add up to 1/);
    expect((await failure(f.service.split('support@1', { by: 'alphabetical', ratios: '0.5,0.5', actor: 't' }))).message).toMatch(/known methods: random, stratified, time/);
    expect((await failure(f.service.split('support@1', { by: 'random', ratios: '1', actor: 't' }))).message).toMatch(/2 to 5/);
    expect((await failure(f.service.split('support@1', { by: 'stratified', ratios: '0.5,0.5', column: 'nope', actor: 't' }))).message).toMatch(/does not exist/);
  });

  it('refuses a split with an empty part and creates none of its parts', async () => {
    const err = await failure(f.service.split('support@1', { by: 'random', ratios: '0.9999,0.0001', names: ['big', 'tiny'], actor: 't' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe("part 'tiny' of the split of support@1 would have 0 of 3000 rows");
    expect(err.details).toMatchObject({ rows: { big: 3000, tiny: 0 } });
    const stratified = await failure(f.service.split('support@1', { by: 'stratified', ratios: [0.4999, 0.5, 0.0001], names: ['s1', 's2', 's3'], actor: 't' }));
    expect(stratified.message).toBe("part 's3' of the split of support@1 would have 0 of 3000 rows");
    for (const name of ['big', 'tiny', 's1', 's2', 's3']) expect((await failure(f.service.show(`support-${name}@1`))).code).toBe('NOT_FOUND');
    const small = await f.service.split('support@1', { by: 'random', ratios: '0.999,0.001', names: ['big', 'tiny'], actor: 't' });
    expect(small.map((p) => [p.version.ref, p.version.rowCount])).toEqual([['support-big@1', 2997], ['support-tiny@1', 3]]);
  });
});

describe('derive and export', () => {
  it('creates a version from SQL over versions, with the SQL and exact parents as lineage', async () => {
    const sql = "SELECT id, text, intent FROM {support@1} WHERE channel = 'email'";
    const r = await f.service.derive({ sql, name: 'email-requests', actor: 't' });
    expect(r.version.rowCount).toBe(rows.filter((x) => x.channel === 'email').length);
    expect(r.version.lineage).toEqual({ parents: ['support@1'], transform: { kind: 'derive', sql, resolved: { 'support@1': 'support@1' } } });
    expect(r.version.schema.find((c) => c.name === 'intent')?.roles).toEqual(['label']);
    const latest = await f.service.derive({ sql: 'SELECT count(*) AS n FROM {support}', name: 'count', actor: 't' });
    expect(latest.version.lineage.parents).toEqual(['support@2']);
    expect((await failure(f.service.derive({ sql: 'SELECT nope FROM {support@1}', name: 'bad', actor: 't' }))).message).toMatch(/^the derive query failed/);
    expect((await failure(f.service.derive({ sql: 'SELECT * FROM {support@1} WHERE false', name: 'bad', actor: 't' }))).message).toMatch(/no rows/);
    expect((await failure(f.service.derive({ sql: 'SELECT * FROM {ghost@1}', name: 'bad', actor: 't' }))).code).toBe('NOT_FOUND');
    expect((await failure(f.service.derive({ sql: 'SELECT 1', name: 'bad', actor: 't' }))).message).toMatch(/names no dataset/);
    expect((await f.service.list()).some((d) => d.name === 'bad')).toBe(false);
  });

  it('exports CSV, JSON Lines and Parquet that import back to the same content', async () => {
    const csv = join(f.dir, 'out.csv');
    const r = await f.service.export('support@1', csv);
    expect(r).toMatchObject({ format: 'csv', rows: 3000 });
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('id,created_at,channel,region,customer_tier,text,intent,pii');
    expect((await failure(f.service.export('support@1', csv))).code).toBe('ALREADY_EXISTS');
    await f.service.export('support@1', csv, { force: true });
    const jsonl = join(f.dir, 'out.jsonl');
    await f.service.export('support@1', jsonl);
    expect(JSON.parse(readFileSync(jsonl, 'utf8').split('\n')[0]!)).toMatchObject({ id: rows[0]!.id, intent: rows[0]!.intent });
    const back = await f.service.importFile({ file: jsonl, name: 'roundtrip', actor: 't' });
    expect(back.version.rowCount).toBe(3000);
    expect((await failure(f.service.export('support@1', join(f.dir, 'out.xlsx')))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(f.service.export('support@1', join(f.dir, 'no', 'out.csv')))).code).toBe('NOT_FOUND');
  });
});
