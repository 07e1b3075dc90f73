/**
 * Kolmogorov–Smirnov distributions, following scipy 1.10:
 * - `kolmogorov(x)`: the limiting survival function of sqrt(n)·D_n (`scipy.special.kolmogorov`,
 *   `stats.kstwobign.sf`);
 * - `smirnov(n, x)`: the exact one-sided survival P(D_n⁺ ≥ x) (`scipy.special.smirnov`), summed
 *   in log space (Birnbaum–Tingey);
 * - `kolmogn(n, x, cdf)`: the two-sided one-sample distribution of D_n (`stats.kstwo`), a port of
 *   `scipy/stats/_ksstats.py` (Simard & L'Ecuyer's choice among Ruben–Gambino, Durbin/MTW,
 *   Pomeranz, Pelz–Good and 2·smirnov).
 */
import { logGamma } from './gamma.js';

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const KOLMOG_RTOL = 2.220446049250313e-16;
const MAX_LOG = 709.782712893384;

const clip = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);
const select = (cdfProb: number, sfProb: number, cdf: boolean): number => clip(cdf ? cdfProb : sfProb);

function kolmogorovImpl(x: number, complement: boolean): number {
  if (x <= 0) return complement ? 0 : 1;
  let p = 0;
  if (x >= 1) {
    const alpha = -2 * x * x;
    let sign = 1;
    let r = 1;
    let t: number;
    do {
      t = Math.exp(alpha * r * r);
      p += sign * t;
      if (t === 0) break;
      r += 1;
      sign = -sign;
    } while (t / p > KOLMOG_RTOL);
    p = 2 * p;
    return complement ? 1 - p : p;
  }
  const alpha = (-Math.PI * Math.PI) / (8 * x * x);
  let r = 1;
  let t: number;
  do {
    t = Math.exp(alpha * r * r);
    p += t;
    if (t === 0) break;
    r += 2;
  } while (t / p >= KOLMOG_RTOL);
  p *= SQRT2PI / x;
  return complement ? p : 1 - p;
}

/** Limiting survival P(K > x) of the Kolmogorov distribution (`scipy.special.kolmogorov`). */
export function kolmogorov(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return kolmogorovImpl(x, false);
}

/** Limiting CDF P(K ≤ x) of the Kolmogorov distribution (`scipy.special.kolmogc`). */
export function kolmogorovCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return kolmogorovImpl(x, true);
}

/**
 * Exact one-sided survival P(D_n⁺ ≥ x) for a sample of size n (`scipy.special.smirnov`):
 * x · Σ_{v=0}^{⌊n(1-x)⌋} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v), every term in log space.
 */
export function smirnov(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1) || !Number.isInteger(n)) return Number.NaN;
  if (x === 0) return 1;
  if (x === 1) return 0;
  if (n === 1) return 1 - x;
  const nn = Math.floor(n * (1 - x));
  const lgn1 = logGamma(n + 1);
  const logX = Math.log(x);
  // terms share no sign changes; accumulate relative to the largest log-term to avoid underflow
  const logs = new Float64Array(nn + 1);
  let maxLog = -Infinity;
  for (let v = 0; v <= nn; v++) {
    const evn = x + v / n;
    const omevn = 1 - evn;
    let t: number;
    if (omevn > 0) {
      t = lgn1 - logGamma(v + 1) - logGamma(n - v + 1) + (v - 1) * Math.log(evn) + (n - v) * Math.log(omevn);
    } else if (n - v === 0) {
      t = lgn1 - logGamma(v + 1) + (v - 1) * Math.log(evn);
    } else {
      t = -Infinity;
    }
    logs[v] = t;
    if (t > maxLog) maxLog = t;
  }
  let sum = 0;
  for (let v = 0; v <= nn; v++) {
    const d = (logs[v] as number) - maxLog;
    if (d > -MAX_LOG) sum += Math.exp(d);
  }
  const logp = maxLog + Math.log(sum) + logX;
  return clip(Math.exp(logp));
}

// B_{2j} / (2j(2j-1)) for j = 8..1 (scipy `_STIRLING_COEFFS`), at double precision
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

function polyval(coeffs: readonly number[], x: number): number {
  let r = 0;
  for (const c of coeffs) r = r * x + c;
  return r;
}

/** log(n! / n^n) by Stirling with n·log(n) removed up front. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polyval(STIRLING_COEFFS, rn / n);
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k] as number;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] = (c[i * m + j] as number) + aik * (b[k * m + j] as number);
    }
  }
  return c;
}

/** Durbin's matrix algorithm, Marsaglia–Tsang–Wang form: P(D_n ≤ d). */
function kolmognDMTW(n: number, d: number, cdf: boolean): number {
  if (d >= 1) return select(1, 0, cdf);
  const nd = n * d;
  if (nd <= 0.5) return select(0, 1, cdf);
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)] as number;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number;

  let Hpwr = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matmul(Hpwr, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)] as number) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) / EP128;
      Hexpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[(k - 1) * m + (k - 1)] as number;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = p * 2 ** expnt;
  return select(p, 1 - p, cdf);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pomeranz's recursion: P(D_n ≤ x). */
function kolmognPomeranz(n: number, x: number, cdf: boolean): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = ((gpower[m - 1] as number) * gOverN) / m;
    twogpower[m] = ((twogpower[m - 1] as number) * twoGOverN) / m;
    onem2gpower[m] = ((onem2gpower[m - 1] as number) * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // full convolution of V0[k1-V0s : k1-V0s+ln2] with pwrs[:ln2], keep entries [j1-k1, j1-k1+len)
      const base = k1 - V0s;
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let maxV = 0;
      for (let c = 0; c < convLen; c++) {
        const idx = convStart + c;
        let s = 0;
        const lo = Math.max(0, idx - (ln2 - 1));
        const hi = Math.min(idx, ln2 - 1);
        for (let a = lo; a <= hi; a++) s += (V0[base + a] ?? 0) * (pwrs[idx - a] as number);
        V1[c] = s;
        if (s > maxV) maxV = s;
      }
      if (maxV > 0 && maxV < EM128) {
        for (let c = 0; c < V1.length; c++) V1[c] = (V1[c] as number) * EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s] as number;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ans * 2 ** expnt;
  return select(ans, 1 - ans, cdf);
}

/** Pelz–Good approximation of P(D_n ≤ x) (or its complement). */
function kolmognPelzGood(n: number, x: number, cdf: boolean): number {
  if (x <= 0) return select(0, 1, cdf);
  if (x >= 1) return select(1, 0, cdf);
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return select(0, 1, cdf);
  let q = Math.exp(qlog);
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [
      1,
      k1a + k1b * msquared,
      k2a + k2b * msquared + k2c * mfour,
      k3a + k3b * msquared + k3c * mfour + k3d * msix,
    ];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qpower + (coeffs[i] as number);
  }
  const denominators = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (((K[i] as number) * q) * SQRT2PI) / (denominators[i] as number);
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksq = k * k;
    const qp = q ** ksq;
    k2extra += ksq * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
  }
  K[2] = (K[2] as number) + (k2extra * PI_SQUARED * SQRT2PI) / (-36 * zthree);
  K[3] = (K[3] as number) + (k3extra * PI_SQUARED * SQRT2PI) / (216 * zsix);
  for (let i = 0; i < 4; i++) K[i] = (K[i] as number) / Math.pow(n, i / 2);
  if (!cdf) {
    for (let i = 0; i < 4; i++) K[i] = -(K[i] as number);
    K[0] = (K[0] as number) + 1;
  }
  return (K[0] as number) + (K[1] as number) + (K[2] as number) + (K[3] as number);
}

/**
 * Distribution of the two-sided one-sample KS statistic D_n (`scipy.stats.kstwo`):
 * P(D_n ≤ x) when `cdf` is true, P(D_n > x) otherwise. `n` must be a positive integer.
 */
export function kolmogn(n: number, x: number, cdf = true): number {
  if (Number.isNaN(n) || Number.isNaN(x)) return Number.NaN;
  if (!Number.isInteger(n) || n <= 0) return Number.NaN;
  if (x >= 1) return select(1, 0, cdf);
  if (x <= 0) return select(0, 1, cdf);
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return select(0, 1, cdf);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return select(prob, 1 - prob, cdf);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n;
    return select(1 - prob, prob, cdf);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnov(n, x);
    return select(1 - prob, prob, cdf);
  }
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) {
      const prob = kolmognDMTW(n, x, true);
      return select(prob, 1 - prob, cdf);
    }
    if (nxsquared <= 4) {
      const prob = kolmognPomeranz(n, x, true);
      return select(prob, 1 - prob, cdf);
    }
    const prob = 2 * smirnov(n, x);
    return select(1 - prob, prob, cdf);
  }
  if (!cdf) {
    if (nxsquared >= 370) return 0;
    if (nxsquared >= 2.2) return clip(2 * smirnov(n, x));
  }
  let cdfprob: number;
  if (nxsquared >= 18) cdfprob = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfprob = kolmognDMTW(n, x, true);
  else cdfprob = kolmognPelzGood(n, x, true);
  return select(cdfprob, 1 - cdfprob, cdf);
}
