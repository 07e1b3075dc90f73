/**
 * Monitoring of a served model over windows of its prediction log: per window, drift of every
 * input against the reference (by default the model's training data), drift of the predictions
 * (label and confidence distributions, share routed to review) against the model's held-out
 * predictions, realized accuracy where ground truth arrived and CBPE-estimated accuracy
 * everywhere. Rows are streamed from the store in pages into bounded window summaries.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { readColumns, type ColumnData, type DatasetService } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import { BIAS_METRIC_KEYS, BiasWindow, type BiasWindowOptions, type BiasWindowResult } from '../fairness/index.js';
import type { ModelVersion, RegistryService } from '../registry/index.js';
import { calibrateAlarms, calibrateAlarmsAsync, evaluateAlarms, type AlarmCalibration, type AlarmPolicy } from './drift/alarms.js';
import { computeDrift, computeDriftOffThread, DriftWindow, profileDataset, type Columns, type DatasetProfile, type FeatureSpec } from './drift/dataset-drift.js';
import type { FeatureKind, FeatureWindowSummary } from './drift/drift-tests.js';
import { parseInstant, parseWindow, type WindowSpec } from './monitoring.js';
import type { MonitoredPrediction, MonitoringStore } from './monitoring-store.js';
import { fitConfidenceCalibration, PerformanceWindow, type ConfidenceCalibration, type WindowPerformance } from './performance/performance.js';

/** What to monitor. */
export interface MonitorRequest {
  /** `name` (every version), `name@N` or `name@alias` (that version only). */
  model: string;
  /** Window spec (default `7d`). */
  window?: string;
  /**
   * Reference: a dataset version `name@N` (default: the version's first training dataset) or a
   * window of past predictions `{ from, to }` (ISO times).
   */
  reference?: string | { from: string; to: string };
  /**
   * Only predictions at or after / before these times: ISO 8601 dates or times, compared as
   * instants (any offset; none means UTC). INVALID_ARGUMENT for anything else.
   */
  from?: string;
  to?: string;
  /** Windows with fewer predictions get no drift tests (default 30). */
  minWindowRows?: number;
  policy?: AlarmPolicy;
  /** Rows per page read from the store (default 1000). */
  pageSize?: number;
  /** Bias monitoring of the logged group columns (minimum group size, level, positive class). */
  fairness?: Pick<BiasWindowOptions, 'minGroupSize' | 'level' | 'positiveLabel'>;
  /**
   * Run a text window's domain classifier on a worker thread (default true), so that a server
   * computing the report keeps answering requests; false runs it on the calling thread. The same numbers either way.
   */
  offThread?: boolean;
}

/** One feature's drift in one window (the JSON shape of issue 7). */
export interface WindowFeatureDrift {
  name: string;
  kind: FeatureKind;
  test: string;
  statistic: number;
  p_value: number | null;
  effect_size: number;
  drift: boolean;
  calibrated_p_value: number | null;
  threshold: number | null;
}

/** Reference-versus-current distribution of one feature, for charts. */
export interface FeatureDistribution {
  name: string;
  kind: FeatureKind;
  /** Bin or category labels. */
  bins: string[];
  reference: number[];
  current: number[];
  /** Text: expected (Good–Turing) and current out-of-vocabulary rate. */
  oov?: { reference: number; current: number };
}

/** Everything measured on one window. */
export interface MonitoringWindow {
  /** ISO start and end (exclusive) of the window; count windows span their first to last prediction. */
  start: string;
  end: string;
  predictions: number;
  /** Null when the window has fewer than `minWindowRows` predictions. */
  features: WindowFeatureDrift[] | null;
  dataset_drift: { drifted: number; total: number; share: number; detected: boolean } | null;
  prediction: {
    review_share: number;
    mean_confidence: number | null;
    labels: Record<string, number>;
    label_drift: WindowFeatureDrift | null;
    confidence_drift: WindowFeatureDrift | null;
  };
  performance: WindowPerformance;
  /**
   * Group gaps of the window over the logged group columns (fairness's definitions): selection
   * rate and review share on every row, accuracy/TPR/FPR where ground truth arrived; null when no
   * prediction carried groups.
   */
  fairness: BiasWindowResult | null;
  /** Every monitored value by name (what alert rules read). */
  values: Record<string, number | null>;
}

/** A monitoring snapshot: serialisable, rendered as text, JSON or HTML. */
export interface MonitoringReport {
  model: string;
  /** Versions whose predictions are included (null: all). */
  version: number | null;
  window: string;
  reference: { kind: 'dataset' | 'predictions'; ref: string; rows: number };
  prediction_reference: { source: 'validation' | 'predictions' | 'none'; rows: number };
  calibration: { source: 'validation' | 'predictions' | 'none'; n: number };
  generated_at: string;
  windows: MonitoringWindow[];
  /** The latest window's features, drift and performance (issue 7's JSON shape). */
  features: WindowFeatureDrift[];
  dataset_drift: MonitoringWindow['dataset_drift'];
  performance: WindowPerformance & { series: Array<{ start: string; realized: number | null; estimated: number | null; labels: number }> };
  /** The latest window's distributions against the reference. */
  distributions: FeatureDistribution[];
  /** The latest window's group gaps, and each window's gaps by attribute and metric (value and bounds) for charts. */
  fairness: BiasWindowResult | null;
  fairness_series: Array<{ start: string; attribute: string; metric: string; value: number | null; lower: number | null; upper: number | null }>;
  method: { false_alarm_rate: number; fdr: number; bootstrap: number; min_window_rows: number };
}

export interface MonitorDeps {
  store: MonitoringStore;
  registry: RegistryService;
  datasets: DatasetService;
  clock?: () => Date;
}

const KIND: Record<string, FeatureKind | undefined> = { numeric: 'numeric', integer: 'numeric', boolean: 'categorical', categorical: 'categorical', text: 'text' };
const WEEK = 7 * 86_400_000;
// 1970-01-01 was a Thursday: weekly windows start on Mondays.
const MONDAY = 4 * 86_400_000;

function asColumn(c: ColumnData, kind: FeatureKind): ArrayLike<unknown> {
  if (c.kind === 'numeric') return kind === 'numeric' ? c.values : Array.from(c.values, (v) => (Number.isNaN(v) ? null : String(v)));
  return c.values;
}

function featureSpecs(version: ModelVersion): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  for (const c of version.record.inputSchema) {
    if (c.role === 'label' || c.role === 'id' || c.role === 'time') continue;
    const kind = KIND[c.type];
    if (kind === undefined) continue;
    specs.push(kind === 'text' ? { name: c.name, kind, tests: [{ test: 'drift:text-oov' }, { test: 'drift:text-token-js' }, { test: 'drift:text-domain-auc' }] } : { name: c.name, kind });
  }
  if (specs.length === 0) throw MloopError.failedPrecondition(`${version.ref} has no inputs drift tests can compare`);
  return specs;
}

/** The inputs of a version the report tests for drift: the features `drift.<feature>` can name. */
export function monitoredFeatures(version: ModelVersion): string[] {
  return version.record.inputSchema.filter((c) => c.role !== 'label' && c.role !== 'id' && c.role !== 'time' && KIND[c.type] !== undefined).map((c) => c.name);
}

interface HeldOut {
  labels: string[];
  confidence: number[];
  correct: boolean[];
}

async function heldOutPredictions(registry: RegistryService, version: ModelVersion): Promise<HeldOut | null> {
  if (!version.artifacts.some((a) => a.name === 'validation-predictions.json')) return null;
  const v = JSON.parse((await registry.readArtifact(version, 'validation-predictions.json')).toString('utf8')) as { classes: string[]; y_true: number[]; y_pred: number[]; confidence: number[] };
  return {
    labels: v.y_pred.map((i) => v.classes[i] ?? String(i)),
    confidence: v.confidence,
    correct: v.y_pred.map((p, i) => p === v.y_true[i]),
  };
}

/**
 * Streams predictions of the scan in pages. Before each page it gives the event loop a turn: the
 * server computes reports while it serves predictions, and with SQLite a page read never waits on
 * I/O, so a report over a long log would otherwise hold the thread for seconds.
 */
async function* pages(store: MonitoringStore, scan: { model: string; version?: number; from?: string; to?: string }, pageSize: number): AsyncGenerator<MonitoredPrediction[]> {
  let after: { at: string; id: string } | undefined;
  for (;;) {
    await yieldToEventLoop();
    const page = await store.scanPredictions({ ...scan, ...(after ? { after } : {}), limit: pageSize });
    if (page.length === 0) return;
    yield page;
    const last = page.at(-1)!;
    after = { at: last.at, id: last.id };
    if (page.length < pageSize) return;
  }
}

function windowStart(spec: WindowSpec & { kind: 'time' }, at: number): number {
  const offset = spec.ms % WEEK === 0 ? MONDAY : 0;
  return Math.floor((at - offset) / spec.ms) * spec.ms + offset;
}

/** Alarm calibrations by window size, reused within 10 % (as evaluateAlarms allows). */
class CalibrationCache {
  readonly #byProfile = new Map<DatasetProfile, AlarmCalibration[]>();
  /** Some calibration made so far (for the report's method). */
  any: AlarmCalibration | null = null;
  constructor(private readonly policy: AlarmPolicy) {}
  get(profile: DatasetProfile, size: number): AlarmCalibration {
    const list = this.#byProfile.get(profile) ?? [];
    this.#byProfile.set(profile, list);
    const hit = list.find((c) => Math.abs(size - c.window_size) <= 0.1 * c.window_size);
    if (hit) return hit;
    const made = calibrateAlarms(profile, size, this.policy);
    list.push(made);
    this.any ??= made;
    return made;
  }
  /** Makes the calibration {@link get} will need, giving the event loop turns while it works. */
  async prepare(profile: DatasetProfile, size: number): Promise<void> {
    const list = this.#byProfile.get(profile) ?? [];
    this.#byProfile.set(profile, list);
    if (list.some((c) => Math.abs(size - c.window_size) <= 0.1 * c.window_size)) return;
    const made = await calibrateAlarmsAsync(profile, size, this.policy);
    list.push(made);
    this.any ??= made;
  }
}

async function driftRows(profile: DatasetProfile, window: DriftWindow, cache: CalibrationCache, offThread: boolean): Promise<WindowFeatureDrift[]> {
  // The text domain classifier on a worker thread: a server's report does not hold its requests.
  const report = offThread ? await computeDriftOffThread(profile, window) : computeDrift(profile, window);
  // A feature whose test could not run (every value missing in the window) raises no alarm and
  // does not stop the others.
  const calibration = cache.get(profile, window.rows);
  const tested = calibration.features.filter((c) => report.features.find((f) => f.feature === c.feature)?.results.some((r) => r.test === c.test.test));
  const alarms = evaluateAlarms(tested.length === calibration.features.length ? calibration : { ...calibration, features: tested }, report);
  return report.features.map((f) => {
    const first = f.results[0];
    const alarm = alarms.features.find((a) => a.feature === f.feature);
    return {
      name: f.feature,
      kind: f.kind,
      test: first?.test ?? 'none',
      statistic: first?.statistic ?? Number.NaN,
      p_value: first?.p_value ?? null,
      effect_size: first?.effect_size ?? Number.NaN,
      drift: alarm?.status === 'alarm',
      calibrated_p_value: alarm?.calibrated_p_value ?? null,
      threshold: alarm?.threshold ?? null,
    };
  });
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(3))) : String(x);
}

function numericBins(edges: Float64Array): string[] {
  if (edges.length === 0) return ['all'];
  const out = [`< ${fmt(edges[0]!)}`];
  for (let i = 0; i + 1 < edges.length; i++) out.push(`${fmt(edges[i]!)}–${fmt(edges[i + 1]!)}`);
  out.push(`≥ ${fmt(edges.at(-1)!)}`);
  return out;
}

function shares(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return Array.from(counts, (c) => (total > 0 ? c / total : 0));
}

/** Reference-vs-current distributions of every feature in a window. */
export function featureDistributions(profile: DatasetProfile, summaries: FeatureWindowSummary[]): FeatureDistribution[] {
  return profile.features.map((f, i) => {
    const s = summaries[i]!;
    const p = f.profile;
    if (p.kind === 'numeric' && s.kind === 'numeric') {
      return { name: f.spec.name, kind: 'numeric', bins: numericBins(p.binEdges), reference: shares(p.binCounts), current: shares(s.binCounts) };
    }
    if (p.kind === 'categorical' && s.kind === 'categorical') {
      const all = new Map<string, number>();
      for (const [k, v] of p.counts) all.set(k, (all.get(k) ?? 0) + v / Math.max(1, p.n));
      for (const [k, v] of s.counts) all.set(k, (all.get(k) ?? 0) + v / Math.max(1, s.n));
      const top = [...all.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20).map(([k]) => k);
      return {
        name: f.spec.name,
        kind: 'categorical',
        bins: top,
        reference: top.map((k) => (p.counts.get(k) ?? 0) / Math.max(1, p.n)),
        current: top.map((k) => (s.counts.get(k) ?? 0) / Math.max(1, s.n)),
      };
    }
    if (p.kind === 'text' && s.kind === 'text') {
      return {
        name: f.spec.name,
        kind: 'text',
        bins: numericBins(p.lengths.binEdges).map((b) => `${b} tokens`),
        reference: shares(p.lengths.binCounts),
        current: shares(s.lengths.binCounts),
        oov: { reference: p.expectedOovRate, current: s.tokens > 0 ? s.oovTokens / s.tokens : 0 },
      };
    }
    return { name: f.spec.name, kind: f.spec.kind, bins: [], reference: [], current: [] };
  });
}

class WindowAccumulator {
  readonly drift: DriftWindow;
  readonly pred: DriftWindow | null;
  readonly perf: PerformanceWindow;
  readonly bias: BiasWindow;
  grouped = 0;
  n = 0;
  review = 0;
  confSum = 0;
  confN = 0;
  readonly labels = new Map<string, number>();
  first = '';
  last = '';

  constructor(
    readonly start: number | null,
    featureProfile: DatasetProfile,
    predProfile: DatasetProfile | null,
    calibration: ConfidenceCalibration | null,
    biasOptions: BiasWindowOptions,
  ) {
    this.drift = new DriftWindow(featureProfile);
    this.pred = predProfile ? new DriftWindow(predProfile) : null;
    this.perf = new PerformanceWindow(calibration);
    this.bias = new BiasWindow(biasOptions);
  }

  add(p: MonitoredPrediction): void {
    if (this.n === 0) this.first = p.at;
    this.last = p.at;
    this.n++;
    this.drift.addRow(p.inputs);
    this.pred?.addRow({ label: p.label, confidence: p.confidence });
    if (p.decision === 'review') this.review++;
    if (p.confidence !== null) {
      this.confSum += p.confidence;
      this.confN++;
    }
    if (p.label !== null) this.labels.set(p.label, (this.labels.get(p.label) ?? 0) + 1);
    this.perf.add(p.confidence, p.truth === null || p.label === null ? null : p.truth === p.label);
    // a window without any logged group has no group figures; otherwise rows without one are `(missing)`
    if (p.groups && Object.keys(p.groups).length > 0) this.grouped++;
    this.bias.add({ groups: p.groups ?? null, prediction: p.label, decision: p.decision, truth: p.truth });
  }
}

interface Context {
  featureProfile: DatasetProfile;
  predProfile: DatasetProfile | null;
  cache: CalibrationCache;
  minRows: number;
  offThread: boolean;
}

async function finish(acc: WindowAccumulator, spec: WindowSpec, ctx: Context): Promise<MonitoringWindow> {
  const enough = acc.n >= ctx.minRows;
  const features = enough ? await driftRows(ctx.featureProfile, acc.drift, ctx.cache, ctx.offThread) : null;
  const predRows = enough && acc.pred && ctx.predProfile ? await driftRows(ctx.predProfile, acc.pred, ctx.cache, ctx.offThread) : null;
  const drifted = features?.filter((f) => f.drift).length ?? 0;
  const dataset = features ? { drifted, total: features.length, share: drifted / features.length, detected: drifted / features.length >= 0.5 } : null;
  const performance = acc.perf.result();
  const labelDrift = predRows?.find((r) => r.name === 'label') ?? null;
  const confDrift = predRows?.find((r) => r.name === 'confidence') ?? null;
  const values: Record<string, number | null> = {
    predictions: acc.n,
    'drift.share': dataset?.share ?? null,
    'drift.count': dataset?.drifted ?? null,
    'prediction.label_drift': labelDrift ? Number(labelDrift.drift) : null,
    'prediction.confidence_drift': confDrift ? Number(confDrift.drift) : null,
    'prediction.review_share': acc.n > 0 ? acc.review / acc.n : null,
    'prediction.mean_confidence': acc.confN > 0 ? acc.confSum / acc.confN : null,
    'performance.labels': performance.labels,
    'performance.realized_accuracy': performance.realized_accuracy?.value ?? null,
    'performance.estimated_accuracy': performance.estimated_accuracy?.value ?? null,
  };
  for (const f of features ?? []) {
    values[`drift.${f.name}`] = Number(f.drift);
    values[`drift.${f.name}.statistic`] = f.statistic;
  }
  const fairness = acc.grouped > 0 ? acc.bias.result() : null;
  for (const a of fairness?.attributes ?? []) {
    for (const key of BIAS_METRIC_KEYS) {
      const g = a.gaps[key];
      values[`fairness.${a.attribute}.${key}`] = g.value;
      values[`fairness.${a.attribute}.${key}.lower`] = g.lower;
      values[`fairness.${a.attribute}.${key}.upper`] = g.upper;
    }
  }
  const start = acc.start !== null ? new Date(acc.start).toISOString() : acc.first;
  const end = acc.start !== null && spec.kind === 'time' ? new Date(acc.start + spec.ms).toISOString() : acc.last;
  return {
    start,
    end,
    predictions: acc.n,
    features,
    dataset_drift: dataset,
    prediction: {
      review_share: acc.n > 0 ? acc.review / acc.n : 0,
      mean_confidence: values['prediction.mean_confidence'] ?? null,
      labels: Object.fromEntries([...acc.labels.entries()].sort((a, b) => b[1] - a[1])),
      label_drift: labelDrift,
      confidence_drift: confDrift,
    },
    performance,
    fairness,
    values,
  };
}

/** The confidence calibration fitted on the version's held-out (validation) predictions, if it has them. */
function validationCalibration(heldOut: HeldOut | null): { calibration: ConfidenceCalibration | null; info: MonitoringReport['calibration'] } {
  if (!heldOut || heldOut.confidence.length === 0) return { calibration: null, info: { source: 'none', n: 0 } };
  const calibration = fitConfidenceCalibration(heldOut.confidence, heldOut.correct);
  return { calibration, info: { source: 'validation', n: calibration.n } };
}

/** What `estimateLatestAccuracy` asks for. */
export interface LatestEstimateRequest {
  /** As in `MonitorRequest`: `name`, `name@N` or `name@alias`. */
  model: string;
  /** A time window spec (default `7d`); count windows are refused. */
  window?: string;
  /** ISO time of the model's newest prediction: the estimate is of the window holding it. */
  last: string;
}

/** The CBPE-estimated accuracy of one window, as the monitoring report's window computes it. */
export interface LatestEstimate {
  model: string;
  window: string;
  /** ISO start and end (exclusive) of the window, aligned as the report aligns it. */
  start: string;
  end: string;
  /** Predictions with a confidence in the window (the estimate rests on them). */
  predictions: number;
  estimated_accuracy: WindowPerformance['estimated_accuracy'];
  realized_accuracy: WindowPerformance['realized_accuracy'];
  labels: number;
  calibration: MonitoringReport['calibration'];
}

/**
 * The estimated (CBPE) and realized accuracy of the window holding `last`, computed exactly as
 * `monitorModel` computes that window (same calibration, same rows) but without drift tests, so
 * a summary page shows the number the monitoring report shows, cheaply.
 *
 * @example
 * const e = await estimateLatestAccuracy(deps, { model: 'support', last: '2026-03-04T10:00:00Z' });
 */
export async function estimateLatestAccuracy(deps: MonitorDeps, req: LatestEstimateRequest): Promise<LatestEstimate> {
  const spec = parseWindow(req.window ?? '7d');
  if (spec.kind !== 'time') throw MloopError.invalidArgument(`the latest estimate needs a time window such as 7d, got '${spec.text}'`);
  const lastMs = Date.parse(req.last);
  if (!Number.isFinite(lastMs)) throw MloopError.invalidArgument(`invalid time '${req.last}'`);
  const version = await deps.registry.resolve(req.model);
  const pinned = req.model.includes('@') ? version.version : undefined;
  const heldOut = version.task === 'regression' ? null : await heldOutPredictions(deps.registry, version);
  const { calibration, info } = validationCalibration(heldOut);
  const start = windowStart(spec, lastMs);
  const end = start + spec.ms;
  const perf = new PerformanceWindow(calibration);
  const scan = { model: version.model, ...(pinned ? { version: pinned } : {}), from: new Date(start).toISOString(), to: new Date(end).toISOString() };
  for await (const page of pages(deps.store, scan, 1000)) {
    for (const p of page) perf.add(p.confidence, p.truth === null || p.label === null ? null : p.truth === p.label);
  }
  const r = perf.result();
  return {
    model: version.model,
    window: spec.text,
    start: scan.from,
    end: scan.to,
    predictions: r.predictions,
    estimated_accuracy: r.estimated_accuracy,
    realized_accuracy: r.realized_accuracy,
    labels: r.labels,
    calibration: info,
  };
}

/**
 * The request's times in the log's UTC form (the log compares them as text), each checked, and
 * each range's start before its end.
 */
function instants(req: MonitorRequest): Pick<MonitorRequest, 'from' | 'to' | 'reference'> {
  const out: Pick<MonitorRequest, 'from' | 'to' | 'reference'> = {};
  if (req.from !== undefined) out.from = parseInstant(req.from, 'since');
  if (req.to !== undefined) out.to = parseInstant(req.to, 'until');
  if (out.from !== undefined && out.to !== undefined && out.from >= out.to) throw MloopError.invalidArgument(`since (${out.from}) must be before until (${out.to})`);
  if (req.reference !== undefined && typeof req.reference !== 'string') {
    const from = parseInstant(req.reference.from, 'reference from');
    const to = parseInstant(req.reference.to, 'reference to');
    if (from >= to) throw MloopError.invalidArgument(`the reference window's start (${from}) must be before its end (${to})`);
    out.reference = { from, to };
  }
  return out;
}

/**
 * Monitors a model over windows of its prediction log.
 *
 * @example
 * const report = await monitorModel({ store, registry, datasets }, { model: 'support@champion', window: '7d' });
 */
export async function monitorModel(deps: MonitorDeps, req: MonitorRequest): Promise<MonitoringReport> {
  const spec = parseWindow(req.window ?? '7d');
  req = { ...req, ...instants(req) };
  const version = await deps.registry.resolve(req.model);
  const pinned = req.model.includes('@') ? version.version : undefined;
  const specs = featureSpecs(version);
  const names = specs.map((s) => s.name);
  const pageSize = Math.max(1, req.pageSize ?? 1000);
  const minRows = Math.max(2, req.minWindowRows ?? 30);
  const policy = req.policy ?? {};

  // Reference inputs.
  let refColumns: Columns;
  let reference: MonitoringReport['reference'];
  let refPredictions: { labels: Array<string | null>; confidence: Array<number | null>; correct: boolean[]; conf: number[] } | null = null;
  const refSpec = req.reference ?? version.record.datasets[0];
  if (refSpec === undefined) {
    throw MloopError.failedPrecondition(`${version.ref} records no training dataset to use as reference`, { hint: 'pass a reference dataset version or a window of past predictions' });
  }
  if (typeof refSpec === 'string') {
    const read = await readColumns(deps.datasets, refSpec, names);
    refColumns = Object.fromEntries(specs.map((s) => [s.name, asColumn(read.columns[s.name]!, s.kind)]));
    reference = { kind: 'dataset', ref: read.version.ref, rows: read.rows };
  } else {
    const cols: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
    refPredictions = { labels: [], confidence: [], correct: [], conf: [] };
    for await (const page of pages(deps.store, { model: version.model, ...(pinned ? { version: pinned } : {}), from: refSpec.from, to: refSpec.to }, pageSize)) {
      for (const p of page) {
        for (const n of names) cols[n]!.push(p.inputs[n] ?? null);
        refPredictions.labels.push(p.label);
        refPredictions.confidence.push(p.confidence);
        if (p.truth !== null && p.label !== null && p.confidence !== null) {
          refPredictions.correct.push(p.truth === p.label);
          refPredictions.conf.push(p.confidence);
        }
      }
    }
    const rows = refPredictions.labels.length;
    if (rows < minRows) throw MloopError.failedPrecondition(`the reference window ${refSpec.from}..${refSpec.to} holds ${rows} predictions of ${version.model}; at least ${minRows} are needed`);
    refColumns = Object.fromEntries(specs.map((s) => [s.name, s.kind === 'numeric' ? cols[s.name]!.map((v) => (v === null || v === '' ? null : Number(v))) : cols[s.name]!.map((v) => (v === null ? null : String(v)))]));
    reference = { kind: 'predictions', ref: `${refSpec.from}..${refSpec.to}`, rows };
  }
  const featureProfile = profileDataset(refColumns, specs);

  // Reference predictions (label and confidence distributions) and the confidence calibration.
  const heldOut = version.task === 'regression' ? null : await heldOutPredictions(deps.registry, version);
  let predProfile: DatasetProfile | null = null;
  let predictionReference: MonitoringReport['prediction_reference'] = { source: 'none', rows: 0 };
  if (refPredictions && refPredictions.labels.length > 0 && refPredictions.confidence.some((c) => c !== null)) {
    predProfile = profileDataset({ label: refPredictions.labels, confidence: refPredictions.confidence }, [{ name: 'label', kind: 'categorical' }, { name: 'confidence', kind: 'numeric' }]);
    predictionReference = { source: 'predictions', rows: refPredictions.labels.length };
  } else if (heldOut && heldOut.labels.length > 0) {
    predProfile = profileDataset({ label: heldOut.labels, confidence: heldOut.confidence }, [{ name: 'label', kind: 'categorical' }, { name: 'confidence', kind: 'numeric' }]);
    predictionReference = { source: 'validation', rows: heldOut.labels.length };
  }
  let { calibration, info: calibrationInfo } = validationCalibration(heldOut);
  if (calibration === null && refPredictions && refPredictions.conf.length >= 50) {
    calibration = fitConfidenceCalibration(refPredictions.conf, refPredictions.correct);
    calibrationInfo = { source: 'predictions', n: calibration.n };
  }

  const ctx: Context = { featureProfile, predProfile, cache: new CalibrationCache(policy), minRows, offThread: req.offThread ?? true };
  // Group attributes: the sensitive columns of the training data (as serving logs them), so a
  // prediction that did not carry one counts in the `(missing)` group; else whatever rows carry.
  const sensitive = new Set<string>();
  for (const ref of version.record.datasets) {
    try {
      for (const c of (await deps.datasets.show(ref)).schema) if (c.roles.includes('sensitive')) sensitive.add(c.name);
    } catch (err) {
      if (!(err instanceof MloopError)) throw err;
    }
  }
  const biasOptions: BiasWindowOptions = {
    ...(version.record.classes ? { classes: version.record.classes } : {}),
    ...(sensitive.size > 0 ? { attributes: [...sensitive].sort() } : {}),
    ...req.fairness,
  };
  const windows: MonitoringWindow[] = [];
  let acc: WindowAccumulator | null = null;
  let lastSummaries: FeatureWindowSummary[] | null = null;
  const close = async () => {
    if (acc && acc.n > 0) {
      // Calibrating alarms is the heavy part of a window: done first, with turns for the event loop.
      if (acc.n >= ctx.minRows) {
        await ctx.cache.prepare(ctx.featureProfile, acc.drift.rows);
        if (acc.pred && ctx.predProfile) await ctx.cache.prepare(ctx.predProfile, acc.pred.rows);
      }
      windows.push(await finish(acc, spec, ctx));
      lastSummaries = acc.drift.summaries();
    }
  };
  const scan = { model: version.model, ...(pinned ? { version: pinned } : {}), ...(req.from ? { from: req.from } : {}), ...(req.to ? { to: req.to } : {}) };
  for await (const page of pages(deps.store, scan, pageSize)) {
    for (const p of page) {
      if (spec.kind === 'time') {
        const start = windowStart(spec, Date.parse(p.at));
        if (!acc || acc.start !== start) {
          await close();
          acc = new WindowAccumulator(start, featureProfile, predProfile, calibration, biasOptions);
        }
      } else if (!acc || acc.n >= spec.size) {
        await close();
        acc = new WindowAccumulator(null, featureProfile, predProfile, calibration, biasOptions);
      }
      acc.add(p);
    }
  }
  await close();

  const latest = windows.at(-1);
  const emptyPerf = new PerformanceWindow(calibration).result();
  return {
    model: version.model,
    version: pinned ?? null,
    window: spec.text,
    reference,
    prediction_reference: predictionReference,
    calibration: calibrationInfo,
    generated_at: (deps.clock?.() ?? new Date()).toISOString(),
    windows,
    features: latest?.features ?? [],
    dataset_drift: latest?.dataset_drift ?? null,
    performance: {
      ...(latest?.performance ?? emptyPerf),
      series: windows.map((w) => ({ start: w.start, realized: w.performance.realized_accuracy?.value ?? null, estimated: w.performance.estimated_accuracy?.value ?? null, labels: w.performance.labels })),
    },
    distributions: lastSummaries ? featureDistributions(featureProfile, lastSummaries) : [],
    fairness: latest?.fairness ?? null,
    fairness_series: windows.flatMap((w) =>
      (w.fairness?.attributes ?? []).flatMap((a) => BIAS_METRIC_KEYS.map((metric) => ({ start: w.start, attribute: a.attribute, metric, value: a.gaps[metric].value, lower: a.gaps[metric].lower, upper: a.gaps[metric].upper }))),
    ),
    method: {
      false_alarm_rate: ctx.cache.any?.false_alarm_rate ?? policy.falseAlarmRate ?? 0.01,
      fdr: ctx.cache.any?.fdr ?? policy.fdr ?? 0.05,
      bootstrap: ctx.cache.any?.bootstrap ?? 0,
      min_window_rows: minRows,
    },
  };
}
