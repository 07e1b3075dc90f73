/** Metrics as data: a frozen table of metric specs with stable ids, kept apart from their calculation. */
import { MloopError } from '../errors/index.js';
import {
  accuracy,
  averagePrecision,
  expectedCalibrationError,
  logLoss,
  macroF1,
  rocAuc,
  type ClassificationData,
  type Weights,
} from './classification-metrics.js';
import { mae, r2, rmse, type RegressionData } from './regression-metrics.js';

interface BaseSpec {
  /** Stable id, used in reports and gate files. */
  readonly id: string;
  /** Whether higher values are better. */
  readonly direction: 'higher' | 'lower';
  readonly doc: string;
}
export interface ClassificationMetricSpec extends BaseSpec {
  readonly task: 'classification';
  /** Only defined for two classes. */
  readonly binaryOnly: boolean;
  calculate(d: ClassificationData, weights?: Weights): number;
}
export interface RegressionMetricSpec extends BaseSpec {
  readonly task: 'regression';
  calculate(d: RegressionData, weights?: Weights): number;
}
export type MetricSpec = ClassificationMetricSpec | RegressionMetricSpec;

export const METRICS: Readonly<Record<string, MetricSpec>> = Object.freeze({
  accuracy: { id: 'accuracy', task: 'classification', direction: 'higher', binaryOnly: false, doc: 'share of rows whose predicted class is the true class', calculate: accuracy },
  macro_f1: { id: 'macro_f1', task: 'classification', direction: 'higher', binaryOnly: false, doc: 'unweighted mean of per-class F1', calculate: macroF1 },
  log_loss: { id: 'log_loss', task: 'classification', direction: 'lower', binaryOnly: false, doc: 'mean negative log-probability of the true class', calculate: logLoss },
  ece: { id: 'ece', task: 'classification', direction: 'lower', binaryOnly: false, doc: 'expected calibration error, 15 equal-width confidence bins', calculate: (d, w) => expectedCalibrationError(d, 15, w) },
  roc_auc: { id: 'roc_auc', task: 'classification', direction: 'higher', binaryOnly: true, doc: 'area under the ROC curve (binary)', calculate: rocAuc },
  pr_auc: { id: 'pr_auc', task: 'classification', direction: 'higher', binaryOnly: true, doc: 'average precision, the area under the precision–recall curve (binary)', calculate: averagePrecision },
  mae: { id: 'mae', task: 'regression', direction: 'lower', doc: 'mean absolute error', calculate: mae },
  rmse: { id: 'rmse', task: 'regression', direction: 'lower', doc: 'root mean squared error', calculate: rmse },
  r2: { id: 'r2', task: 'regression', direction: 'higher', doc: 'coefficient of determination', calculate: r2 },
} satisfies Record<string, MetricSpec>);

/** The spec of metric `id`; INVALID_ARGUMENT listing the valid ids otherwise. */
export function getMetric(id: string): MetricSpec {
  const spec = Object.hasOwn(METRICS, id) ? METRICS[id] : undefined;
  if (!spec) throw MloopError.invalidArgument(`unknown metric '${id}'; valid metrics: ${Object.keys(METRICS).join(', ')}`);
  return spec;
}
