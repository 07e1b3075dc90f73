/**
 * Serving a version trained in out-of-scope mode (`record.thresholds.out_of_scope`): a row whose
 * in-scope score is below the stored threshold is answered with `decision: review` (label and
 * confidence unchanged), online and in batch scoring; a version without one decides as before.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetService } from '../datasets/index.js';
import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { ColumnBatch, Predictor } from '../training/index.js';
import { scoreFile, ServingRuntime, type Deployment, type ServingStore } from './index.js';
import { textVersion } from './test-support/text-version.js';

/** Texts "pa score": P(a) and the in-scope score, read from the text (the load probe's text parses to neither). */
function parse(text: string): [number, number] {
  const [pa, score] = text.split(' ').map(Number);
  return [Number.isFinite(pa) ? pa! : 0.5, Number.isFinite(score) ? score! : 0];
}
let passes = 0;
const predictor: Predictor = {
  learner: 'text-softmax',
  task: 'text-classification',
  classes: ['a', 'b'],
  inputs: [{ name: 'text', kind: 'text' }],
  report: {},
  inScopeScore: 'max_logit',
  predictProba(batch: ColumnBatch, n: number) {
    passes++;
    const texts = batch['text'] as string[];
    return Float64Array.from({ length: 2 * n }, (_, j) => (j % 2 === 0 ? parse(texts[j >> 1]!)[0] : 1 - parse(texts[j >> 1]!)[0]));
  },
  predictWithInScope(batch: ColumnBatch, n: number) {
    passes++;
    const texts = batch['text'] as string[];
    return {
      proba: Float64Array.from({ length: 2 * n }, (_, j) => (j % 2 === 0 ? parse(texts[j >> 1]!)[0] : 1 - parse(texts[j >> 1]!)[0])),
      inScope: Float64Array.from({ length: n }, (_, i) => parse(texts[i]!)[1]),
    };
  },
  predictValues: () => new Float64Array(0),
  toFiles: () => [],
};


async function serve(version: ModelVersion, texts: string[]) {
  const deployment: Deployment = { name: 'm', model: 'm', ref: 'm@champion', shadowRef: null, canaryRef: null, canaryPercent: 0, createdAt: '', createdBy: '', updatedAt: '', updatedBy: '' };
  const store = { listDeployments: async () => [deployment], insertPredictions: async () => undefined } as unknown as ServingStore;
  const runtime = new ServingRuntime(
    {
      store,
      registry: { resolve: async () => version } as unknown as RegistryService,
      datasets: {
        lineage: async () => ({ ref: 'd@1', transform: { kind: 'import' }, parents: [], children: [] }),
        show: async () => ({ schema: [{ name: 'text', roles: ['text'] }] }),
      } as unknown as DatasetService,
      load: async () => predictor,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    },
    { pollIntervalMs: 60_000, maxRowsPerRequest: 1000 },
  );
  await runtime.start();
  const r = await runtime.predict('m', texts.map((text) => ({ text })));
  await runtime.close();
  return r.rows;
}

const OOS = { out_of_scope: { label: 'oos', score: 'max_logit', rule: 'min-in-scope-accuracy', min_in_scope_accuracy: 0.9, achievable: true, threshold: 5, validation: {} } };
// Confident rows with low scores (out of scope), confident rows with high scores, unsure rows.
const texts = ['0.95 1', '0.05 4.99', '0.95 5', '0.1 9', '0.6 9', '0.5 -3'];
const expected = ['review', 'review', 'auto', 'auto', 'review', 'review'];

describe('serving a version with an out-of-scope threshold', () => {
  it('sends rows scoring below it to review, label and confidence unchanged, in one predictor pass', async () => {
    const before = passes;
    const rows = await serve(textVersion({ confidence: 0.8, ...OOS }), texts);
    expect(rows.map((r) => r.decision)).toEqual(expected);
    expect(rows.map((r) => r.label)).toEqual(['a', 'b', 'a', 'b', 'a', 'a']);
    expect(rows[0]!.confidence).toBeCloseTo(0.95, 12);
    expect(passes - before).toBe(2); // the load probe and the request: no second pass for the scores
    // Without the stored threshold, the same rows are decided by confidence alone.
    expect((await serve(textVersion({ confidence: 0.8 }), texts)).map((r) => r.decision)).toEqual(['auto', 'auto', 'auto', 'auto', 'review', 'review']);
  });

  it('batch scoring applies the same threshold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-oos-'));
    try {
      writeFileSync(join(dir, 'in.csv'), `text\n${texts.join('\n')}\n`);
      const r = await scoreFile(textVersion({ confidence: 0.8, ...OOS }), predictor, join(dir, 'in.csv'), join(dir, 'out.jsonl'));
      const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { decision: string });
      expect(out.map((x) => x.decision)).toEqual(expected);
      expect([r.automated, r.review]).toEqual([2, 4]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
