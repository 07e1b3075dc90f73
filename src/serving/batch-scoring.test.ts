/**
 * Batch scoring (`scoreFile`) with a stub tabular predictor: where the output goes (a missing
 * folder, a failure half-way, an existing file), and what the input columns look like in it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMloopError } from '../errors/index.js';
import type { ModelVersion } from '../registry/index.js';
import type { ColumnBatch, Predictor } from '../training/index.js';
import { scoreFile } from './index.js';
import { textVersion } from './test-support/text-version.js';

const version: ModelVersion = { ...textVersion({ confidence: 0.8 }), task: 'tabular-classification' };

/** P(high) rises with age; a missing workclass (null) pulls it to 0.5. Counts its calls; `failAt` throws on that call. */
function tabularPredictor(failAt = 0): Predictor & { calls: number; seen: Array<string | null> } {
  const p = {
    calls: 0,
    seen: [] as Array<string | null>,
    learner: 'gbdt',
    task: 'tabular-classification',
    classes: ['low', 'high'],
    inputs: [
      { name: 'age', kind: 'numeric' },
      { name: 'workclass', kind: 'categorical' },
    ],
    report: {},
    predictProba(batch: ColumnBatch, n: number) {
      p.calls++;
      if (p.calls === failAt) throw new Error('the model broke');
      const age = batch['age'] as Float64Array;
      const work = batch['workclass'] as ReadonlyArray<string | null>;
      p.seen.push(...work);
      const out = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const high = work[i] === null ? 0.5 : Math.min(0.99, Math.max(0.01, (age[i]! - 20) / 50));
        out[2 * i] = 1 - high;
        out[2 * i + 1] = high;
      }
      return out;
    },
    predictValues: () => new Float64Array(0),
    toFiles: () => [],
  } as Predictor & { calls: number; seen: Array<string | null> };
  return p;
}

const CSV = 'id,age,workclass,note\n1,25,Private,a\n2,67,Self-emp,b\n3,44,?,c\n4,31,,"d, e"\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mloop-batch-'));
  writeFileSync(join(dir, 'in.csv'), CSV);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isMloopError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('scoreFile output', () => {
  it('refuses an output in a folder that does not exist before scoring, naming the path', async () => {
    const predictor = tabularPredictor();
    const output = join(dir, 'no', 'such', 'scored.csv');
    const e = await failure(scoreFile(version, predictor, join(dir, 'in.csv'), output));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain(`cannot write ${output}`);
    expect(e.message).toContain('does not exist');
    expect(predictor.calls).toBe(0);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('refuses an output that is a folder', async () => {
    mkdirSync(join(dir, 'out.csv'));
    const e = await failure(scoreFile(version, tabularPredictor(), join(dir, 'in.csv'), join(dir, 'out.csv'), { force: true }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('it is a folder');
  });

  it.each(['csv', 'jsonl', 'parquet'])('leaves no partial %s output and keeps the file --force would replace when scoring fails', async (ext) => {
    // Two engine chunks (2,048 rows each), so the first is scored and written before the second fails.
    writeFileSync(join(dir, 'in.csv'), `id,age,workclass\n${Array.from({ length: 3000 }, (_, i) => `${i},${20 + (i % 50)},Private`).join('\n')}\n`);
    const output = join(dir, `scored.${ext}`);
    writeFileSync(output, 'the old output');
    const predictor = tabularPredictor(2);
    const e = await failure(scoreFile(version, predictor, join(dir, 'in.csv'), output, { force: true, chunkRows: 100 }));
    expect(predictor.calls).toBe(2);
    expect(e.code).toBe('INTERNAL');
    expect(readFileSync(output, 'utf8')).toBe('the old output');
    expect(readdirSync(dir).sort()).toEqual(['in.csv', `scored.${ext}`]);
  });

  it('writes the whole output, replacing an existing file with force', async () => {
    const output = join(dir, 'scored.csv');
    writeFileSync(output, 'the old output');
    const r = await scoreFile(version, tabularPredictor(), join(dir, 'in.csv'), output, { force: true, chunkRows: 2 });
    expect(r.rows).toBe(4);
    const lines = readFileSync(output, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,age,workclass,note,prediction,confidence,decision,model_version');
    expect(lines).toHaveLength(5);
    expect(readdirSync(dir).sort()).toEqual(['in.csv', 'scored.csv']);
  });
});

async function query<T>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

const types = async (file: string) => Object.fromEntries((await query<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM '${file}'`)).map((d) => [d.column_name, d.column_type]));
const jsonLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('scoreFile keeps the types of the input columns', () => {
  const TYPED = {
    id: 'BIGINT',
    age: 'INTEGER',
    workclass: 'VARCHAR',
    income: 'DOUBLE',
    rate: 'DECIMAL(6,2)',
    day: 'DATE',
    member: 'BOOLEAN',
  };

  beforeEach(async () => {
    await query(
      `COPY (SELECT * FROM (VALUES (9007199254740993::BIGINT, 25::INTEGER, 'Private', 1.5::DOUBLE, 12.25::DECIMAL(6,2), DATE '2026-01-02', true),
        (2, 67, NULL, 'nan'::DOUBLE, 0.5, DATE '2026-02-03', false)) t(id, age, workclass, income, rate, day, member)) TO '${join(dir, 'in.parquet')}' (FORMAT parquet)`,
    );
  });

  it('Parquet in, Parquet out: every input column has its input type', async () => {
    await scoreFile(version, tabularPredictor(), join(dir, 'in.parquet'), join(dir, 'out.parquet'));
    expect(await types(join(dir, 'out.parquet'))).toMatchObject({ ...TYPED, prediction: 'VARCHAR', confidence: 'DOUBLE', decision: 'VARCHAR', model_version: 'BIGINT' });
    const rows = await query<Record<string, unknown>>(`SELECT id, age, workclass, prediction FROM '${join(dir, 'out.parquet')}'`);
    expect(rows).toEqual([
      { id: '9007199254740993', age: 25, workclass: 'Private', prediction: 'low' },
      { id: '2', age: 67, workclass: null, prediction: 'low' },
    ]);
  });

  it('Parquet in, JSON Lines out: numbers stay JSON numbers, NaN becomes null, dates are ISO strings', async () => {
    await scoreFile(version, tabularPredictor(), join(dir, 'in.parquet'), join(dir, 'out.jsonl'));
    const text = readFileSync(join(dir, 'out.jsonl'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^\{"id":9007199254740993,"age":25,"workclass":"Private","income":1\.5,"rate":12\.25,"day":"2026-01-02","member":true,"prediction":"low",/);
    const rows = jsonLines(join(dir, 'out.jsonl'));
    expect(rows[1]).toMatchObject({ id: 2, age: 67, workclass: null, income: null, rate: 0.5, day: '2026-02-03', member: false, decision: 'review', model_version: 1 });
    expect(Object.keys(rows[0]!)).toEqual(['id', 'age', 'workclass', 'income', 'rate', 'day', 'member', 'prediction', 'confidence', 'decision', 'model_version', 'probabilities']);
  });

  it('JSON Lines in: JSON numbers stay numbers in JSON Lines and Parquet out', async () => {
    writeFileSync(join(dir, 'in.jsonl'), '{"id":1,"age":25,"workclass":"Private","w":0.5}\n{"id":2,"age":67,"workclass":null,"w":2}\n');
    await scoreFile(version, tabularPredictor(), join(dir, 'in.jsonl'), join(dir, 'out.jsonl'));
    expect(jsonLines(join(dir, 'out.jsonl'))).toEqual([
      expect.objectContaining({ id: 1, age: 25, workclass: 'Private', w: 0.5, prediction: 'low' }),
      expect.objectContaining({ id: 2, age: 67, workclass: null, w: 2, prediction: 'low' }),
    ]);
    await scoreFile(version, tabularPredictor(), join(dir, 'in.jsonl'), join(dir, 'out.parquet'));
    expect(await types(join(dir, 'out.parquet'))).toMatchObject({ id: 'BIGINT', age: 'BIGINT', workclass: 'VARCHAR', w: 'DOUBLE' });
  });

  it('CSV in: integer columns are numbers in JSON Lines out and integers in Parquet out; CSV out is unchanged text', async () => {
    await scoreFile(version, tabularPredictor(), join(dir, 'in.csv'), join(dir, 'out.jsonl'));
    expect(jsonLines(join(dir, 'out.jsonl'))[0]).toMatchObject({ id: 1, age: 25, workclass: 'Private', note: 'a' });
    await scoreFile(version, tabularPredictor(), join(dir, 'in.csv'), join(dir, 'out.parquet'));
    expect(await types(join(dir, 'out.parquet'))).toMatchObject({ id: 'BIGINT', age: 'BIGINT', note: 'VARCHAR' });
    await scoreFile(version, tabularPredictor(), join(dir, 'in.csv'), join(dir, 'out.csv'));
    expect(readFileSync(join(dir, 'out.csv'), 'utf8').split('\n')[4]).toMatch(/^4,31,,"d, e",/);
  });

  it('refuses an input column named like an added output column, ignoring case for Parquet', async () => {
    writeFileSync(join(dir, 'clash.csv'), 'age,workclass,Probabilities\n30,Private,x\n');
    const e = await failure(scoreFile(version, tabularPredictor(), join(dir, 'clash.csv'), join(dir, 'out.parquet')));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('already has column(s) probabilities');
    expect((await scoreFile(version, tabularPredictor(), join(dir, 'clash.csv'), join(dir, 'out.csv'))).rows).toBe(1);
  });
});

describe('scoreFile reads the input as mloop data import does', () => {
  it('names the line of a row with the wrong number of fields, with no output', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'age,workclass\n30,Private\n41,Private,extra\n52,State-gov\n');
    const e = await failure(scoreFile(version, tabularPredictor(), join(dir, 'bad.csv'), join(dir, 'out.csv')));
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: "'bad.csv' line 3: expected 2 fields, found 3" });
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
  });

  it('names the line of a quote that is never closed, and of a line of JSON Lines that is not JSON', async () => {
    writeFileSync(join(dir, 'quote.csv'), 'age,workclass\n30,Private\n41,"Private\n52,State-gov\n');
    expect((await failure(scoreFile(version, tabularPredictor(), join(dir, 'quote.csv'), join(dir, 'out.csv')))).message).toMatch(/^'quote\.csv' line \d+: a quoted value is never closed/);
    writeFileSync(join(dir, 'bad.jsonl'), '{"age":30,"workclass":"Private"}\n{"age":41,\n');
    expect((await failure(scoreFile(version, tabularPredictor(), join(dir, 'bad.jsonl'), join(dir, 'out.csv')))).message).toMatch(/^'bad\.jsonl' line \d+: malformed JSON Lines/);
  });

  it('does not suggest import options mloop predict lacks', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'age,workclass\n30,Private\n41,Private,extra\n');
    try {
      await scoreFile(version, tabularPredictor(), join(dir, 'bad.csv'), join(dir, 'out.csv'));
      expect.unreachable();
    } catch (err) {
      expect(isMloopError(err) && err.hint).toBe('fix the file: mloop predict scores every row');
    }
  });

  it('still reports a missing input column first, before reading the rows', async () => {
    writeFileSync(join(dir, 'cols.csv'), 'age,job\n30,Private\n41,Private,extra\n');
    const e = await failure(scoreFile(version, tabularPredictor(), join(dir, 'cols.csv'), join(dir, 'out.csv')));
    expect(e.message).toContain("lacks the model's input column 'workclass' (it has age, job)");
  });

  it('scores a column whose late values are not numbers, as import types it', async () => {
    // Far beyond the engine's type-sniffing sample: a late 'unknown' turns the column into text.
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i === 29_999 ? 'unknown' : 20 + (i % 50)},Private`);
    writeFileSync(join(dir, 'late.csv'), `age,workclass\n${rows.join('\n')}\n`);
    const r = await scoreFile(version, tabularPredictor(), join(dir, 'late.csv'), join(dir, 'out.jsonl'));
    expect(r.rows).toBe(30_000);
    const out = jsonLines(join(dir, 'out.jsonl'));
    expect(out[0]).toMatchObject({ age: '20', workclass: 'Private', prediction: 'low', confidence: 0.99 });
    expect(out.at(-1)).toMatchObject({ age: 'unknown', workclass: 'Private' });
  });
});

describe('scoreFile with na strings', () => {
  it('reads the given strings as missing, as import --na does, in the model input and in the output', async () => {
    writeFileSync(join(dir, 'na.csv'), 'age,workclass\n30,Private\n?,?\n45,n/a\n');
    const plain = tabularPredictor();
    await scoreFile(version, plain, join(dir, 'na.csv'), join(dir, 'plain.jsonl'));
    expect(plain.seen).toEqual(['Private', '?', 'n/a']);
    expect(jsonLines(join(dir, 'plain.jsonl')).map((r) => [r['age'], r['workclass']])).toEqual([['30', 'Private'], ['?', '?'], ['45', 'n/a']]);

    const withNa = tabularPredictor();
    await scoreFile(version, withNa, join(dir, 'na.csv'), join(dir, 'na.jsonl'), { na: ['?', 'n/a'] });
    expect(withNa.seen).toEqual(['Private', null, null]);
    const rows = jsonLines(join(dir, 'na.jsonl'));
    expect(rows.map((r) => [r['age'], r['workclass']])).toEqual([[30, 'Private'], [null, null], [45, null]]);
    expect(rows[2]).toMatchObject({ confidence: 0.5, decision: 'review' });
  });

  it('applies to the text columns of JSON Lines and Parquet input', async () => {
    writeFileSync(join(dir, 'na.jsonl'), '{"age":30,"workclass":"?"}\n{"age":40,"workclass":"Private"}\n');
    const p = tabularPredictor();
    await scoreFile(version, p, join(dir, 'na.jsonl'), join(dir, 'out.csv'), { na: ['?'] });
    expect(p.seen).toEqual([null, 'Private']);
    await query(`COPY (SELECT * FROM (VALUES (30, '?'), (40, 'Private')) t(age, workclass)) TO '${join(dir, 'na.parquet')}' (FORMAT parquet)`);
    const q = tabularPredictor();
    await scoreFile(version, q, join(dir, 'na.parquet'), join(dir, 'out.parquet'), { na: ['?'] });
    expect(q.seen).toEqual([null, 'Private']);
    expect(await query(`SELECT age, workclass FROM '${join(dir, 'out.parquet')}'`)).toEqual([
      { age: 30, workclass: null },
      { age: 40, workclass: 'Private' },
    ]);
  });
});
