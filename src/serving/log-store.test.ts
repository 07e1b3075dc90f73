// The prediction log's writer thread, as the built package runs it (dist/, which `npm test` builds
// first): segments posted to the worker land as the same rows as records inserted on the calling thread.
import { sql } from 'kysely';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../storage/test-support/backends.js';
import type * as Codec from './log-codec.js';
import type * as LogStore from './log-store.js';
import type { PredictionRecord } from './serving.js';
import { prediction } from './test-support/serving-store-contract.js';

const DIST = new URL('../../dist/serving/', import.meta.url);
const codec = (await import(fileURLToPath(new URL('log-codec.js', DIST)))) as typeof Codec;
const logStore = (await import(fileURLToPath(new URL('log-store.js', DIST)))) as typeof LogStore;

/** The predictions and review items a database holds, in id order. */
async function rows(db: Parameters<ReturnType<typeof sql>['execute']>[0]): Promise<unknown[]> {
  const p = await sql`SELECT * FROM predictions ORDER BY id`.execute(db);
  const r = await sql`SELECT prediction_id, deployment, model, version, created_at, status, predicted, confidence FROM review_queue ORDER BY prediction_id`.execute(db);
  return [p.rows, r.rows];
}

for (const factory of BACKENDS) {
  const available = await factory.available();
  describe.skipIf(!available)(`prediction log store on ${factory.name}`, () => {
    it('writes a segment from the worker thread exactly as records are written inline', async () => {
      const records: PredictionRecord[] = [
        prediction('prd_a', { groups: { region: 'EU' } }),
        prediction('prd_b', { role: 'shadow', primaryId: 'prd_a', requestId: null, decision: 'auto', confidence: 0.99 }),
        prediction('prd_c', { outputs: { value: 3.5 }, label: null, confidence: null, decision: 'auto' }),
        prediction('prd_d', { inputs: { text: 'é 😀 quote " \n' }, redacted: true }),
        new codec.ClassifierRecord('prd_e', '2026-01-02T00:00:00.000Z', 'support', 'support', 1, 'primary', null, 'req-1', { text: 'hi' }, { billing: 0.6, other: 0.4 }, ['billing', 'other'], { attribute: 'region', group: 'EU', threshold: 0.7 }, 'billing', 0.6, 'review', 1.25, false, { region: 'EU' }),
      ];
      const viaWorker = await factory.make();
      const inline = await factory.make();
      try {
        const store = await logStore.openPredictionLogStore({ url: viaWorker.url, connectTimeoutMs: 5000 });
        expect(store.mode).toBe('worker');
        const b = new codec.LogSegmentBuilder();
        for (const r of records) b.add(r);
        const segment = b.seal();
        await store.insertSegment(segment);
        // The segment stays whole on this side (shared, not transferred), so a retry could send it again.
        expect(segment.bytes.byteLength).toBeGreaterThan(0);
        await store.insertSegment(segment);
        await store.close();
        const { SqlServingStore } = await import('./sql-serving-store.js');
        await new SqlServingStore(inline.backend.db).insertPredictions(records);
        const written = await rows(viaWorker.backend.db);
        expect((written[0] as unknown[]).length).toBe(records.length);
        expect(written).toEqual(await rows(inline.backend.db));
      } finally {
        await viaWorker.cleanup();
        await inline.cleanup();
      }
    });
  });
}
