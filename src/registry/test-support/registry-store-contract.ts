/** The RegistryStore contract, written once and run against every backend. */
import { describe, expect, it } from 'vitest';
import type { MloopError } from '../../errors/index.js';
import type { VersionRecord } from '../registry.js';
import type { NewModelVersion, RegistryStore } from '../registry-store.js';

const record: VersionRecord = { datasets: ['tickets@1'], inputSchema: [{ name: 'text', type: 'text' }], learner: 'test', params: {}, seed: 1, codeVersion: 'test', metrics: { accuracy: 0.9 } };
const v = (model: string, extra: Partial<NewModelVersion> = {}): NewModelVersion => ({
  model,
  task: 'text-classification',
  record,
  artifacts: [{ name: 'weights.bin', sha256: 'a'.repeat(64), size: 3, mediaType: 'application/octet-stream' }],
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'test',
  ...extra,
});

export function runRegistryStoreContract(name: string, make: () => Promise<{ store: RegistryStore; cleanup: () => Promise<void> }>, skip = false): void {
  describe.skipIf(skip)(`RegistryStore contract: ${name}`, () => {
    it('numbers versions 1, 2, … per model and reads them back', async () => {
      const { store, cleanup } = await make();
      try {
        const a = await store.createVersion(v('support'));
        const b = await store.createVersion(v('support', { notes: 'second' }));
        const other = await store.createVersion(v('churn', { task: 'tabular-classification' }));
        expect([a.version.version, b.version.version, other.version.version]).toEqual([1, 2, 1]);
        expect(a.created).toBe(true);
        const got = await store.getVersion('support', 2);
        expect(got).toMatchObject({ ref: 'support@2', notes: 'second', record, task: 'text-classification' });
        expect(got!.artifacts[0]!.name).toBe('weights.bin');
        expect((await store.listVersions('support')).map((x) => x.version)).toEqual([1, 2]);
        expect((await store.listModels()).map((m) => [m.name, m.latestVersion])).toEqual([['churn', 1], ['support', 2]]);
        expect(await store.getVersion('support', 3)).toBeUndefined();
        expect(await store.getModel('nope')).toBeUndefined();
      } finally {
        await cleanup();
      }
    });

    it('gives 50 concurrent creations unique, gap-free numbers without errors', async () => {
      const { store, cleanup } = await make();
      try {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.createVersion(v('busy', { notes: String(i) }))));
        const numbers = results.map((r) => r.version.version).sort((x, y) => x - y);
        expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect((await store.getModel('busy'))!.latestVersion).toBe(50);
      } finally {
        await cleanup();
      }
    });

    it('makes one version per run key, even when the same run is recorded concurrently', async () => {
      const { store, cleanup } = await make();
      try {
        const runs = await Promise.all(Array.from({ length: 10 }, () => store.createVersion(v('once', { runKey: 'run-1' }))));
        expect(new Set(runs.map((r) => r.version.id)).size).toBe(1);
        expect(runs.filter((r) => r.created)).toHaveLength(1);
        const next = await store.createVersion(v('once', { runKey: 'run-2' }));
        expect(next.version.version).toBe(2);
        expect((await store.getModel('once'))!.latestVersion).toBe(2);
      } finally {
        await cleanup();
      }
    });

    it('refuses a version of another task under an existing model, leaving no gap', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createVersion(v('support'));
        const err = await store.createVersion(v('support', { task: 'regression' })).catch((e: unknown) => e);
        expect((err as MloopError).code).toBe('FAILED_PRECONDITION');
        expect((await store.createVersion(v('support'))).version.version).toBe(2);
      } finally {
        await cleanup();
      }
    });

    it('moves aliases in one step with an append-only history', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createVersion(v('support'));
        await store.createVersion(v('support'));
        const base = { model: 'support', alias: 'champion', at: '2026-01-02T00:00:00.000Z', actor: 'pm', evidence: { accuracy: 0.9 } };
        const first = await store.moveAlias({ ...base, version: 1, reason: 'first release' });
        expect(first).toMatchObject({ fromVersion: null, toVersion: 1, reason: 'first release' });
        const second = await store.moveAlias({ ...base, version: 2, reason: 'better' });
        expect(second).toMatchObject({ fromVersion: 1, toVersion: 2 });
        expect((await store.getModel('support'))!.aliases).toEqual({ champion: 2 });
        expect((await store.getVersion('support', 2))!.aliases).toEqual(['champion']);
        const missing = await store.moveAlias({ ...base, version: 9, reason: 'typo' }).catch((e: unknown) => e);
        expect((missing as MloopError).code).toBe('NOT_FOUND');
        expect((await store.getModel('support'))!.aliases).toEqual({ champion: 2 });
        await store.moveAlias({ ...base, version: null, reason: 'withdrawn' });
        expect((await store.getModel('support'))!.aliases).toEqual({});
        const history = await store.aliasHistory('support');
        expect(history.map((h) => [h.fromVersion, h.toVersion, h.reason])).toEqual([[null, 1, 'first release'], [1, 2, 'better'], [2, null, 'withdrawn']]);
        expect(history[0]!.evidence).toEqual({ accuracy: 0.9 });
        expect(history[1]!.seq).toBeGreaterThan(history[0]!.seq);
      } finally {
        await cleanup();
      }
    });

    it('saves evaluations of a version, newest first', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createVersion(v('support'));
        const base = { model: 'support@1', reportSha256: 'b'.repeat(64), createdBy: 'qa' };
        await store.saveEvaluation({ ...base, dataset: 'later@1', summary: { accuracy: 0.9 }, gatePassed: true, createdAt: '2026-01-03T00:00:00.000Z' });
        await store.saveEvaluation({ ...base, dataset: 'later@2', summary: { accuracy: 0.8 }, gatePassed: null, createdAt: '2026-01-04T00:00:00.000Z' });
        const list = await store.listEvaluations('support', 1);
        expect(list.map((e) => [e.dataset, e.gatePassed, e.summary['accuracy']])).toEqual([['later@2', null, 0.8], ['later@1', true, 0.9]]);
        expect(await store.listEvaluations('support', 2)).toEqual([]);
        const missing = await store.saveEvaluation({ ...base, model: 'support@7', dataset: 'x@1', summary: {}, gatePassed: null, createdAt: 't' }).catch((e: unknown) => e);
        expect((missing as MloopError).code).toBe('NOT_FOUND');
      } finally {
        await cleanup();
      }
    });

    it('edits descriptions, tags and notes', async () => {
      const { store, cleanup } = await make();
      try {
        await store.createVersion(v('support'));
        await store.updateDescription('support', { intendedUse: 'route tickets' });
        expect((await store.getModel('support'))!.description).toEqual({ intendedUse: 'route tickets' });
        await store.annotateVersion('support', 1, { tags: { team: 'cx' } });
        expect((await store.getVersion('support', 1))!.tags).toEqual({ team: 'cx' });
        expect(((await store.annotateVersion('support', 5, {}).catch((e: unknown) => e)) as MloopError).code).toBe('NOT_FOUND');
      } finally {
        await cleanup();
      }
    });
  });
}
