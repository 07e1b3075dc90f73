import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { binTable, fitBinners } from './binning.js';
import { addTreeScores, boost, type BoosterParams } from './booster.js';
import { GbdtModel, trainGbdt, type GbdtOptions } from './gbdt.js';
import { binaryLogLoss } from './metrics.js';
import { isCancellation, type TrainingProgress } from './progress.js';
import { seededRandom } from './random.js';
import type { Table } from './table.js';

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (isMloopError(e) ? e.code : `other: ${String(e)}`),
  );

function accuracyOf(pred: readonly (string | number)[], truth: readonly (string | number)[]): number {
  let ok = 0;
  pred.forEach((p, i) => (ok += p === truth[i] ? 1 : 0));
  return ok / pred.length;
}

/** x1, x2 uniform in [-1, 1]; label 'pos' when they share a sign (XOR of signs). */
function xor(n: number, seed: number): Table & { y: string[] } {
  const r = seededRandom(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    x1[i] = r() * 2 - 1;
    x2[i] = r() * 2 - 1;
    y.push(x1[i]! * x2[i]! > 0 ? 'pos' : 'neg');
  }
  return { columns: { x1, x2, y }, y };
}

describe('trainGbdt: hand-checked single tree', () => {
  it('finds the split, gain and leaf values of a hand computation', async () => {
    // squared error, base = mean(y) = 2, gradients F - y = [1, 1, -1, -1], hessians 1, λ = 1
    // best split x ≤ 2.5: gain = 2²/(2+1) + 2²/(2+1) - 0²/(4+1) = 8/3; leaves -(2)/(2+1) = -2/3 and +2/3
    const m = await trainGbdt({ columns: { x: [1, 2, 3, 4], y: [1, 1, 3, 3] } }, 'y', {
      task: 'regression',
      maxRounds: 1,
      maxLeaves: 2,
      minSamplesLeaf: 1,
      lambda: 1,
      learningRate: 1,
      validationFraction: 0,
    });
    const t = m.toJSON().trees[0]!;
    expect(m.toJSON().baseScore).toEqual([2]);
    expect(t.feature[0]).toBe(0);
    expect(t.threshold[0]).toBe(2.5);
    expect(t.gain[0]).toBeCloseTo(8 / 3, 12);
    expect(t.value[t.left[0]!]).toBeCloseTo(-2 / 3, 12);
    expect(t.value[t.right[0]!]).toBeCloseTo(2 / 3, 12);
    expect(m.predict([{ x: 0 }, { x: 2.5 }, { x: 2.6 }])).toEqual([2 - 2 / 3, 2 - 2 / 3, 2 + 2 / 3]);
  });
});

describe('trainGbdt: learning', () => {
  it('learns XOR (an interaction no single split shows)', async () => {
    const train = xor(2000, 1);
    const test = xor(1000, 2);
    const m = await trainGbdt(train, 'y', { task: 'classification', seed: 1, maxRounds: 200 });
    expect(accuracyOf(m.predict(test), test.y)).toBeGreaterThan(0.95);
    expect(m.report.bestIteration).toBeGreaterThan(0);
  });

  it('fits a known regression function', async () => {
    const r = seededRandom(3);
    const make = (n: number): Table & { f: number[] } => {
      const a = new Float64Array(n);
      const b = new Float64Array(n);
      const y = new Float64Array(n);
      const f: number[] = [];
      for (let i = 0; i < n; i++) {
        a[i] = r() * 2 - 1;
        b[i] = r() * 2 - 1;
        f.push(Math.sin(3 * a[i]!) + b[i]! * b[i]!);
        y[i] = f[i]! + (r() - 0.5) * 0.1;
      }
      return { columns: { a, b, y }, f };
    };
    const train = make(3000);
    const test = make(1000);
    const m = await trainGbdt(train, 'y', { task: 'regression' });
    const pred = m.predict(test) as number[];
    const rmse = Math.sqrt(pred.reduce((s, p, i) => s + (p - test.f[i]!) ** 2, 0) / pred.length);
    expect(rmse).toBeLessThan(0.1);
  });

  it('separates three classes (softmax, one tree per class per round)', async () => {
    const r = seededRandom(4);
    const make = (n: number): Table & { y: string[] } => {
      const x = new Float64Array(n);
      const z = new Float64Array(n);
      const y: string[] = [];
      for (let i = 0; i < n; i++) {
        const k = i % 3;
        x[i] = k + (r() - 0.5) * 0.8;
        z[i] = r();
        y.push(['a', 'b', 'c'][k]!);
      }
      return { columns: { x, z, y }, y };
    };
    const test = make(600);
    const m = await trainGbdt(make(1500), 'y', { task: 'classification', maxRounds: 100 });
    expect(m.classes).toEqual(['a', 'b', 'c']);
    expect(m.nOutputs).toBe(3);
    expect(accuracyOf(m.predict(test), test.y)).toBeGreaterThan(0.97);
    const p = m.predictProba(test);
    p.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12));
  });

  it('stops when 20 rounds improve the validation loss by less than earlyStoppingTol', async () => {
    // Separable classes on 8 noisy copies of one signal: the loss keeps falling as margins grow.
    const r = seededRandom(5);
    const n = 900;
    const columns: Record<string, Float64Array | string[]> = { y: Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]!) };
    for (let f = 0; f < 8; f++) columns[`x${f}`] = Float64Array.from({ length: n }, (_, i) => (i % 3) + r() * 1.5);
    const opts: GbdtOptions = { task: 'classification', maxRounds: 400, minSamplesLeaf: 5 };
    const roundsAt = async (tol: number) => (await trainGbdt({ columns }, 'y', { ...opts, earlyStoppingTol: tol })).report;
    expect((await roundsAt(0)).roundsRun).toBe(400);
    // tol 1: any 20 rounds "improve too little", so it stops at the first check.
    expect((await roundsAt(1)).roundsRun).toBe(21);
    const mid = await roundsAt(0.1);
    expect(mid.roundsRun).toBeGreaterThan(21);
    expect(mid.roundsRun).toBeLessThan(400);
    const best = (upTo: number) => Math.min(...mid.validLoss.slice(0, upTo + 1));
    const last = mid.roundsRun - 1;
    expect(best(last)).toBeGreaterThan(best(last - 20) * 0.9);
    expect(best(last - 1)).toBeLessThanOrEqual(best(last - 21) * 0.9);
  });

  it('temperature-scales three or more classes by folding 1/T into the trees', async () => {
    // Three overlapping classes with 25% label noise: deep trees on few rows are overconfident.
    const r = seededRandom(9);
    const make = (n: number): Table & { y: string[] } => {
      const x = new Float64Array(n);
      const z = new Float64Array(n);
      const y: string[] = [];
      for (let i = 0; i < n; i++) {
        const k = i % 3;
        x[i] = k + (r() - 0.5) * 2.5;
        z[i] = r();
        y.push(['a', 'b', 'c'][r() < 0.25 ? Math.floor(r() * 3) : k]!);
      }
      return { columns: { x, z, y }, y };
    };
    const train = make(1500);
    const test = make(3000);
    const opts: GbdtOptions = { task: 'classification', learningRate: 0.5, maxLeaves: 63, minSamplesLeaf: 2, validationFraction: 0.3, earlyStoppingRounds: 30 };
    const raw = await trainGbdt(train, 'y', { ...opts, calibration: 'none' });
    const auto = await trainGbdt(train, 'y', opts);
    const cal = auto.report.calibration;
    expect(cal.method).toBe('temperature');
    expect(cal.cvLogLoss['temperature']!).toBeLessThan(cal.cvLogLoss['none']!);
    const T = cal.temperature!;
    expect(T).toBeGreaterThan(1);
    // Same trees, scores divided by T: probabilities equal softmax(raw / T) computed here.
    const sRaw = raw.predictRaw(test);
    const pAuto = auto.predictProba(test);
    for (let i = 0; i < 50; i++) {
      const e = [0, 1, 2].map((k) => Math.exp(sRaw[i * 3 + k]! / T));
      const sum = e[0]! + e[1]! + e[2]!;
      for (let k = 0; k < 3; k++) expect(pAuto[i]![k]).toBeCloseTo(e[k]! / sum, 12);
    }
    expect(auto.predict(test)).toEqual(raw.predict(test));
    // Held-out log loss improves.
    const nll = (p: Float64Array[]) => -p.reduce((a, row, i) => a + Math.log(row[['a', 'b', 'c'].indexOf(test.y[i]!)]!), 0) / p.length;
    expect(nll(pAuto)).toBeLessThan(nll(raw.predictProba(test)) - 0.01);
    // It survives a JSON round trip (the format is unchanged).
    expect(GbdtModel.fromJSON(JSON.parse(JSON.stringify(auto.toJSON()))).predictProba(test)).toEqual(pAuto);
    // Two-class methods on three classes are refused with a warning, not applied.
    const platt = await trainGbdt(train, 'y', { ...opts, calibration: 'platt' });
    expect(platt.report.calibration.method).toBe('none');
    expect(platt.report.warnings.map((w) => w.message)).toContain('platt calibration applies to two classes (use temperature); none applied');
  });

  it('partitions a high-cardinality categorical better than one-hot columns', async () => {
    // 60 categories with a random effect each; label = effect + noise > 0
    const K = 60;
    const r = seededRandom(5);
    const effect = Array.from({ length: K }, () => r() * 2 - 1);
    const make = (n: number): { cat: Table; onehot: Table; y: number[] } => {
      const c: string[] = [];
      const y: string[] = [];
      const yn: number[] = [];
      const oh: Record<string, Float64Array> = {};
      for (let k = 0; k < K; k++) oh[`c${k}`] = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const k = Math.floor(r() * K);
        c.push(`c${k}`);
        oh[`c${k}`]![i] = 1;
        const v = effect[k]! + (r() - 0.5) * 0.5 > 0 ? 1 : 0;
        y.push(String(v));
        yn.push(v);
      }
      return { cat: { columns: { c, y } }, onehot: { columns: { ...oh, y } }, y: yn };
    };
    const train = make(3000);
    const test = make(2000);
    const opts: GbdtOptions = { task: 'classification', maxRounds: 10, maxLeaves: 4, validationFraction: 0, calibration: 'none' };
    const cat = await trainGbdt(train.cat, 'y', opts);
    const oh = await trainGbdt(train.onehot, 'y', opts);
    const lossCat = binaryLogLoss(cat.predictProba(test.cat).map((p) => p[1]!), test.y);
    const lossOh = binaryLogLoss(oh.predictProba(test.onehot).map((p) => p[1]!), test.y);
    expect(lossCat).toBeLessThan(lossOh - 0.05);
  });

  it('learns where missing values go when missingness is predictive', async () => {
    // y = 1 when x is missing or x > 0.7; missing rows are all positives, so they must join the x > 0.7 side
    const r = seededRandom(6);
    const make = (n: number): Table & { y: string[] } => {
      const x = new Float64Array(n);
      const y: string[] = [];
      for (let i = 0; i < n; i++) {
        const miss = r() < 0.2;
        x[i] = miss ? NaN : r();
        y.push(miss || x[i]! > 0.7 ? '1' : '0');
      }
      return { columns: { x, y }, y };
    };
    const m = await trainGbdt(make(2000), 'y', { task: 'classification', maxRounds: 30, validationFraction: 0, calibration: 'none' });
    const t = m.toJSON().trees[0]!;
    expect(t.threshold[0]).toBeCloseTo(0.7, 1);
    expect(t.missingLeft[0]).toBe(0);
    const p = m.predictProba([{ x: NaN }, { x: null }, { x: 0.2 }, { x: 0.9 }]).map((q) => q[1]!);
    expect(p[0]).toBeGreaterThan(0.9);
    expect(p[1]).toBe(p[0]);
    expect(p[2]).toBeLessThan(0.1);
    expect(p[3]).toBeGreaterThan(0.9);
  });

  it('routes categorical missing and unseen labels by their own bins', async () => {
    const c: (string | null)[] = [];
    const y: string[] = [];
    for (let i = 0; i < 400; i++) {
      const k = i % 4;
      c.push(k === 3 ? null : ['u', 'v', 'w'][k]!);
      y.push(k === 0 || k === 3 ? '1' : '0');
    }
    const m = await trainGbdt({ columns: { c, y } }, 'y', { task: 'classification', maxRounds: 20, validationFraction: 0 });
    const p = m.predictProba([{ c: 'u' }, { c: null }, { c: 'v' }, { c: 'never-seen' }]).map((q) => q[1]!);
    expect(p[0]).toBeGreaterThan(0.8);
    expect(p[1]).toBeGreaterThan(0.8);
    expect(p[2]).toBeLessThan(0.2);
    expect(Number.isFinite(p[3])).toBe(true);
  });
});

describe('boost: binary gradients from kept e^−F', () => {
  it('ends with training scores whose log loss matches an exact recomputation, with and without row sampling', async () => {
    // separable rows and a large learning rate push raw scores far out, where e^−F under- or overflows
    const n = 400;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1));
    const table: Table = { columns: { x } };
    const { binners } = fitBinners(table, [{ name: 'x', kind: 'numeric' }], Uint32Array.from({ length: n }, (_, i) => i));
    const data = binTable(table, binners);
    const layout = { nFeatures: 1, nBins: Int32Array.of(binners[0]!.nBins), isCat: Uint8Array.of(0) };
    for (const subsample of [1, 0.6]) {
      const p: BoosterParams = {
        learningRate: 3, maxRounds: 100, maxLeaves: 4, maxDepth: 0, minSamplesLeaf: 5, minChildWeight: 0, lambda: 0, minSplitGain: 0,
        subsample, colsample: 1, earlyStoppingRounds: 100, earlyStoppingTol: 0, catSmooth: 10, catL2: 10, maxCatThreshold: 32, minDataPerGroup: 20, maxCatToOnehot: 4, seed: 3,
      };
      const losses: number[] = [];
      const r = await boost('binary', 2, layout, data, y, undefined, p, { wantTrainLoss: true, afterRound: (info) => void losses.push(info.trainLoss!) });
      const scores = new Float64Array(n).fill(r.baseScore[0]!);
      for (const t of r.trees) addTreeScores(t, data, scores, 1, 0);
      const probs = Array.from(scores, (s) => 1 / (1 + Math.exp(-s)));
      expect(r.trees.every((t) => t.value.every(Number.isFinite))).toBe(true);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]!).toBeLessThan(1e-3);
      expect(binaryLogLoss(probs, y)).toBeLessThan(1e-3);
    }
  });
});

describe('trainGbdt: determinism, threads, serialisation', () => {
  const data = xor(1500, 7);
  const opts: GbdtOptions = { task: 'classification', subsample: 0.7, colsample: 0.5, seed: 11, maxRounds: 40 };

  it('gives identical models for the same seed and different ones for another seed', async () => {
    const a = (await trainGbdt(data, 'y', opts)).toJSON();
    const b = (await trainGbdt(data, 'y', opts)).toJSON();
    const c = (await trainGbdt(data, 'y', { ...opts, seed: 12 })).toJSON();
    a.report.seconds = b.report.seconds = c.report.seconds = 0;
    expect(b).toEqual(a);
    expect(c.trees).not.toEqual(a.trees);
  });

  it('round-trips through JSON with identical predictions', async () => {
    const table: Table = {
      columns: {
        x1: data.columns['x1']!,
        x2: Array.from(data.columns['x2']!, (v, i) => (i % 10 === 0 ? null : v)),
        c: Array.from({ length: 1500 }, (_, i) => (i % 7 === 0 ? null : `k${i % 5}`)),
        y: data.y,
      },
    };
    const m = await trainGbdt(table, 'y', { task: 'classification' });
    const text = JSON.stringify(m.toJSON());
    const back = GbdtModel.fromJSON(JSON.parse(text));
    const rows = [{ x1: 0.3, x2: -0.2, c: 'k1' }, { x1: NaN, x2: null, c: null }, { x1: Infinity, x2: -Infinity, c: 'new' }];
    expect(Array.from(back.predictRaw(rows))).toEqual(Array.from(m.predictRaw(rows)));
    expect(back.predictProba(table)).toEqual(m.predictProba(table));
    expect(text).not.toMatch(/function|=>/);
  });

  const workerUrl = new URL('../../../dist/training/tabular/hist-worker.js', import.meta.url);
  it.skipIf(!existsSync(fileURLToPath(workerUrl)))('builds identical trees with the histogram worker (needs npm run build)', async () => {
    const table: Table = { columns: { x1: data.columns['x1']!, x2: data.columns['x2']!, x3: data.columns['x1']!, y: data.y } };
    const features = [
      { name: 'x1', kind: 'numeric' as const },
      { name: 'x2', kind: 'numeric' as const },
      { name: 'x3', kind: 'numeric' as const },
    ];
    const rows = Uint32Array.from({ length: 1500 }, (_, i) => i);
    const { binners } = fitBinners(table, features, rows);
    const bins = binTable(table, binners);
    const layout = { nFeatures: 3, nBins: Int32Array.from(binners, (b) => b.nBins), isCat: new Uint8Array(3) };
    const y = Float64Array.from(data.y, (v) => (v === 'pos' ? 1 : 0));
    const p: BoosterParams = {
      learningRate: 0.1, maxRounds: 10, maxLeaves: 15, maxDepth: 0, minSamplesLeaf: 5, minChildWeight: 1e-3, lambda: 1, minSplitGain: 0,
      subsample: 1, colsample: 1, earlyStoppingRounds: 5, earlyStoppingTol: 0, catSmooth: 10, catL2: 10, maxCatThreshold: 32, minDataPerGroup: 20, maxCatToOnehot: 4, seed: 0,
    };
    const hooks = { wantTrainLoss: false, afterRound: () => undefined };
    const one = await boost('binary', 2, layout, bins, y, undefined, p, hooks, { threads: 1 });
    const two = await boost('binary', 2, layout, bins, y, undefined, p, hooks, { threads: 2, workerUrl, minRowsForWorker: 1 });
    expect(two.trees).toEqual(one.trees);
  });

  it('returns validation scores equal bit for bit to re-scoring the kept trees, stopped before the last round', async () => {
    const r = seededRandom(3);
    const n = 900;
    const x = Float64Array.from({ length: n }, () => r());
    // noisy 3-class labels, so that the validation loss turns up and early stopping keeps fewer rounds than it grew
    const cls = Array.from(x, (v) => (r() < 0.35 ? Math.floor(r() * 3) : v < 0.33 ? 0 : v < 0.66 ? 1 : 2));
    const table: Table = { columns: { x, z: Float64Array.from({ length: n }, () => r()), y: cls.map(String) } };
    const features = [{ name: 'x', kind: 'numeric' as const }, { name: 'z', kind: 'numeric' as const }];
    const trainRows = Uint32Array.from({ length: 600 }, (_, i) => i);
    const validRows = Uint32Array.from({ length: 300 }, (_, i) => 600 + i);
    const { binners } = fitBinners(table, features, trainRows);
    const layout = { nFeatures: 2, nBins: Int32Array.from(binners, (b) => b.nBins), isCat: new Uint8Array(2) };
    const y = Float64Array.from(cls);
    const p: BoosterParams = {
      learningRate: 0.3, maxRounds: 200, maxLeaves: 31, maxDepth: 0, minSamplesLeaf: 2, minChildWeight: 1e-3, lambda: 0, minSplitGain: 0,
      subsample: 1, colsample: 1, earlyStoppingRounds: 5, earlyStoppingTol: 0, catSmooth: 10, catL2: 10, maxCatThreshold: 32, minDataPerGroup: 20, maxCatToOnehot: 4, seed: 0,
    };
    const valid = { data: binTable(table, binners, validRows), y: y.slice(600) };
    const res = await boost('multiclass', 3, layout, binTable(table, binners, trainRows), y.slice(0, 600), valid, p, { wantTrainLoss: false, afterRound: () => undefined });
    expect(res.validLoss.length).toBeGreaterThan(res.rounds);
    const want = new Float64Array(300 * 3);
    for (let i = 0; i < 300; i++) for (let k = 0; k < 3; k++) want[i * 3 + k] = res.baseScore[k]!;
    res.trees.forEach((t, j) => addTreeScores(t, valid.data, want, 3, j % 3));
    expect(Array.from(res.validScores!)).toEqual(Array.from(want));
  });
});

describe('trainGbdt: progress and cancellation', () => {
  const data = xor(1000, 8);

  it('reports progress with increasing iterations', async () => {
    const seen: TrainingProgress[] = [];
    await trainGbdt(data, 'y', { task: 'classification', maxRounds: 15 }, { onProgress: (p) => seen.push(p) });
    const its = seen.filter((p) => p.stage === 'training').map((p) => p.iteration);
    expect(its.length).toBeGreaterThan(3);
    expect(its).toEqual([...its].sort((a, b) => a - b));
    expect(seen.at(-1)!.stage).toBe('done');
    expect(seen.find((p) => p.stage === 'training')!.validLoss).toBeGreaterThan(0);
  });

  it('stops when the signal aborts', async () => {
    const ac = new AbortController();
    let rounds = 0;
    const run = trainGbdt(data, 'y', { task: 'classification', maxRounds: 1000, earlyStoppingRounds: 1000 }, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage === 'training' && ++rounds === 3) ac.abort();
      },
    });
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect(isCancellation(err)).toBe(true);
    expect(rounds).toBeLessThan(10);
    const pre = new AbortController();
    pre.abort();
    expect(await codeOf(trainGbdt(data, 'y', { task: 'classification' }, { signal: pre.signal }))).toBe('CANCELLED');
  });
});

describe('trainGbdt: bad input', () => {
  const x = Float64Array.from({ length: 100 }, (_, i) => i);
  const y = Array.from({ length: 100 }, (_, i) => (i < 50 ? 'a' : 'b'));

  it('raises INVALID_ARGUMENT naming the problem', async () => {
    const cases: [Table, string, GbdtOptions, RegExp][] = [
      [{ columns: { x, y } }, 'nope', { task: 'classification' }, /unknown target column 'nope'/],
      [{ columns: { x, y } }, 'y', { task: 'classification', features: [{ name: 'z', kind: 'numeric' }] }, /unknown feature column 'z'/],
      [{ columns: { x, y: y.map(() => 'a') } }, 'y', { task: 'classification' }, /one class/],
      [{ columns: { x, y: Array.from(x, (v) => (v === 3 ? NaN : v)) } }, 'y', { task: 'regression' }, /missing or infinite/],
      [{ columns: { x: x.subarray(0, 10), y: y.slice(45, 55) } }, 'y', { task: 'classification' }, /too few rows to split/],
      [{ columns: { x, y } }, 'y', { task: 'classification', learningRate: -1 }, /^invalid GBDT options: learningRate must be a number in \(0, 10\], got -1$/],
      [{ columns: { x, y } }, 'y', { task: 'classification', maxLeaves: 1.5, subsample: 0 }, /^invalid GBDT options: maxLeaves must be an integer in \[2, 65536\], got 1\.5; subsample must be a number in \(0, 1\], got 0$/],
      [{ columns: { x, y } }, 'y', { task: 'clustering' as 'regression' }, /unknown task/],
      [{ columns: { x: Array.from(x, () => NaN), y } }, 'y', { task: 'classification' }, /no usable features/],
      [{ columns: { x: Array.from(x, String), y } }, 'y', { task: 'classification', features: [{ name: 'x', kind: 'numeric' }] }, /holds the string/],
      [{ columns: { x, y: y.slice(1) } }, 'y', { task: 'classification' }, /has 99 rows/],
    ];
    for (const [table, target, opts, re] of cases) {
      const err = await trainGbdt(table, target, opts).then(() => undefined, (e: unknown) => e);
      expect(isMloopError(err), String(re)).toBe(true);
      expect((err as Error).message).toMatch(re);
      expect((err as { code: string }).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('drops an all-missing feature with a warning', async () => {
    const m = await trainGbdt({ columns: { x, empty: Array.from(x, () => null), y } }, 'y', {
      task: 'classification',
      features: [{ name: 'x', kind: 'numeric' }, { name: 'empty', kind: 'categorical' }],
    });
    expect(m.features.map((f) => f.name)).toEqual(['x']);
    expect(m.report.warnings.map((w) => w.code)).toContain('all_missing');
  });

  it('rejects malformed JSON models', () => {
    expect(() => GbdtModel.fromJSON(null)).toThrow(/not a GBDT model/);
    expect(() => GbdtModel.fromJSON({ format: 'mloop.gbdt', version: 2 })).toThrow(/version/);
    const bad = {
      format: 'mloop.gbdt', version: 1, features: [{ name: 'x', kind: 'numeric' }], baseScore: [0],
      trees: [{ output: 0, feature: [5, -1, -1], threshold: [0, 0, 0], missingLeft: [0, 0, 0], catBitset: [null, null, null], left: [1, -1, -1], right: [2, -1, -1], value: [0, 1, 2] }],
    };
    expect(() => GbdtModel.fromJSON(bad)).toThrow(/uses feature 5/);
  });

  it('refuses predictProba on a regression model', async () => {
    const m = await trainGbdt({ columns: { x, y: x } }, 'y', { task: 'regression', maxRounds: 3 });
    expect(() => m.predictProba([{ x: 1 }])).toThrow(/regression/);
  });
});

describe('trainGbdt: refit on all rows', () => {
  it('retrains on every row for the scaled number of rounds', async () => {
    const data = xor(1000, 9);
    const m = await trainGbdt(data, 'y', { task: 'classification', refitOnAllRows: true, maxRounds: 60 });
    expect(m.report.refitOnAllRows).toBe(true);
    expect(m.report.rounds).toBe(Math.round((m.report.bestIteration + 1) / 0.9));
    expect(m.toJSON().trees).toHaveLength(m.report.rounds);
    expect(accuracyOf(m.predict(xor(500, 10)), xor(500, 10).y)).toBeGreaterThan(0.9);
  });
});
