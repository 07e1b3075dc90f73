/** The stable ids carried in the `metric` / `method` field of every quality result. */
export const QUALITY_METRIC_IDS = Object.freeze([
  'consensus:majority-vote',
  'consensus:dawid-skene',
  'agreement:cohen-kappa',
  'agreement:cohen-kappa-pairwise',
  'agreement:fleiss-kappa',
  'agreement:krippendorff-alpha-nominal',
  'annotators:quality',
  'label-issues:confident-learning',
] as const);

/** One of {@link QUALITY_METRIC_IDS}. */
export type QualityMetricId = (typeof QUALITY_METRIC_IDS)[number];
