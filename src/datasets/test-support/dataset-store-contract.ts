/** The DatasetStore contract, written once and run against every backend. */
import { describe, expect, it } from 'vitest';
import { MloopError } from '../../errors/index.js';
import type { NewDatasetVersion } from '../dataset.js';
import type { DatasetStore } from '../dataset-store.js';

/** A minimal valid new version of `name` with content `hash`. */
export function newVersion(name: string, hash: string, parents: string[] = []): NewDatasetVersion {
  return {
    name,
    contentHash: hash.padEnd(64, '0'),
    blobSha256: 'b'.repeat(64),
    bytes: 10,
    rowCount: 3,
    schema: [{ name: 'a', physicalType: 'BIGINT', type: 'integer', roles: [] }],
    source: parents.length === 0 ? { kind: 'file', file: 'a.csv', format: 'csv', sha256: 'c'.repeat(64), bytes: 5 } : { kind: 'derived' },
    description: { owner: null, licence: null, description: null, collectionPeriod: null },
    lineage: { parents, transform: { kind: parents.length === 0 ? 'import' : 'derive', sql: 'SELECT 1' } },
    stats: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'test',
  };
}

export function runDatasetStoreContract(
  name: string,
  make: () => Promise<{ store: DatasetStore; cleanup: () => Promise<void> }>,
  skip = false,
): void {
  describe.skipIf(skip)(`DatasetStore contract: ${name}`, () => {
    it('numbers versions 1, 2, … per dataset and returns the same version for the same content', async () => {
      const { store, cleanup } = await make();
      try {
        const a1 = await store.addVersion(newVersion('tickets', 'a1'));
        const a2 = await store.addVersion(newVersion('tickets', 'a2'));
        const again = await store.addVersion(newVersion('tickets', 'a1'));
        const other = await store.addVersion(newVersion('other', 'a1'));
        expect([a1.version.ref, a1.created]).toEqual(['tickets@1', true]);
        expect([a2.version.ref, a2.created]).toEqual(['tickets@2', true]);
        expect([again.version.ref, again.created]).toEqual(['tickets@1', false]);
        expect(other.version.ref).toBe('other@1');
        expect((await store.getVersion('tickets'))?.version).toBe(2);
        expect((await store.getVersion('tickets', 1))?.contentHash).toBe('a1'.padEnd(64, '0'));
        expect(await store.getVersion('tickets', 3)).toBeUndefined();
        expect(await store.getVersion('nope')).toBeUndefined();
        expect((await store.listVersions('tickets')).map((v) => v.version)).toEqual([1, 2]);
        expect(await store.listVersions('nope')).toEqual([]);
        const list = await store.listDatasets();
        expect(list.map((d) => [d.name, d.versions, d.latest, d.latestRowCount])).toEqual([
          ['other', 1, 1, 3],
          ['tickets', 2, 2, 3],
        ]);
      } finally {
        await cleanup();
      }
    });

    it('round-trips schema, provenance, lineage and counts', async () => {
      const { store, cleanup } = await make();
      try {
        const input = { ...newVersion('t', 'x'), rowCount: 3_000_000_000, bytes: 5_000_000_000, stats: { skippedRows: 2 } };
        input.description = { owner: 'ana', licence: 'CC-BY-4.0', description: 'd', collectionPeriod: '2026-01..2026-06' };
        await store.addVersion(input);
        const got = await store.getVersion('t', 1);
        expect(got).toMatchObject({ rowCount: 3_000_000_000, bytes: 5_000_000_000, stats: { skippedRows: 2 }, description: input.description, schema: input.schema, source: input.source, lineage: input.lineage });
      } finally {
        await cleanup();
      }
    });

    it('records lineage edges and refuses unknown parents, leaving nothing behind', async () => {
      const { store, cleanup } = await make();
      try {
        await store.addVersion(newVersion('base', 'p'));
        const child = await store.addVersion(newVersion('derived', 'c', ['base@1']));
        expect(child.version.lineage.parents).toEqual(['base@1']);
        expect((await store.listChildren('base@1')).map((v) => v.ref)).toEqual(['derived@1']);
        expect(await store.listChildren('derived@1')).toEqual([]);
        const err = await store.addVersion(newVersion('orphan', 'o', ['base@9'])).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MloopError);
        expect((err as MloopError).code).toBe('NOT_FOUND');
        // The failed transaction created neither the dataset nor a version.
        expect((await store.listDatasets()).map((d) => d.name)).toEqual(['base', 'derived']);
      } finally {
        await cleanup();
      }
    });

    it('keeps results per version, kind and inputs hash; keeping again replaces; an unknown version is NOT_FOUND', async () => {
      const { store, cleanup } = await make();
      try {
        const v1 = (await store.addVersion(newVersion('kept', 'k1'))).version;
        const v2 = (await store.addVersion(newVersion('kept', 'k2'))).version;
        const result = (versionId: string, kind: 'profile' | 'validation', inputsHash: string, resultJson: string) => ({ versionId, kind, inputsHash, inputsJson: '{}', resultJson, createdAt: '2026-01-02T00:00:00.000Z' });
        expect(await store.getResult(v1.id, 'profile', 'h'.repeat(64))).toBeUndefined();
        const big = JSON.stringify({ rows: 1, text: 'x'.repeat(200_000) });
        await store.keepResult(result(v1.id, 'profile', 'h'.repeat(64), big));
        await store.keepResult(result(v1.id, 'validation', 'h'.repeat(64), '{"passed":true}'));
        await store.keepResult(result(v1.id, 'profile', 'i'.repeat(64), '{"other":1}'));
        expect(await store.getResult(v1.id, 'profile', 'h'.repeat(64))).toBe(big);
        expect(await store.getResult(v1.id, 'validation', 'h'.repeat(64))).toBe('{"passed":true}');
        expect(await store.getResult(v1.id, 'profile', 'i'.repeat(64))).toBe('{"other":1}');
        expect(await store.getResult(v2.id, 'profile', 'h'.repeat(64))).toBeUndefined();
        // Concurrent writers of the same result: every call succeeds, one row stays.
        await Promise.all([store.keepResult(result(v2.id, 'profile', 'h'.repeat(64), '{"w":1}')), store.keepResult(result(v2.id, 'profile', 'h'.repeat(64), '{"w":2}'))]);
        expect(['{"w":1}', '{"w":2}']).toContain(await store.getResult(v2.id, 'profile', 'h'.repeat(64)));
        await store.keepResult(result(v1.id, 'profile', 'h'.repeat(64), '{"again":true}'));
        expect(await store.getResult(v1.id, 'profile', 'h'.repeat(64))).toBe('{"again":true}');
        expect(await store.getResult(v1.id, 'profile', 'i'.repeat(64))).toBe('{"other":1}');
        const err = await store.keepResult(result('dsv_missing', 'profile', 'h'.repeat(64), '{}')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MloopError);
        expect((err as MloopError).code).toBe('NOT_FOUND');
      } finally {
        await cleanup();
      }
    });

    it('allocates distinct numbers to concurrent writers and dedupes concurrent identical content', async () => {
      const { store, cleanup } = await make();
      try {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.addVersion(newVersion('busy', `h${i}`))));
        expect(results.map((r) => r.version.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        const same = await Promise.all(Array.from({ length: 4 }, () => store.addVersion(newVersion('busy', 'same'))));
        expect(new Set(same.map((r) => r.version.ref)).size).toBe(1);
        expect(same.filter((r) => r.created)).toHaveLength(1);
      } finally {
        await cleanup();
      }
    });
  });
}
