/** Kept profiles and validations: computed once per version and inputs, reused across processes, recomputed when an input changes. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MloopError } from '../errors/index.js';
import { BACKENDS } from '../storage/test-support/backends.js';
import { DatasetService } from './dataset-service.js';
import { profileVersion } from './profile.js';
import { sqlString } from './duckdb-session.js';
import { makeServiceFixture, type ServiceFixture } from './test-support/service-fixture.js';
import { defaultExpectations, parseExpectations } from './validation.js';

const CSV = ['id,age,income,note,joined', 'r1,39,<=50K,call me at a@example.com,2026-01-02', 'r2,,>50K,fine,2026-01-03', 'r3,50,<=50K,ok,2026-01-04'].join('\n');

async function load(f: ServiceFixture, content: string) {
  const file = join(f.dir, `people-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, `${content}\n`);
  return (await f.service.importFile({ file, name: 'people', actor: 't', roles: { label: ['income'], id: ['id'], text: ['note'] } })).version;
}

/** The service's DuckDB sessions, counted: every profile or validation computed opens one; a kept read opens none. */
const engines = (service: DatasetService) => vi.spyOn(service, 'withEngine');

for (const factory of BACKENDS) {
  const available = await factory.available();
  describe.skipIf(!available)(`kept dataset results on ${factory.name}`, () => {
    it('a profile is computed once per version and options, reused by another process, recomputed on request', async () => {
      const f = await makeServiceFixture(factory);
      try {
        const v1 = await load(f, CSV);
        const computed = engines(f.service);
        const first = await f.service.profile('people@1');
        expect(computed).toHaveBeenCalledTimes(1);
        // What profiling computes, as JSON: the kept profile is the same.
        const direct = await f.service.withEngine(async (db) => profileVersion(db, `read_parquet(${sqlString(await f.service.parquetPath(v1))})`, v1));
        expect(first).toEqual(JSON.parse(JSON.stringify(direct)));
        computed.mockClear();

        const second = await f.service.profile('people');
        expect(second).toEqual(first);
        expect(second).not.toBe(first); // a copy: a caller changing it changes no one else's
        // The defaults given explicitly are the same inputs.
        expect(await f.service.profile('people@1', { minSliceRows: 30, minLabelRows: 5, sliceBy: [] })).toEqual(first);
        expect(computed).not.toHaveBeenCalled();

        // Another process: a new service over the same store reads the stored profile.
        const other = new DatasetService(f.store, f.artifacts, { tempDir: join(f.dir, '.tmp2') });
        const otherEngines = engines(other);
        expect(await other.profile('people@1')).toEqual(first);
        expect(otherEngines).not.toHaveBeenCalled();

        // Other options, another version, or recompute: computed.
        const thin = await f.service.profile('people@1', { minSliceRows: 2 });
        expect(thin.options.minSliceRows).toBe(2);
        expect(computed).toHaveBeenCalledTimes(1);
        await load(f, `${CSV}\nr4,61,>50K,new,2026-01-05`);
        const p2 = await f.service.profile('people');
        expect([p2.ref, p2.rows]).toEqual(['people@2', 4]);
        expect(computed).toHaveBeenCalledTimes(2);
        expect(await f.service.profile('people@1', { recompute: true })).toEqual(first);
        expect(computed).toHaveBeenCalledTimes(3);
        expect(await other.profile('people@2')).toEqual(p2);
        expect(otherEngines).not.toHaveBeenCalled();
      } finally {
        await f.cleanup();
      }
    }, 60_000);

    it('a validation is keyed on its expectations and the version compared against; a failure is not kept', async () => {
      const f = await makeServiceFixture(factory);
      try {
        const v1 = await load(f, CSV);
        await load(f, CSV.replace('r3,50', 'r3,500'));
        const computed = engines(f.service);
        const plain = await f.service.validate('people@1');
        expect(plain).toMatchObject({ ref: 'people@1', against: null, passed: true });
        expect(await f.service.validate('people@1')).toEqual(plain);
        // The default expectations written out are the same rules, whatever their key order.
        const defaults = defaultExpectations(v1);
        expect(await f.service.validate('people@1', { expectations: JSON.parse(JSON.stringify({ columns: defaults.columns, min_rows: defaults.min_rows })) })).toEqual(plain);
        expect(computed).toHaveBeenCalledTimes(1);

        // Changed rules: computed, and kept under their own key.
        const strict = parseExpectations({ columns: { age: { range: [0, 100] } } });
        const s1 = await f.service.validate('people@2', { expectations: strict });
        expect(s1).toMatchObject({ passed: false, counts: { fail: 1 } });
        expect(computed).toHaveBeenCalledTimes(2);
        const loose = parseExpectations({ columns: { age: { range: [0, 1000] } } });
        expect(await f.service.validate('people@2', { expectations: loose })).toMatchObject({ passed: true });
        expect(computed).toHaveBeenCalledTimes(3);
        expect(await f.service.validate('people@2', { expectations: strict })).toEqual(s1);
        expect(computed).toHaveBeenCalledTimes(3);

        // Against another version: computed; against it again: kept.
        const against = await f.service.validate('people@2', { against: 'people@1' });
        expect(against.against).toBe('people@1');
        expect(await f.service.validate('people@2', { against: 'people@1' })).toEqual(against);
        expect(computed).toHaveBeenCalledTimes(4);

        // A bad pattern fails every time (computed each time), and nothing is kept for it.
        const bad = parseExpectations({ columns: { id: { pattern: '(' } } });
        for (let i = 0; i < 2; i++) {
          const err = await f.service.validate('people@1', { expectations: bad }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(MloopError);
          expect((err as MloopError).code).toBe('INVALID_ARGUMENT');
        }
        expect(computed).toHaveBeenCalledTimes(6);
        // An unknown version is NOT_FOUND before anything is computed.
        expect(((await f.service.validate('people@9').catch((e: unknown) => e)) as MloopError).code).toBe('NOT_FOUND');
        expect(computed).toHaveBeenCalledTimes(6);
      } finally {
        await f.cleanup();
      }
    }, 60_000);
  });
}

describe('kept dataset results in one process', () => {
  it('a store that cannot keep a result still answers, and the process keeps it', async () => {
    const f = await makeServiceFixture();
    try {
      await load(f, CSV);
      const failing = Object.assign(Object.create(f.store) as typeof f.store, { keepResult: vi.fn(async () => Promise.reject(new Error('database is locked'))) });
      const service = new DatasetService(failing, f.artifacts, { tempDir: join(f.dir, '.tmp3') });
      const computed = engines(service);
      const p = await service.profile('people@1');
      expect(p.rows).toBe(3);
      expect(failing.keepResult).toHaveBeenCalledTimes(1);
      expect(await service.profile('people@1')).toEqual(p);
      expect(computed).toHaveBeenCalledTimes(1);
    } finally {
      await f.cleanup();
    }
  });


  it('concurrent first reads share one computation', async () => {
    const f = await makeServiceFixture();
    try {
      await load(f, CSV);
      const computed = engines(f.service);
      const all = await Promise.all([f.service.profile('people@1'), f.service.profile('people@1'), f.service.validate('people@1'), f.service.validate('people@1')]);
      expect(computed).toHaveBeenCalledTimes(2);
      expect(all[0]).toEqual(all[1]);
      expect(all[2]).toEqual(all[3]);
    } finally {
      await f.cleanup();
    }
  });
});
