import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import {
  softmaxInPlace,
  softmaxLogits,
  softmaxObjective,
  trainSoftmax,
  type SoftmaxModel,
  type SoftmaxOptions,
} from './softmax-regression.js';
import type { CsrMatrix } from './tfidf.js';

function dense(rows: number[][]): CsrMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const r of rows) {
    r.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return {
    rows: rows.length,
    cols: rows[0]!.length,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
}

/** Seeded synthetic sparse data: `k` classes, each with its own cluster of "words". */
function synthetic(n: number, k: number, d: number, seed: number): { X: CsrMatrix; y: Int32Array } {
  let s = seed;
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const rows: number[][] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    const r = new Array<number>(d).fill(0);
    for (let t = 0; t < 6; t++) r[rnd() < 0.6 ? (c * 7 + Math.floor(rnd() * 7)) % d : Math.floor(rnd() * d)]! += 1;
    const norm = Math.hypot(...r);
    rows.push(r.map((v) => v / norm));
  }
  return { X: dense(rows), y };
}

const FAST: Partial<SoftmaxOptions> = { workers: 0 };

describe('softmaxObjective', () => {
  it('has a gradient that matches central finite differences', () => {
    const { X, y } = synthetic(9, 3, 5, 3);
    const model: SoftmaxModel = {
      numFeatures: 5,
      numClasses: 3,
      weights: Float32Array.from({ length: 15 }, (_, i) => Math.sin(i + 1) * 0.7),
      bias: Float32Array.from([0.1, -0.2, 0.05]),
    };
    const C = 0.5;
    const { gradWeights, gradBias } = softmaxObjective(model, X, y, C);
    for (const j of [0, 4, 7, 11, 14]) {
      const w = model.weights[j]!;
      model.weights[j] = w + 1e-3;
      const hi = model.weights[j]!;
      const fHi = softmaxObjective(model, X, y, C).value;
      model.weights[j] = w - 1e-3;
      const lo = model.weights[j]!;
      const fLo = softmaxObjective(model, X, y, C).value;
      model.weights[j] = w;
      expect(gradWeights[j]).toBeCloseTo((fHi - fLo) / (hi - lo), 5);
    }
    for (const c of [0, 2]) {
      const b = model.bias[c]!;
      model.bias[c] = b + 1e-3;
      const hi = model.bias[c]!;
      const fHi = softmaxObjective(model, X, y, C).value;
      model.bias[c] = b - 1e-3;
      const lo = model.bias[c]!;
      const fLo = softmaxObjective(model, X, y, C).value;
      model.bias[c] = b;
      expect(gradBias[c]).toBeCloseTo((fHi - fLo) / (hi - lo), 5);
    }
  });
});

describe('trainSoftmax', () => {
  it("converges to scikit-learn's LogisticRegression(multinomial, lbfgs, C=1) solution", async () => {
    // scikit-learn 1.2.1: LogisticRegression(C=1.0, multi_class='multinomial', solver='lbfgs', tol=1e-12,
    // max_iter=100000).fit(X, y) on these L2-normalised rows; coef_ and predict_proba below.
    const raw = [[1,0,0,1],[1,1,0,0],[0.5,0,0,1],[1,0,0.5,0],[0,1,0,0],[0,1,1,0],[0.2,1,0,0.3],[0,0.5,0,1],[0,0,1,0],[0,0,1,1],[0.4,0,1,0],[0,0.3,1,0.2]]; // prettier-ignore
    const X = dense(raw.map((r) => r.map((v) => v / Math.hypot(...r))));
    const y = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    const coef = [[1.032484, -0.374717, -0.624735, 0.098891], [-0.608587, 0.957997, -0.412684, 0.011506], [-0.423897, -0.58328, 1.037419, -0.110397]]; // prettier-ignore
    const proba = [[0.650172, 0.180641, 0.169186], [0.495359, 0.375674, 0.128967], [0.560525, 0.234694, 0.20478], [0.580734, 0.138766, 0.2805], [0.190051, 0.679589, 0.13036], [0.161983, 0.45545, 0.382567], [0.258727, 0.612498, 0.128775], [0.31043, 0.491413, 0.198157], [0.151067, 0.176135, 0.672798], [0.227757, 0.234607, 0.537636], [0.254666, 0.15899, 0.586345], [0.158531, 0.261539, 0.57993]]; // prettier-ignore
    const fit = await trainSoftmax(X, y, 3, {
      C: 1, learningRate: 0.5, lrDecay: 0.05, batchSize: 1, maxEpochs: 3000, averageFrom: 1000, tol: 0, patience: 1e6, seed: 1, workers: 0,
    }); // prettier-ignore
    for (let f = 0; f < 4; f++) for (let c = 0; c < 3; c++) expect(fit.model.weights[f * 3 + c]).toBeCloseTo(coef[c]![f]!, 2);
    const p = softmaxInPlace(softmaxLogits(fit.model, X), 3);
    proba.flat().forEach((v, i) => expect(Math.abs(p[i]! - v)).toBeLessThan(2e-3));
  });

  it('is deterministic for a seed and identical with and without worker threads', async () => {
    const { X, y } = synthetic(600, 12, 90, 7);
    const opts = {
      C: 10,
      learningRate: 2,
      lrDecay: 0,
      batchSize: 16,
      maxEpochs: 4,
      averageFrom: 1,
      tol: 1e-4,
      patience: 3,
      seed: 5,
    };
    const a = await trainSoftmax(X, y, 12, { ...opts, workers: 0 });
    const b = await trainSoftmax(X, y, 12, { ...opts, workers: 2 });
    const c = await trainSoftmax(X, y, 12, { ...opts, workers: 0, seed: 6 });
    expect(b.workers).toBe(2);
    expect(b.model.weights).toEqual(a.model.weights);
    expect(b.model.bias).toEqual(a.model.bias);
    expect(b.losses).toEqual(a.losses);
    expect(c.model.weights).not.toEqual(a.model.weights);
    const z = softmaxLogits(a.model, X);
    let right = 0;
    for (let i = 0; i < X.rows; i++) {
      let best = 0;
      for (let k = 1; k < 12; k++) if (z[i * 12 + k]! > z[i * 12 + best]!) best = k;
      if (best === y[i]) right++;
    }
    expect(right / X.rows).toBeGreaterThan(0.9);
  });

  it('learns as well with active-set epochs (refreshEvery) and stays deterministic', async () => {
    const { X, y } = synthetic(600, 12, 90, 7);
    const opts = {
      C: 10,
      learningRate: 2,
      lrDecay: 0,
      batchSize: 16,
      maxEpochs: 6,
      averageFrom: 2,
      tol: 1e-4,
      patience: 3,
      seed: 5,
      refreshEvery: 2,
    };
    const a = await trainSoftmax(X, y, 12, { ...opts, workers: 0 });
    const b = await trainSoftmax(X, y, 12, { ...opts, workers: 1 });
    expect(b.model.weights).toEqual(a.model.weights);
    const z = softmaxLogits(a.model, X);
    let right = 0;
    for (let i = 0; i < X.rows; i++) {
      let best = 0;
      for (let k = 1; k < 12; k++) if (z[i * 12 + k]! > z[i * 12 + best]!) best = k;
      if (best === y[i]) right++;
    }
    expect(right / X.rows).toBeGreaterThan(0.9);
  });

  for (const workers of [0, 2]) {
    it(`stops with CANCELLED when cancelled (${workers} workers)`, async () => {
      const { X, y } = synthetic(300, 4, 40, 1);
      const controller = new AbortController();
      const epochs: number[] = [];
      const run = trainSoftmax(
        X,
        y,
        4,
        {
          C: 10,
          learningRate: 1,
          lrDecay: 0,
          batchSize: 8,
          maxEpochs: 500,
          averageFrom: 1000,
          tol: 0,
          patience: 1e6,
          seed: 1,
          workers,
        },
        {
          onProgress: (p) => {
            epochs.push(p.done);
            if (p.done === 2) controller.abort();
          },
          signal: controller.signal,
        },
      );
      await expect(run).rejects.toMatchObject({ name: 'MloopError', code: 'CANCELLED', message: 'training cancelled' });
      expect(Math.max(...epochs)).toBeLessThan(500);
    });
  }

  it('rejects bad arguments with INVALID_ARGUMENT', async () => {
    const { X, y } = synthetic(20, 2, 10, 1);
    const cases: [Int32Array, number, Partial<SoftmaxOptions>][] = [
      [y.subarray(1), 2, {}],
      [y, 1, {}],
      [Int32Array.from(y, () => 5), 2, {}],
      [y, 2, { C: -1 }],
      [y, 2, { batchSize: 0 }],
    ];
    for (const [labels, k, o] of cases) {
      const err = await trainSoftmax(X, labels, k, {
        C: 10,
        learningRate: 1,
        lrDecay: 0,
        batchSize: 4,
        maxEpochs: 2,
        averageFrom: 1,
        tol: 0,
        patience: 1,
        seed: 0,
        ...FAST,
        ...o,
      }).catch((e: unknown) => e);
      expect(isMloopError(err) && err.code === 'INVALID_ARGUMENT').toBe(true);
    }
  });
});
