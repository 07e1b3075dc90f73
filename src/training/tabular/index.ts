/**
 * Tabular learners: histogram gradient-boosted trees and a regularised linear/logistic
 * baseline, with calibration and calibration metrics. Pure library: tables in, models out.
 */
export { trainGbdt, GbdtModel } from './gbdt.js';
export type { GbdtOptions, GbdtFeature, GbdtTreeJson, GbdtModelJson, GbdtReport } from './gbdt.js';
export { trainLinear, LinearModel } from './linear.js';
export type { LinearOptions, LinearFeature, LinearModelJson, LinearReport } from './linear.js';
export type { BinningOptions, FeatureWarning } from './binning.js';
export {
  applyCalibrator,
  chooseCalibrator,
  fitPlatt,
  fitIsotonic,
  expectedCalibrationError,
  reliabilityDiagram,
} from './calibration.js';
export type { Calibrator, CalibrationChoice, CalibrationChoiceResult, ReliabilityBin } from './calibration.js';
export { binaryLogLoss, rocAuc, accuracy } from './metrics.js';
export { isCancellation } from './progress.js';
export type { TrainingHooks, TrainingProgress } from './progress.js';
export { TABULAR_TASKS } from './target.js';
export type { TabularTask } from './target.js';
export type { FeatureSpec, FeatureKind, Table, Row, TabularInput, ColumnValues } from './table.js';
