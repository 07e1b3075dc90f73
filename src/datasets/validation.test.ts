import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MloopError } from '../errors/index.js';
import { makeServiceFixture, type ServiceFixture } from './test-support/service-fixture.js';
import { loadSchemaFile, parseExpectations } from './validation.js';

let f: ServiceFixture;
beforeEach(async () => {
  f = await makeServiceFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const CSV = [
  'id,age,income,email,joined',
  'r1,39,<=50K,a@example.com,2026-01-02',
  'r2,,>50K,b@example.com,2026-01-03',
  'r3,150,<=50K,not-an-email,2026-01-04',
  'r3,20,maybe,c@example.com,2026-01-05',
].join('\n');

async function load(name: string, content: string, label = 'label') {
  const file = join(f.dir, `${name}.csv`);
  writeFileSync(file, `${content}\n`);
  return (await f.service.importFile({ file, name, actor: 't', roles: { label: [label], id: ['id'] } })).version;
}

describe('validation', () => {
  it('reports each expectation with pass/fail, offending counts and examples', async () => {
    await load('people', CSV, 'income');
    const report = await f.service.validate('people@1', {
      expectations: parseExpectations({
        min_rows: 10,
        columns: {
          id: { unique: true, pattern: '^r\\d+$' },
          age: { type: 'numeric', range: [0, 120], max_missing_rate: 0.1 },
          income: { allowed: ['<=50K', '>50K'] },
          email: { pattern: '[^@]+@[^@]+' },
          joined: { type: 'datetime', range: ['2026-01-01', '2026-01-04'] },
          country: { required: true },
          optional: { required: false },
        },
      }),
    });
    const by = Object.fromEntries(report.results.map((r) => [r.id, r]));
    expect(report.passed).toBe(false);
    expect(by['dataset:min_rows']).toMatchObject({ status: 'fail', observed: 4 });
    expect(by['column:id:unique']).toMatchObject({ status: 'fail', offending: 1, examples: ['r3'] });
    expect(by['column:id:pattern']?.status).toBe('pass');
    expect(by['column:age:type']).toMatchObject({ status: 'pass', observed: 'integer' });
    expect(by['column:age:range']).toMatchObject({ status: 'fail', offending: 1, examples: [150] });
    expect(by['column:age:max_missing_rate']).toMatchObject({ status: 'fail', observed: 0.25, offending: 1 });
    expect(by['column:income:allowed']).toMatchObject({ status: 'fail', offending: 1, examples: ['maybe'] });
    expect(by['column:email:pattern']).toMatchObject({ status: 'fail', offending: 1, examples: ['not-an-email'] });
    expect(by['column:joined:type']?.status).toBe('pass');
    expect(by['column:joined:range']).toMatchObject({ status: 'fail', offending: 1 });
    expect(by['column:country:required']).toMatchObject({ status: 'fail', observed: 'missing' });
    expect(by['column:optional:required']?.status).toBe('pass');
    expect(report.counts.fail).toBe(8);
  });

  it('passes clean data with default expectations, and fails a missing label', async () => {
    await load('clean', 'id,x,label\na,1,yes\nb,2,no');
    const ok = await f.service.validate('clean@1');
    expect(ok.passed).toBe(true);
    expect(ok.results.map((r) => r.id)).toContain('column:label:max_missing_rate');
    await load('holes', 'id,x,label\na,1,yes\nb,2,');
    const bad = await f.service.validate('holes@1');
    expect(bad.passed).toBe(false);
    expect(bad.results.find((r) => r.id === 'column:label:max_missing_rate')).toMatchObject({ status: 'fail', offending: 1, observed: 0.5 });
  });

  it('flags schema changes against another version', async () => {
    await load('v', 'id,x,kind,label\na,1,red,yes\nb,2,blue,no');
    await load('v', 'id,x,label,extra\na,one,yes,1\nb,2,no,2\nc,3,no,3');
    await load('w', 'id,kind,label\na,red,yes\nb,green,no\nc,green,no');
    const r = await f.service.validate('v@2', { against: 'v@1' });
    const by = Object.fromEntries(r.results.map((x) => [x.id, x]));
    expect(by['schema:kind:removed']?.status).toBe('fail');
    expect(by['schema:x:retyped']).toMatchObject({ status: 'fail', expected: 'integer (BIGINT)' });
    expect(by['schema:extra:added']?.status).toBe('warn');
    const cats = await f.service.validate('w@1', { against: 'v@1' });
    expect(cats.results.find((x) => x.id === 'schema:kind:new_categories')).toMatchObject({ status: 'warn', offending: 2, examples: ['green'] });
  });

  it('rejects malformed schema files with every problem listed', () => {
    const err = (() => {
      try {
        parseExpectations({ min_rows: -1, columns: { a: { type: 'float', rnage: [1, 2], max_missing_rate: 2 } }, extra: 1 });
      } catch (e) {
        return e as MloopError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('INVALID_ARGUMENT');
    const paths = (err.details?.['issues'] as Array<{ path: string }>).map((i) => i.path).sort();
    expect(paths).toEqual(['columns.a.max_missing_rate', 'columns.a.rnage', 'columns.a.type', 'extra', 'min_rows']);
    const yaml = join(f.dir, 's.yaml');
    writeFileSync(yaml, 'min_rows: 2\ncolumns:\n  age:\n    range: [0, 120]\n');
    expect(loadSchemaFile(yaml)).toEqual({ min_rows: 2, columns: { age: { range: [0, 120] } } });
    writeFileSync(join(f.dir, 'bad.json'), '{ nope');
    expect(() => loadSchemaFile(join(f.dir, 'bad.json'))).toThrow(/is not valid JSON/);
    expect(() => loadSchemaFile(join(f.dir, 'missing.json'))).toThrow(/not found/);
  });

  it('turns an invalid pattern into INVALID_ARGUMENT naming the expectation', async () => {
    await load('p', 'id,x,label\na,1,yes\nb,2,no');
    const err = await f.service.validate('p@1', { expectations: { columns: { x: { pattern: '(' } } } }).catch((e: unknown) => e as MloopError);
    expect(err).toBeInstanceOf(MloopError);
    expect((err as MloopError).message).toMatch(/^expectation column:x:pattern cannot be checked/);
  });
});
