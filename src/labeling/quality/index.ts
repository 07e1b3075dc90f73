/**
 * Quality control of labels as a pure library: consensus (majority vote, Dawid–Skene), agreement
 * (Cohen, Fleiss, Krippendorff with bootstrap intervals), annotator quality and label-error
 * detection by confident learning. Every result is a plain JSON-serialisable object.
 */
export { buildAnswerSet, buildAnswerSetFromColumns, defaultClassOrder } from './answer-set.js';
export type { Answer, AnswerColumns, AnswerSet, BuildAnswerSetOptions, DuplicatePolicy } from './answer-set.js';
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
