/** Regression metrics with optional per-row weights (for bootstrap resamples). */
import type { Weights } from './classification-metrics.js';

export interface RegressionData {
  yTrue: Float64Array;
  yPred: Float64Array;
}

const w = (weights: Weights, i: number): number => (weights === undefined ? 1 : weights[i]!);

export function mae(d: RegressionData, weights?: Weights): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    s += w(weights, i) * Math.abs(d.yTrue[i]! - d.yPred[i]!);
    n += w(weights, i);
  }
  return n === 0 ? Number.NaN : s / n;
}

export function rmse(d: RegressionData, weights?: Weights): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    const e = d.yTrue[i]! - d.yPred[i]!;
    s += w(weights, i) * e * e;
    n += w(weights, i);
  }
  return n === 0 ? Number.NaN : Math.sqrt(s / n);
}

/** Coefficient of determination; NaN when the truth is constant. */
export function r2(d: RegressionData, weights?: Weights): number {
  let n = 0;
  let mean = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    n += w(weights, i);
    mean += w(weights, i) * d.yTrue[i]!;
  }
  if (n === 0) return Number.NaN;
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < d.yTrue.length; i++) {
    const wi = w(weights, i);
    ssRes += wi * (d.yTrue[i]! - d.yPred[i]!) ** 2;
    ssTot += wi * (d.yTrue[i]! - mean) ** 2;
  }
  return ssTot === 0 ? Number.NaN : 1 - ssRes / ssTot;
}
