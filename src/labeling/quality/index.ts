/**
 * Quality control of labels as a pure library (issue 8). Every result is a plain, JSON-serialisable
 * object with a stable id (`QUALITY_METRIC_IDS`); a statistic that does not apply is `null` with a
 * `reason`, never NaN.
 *
 * Rules worth knowing:
 * - Answers: `buildAnswerSet` maps items, workers and classes to dense ints. Classes are ordered
 *   numerically when every label is an integer literal, else by code unit (or as given); that order
 *   is the tie order. Duplicate (item, worker) answers are rejected unless a keep policy is chosen.
 * - Majority vote: ties go to the smallest class. Confidence = the winner's vote share.
 * - Dawid–Skene: defaults replicate `crowd_baseline.py` (soft-MV start, 50 × M-step then E-step,
 *   1e-6 added to every count, argmax ties to the smallest class); `init: 'diagonal'` is Zheng et
 *   al.'s start. `adjudicationQueue` lists items whose confidence is below a threshold.
 * - Fleiss' kappa: fixed k answers per item. By default every item must have the same count, else
 *   null; `k: n` or `k: 'most-common'` uses only the items with exactly k answers (the rest are
 *   counted in `itemsExcluded`).
 * - Krippendorff's alpha (nominal): any number of answers per item; items with fewer than 2 are ignored.
 * - Bootstrap intervals resample items with replacement (seeded mulberry32, percentile method).
 * - Confident learning: thresholds = mean self-confidence per class; issues = off-diagonal of the
 *   confident joint, ranked by margin.
 */
export { buildAnswerSet, buildAnswerSetFromColumns, defaultClassOrder } from './answer-set.js';
export type { Answer, AnswerColumns, AnswerSet, BuildAnswerSetOptions, DuplicatePolicy } from './answer-set.js';
export { QUALITY_METRIC_IDS } from './metric-ids.js';
export type { QualityMetricId } from './metric-ids.js';
export { adjudicationQueue } from './consensus.js';
export type { AdjudicationItem, AdjudicationQueue, ConsensusMethod, ConsensusResult } from './consensus.js';
export { majorityVote } from './majority-vote.js';
export type { MajorityVoteResult } from './majority-vote.js';
export { dawidSkene } from './dawid-skene.js';
export type { DawidSkeneInit, DawidSkeneOptions, DawidSkeneResult } from './dawid-skene.js';
export { cohenKappa, pairwiseCohenKappa } from './cohen-kappa.js';
export type {
  AnnotatorPairKappa,
  CohenKappaOptions,
  CohenKappaResult,
  PairwiseCohenKappaOptions,
  PairwiseCohenKappaResult,
} from './cohen-kappa.js';
export { fleissKappa } from './fleiss-kappa.js';
export type { FleissKappaOptions, FleissKappaResult } from './fleiss-kappa.js';
export { krippendorffAlpha } from './krippendorff-alpha.js';
export type { KrippendorffAlphaOptions, KrippendorffAlphaResult } from './krippendorff-alpha.js';
export { bootstrapUnits, createRng } from './bootstrap.js';
export type { BootstrapInterval, BootstrapOptions } from './bootstrap.js';
export { normalQuantile, wilsonInterval } from './intervals.js';
export type { ConfidenceInterval } from './intervals.js';
export { annotatorQuality } from './annotator-quality.js';
export type {
  AnnotatorQuality,
  AnnotatorQualityOptions,
  AnnotatorQualityResult,
  ConsensusAgreement,
  GoldAccuracy,
} from './annotator-quality.js';
export { findLabelIssues } from './confident-learning.js';
export type { LabelIssue, LabelIssuesInput, LabelIssuesResult } from './confident-learning.js';
