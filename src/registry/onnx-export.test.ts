import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../stats/index.js';
import { getLearner, type ColumnBatch, type InputSpec, type Predictor } from '../training/index.js';
import type { GbdtModelJson, LinearModelJson } from '../training/index.js';
import { gbdtToOnnx, linearToOnnx } from './index.js';
import type { Task } from './index.js';

const INPUTS: InputSpec[] = [
  { name: 'x1', kind: 'numeric' },
  { name: 'x2', kind: 'numeric' },
  { name: 'plan', kind: 'categorical' },
];
const PLANS = ['basic', 'plus', 'pro', 'team', 'edu', 'trial', 'legacy'];
const EFFECT: Record<string, number> = { basic: -1, plus: 0.5, pro: 1.5, team: -0.5, edu: 2, trial: -2, legacy: 0 };

/** Rows with missing values, rare plans, and (held-out only) ±∞ and unseen plans. */
function rows(n: number, seed: number, heldOut: boolean): { batch: ColumnBatch; score: Float64Array; n: number } {
  const r = mulberry32(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const plan: Array<string | null> = [];
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = r() < 0.1 ? NaN : r() * 4 - 2;
    x2[i] = r() < 0.05 ? NaN : 100 + r() * 50;
    const u = r();
    plan.push(u < 0.08 ? null : PLANS[Math.floor(r() * PLANS.length)]!);
    if (heldOut && i % 17 === 0) x1[i] = i % 34 === 0 ? Infinity : -Infinity;
    if (heldOut && i % 23 === 0) plan[i] = 'never-seen';
    const p = plan[i] ?? null;
    score[i] = (Number.isNaN(x1[i]!) ? 0.3 : Math.max(-2, Math.min(2, x1[i]!))) * 1.2 + (Number.isNaN(x2[i]!) ? 0 : (x2[i]! - 125) / 25) + (p === null ? 0.7 : (EFFECT[p] ?? 0)) + (r() - 0.5) * 1.5;
  }
  return { batch: { x1, x2, plan }, score, n };
}

function labels(score: Float64Array, task: 'binary' | 'multiclass' | 'regression'): string[] | Float64Array {
  if (task === 'regression') return Float64Array.from(score, (s) => 3 * s + 10);
  if (task === 'binary') return Array.from(score, (s) => (s > 0 ? 'churn' : 'stay'));
  return Array.from(score, (s) => (s < -1 ? 'low' : s < 1 ? 'mid' : 'high'));
}

async function train(learner: 'gbdt' | 'linear', kind: 'binary' | 'multiclass' | 'regression', params: Record<string, unknown>): Promise<{ predictor: Predictor; json: unknown }> {
  const task: Task = kind === 'regression' ? 'regression' : 'tabular-classification';
  const data = rows(700, 1, false);
  const predictor = await getLearner(learner, task).train({ task, inputs: INPUTS, label: 'y', train: { batch: data.batch, labels: labels(data.score, kind), n: data.n }, params, seed: 7 }, {});
  const file = predictor.toFiles()[0]!;
  return { predictor, json: JSON.parse(String(file.data)) };
}

/** Feeds for the exported graph: one [N, 1] tensor per feature; missing → NaN or "". */
function feeds(batch: ColumnBatch, n: number, inputs: Array<{ name: string; type: string }>): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const col = batch[input.name]!;
    out[input.name] =
      input.type === 'double'
        ? new ort.Tensor('float64', Float64Array.from(col as Float64Array), [n, 1])
        : new ort.Tensor('string', Array.from(col as Array<string | null>, (v) => v ?? ''), [n, 1]);
  }
  return out;
}

async function runOnnx(bytes: Uint8Array, batch: ColumnBatch, n: number, inputs: Array<{ name: string; type: string }>) {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run(feeds(batch, n, inputs));
  await session.release();
  return result;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const cases = [
  { learner: 'gbdt', kind: 'binary', params: { maxRounds: 60, minSamplesLeaf: 5, calibration: 'platt' } },
  { learner: 'gbdt', kind: 'binary', params: { maxRounds: 60, minSamplesLeaf: 5, calibration: 'isotonic', validationFraction: 0.3 } },
  { learner: 'gbdt', kind: 'binary', params: { maxRounds: 40, minSamplesLeaf: 5, calibration: 'none' } },
  { learner: 'gbdt', kind: 'multiclass', params: { maxRounds: 40, minSamplesLeaf: 5 } },
  { learner: 'gbdt', kind: 'regression', params: { maxRounds: 60, minSamplesLeaf: 5 } },
  { learner: 'linear', kind: 'binary', params: {} },
  { learner: 'linear', kind: 'binary', params: { validationFraction: 0.3, calibration: 'isotonic' } },
  { learner: 'linear', kind: 'multiclass', params: { l2: 0.5 } },
  { learner: 'linear', kind: 'regression', params: {} },
] as const;

describe('ONNX export: onnxruntime reproduces mloop on held-out rows', () => {
  for (const c of cases) {
    it(`${c.learner} ${c.kind} ${JSON.stringify(c.params)}`, async () => {
      const { predictor, json } = await train(c.learner, c.kind, c.params);
      const { bytes, info } = c.learner === 'gbdt' ? gbdtToOnnx(json as GbdtModelJson, { ref: 'test@1' }) : linearToOnnx(json as LinearModelJson);
      if (c.learner === 'gbdt' && c.kind === 'binary') expect((json as GbdtModelJson).calibrator.method).toBe(c.params.calibration);
      if (c.learner === 'gbdt') {
        const trees = (json as GbdtModelJson).trees;
        expect(trees.some((t) => t.catBitset.some((b) => b !== null)), 'the model uses category splits').toBe(true);
        expect(trees.some((t) => t.missingLeft.some((m, i) => m === 1 && t.feature[i]! >= 0)), 'some split sends missing values left').toBe(true);
      }
      const held = rows(400, 99, true);
      const result = await runOnnx(bytes, held.batch, held.n, info.inputs);
      if (c.kind === 'regression') {
        const mine = predictor.predictValues(held.batch, held.n);
        const theirs = result['value']!.data as Float64Array;
        // the linear regressor computes in float32 (as ai.onnx.ml defines it): relative 1e-5
        const scale = c.learner === 'linear' ? Math.max(...Array.from(mine, Math.abs)) : 1;
        expect(maxAbsDiff(mine, theirs) / scale).toBeLessThan(1e-5);
        return;
      }
      const mine = predictor.predictProba(held.batch, held.n);
      const theirs = result['probabilities']!.data as Float64Array;
      expect(result['probabilities']!.dims).toEqual([held.n, predictor.classes!.length]);
      expect(maxAbsDiff(mine, theirs)).toBeLessThan(1e-5);
      const K = predictor.classes!.length;
      const label = result['label']!.data as string[];
      for (let i = 0; i < held.n; i++) {
        const row = Array.from(mine.subarray(i * K, i * K + K));
        const sorted = [...row].sort((a, b) => b - a);
        if (sorted[0]! - sorted[1]! > 1e-6) expect(label[i]).toBe(predictor.classes![row.indexOf(sorted[0]!)]);
      }
    });
  }

  it('keeps single-leaf trees and splits that send only missing values one way', async () => {
    const json: GbdtModelJson = {
      format: 'mloop.gbdt',
      version: 1,
      task: 'regression',
      objective: 'regression',
      classes: null,
      features: [
        { name: 'x', kind: 'numeric' },
        { name: 'c', kind: 'categorical', categories: ['a', 'b'] },
      ],
      baseScore: [1],
      trees: [
        // leaf only
        { output: 0, feature: [-1], threshold: [0], missingLeft: [0], catBitset: [null], left: [-1], right: [-1], value: [10], count: [1], gain: [0] },
        // x ≤ MAX_VALUE (missing right): present → 100, missing → 200
        { output: 0, feature: [0, -1, -1], threshold: [Number.MAX_VALUE, 0, 0], missingLeft: [0, 0, 0], catBitset: [null, null, null], left: [1, -1, -1], right: [2, -1, -1], value: [0, 100, 200], count: [3, 1, 1], gain: [1, 0, 0] },
        // c: only missing (bit 0) left → 1000; bits 1 (other) and 3 ('b') in the next tree
        { output: 0, feature: [1, -1, -1], threshold: [0, 0, 0], missingLeft: [0, 0, 0], catBitset: [[1, 0, 0, 0, 0, 0, 0, 0], null, null], left: [1, -1, -1], right: [2, -1, -1], value: [0, 1000, 0], count: [3, 1, 1], gain: [1, 0, 0] },
        { output: 0, feature: [1, -1, -1], threshold: [0, 0, 0], missingLeft: [0, 0, 0], catBitset: [[0b1010, 0, 0, 0, 0, 0, 0, 0], null, null], left: [1, -1, -1], right: [2, -1, -1], value: [0, 10000, 0], count: [3, 1, 1], gain: [1, 0, 0] },
      ],
      calibrator: { method: 'none' },
      report: {} as GbdtModelJson['report'],
    };
    const { bytes, info } = gbdtToOnnx(json);
    const batch = { x: Float64Array.of(0, Infinity, NaN, -Infinity), c: [null, 'a', 'b', 'zz'] };
    const r = await runOnnx(bytes, batch, 4, info.inputs);
    // row 0: 1 + 10 + 100 + 1000; row 1: +100 (∞ counts as present), 'a' → bit 2 unset; row 2: missing x → 200, 'b' → 10000; row 3: unseen → other (bit 1)
    expect(Array.from(r['value']!.data as Float64Array)).toEqual([1111, 111, 10211, 10111]);
  });
});
