/**
 * The demo's monitoring step: replay a period of support traffic through the deployed model into
 * the prediction log — a product launch part-way brings new vocabulary and the new intent
 * `device_setup` — let ground truth arrive only for the older part, and monitor it.
 */
import { generateSupportRequests } from '../demo/index.js';
import { redactText, type DatasetService, type LineageReport } from '../datasets/index.js';
import { rowResults, storedThreshold, type PredictionRecord } from '../serving/index.js';
import { newId } from '../storage/index.js';
import { loadModel } from '../training/index.js';
import type { Workspace } from '../workspace/index.js';
import type { MonitoringReport } from './model-monitor.js';

export interface DemoMonitoringOptions {
  /** Model to monitor (default `support`) and the alias served (default `champion`). */
  model?: string;
  alias?: string;
  /** Requests replayed (default 1500). */
  count?: number;
  /** Start of the replayed period (default `2026-07-01T00:00:00Z`) and its length (default 3 months). */
  start?: string;
  months?: number;
  /** When the product launches (default: a third into the period) and its name (default `Orbit Cam`). */
  launch?: { at?: string; product?: string };
  /** Ground truth arrives this many days after a prediction (default 28): the last weeks have none. */
  labelDelayDays?: number;
  /** Window of the report (default `7d`). */
  window?: string;
  seed?: number;
  actor?: string;
}

export interface DemoMonitoringResult {
  deployment: string;
  version: number;
  predictions: number;
  launch: string;
  /** Predictions made before this time have ground truth. */
  labelsUntil: string;
  /** The first window where dataset drift or a drifted input was detected, after the launch. */
  driftDetectedAt: string | null;
  driftDetected: boolean;
  /** Mean over windows before and after the launch where labels exist. */
  realizedAccuracy: { beforeLaunch: number | null; afterLaunch: number | null };
  /** Mean estimated (CBPE) accuracy before the launch, after it where labels exist, and in the windows without labels. */
  estimatedAccuracy: { beforeLaunch: number | null; afterLaunchLabelled: number | null; unlabelled: number | null };
  /** True when realized accuracy fell after the launch (where labels arrived). */
  realizedFell: boolean;
  /** True when the estimate fell after the launch, including windows where no label has arrived yet. */
  estimatedFellBeforeLabels: boolean;
  report: MonitoringReport;
}

function hasRedact(node: LineageReport): boolean {
  return node.transform.kind === 'redact' || node.parents.some(hasRedact);
}

/** As serving does: log redacted text when any training dataset descends from a redaction (unknown lineage counts as yes). */
async function redacts(datasets: DatasetService, refs: readonly string[]): Promise<boolean> {
  for (const ref of refs) {
    try {
      if (hasRedact(await datasets.lineage(ref))) return true;
    } catch {
      return true;
    }
  }
  return false;
}

function mean(xs: Array<number | null | undefined>): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

/**
 * Replays drifting traffic through `model@alias` into the prediction log and monitors it.
 *
 * @example
 * const r = await demoMonitoring(ws);
 * console.log(r.driftDetectedAt, r.realizedAccuracy, r.estimatedAccuracy);
 */
export async function demoMonitoring(ws: Workspace, options: DemoMonitoringOptions = {}): Promise<DemoMonitoringResult> {
  const model = options.model ?? 'support';
  const actor = options.actor ?? 'demo';
  const ref = `${model}@${options.alias ?? 'champion'}`;
  const version = await ws.registry.resolve(ref);
  const deployment = await ws.serving.deploy(actor, ref);
  const predictor = await loadModel(ws.registry, version);
  const threshold = storedThreshold(version);
  const start = options.start ?? '2026-07-01T00:00:00Z';
  const months = options.months ?? 3;
  const startMs = Date.parse(start);
  const endMs = new Date(startMs).setUTCMonth(new Date(startMs).getUTCMonth() + months);
  const launch = options.launch?.at ?? new Date(startMs + (endMs - startMs) / 3).toISOString();
  const rows = generateSupportRequests({ seed: options.seed ?? 7, count: options.count ?? 1500, start, months, launch: { at: launch, product: options.launch?.product ?? 'Orbit Cam' } });
  const labelsUntil = new Date(endMs - (options.labelDelayDays ?? 28) * 86_400_000).toISOString();
  const input = predictor.inputs[0]!.name;
  const redact = await redacts(ws.datasets, version.record.datasets);
  const BATCH = 256;
  for (let i = 0; i < rows.length; i += BATCH) {
    const part = rows.slice(i, i + BATCH);
    const texts = part.map((r) => r.text);
    const results = rowResults(predictor, threshold, predictor.predictProba({ [input]: texts }, texts.length), texts.length);
    const records: PredictionRecord[] = part.map((r, j) => {
      const res = results[j]!;
      return {
        id: newId('prd'),
        at: new Date(r.created_at).toISOString(),
        deployment: deployment.name,
        model: version.model,
        version: version.version,
        role: 'primary',
        primaryId: null,
        requestId: r.id,
        inputs: { [input]: redact ? redactText(r.text).text : r.text },
        outputs: { label: res.label, probabilities: res.probabilities },
        label: res.label,
        confidence: res.confidence,
        decision: res.decision,
        latencyMs: 0,
        redacted: redact,
        groups: { region: r.region },
      };
    });
    await ws.serving.store.insertPredictions(records);
    for (const [j, rec] of records.entries()) {
      if (rec.at < labelsUntil) await ws.serving.store.addTruth({ predictionId: rec.id, label: part[j]!.intent, source: 'import', actor, at: labelsUntil });
    }
  }
  const report = await ws.monitoring.report({ model: ref, window: options.window ?? '7d' });
  const before = report.windows.filter((w) => w.end <= launch);
  const after = report.windows.filter((w) => w.start >= launch);
  const afterLabelled = after.filter((w) => w.performance.labels > 0);
  const unlabelled = after.filter((w) => w.performance.labels === 0);
  const drifted = after.find((w) => (w.dataset_drift?.drifted ?? 0) > 0 || w.prediction.label_drift?.drift === true);
  const realizedBefore = mean(before.map((w) => w.performance.realized_accuracy?.value));
  const realizedAfter = mean(afterLabelled.map((w) => w.performance.realized_accuracy?.value));
  const estBefore = mean(before.map((w) => w.performance.estimated_accuracy?.value));
  const estAfter = mean(afterLabelled.map((w) => w.performance.estimated_accuracy?.value));
  const estUnlabelled = mean(unlabelled.map((w) => w.performance.estimated_accuracy?.value));
  return {
    deployment: deployment.name,
    version: version.version,
    predictions: rows.length,
    launch,
    labelsUntil,
    driftDetectedAt: drifted?.start ?? null,
    driftDetected: drifted !== undefined,
    realizedAccuracy: { beforeLaunch: realizedBefore, afterLaunch: realizedAfter },
    estimatedAccuracy: { beforeLaunch: estBefore, afterLaunchLabelled: estAfter, unlabelled: estUnlabelled },
    realizedFell: realizedBefore !== null && realizedAfter !== null && realizedAfter < realizedBefore,
    estimatedFellBeforeLabels: estBefore !== null && estUnlabelled !== null && estUnlabelled < estBefore,
    report,
  };
}
