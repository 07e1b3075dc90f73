/**
 * Training (issue 4): text and tabular learners in TypeScript over typed arrays, one predictor
 * interface over them, `trainModel` (dataset version → registered, calibrated model version) and
 * `evaluateModel` (model version × dataset version → report, automation, gates).
 */
export { LEARNERS, DEFAULT_LEARNER, getLearner, loadPredictor, predictWithInScope } from './predictor.js';
export type { LearnerId, Predictor, InputSpec, ColumnBatch, TrainHooks, TrainProgress, InScopeScore } from './predictor.js';
export { checkLearnerParams, LEARNER_PARAMS } from './learner-params.js';
export { trainModel, planColumns, holdout, classificationData, storedOutOfScope } from './training-service.js';
export type { TrainRequest, TrainResult, OutOfScopeRequest, StoredOutOfScope } from './training-service.js';
export { applyMitigation, evaluateModel, loadModel, mitigateModel, parseGateFile } from './model-evaluation.js';
export type { ApplyMitigationResult, EvaluateRequest, EvaluateResult, MitigateRequest, MitigateResult } from './model-evaluation.js';
export { findDatasetLabelIssues, stratifiedFolds } from './label-issues.js';
export { crossValidatedSearch, DEFAULT_GRIDS, MAX_GRID_POINTS, checkGrid, expandGrid, applyPoint } from './hyperparameter-search.js';
export type { ParamGrid, SearchResult, SearchCandidate } from './hyperparameter-search.js';
export type { LabelIssuesRequest, LabelIssuesReport, LabelIssueRow } from './label-issues.js';
export type { GbdtModelJson, GbdtTreeJson, GbdtFeature, LinearModelJson, LinearFeature, Calibrator } from './tabular/index.js';
