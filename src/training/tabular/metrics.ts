/** Small scoring helpers used by training, calibration and the benchmark. */

const EPS = 1e-15;

/** Mean binary log loss of probabilities `p` for 0/1 labels `y` (probabilities clipped to [1e-15, 1-1e-15]). */
export function binaryLogLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i]!, EPS), 1 - EPS);
    s -= y[i]! === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return p.length > 0 ? s / p.length : 0;
}

/** Area under the ROC curve for scores `s` and 0/1 labels `y` (ties count one half). NaN with one class. */
export function rocAuc(s: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = s.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[a]! - s[b]!);
  let pos = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  // rank-sum (Mann–Whitney) with average ranks for ties
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && s[order[j + 1]!] === s[order[i]!]) j++;
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (y[order[k]!] === 1) rankSum += avg;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Fraction of equal entries. */
export function accuracy<T>(pred: ArrayLike<T>, truth: ArrayLike<T>): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) ok++;
  return pred.length > 0 ? ok / pred.length : NaN;
}
