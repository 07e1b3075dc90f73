/**
 * Serving a version that carries a fairness mitigation plan (`record.thresholds.groups`): each
 * row's decision follows its group's threshold, exactly as `applyThresholdPlan` decides the same
 * rows; rows without the group column fall back to the `(missing)` group (else the base threshold);
 * the threshold used is logged; a version without a plan decides as before.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetService } from '../datasets/index.js';
import type { ClassificationData } from '../evaluation/index.js';
import { applyThresholdPlan, mitigateThresholds, planFromJson, planToJson, type ThresholdPlan } from '../fairness/index.js';
import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { ColumnBatch, Predictor } from '../training/index.js';
import { scoreFile, ServingRuntime, type Deployment, type PredictionRecord, type ServingStore } from './index.js';
import { textVersion } from './test-support/text-version.js';

/** Deterministic uniform numbers for a seed (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A binary predictor that reads P(a) from the text, e.g. "0.8125". */
const predictor: Predictor = {
  learner: 'text-softmax',
  task: 'text-classification',
  classes: ['a', 'b'],
  inputs: [{ name: 'text', kind: 'text' }],
  report: {},
  predictProba(batch: ColumnBatch, n: number) {
    const texts = batch['text'] as string[];
    const out = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const pa = Number(texts[i]);
      // The load probe's text is not a number.
      [out[i * 2], out[i * 2 + 1]] = Number.isFinite(pa) ? [pa, 1 - pa] : [0.5, 0.5];
    }
    return out;
  },
  predictValues: () => new Float64Array(0),
  toFiles: () => [],
};

/** Rows of two regions; the south's scores are less extreme (less confident, less often right). */
function rows(seed: number, n: number): Array<{ pa: number; region: string; truth: number }> {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const region = r() < 0.5 ? 'north' : 'south';
    const spread = region === 'north' ? 0.5 : 0.3;
    const pa = Math.round((0.5 + (r() < 0.5 ? -1 : 1) * spread * r()) * 4096) / 4096;
    return { pa, region, truth: r() < pa ? 0 : 1 };
  });
}

function data(rs: ReadonlyArray<{ pa: number; truth: number }>): ClassificationData {
  return {
    classes: ['a', 'b'],
    yTrue: Int32Array.from(rs, (x) => x.truth),
    yPred: Int32Array.from(rs, (x) => (x.pa >= 1 - x.pa ? 0 : 1)),
    confidence: Float64Array.from(rs, (x) => Math.max(x.pa, 1 - x.pa)),
    proba: Float64Array.from(rs.flatMap((x) => [x.pa, 1 - x.pa])),
  };
}

const CONFIDENCE = 0.8;


async function serve(version: ModelVersion, instances: Array<Record<string, unknown>>) {
  const logged: PredictionRecord[] = [];
  const deployment: Deployment = { name: 'm', model: 'm', ref: 'm@champion', shadowRef: null, canaryRef: null, canaryPercent: 0, createdAt: '', createdBy: '', updatedAt: '', updatedBy: '' };
  const store = { listDeployments: async () => [deployment], insertPredictions: async (r: PredictionRecord[]) => void logged.push(...r) } as unknown as ServingStore;
  const runtime = new ServingRuntime(
    {
      store,
      registry: { resolve: async () => version } as unknown as RegistryService,
      datasets: {
        lineage: async () => ({ ref: 'd@1', transform: { kind: 'import' }, parents: [], children: [] }),
        show: async () => ({ schema: [{ name: 'text', roles: ['text'] }, { name: 'region', roles: ['sensitive'] }] }),
      } as unknown as DatasetService,
      load: async () => predictor,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    },
    { pollIntervalMs: 60_000, maxRowsPerRequest: 1000 },
  );
  await runtime.start();
  const r = await runtime.predict('m', instances);
  await runtime.close();
  return { rows: r.rows, logged };
}

const validation = rows(1, 2000);
const served = rows(2, 300).map((x, i) => (i % 10 === 0 ? { pa: x.pa, truth: x.truth, region: null as string | null } : i % 10 === 1 ? { ...x, region: 'east' } : x));
// Every tenth row omits the column; every tenth row (offset 1) is a region the plan has not seen.
const instances = served.map((x) => (x.region === null ? { text: String(x.pa) } : { text: String(x.pa), region: x.region }));
const groupsOf = served.map((x) => x.region);

describe('serving a version with a mitigation plan', () => {
  it('routes each row by its group threshold (automation plan), as applyThresholdPlan does, and logs the threshold', async () => {
    const plan = mitigateThresholds(data(validation), validation.map((x) => x.region), { constraint: 'auto_share', baseThreshold: CONFIDENCE, attribute: 'region', tolerance: 0.02 });
    expect(plan.feasible).toBe(true);
    expect(plan.thresholds['north']).not.toBe(plan.thresholds['south']);
    const { rows: out, logged } = await serve(textVersion({ confidence: CONFIDENCE, groups: planToJson(plan) }), instances);
    const expected = applyThresholdPlan(plan, data(served), groupsOf);
    expect(out.map((r) => r.decision)).toEqual(Array.from(expected.auto, (a) => (a ? 'auto' : 'review')));
    expect(out.map((r) => r.label)).toEqual(Array.from(expected.yPred, (c) => ['a', 'b'][c]));
    // The decisions differ from the single threshold's somewhere: the plan is not a no-op here.
    expect(out.some((r) => (r.decision === 'auto') !== r.confidence! >= CONFIDENCE)).toBe(true);
    // Missing column: the `(missing)` group, at the base threshold (validation had none); unseen region: base threshold.
    expect(out[0]!.fairness).toEqual({ attribute: 'region', group: '(missing)', threshold: CONFIDENCE });
    expect(out[1]!.fairness).toEqual({ attribute: 'region', group: 'east', threshold: CONFIDENCE });
    const south = served.findIndex((x) => x.region === 'south');
    const t = plan.thresholds['south']!;
    expect(out[south]!.fairness).toEqual({ attribute: 'region', group: 'south', threshold: Number.isFinite(t) ? t : null });
    expect(logged).toHaveLength(served.length);
    const byId = new Map(logged.map((l) => [l.id, l]));
    out.forEach((r) => {
      const l = byId.get(r.predictionId)!;
      expect(l.decision).toBe(r.decision);
      expect(l.outputs['fairness']).toEqual(r.fairness);
    });
  });

  it('chooses the label by its group threshold (decision plan); routing stays on the stored threshold', async () => {
    const plan = mitigateThresholds(data(validation), validation.map((x) => x.region), { constraint: 'demographic_parity', attribute: 'region', tolerance: 0.02 });
    expect(plan.kind).toBe('decision');
    const { rows: out } = await serve(textVersion({ confidence: CONFIDENCE, groups: planToJson(plan) }), instances);
    const expected = applyThresholdPlan(plan, data(served), groupsOf);
    expect(out.map((r) => r.label)).toEqual(Array.from(expected.yPred, (c) => ['a', 'b'][c]));
    out.forEach((r, i) => {
      expect(r.confidence).toBe(r.label === 'a' ? served[i]!.pa : 1 - served[i]!.pa);
      expect(r.decision).toBe(r.confidence! >= CONFIDENCE ? 'auto' : 'review');
    });
    expect(out.some((r, i) => r.label !== (served[i]!.pa >= 0.5 ? 'a' : 'b'))).toBe(true);
  });

  it('a version without a plan decides by the single threshold, as before, and logs no fairness field', async () => {
    const { rows: out, logged } = await serve(textVersion({ confidence: CONFIDENCE }), instances);
    out.forEach((r, i) => {
      const pa = served[i]!.pa;
      expect(r.label).toBe(pa >= 1 - pa ? 'a' : 'b');
      expect(r.decision).toBe(Math.max(pa, 1 - pa) >= CONFIDENCE ? 'auto' : 'review');
      expect(r.fairness).toBeUndefined();
    });
    expect(logged.every((l) => !('fairness' in l.outputs))).toBe(true);
  });

  it('batch scoring decides each row by the group column of the file, as serving does', async () => {
    const plan = mitigateThresholds(data(validation), validation.map((x) => x.region), { constraint: 'auto_share', baseThreshold: CONFIDENCE, attribute: 'region', tolerance: 0.02 });
    const dir = mkdtempSync(join(tmpdir(), 'mloop-mitigation-'));
    try {
      writeFileSync(join(dir, 'in.csv'), `text,region\n${served.map((x) => `${x.pa},${x.region ?? ''}`).join('\n')}\n`);
      await scoreFile(textVersion({ confidence: CONFIDENCE, groups: planToJson(plan) }), predictor, join(dir, 'in.csv'), join(dir, 'out.jsonl'));
      const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { decision: string });
      const expected = applyThresholdPlan(plan, data(served), groupsOf);
      expect(out.map((r) => r.decision)).toEqual(Array.from(expected.auto, (a) => (a ? 'auto' : 'review')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stored plan survives JSON (never-automatic thresholds as null), and a malformed one is refused', () => {
    const plan: ThresholdPlan = { ...mitigateThresholds(data(validation), validation.map((x) => x.region), { constraint: 'auto_share', baseThreshold: CONFIDENCE, attribute: 'region' }) };
    plan.thresholds = { ...plan.thresholds, south: Infinity };
    const back = planFromJson(JSON.parse(JSON.stringify(planToJson(plan))));
    expect(back).toEqual(plan);
    expect(planFromJson(undefined)).toBeNull();
    expect(() => planFromJson({ kind: 'automation', thresholds: 'x' })).toThrow(/not a threshold plan/);
  });
});
