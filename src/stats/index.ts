/**
 * Stats: statistical building blocks shared by evaluation, labeling, monitoring and training —
 * a seeded PRNG, bootstrap and Wilson intervals, the normal quantile.
 */
export { mulberry32 } from './random.js';
export { bootstrap, quantileSorted, wilson, normalQuantile } from './bootstrap.js';
export type { Estimate, BootstrapOptions } from './bootstrap.js';
