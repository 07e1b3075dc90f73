import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MloopError } from '../../errors/index.js';
import { jensenShannonDistance, psiFromCounts, wassersteinSorted } from '../stats/divergence.js';
import { ks2samp } from '../stats/ks-2samp.js';
import { normal, seededRandom } from '../stats/random.js';
import { expectClose } from '../stats/test-support/close.js';
import { calibrateAlarms, calibrateAlarmsAsync, calibratedPValue, evaluateAlarms } from './alarms.js';
import { CategoricalWindow, profileCategorical } from './categorical-summary.js';
import { computeDrift, DriftWindow, profileDataset } from './dataset-drift.js';
import { DEFAULT_DRIFT_TEST, DRIFT_TEST_IDS, DRIFT_TESTS, getDriftTest, runDriftTest } from './drift-tests.js';
import { NumericWindow, profileNumeric } from './numeric-summary.js';
import { profileText, TextWindow } from './text-summary.js';
import { countLoopTurns } from '../test-support/loop-turns.js';

const ks = (ref: number[], cur: number[]) =>
  runDriftTest({ test: 'drift:ks' }, profileNumeric(ref), new NumericWindow(profileNumeric(ref)).addAll(cur).summary);

describe('registry', () => {
  it('registers every id exactly once, frozen', () => {
    expect(Object.keys(DRIFT_TESTS).sort()).toEqual([...DRIFT_TEST_IDS].sort());
    for (const id of DRIFT_TEST_IDS) expect(DRIFT_TESTS[id].id).toBe(id);
    expect(Object.isFrozen(DRIFT_TESTS)).toBe(true);
  });
  it('every test used by the defaults is registered and applies to its kind', () => {
    for (const [kind, id] of Object.entries(DEFAULT_DRIFT_TEST)) {
      expect(DRIFT_TEST_IDS).toContain(id);
      expect(getDriftTest(id).kinds).toContain(kind);
    }
  });
  it("an unknown id's error lists the valid ones", () => {
    let err: unknown;
    try {
      getDriftTest('drift:kss');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MloopError);
    expect((err as MloopError).code).toBe('NOT_FOUND');
    for (const id of DRIFT_TEST_IDS) expect((err as MloopError).message).toContain(id);
  });
  it('refuses a test on the wrong kind and empty samples', () => {
    const p = profileNumeric([1, 2, 3]);
    expect(() => runDriftTest({ test: 'drift:text-oov' }, p, new NumericWindow(p).summary)).toThrow(MloopError);
    expect(() => runDriftTest({ test: 'drift:ks' }, p, new NumericWindow(p).summary)).toThrow(/non-missing/);
    expect(() => profileDataset({ a: [1] }, [{ name: 'a', kind: 'numeric', tests: [{ test: 'drift:chi2' }, { test: 'drift:text-oov' }] }])).toThrow(
      /does not apply/,
    );
  });
});

describe('streaming summaries reproduce the raw-sample statistics', () => {
  const rng = seededRandom(3);
  const ref = Array.from({ length: 2000 }, () => Math.round(normal(rng) * 10) / 10);
  const cur = Array.from({ length: 1500 }, () => normal(rng) * 1.1 + 0.1);

  it('KS from cells equals ks2samp on raw samples (statistic, p, location, sign)', () => {
    const r = ks(ref, cur);
    const raw = ks2samp(ref, cur);
    expect(r.statistic).toBe(raw.statistic);
    expect(r.p_value).toBe(raw.pvalue);
    expect(r.details.statistic_location).toBe(raw.statisticLocation);
    expect(r.details.statistic_sign).toBe(raw.statisticSign);
    expect(r.exact).toBe(true);
  });
  it('sketch mode reports a lower bound and a certified upper bound around the exact D', () => {
    const p = profileNumeric(cur, { maxExactValues: 100, sketchSize: 64 });
    expect(p.exact).toBe(false);
    const r = runDriftTest({ test: 'drift:ks' }, p, new NumericWindow(p).addAll(ref).summary);
    const exact = ks2samp(cur, ref).statistic;
    expect(r.exact).toBe(false);
    expect(r.statistic).toBeLessThanOrEqual(exact + 1e-15);
    expect(r.details.statistic_upper_bound as number).toBeGreaterThanOrEqual(exact - 1e-15);
    expect((r.details.statistic_upper_bound as number) - r.statistic).toBeLessThan(0.05);
  });
  it('Wasserstein from cells equals the sorted-sample distance when the window holds reference values', () => {
    const curFromRef = ref.slice(0, 700).map((v) => v + 0.2).map((v) => Math.round(v * 10) / 10);
    const p = profileNumeric(ref);
    const r = runDriftTest({ test: 'drift:wasserstein' }, p, new NumericWindow(p).addAll(curFromRef).summary);
    const want = wassersteinSorted(Float64Array.from(ref).sort(), Float64Array.from(curFromRef).sort()) / p.std;
    expectClose(r.statistic, want, 1e-9);
  });
  it('window memory does not grow with rows', () => {
    const p = profileNumeric(ref);
    const w = new NumericWindow(p);
    const size = () => w.summary.atCounts.length + w.summary.openCounts.length + w.summary.binCounts.length;
    const before = size();
    for (let i = 0; i < 100_000; i++) w.add(normal(rng));
    expect(size()).toBe(before);
    expect(w.summary.n).toBe(100_000);
  });
  it('missing values are counted, not tested', () => {
    const p = profileNumeric([1, 2, null, Number.NaN, 3]);
    expect(p.missing).toBe(2);
    const w = new NumericWindow(p).addAll([1, undefined, 2]);
    expect(w.summary.missing).toBe(1);
  });
});

describe('categorical and text tests', () => {
  it('chi2 / PSI / JS on category counts (scipy.stats.chi2_contingency([[3,1,0],[1,2,2]]): 3.2625, p 0.1956848151654713)', () => {
    const p = profileCategorical(['a', 'a', 'a', 'b']);
    const w = new CategoricalWindow().addAll(['a', 'b', 'b', 'c', 'c']);
    const chi = runDriftTest({ test: 'drift:chi2' }, p, w.summary);
    expectClose(chi.statistic, 3.2625, 1e-12);
    expectClose(chi.p_value as number, 0.1956848151654713, 1e-10);
    expect(chi.details.categories).toEqual(['a', 'b', 'c']);
    const psi = runDriftTest({ test: 'drift:psi' }, p, w.summary);
    expectClose(psi.statistic, psiFromCounts([3, 1, 0], [1, 2, 2]), 1e-15);
    const js = runDriftTest({ test: 'drift:jensen-shannon' }, p, w.summary);
    expectClose(js.statistic, jensenShannonDistance([3, 1, 0], [1, 2, 2]), 1e-15);
  });
  it('text: OOV rate, token JS and length KS', () => {
    const p = profileText(['the cat sat', 'the dog sat down', 'a cat']);
    const w = new TextWindow(p).addAll(['the zebra sat', 'quantum cat', null]);
    const oov = runDriftTest({ test: 'drift:text-oov' }, p, w.summary);
    expect(oov.statistic).toBeCloseTo(2 / 5, 15);
    expect(w.summary.missing).toBe(1);
    const js = runDriftTest({ test: 'drift:text-token-js' }, p, w.summary);
    expect(js.statistic).toBeGreaterThan(0);
    expect(js.statistic).toBeLessThanOrEqual(1);
    const len = runDriftTest({ test: 'drift:text-length-ks' }, p, w.summary);
    expect(len.statistic).toBe(ks2samp([3, 4, 2], [3, 2]).statistic);
  });
  it('text: the expected OOV rate leaves one document out (by hand: 5 of 11 tokens are confined to one document)', () => {
    // the ×2 (docs 1, 2), cat ×2 (1, 3), sat ×2 (1, 2); dog, down, a once; zip twice, both in doc 4
    const p = profileText(['the cat sat', 'the dog sat down', 'a cat', 'zip zip']);
    expect(p.singletonRate).toBeCloseTo(3 / 11, 15);
    expect(p.expectedOovRate).toBeCloseTo(5 / 11, 15);
    const w = new TextWindow(p).addAll(['zip the new']);
    const oov = runDriftTest({ test: 'drift:text-oov' }, p, w.summary);
    expect(oov.effect_size).toBe(0); // 1/3 new is less than the 5/11 expected
    expect(DEFAULT_DRIFT_TEST.text).toBe('drift:text-oov');
  });
});

describe('properties', () => {
  const sample = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 60 });
  const counts = fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 12 });

  it('KS statistic is symmetric and its p-value lies in [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = ks2samp(a, b);
        const ba = ks2samp(b, a);
        expect(ab.statistic).toBeCloseTo(ba.statistic, 12);
        expect(ab.pvalue).toBeGreaterThanOrEqual(0);
        expect(ab.pvalue).toBeLessThanOrEqual(1);
        const streamed = ks(a, b);
        expect(streamed.statistic).toBe(ab.statistic);
      }),
    );
  });
  it('Jensen–Shannon distance is symmetric and in [0, 1]', () => {
    fc.assert(
      fc.property(counts, counts, (a, b) => {
        const n = Math.min(a.length, b.length);
        const x = a.slice(0, n);
        const y = b.slice(0, n);
        fc.pre(x.some((v) => v > 0) && y.some((v) => v > 0));
        const d = jensenShannonDistance(x, y);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
        expect(d).toBeCloseTo(jensenShannonDistance(y, x), 12);
      }),
    );
  });
  it('PSI is non-negative', () => {
    fc.assert(
      fc.property(counts, counts, (a, b) => {
        const n = Math.min(a.length, b.length);
        fc.pre(a.slice(0, n).some((v) => v > 0) && b.slice(0, n).some((v) => v > 0));
        expect(psiFromCounts(a.slice(0, n), b.slice(0, n))).toBeGreaterThanOrEqual(0);
      }),
    );
  });
  it('chi-square p-values lie in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 40 }), fc.array(fc.string({ minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 40 }), (a, b) => {
        const r = runDriftTest({ test: 'drift:chi2' }, profileCategorical(a), new CategoricalWindow().addAll(b).summary);
        expect(r.p_value).toBeGreaterThanOrEqual(0);
        expect(r.p_value).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('alarms', () => {
  function gen(seed: number, n: number, shift = 0) {
    const rng = seededRandom(seed);
    const x: number[] = [];
    const y: number[] = [];
    const k: string[] = [];
    for (let i = 0; i < n; i++) {
      x.push(normal(rng) + shift);
      y.push(Math.round(normal(rng) * 4 + shift * 4)); // ties
      k.push(`c${Math.floor(6 * rng.next() ** (2 + 3 * shift))}`);
    }
    return { x, y, k };
  }
  const specs = [
    { name: 'x', kind: 'numeric' as const },
    { name: 'y', kind: 'numeric' as const },
    { name: 'k', kind: 'categorical' as const },
  ];

  it('calibrated p-values count bootstrap statistics at or above the observed one', () => {
    expect(calibratedPValue([1, 2, 3, 4], 3)).toBe(3 / 5);
    expect(calibratedPValue([1, 2, 3, 4], 9)).toBe(1 / 5);
  });

  it('text: words in bursts (a topic word repeated within a document) do not raise false alarms', () => {
    // Each document repeats one topic word 4 times. Drawing tokens independently (the old null)
    // put the 99th percentile of token JS and OOV far too low; whole documents resampled keep
    // the rate at alpha. 2 tests × 200 windows at alpha = 0.05: mean 20, allow mean + 3 sd.
    const gen = (seed: number, docs: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: docs }, () => {
        const topic = `w${Math.floor(400 * r.next() ** 3)}`;
        const common = Array.from({ length: 4 }, () => `c${Math.floor(20 * r.next())}`);
        return [topic, ...common, topic, topic, topic].join(' ');
      });
    };
    const alpha = 0.05;
    const specs2 = [
      { name: 'oov', kind: 'text' as const, tests: [{ test: 'drift:text-oov' as const }] },
      { name: 'js', kind: 'text' as const, tests: [{ test: 'drift:text-token-js' as const }] },
    ];
    const ref = gen(1, 3000);
    const profile = profileDataset({ oov: ref, js: ref }, specs2);
    const cal = calibrateAlarms(profile, 100, { falseAlarmRate: alpha, fdr: 0.5, bootstrap: 399, seed: 3 });
    let exceed = 0;
    const windows = 200;
    for (let w = 0; w < windows; w++) {
      const docs = gen(5000 + w, 100);
      const rep = evaluateAlarms(cal, computeDrift(profile, new DriftWindow(profile).addColumns({ oov: docs, js: docs })));
      exceed += rep.features.filter((f) => f.exceeds_threshold).length;
    }
    const trials = windows * 2;
    expect(exceed).toBeLessThanOrEqual(alpha * trials + 3 * Math.sqrt(trials * alpha * (1 - alpha)));
    // and a window with new words is still caught
    const shifted = gen(9, 100).map((d, i) => (i % 2 ? d.replace(/w\d+/g, 'launchword') : d));
    const rep = evaluateAlarms(cal, computeDrift(profile, new DriftWindow(profile).addColumns({ oov: shifted, js: shifted })));
    expect(rep.alarms).toContain('oov');
  });

  it('text: a window larger than half the documents is drawn with replacement, whole documents, by the seeded draws (reference: document by document)', () => {
    const r = seededRandom(8);
    const docs = Array.from({ length: 150 }, (_, i) => (i % 17 === 0 ? '' : Array.from({ length: 1 + (i % 6) }, () => `w${Math.floor(60 * r.next() ** 2)}`).join(' ')));
    const specs2 = [
      { name: 'oov', kind: 'text' as const, tests: [{ test: 'drift:text-oov' as const }] },
      { name: 'js', kind: 'text' as const, tests: [{ test: 'drift:text-token-js' as const }] },
    ];
    const profile = profileDataset({ oov: docs, js: docs }, specs2);
    for (const m of [76, 1000]) {
      const B = 99;
      const cal = calibrateAlarms(profile, m, { falseAlarmRate: 0.05, fdr: 0.5, bootstrap: B, seed: 7 });
      // The null statistics by their definition: one seeded stream across features, each replicate m documents drawn uniformly.
      const rng = seededRandom(7);
      const expected = profile.features.map((f, i) => {
        const p = f.profile as ReturnType<typeof profileText>;
        const v = p.tokenCounts.length;
        const { offsets, ids } = p.documents;
        const n = offsets.length - 1;
        const totals = new Float64Array(v + 1);
        for (const id of ids) totals[id]! += 1;
        totals[v] = 0;
        const stats: number[] = [];
        for (let b = 0; b < B; b++) {
          const cur = new Float64Array(v + 1);
          for (let k = 0; k < m; k++) {
            const d = Math.floor(rng.next() * n);
            for (let t = offsets[d]!; t < offsets[d + 1]!; t++) cur[ids[t]!]! += 1;
          }
          if (cur.reduce((a, c) => a + c, 0) === 0) cur[0] = 1;
          stats.push(i === 0 ? cur[v]! / cur.reduce((a, c) => a + c, 0) : jensenShannonDistance(totals, cur));
        }
        return stats.sort((a, b) => a - b);
      });
      expect(m > (profile.features[0]!.profile as ReturnType<typeof profileText>).documents.offsets.length / 2).toBe(true);
      expect(cal.features.map((f) => f.null_statistics)).toEqual(expected);
    }
  });

  it('false-alarm rate on same-distribution windows stays at or below the target', () => {
    // 3 features × 200 windows = 600 feature-windows at alpha = 0.05: if the true per-test rate were
    // exactly 0.05, the count would be Binomial(600, 0.05) (mean 30, sd 5.3); we allow the mean plus
    // 3 sd (≤ 46, rate ≤ 0.077), so a correctly calibrated rule fails this test with probability < 0.2 %.
    const alpha = 0.05;
    const profile = profileDataset(gen(1, 3000), specs);
    const windowSize = 300;
    const cal = calibrateAlarms(profile, windowSize, { falseAlarmRate: alpha, fdr: 0.5, bootstrap: 399, seed: 11 });
    let exceed = 0;
    let alarms = 0;
    const windows = 200;
    for (let w = 0; w < windows; w++) {
      const win = new DriftWindow(profile).addColumns(gen(1000 + w, windowSize));
      const rep = evaluateAlarms(cal, computeDrift(profile, win));
      exceed += rep.features.filter((f) => f.exceeds_threshold).length;
      alarms += rep.alarms.length;
    }
    const trials = windows * specs.length;
    const bound = alpha * trials + 3 * Math.sqrt(trials * alpha * (1 - alpha));
    expect(exceed).toBeLessThanOrEqual(bound);
    expect(alarms).toBeLessThanOrEqual(exceed); // effect-size minimum and BH only remove alarms
    expect(alarms).toBeLessThanOrEqual(alpha * trials);
  });

  it('flags a real shift, ignores a trivial one on a huge window, and is reproducible', () => {
    const profile = profileDataset(gen(1, 20000), specs);
    const drifted = new DriftWindow(profile).addColumns(gen(2, 2000, 0.6));
    const cal = calibrateAlarms(profile, 2000, { seed: 5, bootstrap: 300 });
    const rep = evaluateAlarms(cal, computeDrift(profile, drifted));
    expect(rep.alarms).toEqual(['x', 'y', 'k']);
    const cal2 = calibrateAlarms(profile, 2000, { seed: 5, bootstrap: 300 });
    expect(cal2.features.map((f) => f.threshold)).toEqual(cal.features.map((f) => f.threshold));

    const big = profileDataset(gen(3, 60000), specs);
    const tiny = new DriftWindow(big).addColumns(gen(4, 60000, 0.03));
    const calBig = calibrateAlarms(big, 60000, { seed: 5, bootstrap: 200 });
    const repBig = evaluateAlarms(calBig, computeDrift(big, tiny));
    const x = repBig.features.find((f) => f.feature === 'x');
    expect(x?.exceeds_threshold).toBe(true); // statistically detectable…
    expect(x?.status).toBe('ok'); // …but below the minimum effect size
  });

  it('the async calibration gives the event loop turns and the same calibration as the sync one', async () => {
    const profile = profileDataset(gen(1, 20000), specs);
    const loop = countLoopTurns();
    const cal = await calibrateAlarmsAsync(profile, 2000, { seed: 5, bootstrap: 300 }, 0);
    loop.stop();
    expect(loop.turns).toBeGreaterThan(10); // with a zero slice: a turn every 16 draws
    expect(cal).toEqual(calibrateAlarms(profile, 2000, { seed: 5, bootstrap: 300 }));
    await expect(calibrateAlarmsAsync(profile, 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses a window far from the calibrated size and too few replicates', () => {
    const profile = profileDataset(gen(1, 500), specs);
    const cal = calibrateAlarms(profile, 100, { bootstrap: 99, falseAlarmRate: 0.05 });
    const win = new DriftWindow(profile).addColumns(gen(2, 300));
    expect(() => evaluateAlarms(cal, computeDrift(profile, win))).toThrow(/calibrated for 100/);
    expect(() => calibrateAlarms(profile, 100, { bootstrap: 50, falseAlarmRate: 0.01 })).toThrow(MloopError);
  });
});
