import { describe, expect, it } from 'vitest';
import { generateSupportRequests } from '../../demo/index.js';
import { seededRandom } from '../stats/random.js';
import { computeDrift, computeDriftOffThread, DriftWindow, profileDataset } from './dataset-drift.js';
import { aucWithPValue, domainClassifier } from './domain-classifier.js';
import { domainClassifierOffThread } from './domain-worker.js';
import { runDriftTest } from './drift-tests.js';
import { countLoopTurns } from '../test-support/loop-turns.js';
import { MAX_WINDOW_SAMPLE_DOCS, OOV_BUCKETS, oovBucket, profileText, TextWindow } from './text-summary.js';
import { calibrateAlarms } from './alarms.js';

const texts = (rows: Array<{ text: string }>) => rows.map((r) => r.text);

describe('AUC and its p-value', () => {
  it('equal sklearn roc_auc_score and scipy mannwhitneyu (asymptotic, no continuity correction, ties) on a small sample', () => {
    const s = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2, 0.5, 0.5, 0.9, 0.3, 0.7, 0.8, 0.05, 0.6];
    const y = [0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1].map((v) => v === 1);
    const r = aucWithPValue(s, y);
    // sklearn.metrics.roc_auc_score(y, s); scipy.stats.mannwhitneyu(pos, neg, alternative='greater', method='asymptotic', use_continuity=False)
    expect(r.auc).toBeCloseTo(0.846938775510204, 14);
    expect(r.p_value / 0.014473239345129408 - 1).toBeLessThan(1e-9);
    const flipped = aucWithPValue(s, y.map((v) => !v));
    expect(flipped.auc).toBeCloseTo(1 - 0.846938775510204, 14);
    expect(flipped.p_value / 0.9855267606548705 - 1).toBeLessThan(1e-9);
  });
});

describe('the domain classifier on support requests', () => {
  const before = generateSupportRequests({ seed: 3, count: 2400, launch: false });
  const launch = generateSupportRequests({ seed: 4, count: 1200, start: '2026-10-01T00:00:00Z', months: 1, launch: { at: '2026-10-01T00:00:00Z', product: 'Orbit Cam' } });

  it('cannot tell random halves of the same traffic apart (p-values do not pile up below 0.05), and tells the launch apart', () => {
    const docs = texts(before);
    let low = 0;
    const aucs: number[] = [];
    for (let split = 0; split < 20; split++) {
      const rng = seededRandom(100 + split);
      const a: string[] = [];
      const b: string[] = [];
      for (const d of docs) (rng.next() < 0.75 ? a : b).push(d);
      const p = profileText(a);
      const w = new TextWindow(p).addAll(b.slice(0, 300));
      const r = runDriftTest({ test: 'drift:text-domain-auc' }, p, w.summary);
      aucs.push(r.statistic);
      if ((r.p_value as number) < 0.05) low++;
    }
    // 20 null splits at α = 0.05: one expected; four or more would happen by chance with probability < 2 %.
    expect(low).toBeLessThanOrEqual(3);
    expect(Math.max(...aucs)).toBeLessThan(0.6);

    const p = profileText(docs);
    // the launch month: one request in five names the new product (one in seventy before)
    const shifted = runDriftTest({ test: 'drift:text-domain-auc' }, p, new TextWindow(p).addAll(texts(launch)).summary);
    expect(shifted.statistic).toBeGreaterThan(0.6);
    expect(shifted.p_value as number).toBeLessThan(1e-6);
    expect(shifted.effect_size).toBeCloseTo(2 * shifted.statistic - 1, 12);
  });

  it('is deterministic, and keeps at most a bounded uniform sample of a window', () => {
    const p = profileText(texts(before));
    const big = texts(before).concat(texts(before));
    const w1 = new TextWindow(p).addAll(big);
    const w2 = new TextWindow(p).addAll(big);
    expect(w1.summary.sample).toHaveLength(MAX_WINDOW_SAMPLE_DOCS);
    expect(w1.summary.n).toBe(big.length);
    const r1 = runDriftTest({ test: 'drift:text-domain-auc' }, p, w1.summary);
    const r2 = runDriftTest({ test: 'drift:text-domain-auc' }, p, w2.summary);
    expect(r1).toEqual(r2);
    // the reservoir is uniform over the stream: a marker word only in the second half of 3000 documents is in about half the sample
    const marked = new TextWindow(p).addAll([...Array.from({ length: 1500 }, () => 'my parcel is late'), ...Array.from({ length: 1500 }, () => 'my parcel is zzqmarker')]);
    const markerId = p.tokenCounts.length + 1 + oovBucket('zzqmarker');
    const share = marked.summary.sample.filter((d) => d.includes(markerId)).length / MAX_WINDOW_SAMPLE_DOCS;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    expect(domainClassifier([], [Int32Array.of(1)], 2)).toMatchObject({ auc: 0.5, p_value: 1 });
  });

  it('is reported beside the alarm test of a text feature and refused as the alarm test itself', () => {
    const profile = profileDataset({ text: texts(before) }, [{ name: 'text', kind: 'text', tests: [{ test: 'drift:text-oov' }, { test: 'drift:text-domain-auc' }] }]);
    const window = new DriftWindow(profile).addColumns({ text: texts(launch).slice(0, 200) });
    const report = computeDrift(profile, window);
    expect(report.features[0]!.results.map((r) => r.test)).toEqual(['drift:text-oov', 'drift:text-domain-auc']);
    const alone = profileDataset({ text: texts(before) }, [{ name: 'text', kind: 'text', tests: [{ test: 'drift:text-domain-auc' }] }]);
    expect(() => calibrateAlarms(alone, 100)).toThrow(/reported beside .* not used as one/);
  });

  it('runs on a worker thread with the same result, while the event loop keeps turning', async () => {
    const profile = profileDataset({ text: texts(before) }, [{ name: 'text', kind: 'text', tests: [{ test: 'drift:text-oov' }, { test: 'drift:text-domain-auc' }] }]);
    const window = new DriftWindow(profile).addColumns({ text: texts(launch) });
    // The loop's turns while the classifier works: none on the calling thread (a synchronous call
    // gives the loop no turn), many while it runs on the worker.
    const loop = countLoopTurns();
    const sync = computeDrift(profile, window);
    const during = loop.turns;
    const off = await computeDriftOffThread(profile, window);
    loop.stop();
    expect(during).toBe(0);
    expect(loop.turns).toBeGreaterThan(20);
    expect(off).toEqual(sync);
    expect(off.features[0]!.results[1]!.statistic).toBeGreaterThan(0.6);
    // The kernel alone: equal to the calling thread's result, with other options and an empty side.
    const p = profileText(texts(before));
    const w = new TextWindow(p).addAll(texts(launch).slice(0, 300));
    const docs = Array.from({ length: 400 }, (_, i) => w.summary.sample[i % w.summary.sample.length]!);
    const features = p.tokenCounts.length + 1 + OOV_BUCKETS;
    for (const options of [{}, { maxDocs: 150, seed: 7, epochs: 3 }]) expect(await domainClassifierOffThread(docs, w.summary.sample, features, options)).toEqual(domainClassifier(docs, w.summary.sample, features, options));
    expect(await domainClassifierOffThread([], [Int32Array.of(1)], 2)).toEqual(domainClassifier([], [Int32Array.of(1)], 2));
  });

  it('rejects a call that fails on the worker with INTERNAL, and serves the next call', async () => {
    // A negative feature count: the kernel cannot allocate its weights.
    await expect(domainClassifierOffThread([Int32Array.of(1)], [Int32Array.of(1)], -1)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await domainClassifierOffThread([Int32Array.of(1, 2)], [Int32Array.of(3)], 4)).toEqual(domainClassifier([Int32Array.of(1, 2)], [Int32Array.of(3)], 4));
  });
});
