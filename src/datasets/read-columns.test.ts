import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MloopError } from '../errors/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { readColumns } from './index.js';

let t: TempWorkspace;
beforeAll(async () => {
  t = await tempWorkspace();
  const file = join(t.dir, 'small.csv');
  writeFileSync(file, 'id,age,city,text\n1,34,Paris,hello there\n2,,Lyon,\n3,51.5,,bye\n');
  await t.ws.datasets.importFile({ file, name: 'small', actor: 'test' });
});
afterAll(async () => t.cleanup());

describe('readColumns', () => {
  it('reads numbers as Float64Array with NaN for missing and the rest as strings, in row order', async () => {
    const r = await readColumns(t.ws.datasets, 'small@1', ['age', 'city', 'text']);
    expect(r.rows).toBe(3);
    const age = r.columns['age']!;
    expect(age.kind).toBe('numeric');
    expect(Array.from(age.values as Float64Array)).toEqual([34, Number.NaN, 51.5]);
    expect(r.columns['city']).toEqual({ kind: 'string', values: ['Paris', 'Lyon', null] });
    expect(r.columns['text']!.values[0]).toBe('hello there');
  });

  it('names a missing column and lists the real ones', async () => {
    const err = (await readColumns(t.ws.datasets, 'small@1', ['age', 'nope']).catch((e: unknown) => e)) as MloopError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.hint).toContain('age, city');
  });
});
