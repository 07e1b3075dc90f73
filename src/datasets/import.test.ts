import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import { makeServiceFixture, type ServiceFixture } from './test-support/service-fixture.js';

let f: ServiceFixture;
beforeEach(async () => {
  f = await makeServiceFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const write = (name: string, content: string | Buffer): string => {
  const path = join(f.dir, name);
  writeFileSync(path, content);
  return path;
};

async function failure(p: Promise<unknown>): Promise<MloopError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MloopError);
  return err as MloopError;
}

const CSV = 'id,age,income,sex,joined,note\n1,39,<=50K,Male,2026-01-02,hello there\n2,?,>50K,Female,2026-01-03,"quoted, with comma"\n3,50,<=50K,?,2026-01-04,\n';

describe('importing files', () => {
  it('imports a CSV with roles and missing values, typing each column', async () => {
    const file = write('people.csv', CSV);
    const r = await f.service.importFile({ file, name: 'people', na: ['?'], roles: { label: ['income'], sensitive: ['sex'], id: ['id'] }, actor: 'ana', owner: 'hr', licence: 'CC-BY-4.0' });
    expect(r.created).toBe(true);
    expect(r.version.ref).toBe('people@1');
    expect(r.version.rowCount).toBe(3);
    const byName = Object.fromEntries(r.version.schema.map((c) => [c.name, c]));
    expect(byName['age']).toMatchObject({ physicalType: 'BIGINT', type: 'integer' });
    expect(byName['income']).toMatchObject({ type: 'categorical', roles: ['label'] });
    expect(byName['sex']?.roles).toEqual(['sensitive']);
    expect(byName['id']?.type).toBe('id');
    expect(byName['joined']).toMatchObject({ physicalType: 'DATE', type: 'datetime' });
    expect(r.version.source).toMatchObject({ kind: 'file', format: 'csv', file });
    expect(r.version.description).toMatchObject({ owner: 'hr', licence: 'CC-BY-4.0' });
    expect(r.version.createdBy).toBe('ana');
    const missing = await f.service.withEngine(async (db) =>
      db.all<{ a: string; s: string }>(`SELECT count(*) - count(age) AS a, count(*) - count(sex) AS s FROM read_parquet('${await f.service.parquetPath(r.version)}')`),
    );
    expect(missing).toEqual([{ a: '1', s: '1' }]);
  });

  it('returns the existing version for identical content and a new one for changed content', async () => {
    const file = write('a.csv', CSV);
    const first = await f.service.importFile({ file, name: 'a', actor: 't' });
    const again = await f.service.importFile({ file, name: 'a', actor: 't' });
    expect([again.created, again.version.ref]).toEqual([false, 'a@1']);
    write('a.csv', `${CSV}4,20,>50K,Male,2026-01-05,new\n`);
    const changed = await f.service.importFile({ file, name: 'a', actor: 't' });
    expect([changed.created, changed.version.ref, changed.version.rowCount]).toEqual([true, 'a@2', 4]);
    expect(changed.version.contentHash).not.toBe(first.version.contentHash);
    // Different reading options are different content.
    const withNa = await f.service.importFile({ file, name: 'a', actor: 't', na: ['?'] });
    expect(withNa.version.ref).toBe('a@3');
  });

  it('imports TSV, JSON Lines and Parquet', async () => {
    const tsv = await f.service.importFile({ file: write('t.tsv', 'a\tb\n1\tx\n2\ty\n'), name: 't', actor: 't' });
    expect(tsv.version.schema.map((c) => c.physicalType)).toEqual(['BIGINT', 'VARCHAR']);
    const jsonl = await f.service.importFile({ file: write('j.jsonl', '{"a":1,"b":"x"}\n{"a":2,"b":"?"}\n'), name: 'j', actor: 't', na: ['?'] });
    expect(jsonl.version.rowCount).toBe(2);
    const parquet = await f.service.parquetPath(jsonl.version);
    const p = await f.service.importFile({ file: parquet, name: 'p', actor: 't', format: 'parquet' });
    expect(p.version.rowCount).toBe(2);
    expect(p.version.schema.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('reports a malformed row with its line, and skips and counts bad rows on request', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${i},x,${i}`);
    rows.splice(50, 0, '50,too,many,fields');
    const file = write('bad.csv', `a,b,c\n${rows.join('\n')}\n`);
    const err = await failure(f.service.importFile({ file, name: 'bad', actor: 't' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe("'bad.csv' line 52: expected 3 fields, found 4");
    expect(err.details).toMatchObject({ line: 52 });
    const r = await f.service.importFile({ file, name: 'bad', actor: 't', skipBadRows: true });
    expect(r.version.rowCount).toBe(60);
    expect(r.version.stats).toMatchObject({ skippedRows: 1, badRows: [{ line: 52 }] });
  });

  it('keeps yes/no, y/n and t/f as text; only true/false make a boolean column', async () => {
    const csv = await f.service.importFile({ file: write('yn.csv', 'x,ok,short,seen\n1,yes,y,true\n2,no,n,FALSE\n'), name: 'yn', actor: 't', roles: { label: ['ok'] } });
    expect(csv.version.schema.map((c) => [c.name, c.physicalType])).toEqual([['x', 'BIGINT'], ['ok', 'VARCHAR'], ['short', 'VARCHAR'], ['seen', 'BOOLEAN']]);
    const values = await f.service.withEngine(async (db) => db.all<{ ok: string; short: string }>(`SELECT ok, short FROM read_parquet('${await f.service.parquetPath(csv.version)}')`));
    expect(values).toEqual([{ ok: 'yes', short: 'y' }, { ok: 'no', short: 'n' }]);
  });

  it('skips and counts JSON Lines rows that are not one JSON object, on request', async () => {
    const file = write('events.jsonl', '{"a":1,"b":"x"}\n{"a":2,"b":"y"\n\n{"a":3,"b":"z"}\nnot json\n[1,2]\n{"a":4,"b":"w"}\n');
    const err = await failure(f.service.importFile({ file, name: 'events', actor: 't' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^'events\.jsonl' line 2: malformed JSON Lines: not valid JSON: /);
    expect(err.hint).toMatch(/--skip-bad-rows/);
    const r = await f.service.importFile({ file, name: 'events', actor: 't', skipBadRows: true });
    expect(r.version.rowCount).toBe(3);
    expect(r.version.schema.map((c) => [c.name, c.physicalType])).toEqual([['a', 'BIGINT'], ['b', 'VARCHAR']]);
    expect(r.version.stats).toMatchObject({
      skippedRows: 3,
      badRows: [
        { line: 2, column: null, message: expect.stringMatching(/^not valid JSON/) },
        { line: 5, message: expect.stringMatching(/^not valid JSON/) },
        { line: 6, message: 'expected one JSON object, found an array' },
      ],
    });
    const none = write('none.jsonl', 'nope\n42\n');
    expect((await failure(f.service.importFile({ file: none, name: 'none', actor: 't', skipBadRows: true }))).message).toBe("'none.jsonl' has no valid JSON Lines rows (2 malformed rows skipped)");
    const staged = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? staged(join(dir, e.name)) : [e.name]));
    expect(staged(join(f.dir, '.tmp')).filter((n) => n.endsWith('.clean.jsonl'))).toEqual([]);
  });

  it.each([
    ['array.jsonl', '{"a":1}\n[1,2]\n', "'array.jsonl' line 2: malformed JSON Lines: expected one JSON object, found an array"],
    ['string.jsonl', '{"a":1}\n"str"\n{"a":2}\n', "'string.jsonl' line 2: malformed JSON Lines: expected one JSON object, found string"],
    ['number.jsonl', '42\n{"a":1}\n', "'number.jsonl' line 1: malformed JSON Lines: expected one JSON object, found number"],
    ['broken.jsonl', '{"a":1}\n{"a":2}\n{bad\n{"a":4}\n', /^'broken\.jsonl' line 3: malformed JSON Lines: not valid JSON: /],
    ['blank.jsonl', '{"a":1}\r\n\r\n{"a":2}\r\n{bad\r\n', /^'blank\.jsonl' line 4: malformed JSON Lines: not valid JSON: /],
    ['late.jsonl', `${'{"a":1}\n'.repeat(30000)}[1,2]\n{"a":2}\n`, "'late.jsonl' line 30001: malformed JSON Lines: expected one JSON object, found an array"],
    ['empty-objects.jsonl', '{}\n{}\n', "'empty-objects.jsonl' has no columns: its JSON objects have no fields"],
  ])('refuses %s, naming the first line that is not one JSON object', async (name, content, message) => {
    const err = await failure(f.service.importFile({ file: write(name, content), name: 'j', actor: 't' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(f.dir);
    if (!name.startsWith('empty')) expect(err.hint).toMatch(/--skip-bad-rows/);
    expect(await f.service.list()).toEqual([]);
  });

  it('reads JSON Lines with blank lines and CRLF line ends into one column per key', async () => {
    const r = await f.service.importFile({ file: write('ok.jsonl', '{"a":1,"b":"x"}\r\n\r\n{"a":2}\r\n{"b":"z","c":[1]}\r\n'), name: 'ok', actor: 't' });
    expect(r.version.rowCount).toBe(3);
    expect(r.version.schema.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    // Names that only look like DuckDB's renames, or differ in a non-ASCII letter's case, are distinct columns.
    const similar = await f.service.importFile({ file: write('similar.jsonl', '{"q":1,"q_1":2}\n{"Q_2":3,"É":4,"é":5}\n'), name: 'similar', actor: 't' });
    expect(similar.version.schema.map((c) => c.name)).toEqual(['q', 'q_1', 'Q_2', 'É', 'é']);
  });

  it('types JSON Lines columns from every line, so a late value is neither rounded nor an error', async () => {
    const lines = Array.from({ length: 25000 }, (_, i) => JSON.stringify({ x: i % 7, n: i % 5, s: 'a' }));
    const r = await f.service.importFile({ file: write('late.jsonl', `${lines.join('\n')}\n{"x":1.5,"n":"n/a","s":"b"}\n`), name: 'late', actor: 't' });
    // Numbers mixed with strings make a JSON column, as they do in a short file.
    expect(r.version.schema.map((c) => [c.name, c.physicalType])).toEqual([['x', 'DOUBLE'], ['n', 'JSON'], ['s', 'VARCHAR']]);
    const last = await f.service.withEngine(async (db) => db.all(`SELECT x, n::VARCHAR AS n FROM read_parquet('${await f.service.parquetPath(r.version)}') WHERE s = 'b'`));
    expect(last).toEqual([{ x: 1.5, n: '"n/a"' }]);
  });

  it('names the line where the line ending changes, and reads a file with one line ending', async () => {
    for (const skipBadRows of [false, true]) {
      const crlfFirst = await failure(f.service.importFile({ file: write('mixed.csv', 'a,b\r\n1,x\r\n2,y\n3,z\n'), name: 'mixed', actor: 't', skipBadRows }));
      expect([crlfFirst.code, crlfFirst.message]).toEqual(['INVALID_ARGUMENT', "'mixed.csv' line 3: the line ends with LF, but line 1 ends with CRLF; mixed line endings are not supported"]);
      expect(crlfFirst.hint).toMatch(/dos2unix/);
      expect(crlfFirst.details).toMatchObject({ line: 3 });
    }
    const lfFirst = await failure(f.service.importFile({ file: write('mixed2.tsv', 'a\tb\n1\t"x\r\ny"\n2\ty\r\n'), name: 'mixed2', actor: 't' }));
    expect(lfFirst.message).toBe("'mixed2.tsv' line 4: the line ends with CRLF, but line 1 ends with LF; mixed line endings are not supported");
    const crlf = await f.service.importFile({ file: write('crlf.csv', 'a,b\r\n1,"x\ny"\r\n2,y\r\n'), name: 'crlf', actor: 't' });
    expect(crlf.version.rowCount).toBe(2);
  });

  it('names the line of text in the wrong encoding, and reads it with --encoding', async () => {
    const file = write('latin.csv', Buffer.concat([Buffer.from('city,n\nParis,1\n'), Buffer.from([0x4d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e]), Buffer.from(',2\n')]));
    const err = await failure(f.service.importFile({ file, name: 'latin', actor: 't' }));
    expect(err.message).toMatch(/^'latin\.csv' line 3: the text is not valid UTF-8$/);
    expect(err.hint).toMatch(/--encoding latin-1/);
    const ok = await f.service.importFile({ file, name: 'latin', actor: 't', encoding: 'latin-1' });
    expect(ok.version.rowCount).toBe(2);
  });

  it.each([
    ['empty.csv', '', /'empty\.csv' is empty/],
    ['header.csv', 'a,b\n', /^'header\.csv' has a header but no data rows$/],
    ['dup.csv', 'a,b,a\n1,2,3\n', /'dup\.csv' line 1: column 'a' appears twice \(columns 1 and 3\)/],
    ['noname.csv', 'a,,c\n1,2,3\n', /column 2 has no name/],
    ['case.csv', 'id,a,A\n1,2,3\n', /^'case\.csv' line 1: columns 'a' and 'A' differ only in case \(columns 2 and 3\); column names are case-insensitive$/],
    ['case.jsonl', '{"Name":1}\n{"b":1}\n{"name":2}\n', /^'case\.jsonl' line 3: keys 'Name' \(line 1\) and 'name' differ only in case; column names are case-insensitive$/],
    ['trunc.parquet', 'PAR1 this is not really parquet', /'trunc\.parquet' is not a valid Parquet file/],
    ['bad.jsonl', '{"a":1}\n{"a":\n', /'bad\.jsonl'.*malformed JSON Lines/],
    ['data.xlsx', 'x', /cannot tell the format of 'data\.xlsx'/],
  ])('rejects %s with a clear error and leaves nothing behind', async (name, content, message) => {
    const file = write(name, content);
    const err = await failure(f.service.importFile({ file, name: 'x', actor: 't' }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(message);
    expect(await f.service.list()).toEqual([]);
    expect((existsSync(join(f.dir, '.tmp')) ? readdirSync(join(f.dir, '.tmp')) : []).filter((e) => e.startsWith('stage-'))).toEqual([]);
    expect((await f.artifacts.usage()).blobs).toBe(0);
  });

  it('rejects a label column that does not exist, before reading data', async () => {
    const file = write('p.csv', CSV);
    const err = await failure(f.service.importFile({ file, name: 'p', actor: 't', roles: { label: ['target'] } }));
    expect(err.message).toBe(`--label column 'target' does not exist in ${file}`);
    expect(await f.service.list()).toEqual([]);
  });

  it('rejects a --time column whose values are not dates or timestamps, naming the column and a value', async () => {
    const file = write('t.csv', 'at,note,n\n2026-01-02,add all my bills to the list,5\n2026-01-03 10:30:00,hello,6\n');
    const text = await failure(f.service.importFile({ file, name: 't', actor: 't', roles: { time: ['note'] } }));
    expect([text.code, text.message]).toEqual(['INVALID_ARGUMENT', `--time column 'note' holds values that are not dates or timestamps (e.g. "add all my bills to the list")`]);
    expect(text.details).toMatchObject({ column: 'note', example: 'add all my bills to the list' });
    const numbers = await failure(f.service.importFile({ file, name: 't', actor: 't', roles: { time: ['n'] } }));
    expect(numbers.message).toBe(`--time column 'n' holds values that are not dates or timestamps (e.g. "5")`);
    expect(await f.service.list()).toEqual([]);
    // Dates, timestamps, and text that converts to timestamps are time columns.
    const ok = await f.service.importFile({ file, name: 't', actor: 't', roles: { time: ['at'] } });
    expect(ok.version.schema[0]).toMatchObject({ name: 'at', type: 'datetime', roles: ['time'] });
    const late = write('late.jsonl', '{"at":"2026-01-02"}\n{"at":"2026-01-02T10:30:00Z"}\n');
    expect((await f.service.importFile({ file: late, name: 'late', actor: 't', roles: { time: ['at'] } })).version.schema[0]?.type).toBe('datetime');
  });

  it('rejects names with path characters and missing files', async () => {
    const file = write('p.csv', CSV);
    for (const name of ['../etc', 'a/b', 'a\\b', '', '.hidden', 'x'.repeat(64)]) {
      expect((await failure(f.service.importFile({ file, name, actor: 't' }))).code).toBe('INVALID_ARGUMENT');
    }
    expect((await failure(f.service.importFile({ file: join(f.dir, 'nope.csv'), name: 'n', actor: 't' }))).code).toBe('NOT_FOUND');
    expect((await failure(f.service.show('nothing@1'))).code).toBe('NOT_FOUND');
    expect((await failure(f.service.show('a@0'))).code).toBe('INVALID_ARGUMENT');
  });

  it('keeps a late value of another type as text instead of failing or truncating', async () => {
    const rows = Array.from({ length: 150000 }, (_, i) => `${i},${i * 2},${i % 100}.75`);
    rows.push('150000,not-a-number,2.25');
    const r = await f.service.importFile({ file: write('late.csv', `a,b,c\n${rows.join('\n')}\n`), name: 'late', actor: 't' });
    expect(r.version.rowCount).toBe(150001);
    expect(r.version.schema.map((c) => c.physicalType)).toEqual(['BIGINT', 'VARCHAR', 'DOUBLE']);
    const sums = await f.service.withEngine(async (db) => db.all<{ s: number }>(`SELECT sum(c) AS s FROM read_parquet('${await f.service.parquetPath(r.version)}')`));
    expect(sums[0]?.s).toBeCloseTo(150000 * 49.5 + 150000 * 0.75 + 2.25, 3);
  });

  // The fast path fails on the non-ISO dates (the sniffer types them DATE, the strict read cannot
  // convert them), so every column goes through the text fallback; 'when' staying text shows it did.
  it('gives each column of the text fallback a type its values convert to without loss', async () => {
    const csv = 'when,price,phone,n,code,ratio,flag\n03/15/2024,0.75,+447700900000,1,007,1e3,true\n03/16/2024,2.25,+447700900001, 2 ,012,.5,FALSE\n03/17/2024,3,+447700900002,-3,123,-1.5E-2,\n';
    const r = await f.service.importFile({ file: write('fallback.csv', csv), name: 'fallback', actor: 't' });
    const types = Object.fromEntries(r.version.schema.map((c) => [c.name, c.physicalType]));
    expect(types).toEqual({ when: 'VARCHAR', price: 'DOUBLE', phone: 'VARCHAR', n: 'BIGINT', code: 'VARCHAR', ratio: 'DOUBLE', flag: 'BOOLEAN' });
    const rows = await f.service.withEngine(async (db) => db.all(`SELECT price, phone, n, code, ratio FROM read_parquet('${await f.service.parquetPath(r.version)}')`));
    expect(rows).toEqual([
      { price: 0.75, phone: '+447700900000', n: '1', code: '007', ratio: 1000 },
      { price: 2.25, phone: '+447700900001', n: '2', code: '012', ratio: 0.5 },
      { price: 3, phone: '+447700900002', n: '-3', code: '123', ratio: -0.015 },
    ]);
    // Forms DuckDB's casts accept but that would change the value stay text.
    const odd = await f.service.importFile({ file: write('odd.csv', 'when,a,b,c\n03/15/2024,1_000,0x10,+5\n'), name: 'odd', actor: 't' });
    expect(odd.version.schema.map((c) => c.physicalType)).toEqual(['VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR']);
  });
});
