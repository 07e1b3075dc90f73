/**
 * Log-gamma and the regularized incomplete gamma functions, with the chi-square survival
 * function in linear and log space (scipy's `chi2.sf` is cephes `igamc(df/2, x/2)`).
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const STIRLING_SHIFT = 15;
const MAX_ITERATIONS = 100_000;
const EPS = 2.220446049250313e-16;
const TINY = 1e-300;

/**
 * log Γ(x) for x > 0: the Stirling series above 15 (truncation error < 1e-17 there),
 * shifted by the recurrence Γ(x+1) = xΓ(x) below. NaN for x ≤ 0 or NaN.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Infinity) return Infinity;
  let shift = 0;
  let product = 1;
  let z = x;
  while (z < STIRLING_SHIFT) {
    product *= z;
    z += 1;
    // keep the product in range for very small x
    if (product > 1e280 || product < 1e-280) {
      shift += Math.log(product);
      product = 1;
    }
  }
  shift += Math.log(product);
  const zi = 1 / z;
  const zi2 = zi * zi;
  // Bernoulli terms B_{2k} / (2k(2k-1) z^{2k-1}), k = 1..8
  const series =
    zi *
    (1 / 12 +
      zi2 *
        (-1 / 360 +
          zi2 *
            (1 / 1260 +
              zi2 * (-1 / 1680 + zi2 * (1 / 1188 + zi2 * (-691 / 360360 + zi2 * (1 / 156 + zi2 * (-3617 / 122400))))))));
  return (z - 0.5) * Math.log(z) - z + LOG_SQRT_2PI + series - shift;
}

/** log(x^a e^-x / Γ(a)), the common prefactor of both incomplete gamma expansions. */
function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - logGamma(a);
}

/** Series for the lower regularized gamma P(a, x); converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return Math.exp(logPrefactor(a, x) + Math.log(sum));
}

/** log of the continued fraction for Q(a, x) (modified Lentz); converges for x ≥ a + 1. */
function logUpperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return logPrefactor(a, x) + Math.log(h);
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function gammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x < a + 1) return Math.min(1, lowerSeries(a, x));
  return -Math.expm1(logUpperContinuedFraction(a, x));
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) (cephes `igamc`). */
export function gammaQ(a: number, x: number): number {
  return Math.exp(logGammaQ(a, x));
}

/** log Q(a, x), accurate where Q itself underflows (e.g. log Q(4.5, 5000) ≈ -4970). */
export function logGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Infinity) return -Infinity;
  if (x < a + 1) return Math.log1p(-Math.min(1, lowerSeries(a, x)));
  return logUpperContinuedFraction(a, x);
}

/**
 * Chi-square survival function P(X ≥ x) with `df` degrees of freedom, as scipy's
 * `stats.chi2.sf(x, df)`. For x ≤ 0 returns 1; NaN when df ≤ 0.
 */
export function chi2Sf(x: number, df: number): number {
  if (!(df > 0)) return Number.NaN;
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** log of {@link chi2Sf}, finite far beyond where the survival function underflows to 0. */
export function chi2LogSf(x: number, df: number): number {
  if (!(df > 0)) return Number.NaN;
  if (x <= 0) return 0;
  return logGammaQ(df / 2, x / 2);
}
