import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMloopError } from '../../errors/index.js';
import { buildAnswerSet, type Answer } from './answer-set.js';
import { cohenKappa, pairwiseCohenKappa } from './cohen-kappa.js';
import { fleissKappa } from './fleiss-kappa.js';
import { krippendorffAlpha } from './krippendorff-alpha.js';

/** Items × categories count table → answers by anonymous raters r0, r1, … */
function fromCountTable(table: number[][]): Answer[] {
  return table.flatMap((row, i) => {
    let r = 0;
    return row.flatMap((count, c) => Array.from({ length: count }, () => ({ item: `s${i}`, worker: `r${r++}`, label: c })));
  });
}

/** Coders × units reliability data with '*' for missing → answers. */
function fromReliabilityData(lines: string[]): Answer[] {
  return lines.flatMap((line, coder) =>
    line
      .trim()
      .split(/\s+/)
      .flatMap((v, unit) => (v === '*' ? [] : [{ item: `u${String(unit).padStart(2, '0')}`, worker: `c${coder}`, label: v }])),
  );
}

describe("Fleiss' kappa", () => {
  it("gives 0.210 on Wikipedia's 10 subjects × 14 raters example", () => {
    // en.wikipedia.org/wiki/Fleiss'_kappa, worked example; P̄ = 0.378, P̄e = 0.213.
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const r = fleissKappa(buildAnswerSet(fromCountTable(table)));
    expect(r.k).toBe(14);
    expect(r.observedAgreement!).toBeCloseTo(0.378, 3);
    expect(r.expectedAgreement!).toBeCloseTo(0.213, 3);
    expect(r.value!).toBeCloseTo(0.21, 3);
    expect(r.value!).toBeCloseTo(0.2099307, 6);
  });

  it('gives 0.4302 on the Fleiss (1971) diagnoses table (30 patients × 6 psychiatrists)', () => {
    // R irr::kappam.fleiss(diagnoses) = 0.4302445 (also in statsmodels' tests).
    const diagnoses = [
      '444444', '222555', '233335', '555555', '222444', '113333', '333355', '113334', '114444', '555555',
      '144444', '124444', '222333', '144444', '224445', '333335', '111455', '111112', '224444', '133555',
      '555555', '244444', '224555', '114444', '144445', '222224', '111155', '224444', '133333', '555555',
    ];
    const answers = diagnoses.flatMap((row, i) => [...row].map((d, r) => ({ item: `p${i}`, worker: `psy${r}`, label: d })));
    const r = fleissKappa(buildAnswerSet(answers));
    expect(r.value!).toBeCloseTo(0.4302445, 6);
  });

  it('is null when answers per item vary, unless k selects the items with exactly k answers', () => {
    const base = fromCountTable([
      [3, 0],
      [2, 1],
      [0, 3],
      [1, 2],
    ]);
    const extra = [
      { item: 'odd', worker: 'r0', label: 0 },
      { item: 'odd', worker: 'r1', label: 1 },
    ];
    const varying = buildAnswerSet([...base, ...extra]);
    const none = fleissKappa(varying);
    expect(none.value).toBeNull();
    expect(none.reason).toMatch(/vary/);
    const k3 = fleissKappa(varying, { k: 3 });
    expect(k3.itemsUsed).toBe(4);
    expect(k3.itemsExcluded).toBe(1);
    expect(k3.value).toBe(fleissKappa(buildAnswerSet(base)).value);
    expect(fleissKappa(varying, { k: 'most-common' })).toEqual(k3);
    expect(fleissKappa(varying, { k: 5 }).value).toBeNull();
    expect(() => fleissKappa(varying, { k: 1 })).toThrow(/k must be/);
    const singles = buildAnswerSet([
      { item: 'a', worker: 'x', label: 0 },
      { item: 'b', worker: 'x', label: 1 },
    ]);
    expect(fleissKappa(singles, { k: 'most-common' }).reason).toMatch(/2 or more/);
  });

  it('is null when every answer is one class', () => {
    const r = fleissKappa(buildAnswerSet(fromCountTable([[2], [2]])));
    expect(r.value).toBeNull();
    expect(r.reason).toMatch(/same class/);
  });
});

describe("Krippendorff's alpha (nominal)", () => {
  it("gives 0.743 on Krippendorff's 4 coders × 12 units example with missing values", () => {
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", reliability data matrix.
    const set = buildAnswerSet(
      fromReliabilityData([
        '1 2 3 3 2 1 4 1 2 * * *',
        '1 2 3 3 2 2 4 1 2 5 * 3',
        '* 3 3 3 2 3 4 2 2 5 1 *',
        '1 2 3 3 2 4 4 1 2 5 1 *',
      ]),
    );
    const r = krippendorffAlpha(set);
    expect(r.itemsUsed).toBe(11); // unit 12 has one value and is not pairable
    expect(r.itemsExcluded).toBe(1);
    expect(r.pairableValues).toBe(40);
    expect(r.value!).toBeCloseTo(0.743, 3);
  });

  it("gives 0.691 on Wikipedia's 3 coders × 15 units example", () => {
    const set = buildAnswerSet(
      fromReliabilityData([
        '* * * * * 3 4 1 2 1 1 3 3 * 3',
        '1 * 2 1 3 3 4 3 * * * * * * *',
        '* * 2 1 3 4 4 * 2 1 1 3 3 * 4',
      ]),
    );
    expect(krippendorffAlpha(set).value!).toBeCloseTo(0.691, 3);
  });

  it('is null without pairable items or without variation', () => {
    const single = buildAnswerSet([{ item: 'a', worker: 'x', label: 1 }]);
    expect(krippendorffAlpha(single).value).toBeNull();
    expect(krippendorffAlpha(single).reason).toMatch(/2 or more/);
    expect(krippendorffAlpha(buildAnswerSet(fromCountTable([[2], [3]]))).value).toBeNull();
  });
});

describe("Cohen's kappa", () => {
  it('matches a hand computation', () => {
    // agree 7/10 → p_o = 0.7; marginals A: 6 y / 4 n, B: 5 y / 5 n → p_e = 0.6·0.5 + 0.4·0.5 = 0.5; κ = 0.2 / 0.5 = 0.4.
    const a = 'y y y n n y n y y n'.split(' ');
    const b = 'y n y n y y n y n n'.split(' ');
    const r = cohenKappa(a, b);
    expect(r.n).toBe(10);
    expect(r.observedAgreement).toBeCloseTo(0.7, 12);
    expect(r.expectedAgreement).toBeCloseTo(0.5, 12);
    expect(r.value!).toBeCloseTo(0.4, 12);
  });

  it('matches SAS (0.4842) and R irr (-0.006289308) on published tables', () => {
    // SAS simple kappa on the 3×3 table [[0,4,1],[0,8,0],[0,1,5]] (statsmodels' tests).
    const table = [
      [0, 4, 1],
      [0, 8, 0],
      [0, 1, 5],
    ];
    const a: number[] = [];
    const b: number[] = [];
    table.forEach((row, i) => row.forEach((n, j) => Array.from({ length: n }, () => (a.push(i), b.push(j)))));
    expect(cohenKappa(a, b).value!).toBeCloseTo(0.4842, 4);
    // irr::kappa2(anxiety[, 2:3]).
    const rater2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4];
    const rater3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2];
    expect(cohenKappa(rater2, rater3).value!).toBeCloseTo(-0.006289308, 8);
  });

  it('skips missing positions and is null when undefined', () => {
    expect(cohenKappa(['a', null, 'b'], ['a', 'b', undefined]).n).toBe(1);
    expect(cohenKappa(['a', 'a'], ['a', 'a']).value).toBeNull();
    expect(cohenKappa([], []).reason).toMatch(/no item/);
    expect(() => cohenKappa(['a'], [])).toThrow(/differ in length/);
  });

  it('computes every annotator pair with enough shared items', () => {
    const answers: Answer[] = [];
    const a = 'y y y n n y n y y n'.split(' ');
    const b = 'y n y n y y n y n n'.split(' ');
    a.forEach((v, i) => answers.push({ item: `i${i}`, worker: 'A', label: v }, { item: `i${i}`, worker: 'B', label: b[i]! }));
    answers.push({ item: 'i0', worker: 'C', label: 'y' }, { item: 'i1', worker: 'C', label: 'n' });
    const r = pairwiseCohenKappa(buildAnswerSet(answers), { minShared: 5 });
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]).toMatchObject({ workerA: 'A', workerB: 'B', n: 10 });
    expect(r.pairs[0]!.value!).toBeCloseTo(0.4, 12);
    expect(r.pairsSkipped).toBe(2); // A–C and B–C share 2 items
    expect(r.meanKappa!).toBeCloseTo(0.4, 12);
    const all = pairwiseCohenKappa(buildAnswerSet(answers), { minShared: 1 });
    expect(all.pairs.map((p) => `${p.workerA}-${p.workerB}`)).toEqual(['A-B', 'A-C', 'B-C']);
  });
});

describe('bootstrap confidence intervals', () => {
  const table = Array.from({ length: 40 }, (_, i) => [i % 3, 3 - (i % 3) - (i % 2), i % 2]);
  const set = buildAnswerSet(fromCountTable(table));

  it('are deterministic per seed and change with the seed', () => {
    const a = fleissKappa(set, { bootstrap: { replicates: 300, seed: 9 } }).ci!;
    const b = fleissKappa(set, { bootstrap: { replicates: 300, seed: 9 } }).ci!;
    const c = fleissKappa(set, { bootstrap: { replicates: 300, seed: 10 } }).ci!;
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(krippendorffAlpha(set, { bootstrap: { seed: 4 } }).ci).toEqual(krippendorffAlpha(set, { bootstrap: { seed: 4 } }).ci);
  });

  it('bracket the estimate and widen with the level', () => {
    const value = krippendorffAlpha(set).value!;
    const ci95 = krippendorffAlpha(set, { bootstrap: { replicates: 500, seed: 1 } }).ci!;
    const ci50 = krippendorffAlpha(set, { bootstrap: { replicates: 500, seed: 1, level: 0.5 } }).ci!;
    expect(ci95).toMatchObject({ method: 'bootstrap-percentile', replicates: 500, level: 0.95, seed: 1 });
    expect(ci95.lower).toBeLessThan(value);
    expect(ci95.upper).toBeGreaterThan(value);
    expect(ci50.lower).toBeGreaterThan(ci95.lower);
    expect(ci50.upper).toBeLessThan(ci95.upper);
  });

  it('reject bad settings with INVALID_ARGUMENT', () => {
    for (const bootstrap of [{ replicates: 5 }, { level: 1 }, { seed: 0.5 }]) {
      try {
        fleissKappa(set, { bootstrap });
        expect.unreachable();
      } catch (err) {
        expect(isMloopError(err) && err.code).toBe('INVALID_ARGUMENT');
      }
    }
  });
});

describe('agreement lies in [-1, 1]', () => {
  const answersArb = fc.uniqueArray(
    fc.record({ item: fc.integer({ min: 0, max: 6 }), worker: fc.integer({ min: 0, max: 4 }), label: fc.integer({ min: 0, max: 3 }) }),
    { minLength: 1, maxLength: 35, selector: (a) => `${a.item}/${a.worker}` },
  );
  const inRange = (v: number | null): void => {
    if (v === null) return;
    expect(v).toBeGreaterThanOrEqual(-1 - 1e-12);
    expect(v).toBeLessThanOrEqual(1 + 1e-12);
  };

  it("for Krippendorff's alpha, Fleiss' kappa and pairwise Cohen's kappa on any answers", () => {
    fc.assert(
      fc.property(answersArb, (raw) => {
        const set = buildAnswerSet(raw.map((a) => ({ item: `i${a.item}`, worker: `w${a.worker}`, label: a.label })));
        inRange(krippendorffAlpha(set).value);
        for (let k = 2; k <= 5; k++) inRange(fleissKappa(set, { k }).value);
        for (const p of pairwiseCohenKappa(set, { minShared: 1 }).pairs) inRange(p.value);
      }),
      { numRuns: 300 },
    );
  });

  it("for Fleiss' kappa with fixed k and Cohen's kappa on any two raters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 2, max: 6 }),
        (pairs, k) => {
          inRange(cohenKappa(pairs.map((p) => p[0]!), pairs.map((p) => p[1]!)).value);
          // Every item gets k answers: the pair plus k-2 copies of its first label.
          const answers = pairs.flatMap((p, i) =>
            Array.from({ length: k }, (_, r) => ({ item: `i${i}`, worker: `r${r}`, label: r < 2 ? p[r]! : p[0]! })),
          );
          inRange(fleissKappa(buildAnswerSet(answers)).value);
        },
      ),
      { numRuns: 300 },
    );
  });
});
