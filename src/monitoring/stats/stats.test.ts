/**
 * Special functions and tests checked against scipy 1.10.1 / numpy 1.24.2 (/usr/bin/python3) and
 * mpmath 1.2.1 at 40 digits. The tables below were printed by a script that calls, for each row,
 * the scipy function named in the comment above the table (values pasted with repr()).
 */
import { describe, expect, it } from 'vitest';
import { chi2LogSf, chi2Sf, gammaP, gammaQ, logGamma } from './gamma.js';
import { kolmogn, kolmogorov, smirnov } from './kolmogorov.js';
import { ks2samp, type KsMethod } from './ks-2samp.js';
import { chi2Contingency } from './chi2-contingency.js';
import { quantileEdges, quantileSorted, binCounts } from './quantile.js';
import { jensenShannonDistance, psiFromCounts, wassersteinSorted } from './divergence.js';
import { expectClose } from './test-support/close.js';

// kolmogn: [n, x, scipy.stats._ksstats.kolmogn(n, x, cdf=False), kolmogn(n, x, cdf=True)]
const KOLMOGN = [
  [5, 0.3, 0.664, 0.33599999999999997],
  [50, 0.05, 0.9990238098461883, 0.0009761901538116428],
  [50, 0.2, 0.03143877776953241, 0.9685612222304676],
  [140, 0.08, 0.31480749911643063, 0.6851925008835694],
  [141, 0.01, 1.0, 1.809725825955607e-31],
  [250, 0.04, 0.8033518023976395, 0.19664819760236055],
  [250, 0.078, 0.09049787380659402, 0.909502126193406],
  [250, 0.366, 1.5710623987018922e-30, 1.0],
  [1000, 0.02, 0.8108971656895577, 0.1891028343104423],
  [10853, 0.008194210323058115, 0.4573794338271566, 0.5426205661728434],
  [11328, 0.025820974576271194, 5.402235428619242e-07, 0.9999994597770006],
  [11328, 0.002, 0.9999999999741513, 2.5848660821295402e-11],
  [90909, 0.004, 0.1087426132633087, 0.8912573867366913],
  [20, 0.6, 2.0483011649719853e-07, 0.9999997951698835],
  [300, 0.0032, 1.0, 3.0603763104021522e-140],
] as const;
// smirnov: [n, x, scipy.special.smirnov(n, x)]
const SMIRNOV = [
  [3, 0.3, 0.493],
  [20, 0.1, 0.6290710188849629],
  [500, 0.05, 0.07937040397120126],
  [1013, 0.05, 0.006096375178064648],
  [5000, 0.02, 0.01806981293722266],
  [11328, 0.03, 1.362308126086264e-09],
  [11328, 0.1, 2.2872380555244912e-99],
] as const;
// kolmogorov: [x, scipy.special.kolmogorov(x)]
const KOLMOGOROV = [
  [0.05, 1.0],
  [0.3, 0.9999906941986655],
  [0.8, 0.5441424115741981],
  [1.0, 0.26999967167735456],
  [1.5, 0.022217962616525127],
  [3.0, 3.045995948942526e-08],
] as const;
// chi2: [x, df, scipy.stats.chi2.sf(x, df), log sf by mpmath.gammainc(df/2, x/2, regularized=True) at 40 digits]
const CHI2 = [
  [0.5, 1, 0.47950012218695337, -0.7350111298370844],
  [4.57316220723776, 1, 0.03247656406435255, -3.427236555480455],
  [48.770397544156566, 9, 1.8326809582439932e-07, -15.512315751672242],
  [248.63839197965902, 9, 1.9337417341386387e-48, -109.86462761534249],
  [3.0, 2, 0.22313016014842982, -1.5],
  [12.0, 30, 0.9985996461666381, -0.0014013352451140056],
  [5100.0, 5000, 0.158639348619404, -1.8411219008090065],
  [0.01, 4, 0.9999875415886458, -1.2458488960926388e-05],
] as const;
// underflowing chi2 tails: [x, df, log sf by mpmath at 40 digits] (scipy 1.10's chi2.logsf gives -inf here)
const CHI2_TAIL = [
  [10587.910313008068, 9, -5266.398108657395],
  [13862.346580976598, 2, -6931.173290488299],
  [20775.014267826573, 2, -10387.507133913286],
  [2000.0, 3, -996.4248404973332],
] as const;
// [z, scipy.special.gammaln(z)]
const LGAMMA = [
  [0.1, 2.252712651734206],
  [0.5, 0.5723649429247],
  [1.0, 0.0],
  [4.5, 2.4537365708424423],
  [15.0, 25.191221182738683],
  [100.5, 361.43554046777757],
  [100000.0, 1051287.7089736569],
] as const;
// ks_2samp(sample(n1, s1, 0), sample(n2, s2, shift), method=m) -> [statistic, pvalue, statistic_location, statistic_sign]
// sample(n, seed, shift)[i] = round(((i*7919 + seed*104729) % 1000)/100 + shift, 1) (Python round)
const KS2 = [
  { n1: 30, n2: 30, s1: 1, s2: 2, shift: 0.0, auto: [0.13333333333333333, 0.9578462903438838, 3.7, -1], exact: [0.13333333333333333, 0.9578462903438838, 3.7, -1], asymp: [0.13333333333333336, 0.9205025165723808, 3.7, -1] },
  { n1: 40, n2: 55, s1: 3, s2: 4, shift: 0.8, auto: [0.17954545454545454, 0.39171725549361813, 2.4, 1], exact: [0.17954545454545454, 0.39171725549361813, 2.4, 1], asymp: [0.17954545454545456, 0.4011078979695746, 2.4, 1] },
  { n1: 100, n2: 73, s1: 5, s2: 6, shift: 0.3, auto: [0.06808219178082192, 0.979020548967746, 8.6, 1], exact: [0.06808219178082192, 0.979020548967746, 8.6, 1], asymp: [0.06808219178082198, 0.9825907541492906, 8.6, 1] },
  { n1: 500, n2: 500, s1: 7, s2: 8, shift: 0.2, auto: [0.036, 0.9026912216773312, 2.4, 1], exact: [0.036, 0.9026912216773312, 2.4, 1], asymp: [0.036000000000000004, 0.8904321032285719, 2.4, 1] },
  { n1: 1000, n2: 1200, s1: 9, s2: 10, shift: 0.1, auto: [0.020833333333333332, 0.9677620000896908, 0.3, 1], exact: [0.020833333333333332, 0.9677620000896908, 0.3, 1], asymp: [0.020833333333333336, 0.9680962225574831, 0.3, 1] },
  { n1: 3, n2: 1000, s1: 11, s2: 12, shift: 0.0, auto: [0.5166666666666667, 0.29757565495262556, 8.4, -1], exact: [0.5166666666666667, 0.29757565495262556, 8.4, -1], asymp: [0.5166666666666666, 0.2955740740740742, 8.4, -1] },
  { n1: 12000, n2: 9000, s1: 13, s2: 14, shift: 0.05, auto: [0.010000000000000009, 0.6786507657277492, 0.6, 1], exact: [0.01, 0.6791525303823716, 0.6, 1], asymp: [0.010000000000000009, 0.6786507657277492, 0.6, 1] },
  { n1: 200, n2: 150, s1: 15, s2: 16, shift: 2.5, auto: [0.25833333333333336, 1.673201183199175e-05, 7.2, 1], exact: [0.25833333333333336, 1.673201183199175e-05, 7.2, 1], asymp: [0.2583333333333333, 1.5009408630288288e-05, 7.2, 1] },
  { n1: 400, n2: 400, s1: 17, s2: 18, shift: 4.0, auto: [0.41, 1.8209733211675058e-30, 4.3, 1], exact: [0.41, 1.8209733211675058e-30, 4.3, 1], asymp: [0.41000000000000003, 6.4273992014009955e-31, 4.3, 1] },
] as const;

function sample(n: number, seed: number, shift: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.floor(((i * 7919 + seed * 104729) % 1000) / 10) / 10 + shift);
  return out;
}

describe('logGamma', () => {
  it.each(LGAMMA)('gammaln(%d)', (z, want) => expectClose(logGamma(z), want, 1e-14, 1e-14));
  it('is NaN outside its domain', () => {
    expect(logGamma(0)).toBeNaN();
    expect(logGamma(-1)).toBeNaN();
  });
});

describe('incomplete gamma and chi-square survival', () => {
  it.each(CHI2)('chi2.sf(%d, %d)', (x, df, sf, logSf) => {
    expectClose(chi2Sf(x, df), sf, 1e-10); // large df loses ~3 digits to log Γ cancellation
    expectClose(chi2LogSf(x, df), logSf, 1e-10);
  });
  it.each(CHI2_TAIL)('log sf stays finite where sf underflows: chi2(%d, %d)', (x, df, logSf) => {
    expect(chi2Sf(x, df)).toBe(0);
    expectClose(chi2LogSf(x, df), logSf, 1e-12);
  });
  it('P + Q = 1 and the edges', () => {
    for (const [a, x] of [[0.5, 0.2], [3, 7], [50, 45], [50, 60]] as const) expectClose(gammaP(a, x) + gammaQ(a, x), 1, 1e-14);
    expect(chi2Sf(0, 3)).toBe(1);
    expect(chi2Sf(1, 0)).toBeNaN();
    expect(gammaQ(2, Infinity)).toBe(0);
  });
});

describe('Kolmogorov distributions', () => {
  it.each(KOLMOGN)('kolmogn(%d, %d)', (n, x, sf, cdf) => {
    expectClose(kolmogn(n, x, false), sf, 1e-9, 1e-300);
    expectClose(kolmogn(n, x, true), cdf, 1e-9, 1e-300);
  });
  it.each(SMIRNOV)('smirnov(%d, %d)', (n, x, want) => expectClose(smirnov(n, x), want, 1e-10));
  it.each(KOLMOGOROV)('kolmogorov(%d)', (x, want) => expectClose(kolmogorov(x), want, 1e-14));
  it('rejects invalid n', () => {
    expect(kolmogn(2.5, 0.1)).toBeNaN();
    expect(smirnov(0, 0.1)).toBeNaN();
  });
});

describe('ks2samp matches scipy.stats.ks_2samp', () => {
  for (const c of KS2) {
    for (const method of ['auto', 'exact', 'asymp'] as const satisfies readonly KsMethod[]) {
      it(`n1=${c.n1} n2=${c.n2} shift=${c.shift} method=${method}`, () => {
        const r = ks2samp(sample(c.n1, c.s1, 0), sample(c.n2, c.s2, c.shift), method);
        const [d, p, loc, sign] = c[method];
        expectClose(r.statistic, d, 1e-12);
        expectClose(r.pvalue, p, 1e-9);
        expect(r.statisticLocation).toBe(loc);
        expect(r.statisticSign).toBe(sign);
      });
    }
  }
  it('uses the exact method up to 10 000 per sample under auto, asymp beyond', () => {
    expect(ks2samp(sample(10000, 1, 0), sample(20, 2, 0)).method).toBe('exact');
    expect(ks2samp(sample(10001, 1, 0), sample(20, 2, 0)).method).toBe('asymp');
  });
  it('refuses empty samples', () => expect(() => ks2samp([], [1])).toThrow(RangeError));
});

describe('chi2Contingency matches scipy.stats.chi2_contingency', () => {
  // elec2 rows [0, 22656) vs [22656, 45312), column `class` (from the shared reference run;
  // values re-derived by hand from the counts below with scipy.stats.chi2_contingency)
  const table = [
    [12925, 9731],
    [13150, 9506],
  ];
  it('without Yates', () => {
    const r = chi2Contingency(table, false);
    expectClose(r.statistic, 4.57316220723776, 1e-12);
    expectClose(r.pvalue, 0.03247656406435255, 1e-10);
    expect(r.dof).toBe(1);
  });
  it('with Yates (dof = 1 only)', () => {
    const r = chi2Contingency(table, true);
    expectClose(r.statistic, 4.532602210575049, 1e-12);
    expectClose(r.pvalue, 0.033255014108880945, 1e-10);
    expect(r.yates).toBe(true);
    expect(chi2Contingency([[1, 2, 3], [3, 2, 1]], true).yates).toBe(false);
  });
  it('dof 0 gives statistic 0 and p 1; zero margins are refused', () => {
    expect(chi2Contingency([[5], [7]])).toMatchObject({ statistic: 0, pvalue: 1, dof: 0 });
    expect(() => chi2Contingency([[0, 1], [0, 2]])).toThrow(RangeError);
  });
});

describe('quantiles, PSI, Jensen–Shannon, Wasserstein', () => {
  it('numpy.quantile linear interpolation and unique edges', () => {
    const s = Float64Array.from([1, 2, 2, 2, 3, 10]);
    // numpy.quantile([1,2,2,2,3,10], [0.1, 0.5, 0.95]) = [1.5, 2.0, 8.25]
    expect(quantileSorted(s, 0.1)).toBe(1.5);
    expect(quantileSorted(s, 0.5)).toBe(2);
    expect(quantileSorted(s, 0.95)).toBe(8.25);
    // numpy.unique(numpy.quantile(s, arange(1,10)/10)) = [1.5, 2., 2.5, 3., 6.5]
    expect(Array.from(quantileEdges(s))).toEqual([1.5, 2, 2.5, 3, 6.5]);
    expect(Array.from(binCounts([1, 2, 6.5, 100], [2, 6.5]))).toEqual([1, 1, 2]);
  });
  it('PSI with the 1e-4 epsilon', () => {
    // hand computation: p=[.5,.5,0]->[.5,.5,1e-4], q=[.25,.25,.5]
    const want = 2 * (0.25 - 0.5) * Math.log(0.25 / 0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    expectClose(psiFromCounts([2, 2, 0], [1, 1, 2]), want, 1e-15);
  });
  it('Jensen–Shannon distance (scipy.spatial.distance.jensenshannon(p, q, base=2))', () => {
    // jensenshannon([0.5,0.5,0],[0.25,0.25,0.5], base=2) = 0.5579230452841438
    expectClose(jensenShannonDistance([2, 2, 0], [1, 1, 2]), 0.5579230452841438, 1e-12);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBe(1);
  });
  it('Wasserstein (scipy.stats.wasserstein_distance)', () => {
    // wasserstein_distance([0,1,3],[5,6,8]) = 5.0 ; ([1,2,3,4],[1,1,5]) = 1.0
    expectClose(wassersteinSorted([0, 1, 3], [5, 6, 8]), 5, 1e-15);
    expectClose(wassersteinSorted([1, 2, 3, 4], [1, 1, 5]), 1, 1e-14);
  });
});
