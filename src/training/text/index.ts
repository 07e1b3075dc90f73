/** Text classification: TF-IDF features, softmax regression, temperature scaling. */
export { trainTextClassifier, TextModel } from './text-classifier.js';
export type {
  TextClassifierOptions,
  TextTrainReport,
  TextTrainResult,
  TextProbabilities,
  TextPrediction,
  TextModelArtifacts,
  TextModelManifest,
} from './text-classifier.js';
export type { TextTrainProgress, TextTrainStage, TrainHooks } from './progress.js';
export { DEFAULT_TFIDF_OPTIONS, fitTfidf, TfidfVectorizer } from './tfidf.js';
export type { CsrMatrix, TfidfOptions, TfidfBlockOptions, TfidfAnalyzer, TfidfState, TfidfBlockState } from './tfidf.js';
export { DEFAULT_SOFTMAX_OPTIONS, trainSoftmax, softmaxLogits } from './softmax-regression.js';
export type { SoftmaxOptions, SoftmaxModel, SoftmaxFit } from './softmax-regression.js';
export { fitTemperature, calibrationReport, calibrationBins, negativeLogLikelihood } from './calibration.js';
export type { CalibrationReport, ReliabilityBin } from './calibration.js';
