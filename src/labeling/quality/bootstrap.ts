/** Seeded bootstrap over items (units) with percentile intervals. */
import { MloopError } from '../../errors/index.js';
import { mulberry32 } from '../../stats/index.js';
import { checkLevel, quantileSorted, type ConfidenceInterval } from './intervals.js';

/** How to bootstrap a statistic. Units (items) are resampled with replacement. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000, at least 10). */
  replicates?: number;
  /** Seed of the random generator; the same seed gives the same interval (default 1). */
  seed?: number;
  /** Coverage of the percentile interval (default 0.95). */
  level?: number;
}

/** A percentile bootstrap interval with what produced it. */
export interface BootstrapInterval extends ConfidenceInterval {
  method: 'bootstrap-percentile';
  /** Resamples drawn. */
  replicates: number;
  /** Resamples where the statistic was defined (the interval uses only these). */
  validReplicates: number;
  /** Seed used. */
  seed: number;
}

/** A small fast seeded generator (mulberry32, shared with the rest of mloop) returning floats in [0, 1). */
export const createRng: (seed: number) => () => number = mulberry32;

/** Validated bootstrap settings with defaults filled in. */
export interface ResolvedBootstrap {
  replicates: number;
  seed: number;
  level: number;
}

/** Fills defaults and validates; throws INVALID_ARGUMENT on bad values. */
export function resolveBootstrap(options: BootstrapOptions): ResolvedBootstrap {
  const replicates = options.replicates ?? 1000;
  const seed = options.seed ?? 1;
  const level = checkLevel(options.level ?? 0.95, 'bootstrap.level');
  if (!Number.isInteger(replicates) || replicates < 10 || replicates > 1_000_000) {
    throw MloopError.invalidArgument(`bootstrap.replicates must be an integer from 10 to 1000000, got ${String(replicates)}`);
  }
  if (!Number.isInteger(seed)) throw MloopError.invalidArgument(`bootstrap.seed must be an integer, got ${String(seed)}`);
  return { replicates, seed, level };
}

/**
 * Percentile bootstrap: draws `replicates` resamples of `numUnits` units and calls `statistic` with the
 * multiplicity of each unit in the resample (a weight vector, reused between calls). `statistic`
 * returns null when undefined on a resample; those are left out. Null when no resample is defined.
 */
export function bootstrapUnits(
  numUnits: number,
  options: BootstrapOptions,
  statistic: (weights: Int32Array) => number | null,
): BootstrapInterval | null {
  const { replicates, seed, level } = resolveBootstrap(options);
  if (numUnits === 0) return null;
  const rng = createRng(seed);
  const weights = new Int32Array(numUnits);
  const values = new Float64Array(replicates);
  let valid = 0;
  for (let b = 0; b < replicates; b++) {
    weights.fill(0);
    for (let j = 0; j < numUnits; j++) weights[Math.floor(rng() * numUnits)]!++;
    const v = statistic(weights);
    if (v !== null && Number.isFinite(v)) values[valid++] = v;
  }
  if (valid === 0) return null;
  const sorted = values.subarray(0, valid).sort();
  const alpha = (1 - level) / 2;
  return {
    lower: quantileSorted(sorted, alpha),
    upper: quantileSorted(sorted, 1 - alpha),
    level,
    method: 'bootstrap-percentile',
    replicates,
    validReplicates: valid,
    seed,
  };
}
