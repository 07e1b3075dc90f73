/** Limited-memory BFGS for smooth convex objectives (two-loop recursion, backtracking Armijo line search). */

/** Result of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/**
 * Minimises f from x0. `fg(x, grad)` returns f(x) and writes ∇f(x) into grad. Stops when
 * ‖∇f‖∞ ≤ gtol · max(1, |f|) or after maxIter iterations; `onIter` may pause (await) or throw to stop.
 */
export async function minimizeLbfgs(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  options: { maxIter?: number; gtol?: number; memory?: number; onIter?: (iter: number, value: number) => void | Promise<void> } = {},
): Promise<LbfgsResult> {
  const maxIter = options.maxIter ?? 500;
  const gtol = options.gtol ?? 1e-9;
  const m = options.memory ?? 10;
  const d = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(d);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(d);
  const xNew = new Float64Array(d);
  const gNew = new Float64Array(d);
  const alpha = new Float64Array(m);
  const norm = (v: Float64Array): number => v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  let it = 0;
  for (; it < maxIter; it++) {
    if (norm(g) <= gtol * Math.max(1, Math.abs(f))) return { x, value: f, iterations: it, converged: true };
    // two-loop recursion: dir = -H g
    for (let i = 0; i < d; i++) dir[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let i = 0; i < d; i++) a += S[k]![i]! * dir[i]!;
      a *= rho[k]!;
      alpha[k] = a;
      for (let i = 0; i < d; i++) dir[i] = dir[i]! - a * Y[k]![i]!;
    }
    if (S.length > 0) {
      const k = S.length - 1;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < d; i++) {
        sy += S[k]![i]! * Y[k]![i]!;
        yy += Y[k]![i]! * Y[k]![i]!;
      }
      const gamma = sy / yy;
      for (let i = 0; i < d; i++) dir[i] = dir[i]! * gamma;
    } else {
      const gn = Math.sqrt(g.reduce((a, b) => a + b * b, 0));
      for (let i = 0; i < d; i++) dir[i] = dir[i]! / Math.max(gn, 1);
    }
    for (let k = 0; k < S.length; k++) {
      let b = 0;
      for (let i = 0; i < d; i++) b += Y[k]![i]! * dir[i]!;
      b *= rho[k]!;
      for (let i = 0; i < d; i++) dir[i] = dir[i]! + S[k]![i]! * (alpha[k]! - b);
    }
    let slope = 0;
    for (let i = 0; i < d; i++) slope += g[i]! * dir[i]!;
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) dir[i] = -g[i]!;
      slope = -g.reduce((a, b) => a + b * b, 0);
    }
    let step = 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < d; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = fg(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < f) && !(fNew <= f + 1e-4 * step * slope)) return { x, value: f, iterations: it, converged: false };
    const s = new Float64Array(d);
    const yv = new Float64Array(d);
    let sy = 0;
    for (let i = 0; i < d; i++) {
      s[i] = xNew[i]! - x[i]!;
      yv[i] = gNew[i]! - g[i]!;
      sy += s[i]! * yv[i]!;
    }
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    if (sy > 1e-12) {
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    await options.onIter?.(it + 1, f);
    if (Math.abs(fOld - f) <= 1e-15 * Math.max(1, Math.abs(f))) return { x, value: f, iterations: it + 1, converged: true };
  }
  return { x, value: f, iterations: it, converged: norm(g) <= gtol * Math.max(1, Math.abs(f)) };
}
