/** `mloop eval`: a registered model on a dataset version, with slices, automation and gates. */
import { createHash } from 'node:crypto';
import { readColumns, type DatasetService } from '../datasets/index.js';
import { MloopError } from '../errors/index.js';
import {
  applyThresholdPlan,
  auditFairness,
  checkFairnessRule,
  planFromJson,
  thresholdsFor,
  mitigateThresholds,
  planToJson,
  PARITY_CONSTRAINTS,
  splitAttributes,
  validateFairnessRule,
  type FairnessGateRule,
  type FairnessReport,
  type ParityConstraint,
  type ThresholdPlan,
} from '../fairness/index.js';
import {
  checkGate,
  parseGate,
  chooseThreshold,
  evaluateClassification,
  evaluateRegression,
  type ClassificationData,
  type ClassificationReport,
  type GateResult,
  type GateSpec,
  type RegressionReport,
  type ThresholdChoice,
} from '../evaluation/index.js';
import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { InputSpec, Predictor } from './predictor.js';
import { loadPredictor, predictWithInScope } from './predictor.js';
import { classificationData, storedOutOfScope, type StoredOutOfScope } from './training-service.js';

export interface EvaluateRequest {
  model: string;
  dataset: string;
  /** Label column (default: the model's). */
  label?: string;
  slices?: string[];
  /** Choose a threshold for this precision on the model's stored validation predictions. */
  targetPrecision?: number;
  gate?: GateSpec;
  /** Compare with this version for `beats_champion_by` rules (default: the model's `champion`, when it is another version). */
  champion?: string | null;
  /** Sensitive columns to audit (default: the dataset's columns marked sensitive); `a&b` audits the intersection of columns a and b. Columns and intersections that the gate's `fairness.*` rules name are always audited. */
  sensitive?: string[];
  replicates?: number;
  seed?: number;
}

export interface EvaluateResult {
  model: string;
  dataset: string;
  report: ClassificationReport | RegressionReport;
  threshold: { source: 'stored' | 'target-precision'; choice: ThresholdChoice | null; confidence: number | null } | null;
  gate: GateResult | null;
  champion: string | null;
  /** Bias audit over the sensitive columns (classification only), or null when there are none. */
  fairness: FairnessReport | null;
}

/** Parses a gate file's content: evaluation rules plus `fairness.*` rules. */
export function parseGateFile(raw: unknown, source = 'gate'): GateSpec {
  return parseGate(raw, source, [{ prefix: 'fairness.', validate: validateFairnessRule }]);
}

/** Loads a registered version as a predictor (its files verified by hash). */
export async function loadModel(registry: RegistryService, version: ModelVersion): Promise<Predictor> {
  const files = new Map<string, Buffer>();
  for (const a of version.artifacts) if (a.name !== 'validation-predictions.json') files.set(a.name, await registry.readArtifact(version, a.name));
  const inputs = version.record.inputSchema.map((c) => ({ name: c.name, kind: c.type as InputSpec['kind'] }));
  return loadPredictor(version.record.learner, version.task, inputs, files);
}

/** The version's stored validation predictions; with an out-of-scope threshold, only the rows it accepts (automation is chosen among them, as at training). */
async function storedValidation(registry: RegistryService, version: ModelVersion): Promise<ClassificationData | undefined> {
  if (!version.artifacts.some((a) => a.name === 'validation-predictions.json')) return undefined;
  const v = JSON.parse((await registry.readArtifact(version, 'validation-predictions.json')).toString('utf8')) as { classes: string[]; y_true: number[]; y_pred: number[]; confidence: number[]; in_scope?: number[] };
  const oosThreshold = storedOutOfScope(version.record.thresholds)?.threshold ?? null;
  const keep = [...v.y_true.keys()].filter((i) => oosThreshold === null || v.in_scope === undefined || v.in_scope[i]! >= oosThreshold);
  return { classes: v.classes, yTrue: Int32Array.from(keep, (i) => v.y_true[i]!), yPred: Int32Array.from(keep, (i) => v.y_pred[i]!), confidence: Float64Array.from(keep, (i) => v.confidence[i]!) };
}

async function predictOn(deps: { datasets: DatasetService }, predictor: Predictor, dataset: string, label: string, slices: string[]) {
  const names = [...new Set([label, ...predictor.inputs.map((i) => i.name), ...slices])];
  // A boolean class label is read as true/false, as training reads it.
  const read = await readColumns(deps.datasets, dataset, names, { labels: predictor.classes ? [label] : [] });
  const keep: number[] = [];
  const col = read.columns[label]!;
  for (let i = 0; i < read.rows; i++) {
    const v = col.values[i];
    if (v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v)) && v !== '') keep.push(i);
  }
  if (keep.length === 0) throw MloopError.invalidArgument(`${read.version.ref} has no rows with a '${label}' value to evaluate on`);
  const batch: Record<string, Float64Array | Array<string | null>> = {};
  for (const input of predictor.inputs) {
    const c = read.columns[input.name]!;
    if (c.kind === 'numeric') batch[input.name] = input.kind === 'numeric' ? Float64Array.from(keep, (i) => c.values[i]!) : keep.map((i) => (Number.isNaN(c.values[i]!) ? null : String(c.values[i])));
    else batch[input.name] = keep.map((i) => c.values[i] ?? null);
  }
  const sliceValues: Record<string, Array<string | null>> = {};
  for (const s of slices) {
    const c = read.columns[s]!;
    sliceValues[s] = keep.map((i) => {
      const v = c.values[i];
      return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : String(v);
    });
  }
  return { ref: read.version.ref, keep, batch, truth: keep.map((i) => col.values[i]!), sliceValues };
}

/**
 * Evaluates a model version on a dataset version.
 *
 * @example
 * const r = await evaluateModel({ datasets, registry }, { model: 'support@champion', dataset: 'tickets@4', targetPrecision: 0.97 });
 */
export async function evaluateModel(deps: { datasets: DatasetService; registry: RegistryService }, req: EvaluateRequest): Promise<EvaluateResult> {
  const version = await deps.registry.resolve(req.model);
  const predictor = await loadModel(deps.registry, version);
  const label = req.label ?? version.record.label;
  if (label === undefined) throw MloopError.invalidArgument('name the label column with --label');
  const slices = req.slices ?? [];
  const seed = req.seed ?? 0;
  const replicates = req.replicates ?? 1000;
  const datasetVersion = await deps.datasets.show(req.dataset);
  const fairnessRules = (req.gate?.rules ?? []).filter((r) => r.metric.startsWith('fairness.')) as unknown as FairnessGateRule[];
  // the columns to read and the intersections (`sex&race`) to audit: asked for, or marked, plus those the gate's rules name
  const { columns: sensitive, intersections } = splitAttributes([
    ...(req.sensitive ?? datasetVersion.schema.filter((c) => c.roles.includes('sensitive')).map((c) => c.name)),
    ...fairnessRules.map((r) => r.attribute),
  ]);
  let championVersion: ModelVersion | undefined;
  if (req.gate?.rules.some((r) => r.beats_champion_by !== undefined) && req.champion !== null) {
    const model = await deps.registry.getModel(version.model);
    const ref = req.champion ?? (model.aliases['champion'] !== undefined ? `${version.model}@champion` : undefined);
    if (ref !== undefined) {
      const c = await deps.registry.resolve(ref);
      if (c.id !== version.id) championVersion = c;
    }
  }

  const plans = [version, championVersion].map((v) => (v === undefined ? null : planFromJson(v.record.thresholds?.['groups'])));
  // a plan's column, when the data has it: rows without it fall back as in serving
  const planColumns = plans.flatMap((p) => (p?.attribute != null && datasetVersion.schema.some((c) => c.name === p.attribute) ? [p.attribute] : []));
  const data = await predictOn(deps, predictor, req.dataset, label, [...new Set([...slices, ...sensitive, ...planColumns])]);
  const n = data.keep.length;
  if (version.task === 'regression') {
    const evalOf = async (p: Predictor) =>
      evaluateRegression({ yTrue: Float64Array.from(data.truth as number[], Number), yPred: p.predictValues(data.batch, n) }, { slices: data.sliceValues, replicates, seed });
    const report = await evalOf(predictor);
    const champion = championVersion ? await evalOf(await loadModel(deps.registry, championVersion)) : undefined;
    return { model: version.ref, dataset: data.ref, report, threshold: null, gate: req.gate ? checkGate(req.gate, report, champion) : null, champion: championVersion?.ref ?? null, fairness: null };
  }

  let threshold: EvaluateResult['threshold'] = null;
  if (req.targetPrecision !== undefined) {
    const validation = await storedValidation(deps.registry, version);
    if (!validation) throw MloopError.failedPrecondition(`${version.ref} kept no validation predictions to choose a threshold on`);
    const choice = chooseThreshold(validation, req.targetPrecision);
    threshold = { source: 'target-precision', choice, confidence: choice.achievable ? choice.threshold : null };
  } else {
    const stored = version.record.thresholds?.['confidence'];
    if (typeof stored === 'number') threshold = { source: 'stored', choice: null, confidence: stored };
  }
  const sliceOnly = Object.fromEntries(slices.map((s) => [s, data.sliceValues[s]!]));
  const sensitiveValues = Object.fromEntries(sensitive.map((s) => [s, data.sliceValues[s]!]));
  const evalOf = (p: Predictor, t: number | null, plan: ThresholdPlan | null, oos: StoredOutOfScope | null) => {
    // With a stored out-of-scope threshold, its score comes from the same pass as the probabilities.
    const scored = oos?.threshold != null ? predictWithInScope(p, data.batch, n) : null;
    let d = classificationData(p.classes!, data.truth.map(String), scored?.proba ?? p.predictProba(data.batch, n));
    let rowThresholds: Float64Array | undefined;
    if (plan !== null) {
      const groups = plan.attribute !== null && data.sliceValues[plan.attribute] !== undefined ? data.sliceValues[plan.attribute]! : new Array<string | null>(n).fill(null);
      if (plan.kind === 'automation') {
        t ??= plan.baseThreshold;
        rowThresholds = thresholdsFor(plan, groups);
      } else {
        // the plan chooses the label; its probability becomes the confidence, as in serving
        const { yPred } = applyThresholdPlan(plan, d, groups);
        const k = d.classes.length;
        const proba = d.proba;
        d = { ...d, yPred, confidence: proba === undefined ? d.confidence : Float64Array.from(yPred, (c, i) => proba[i * k + c]!) };
      }
    }
    if (scored !== null && t !== null) {
      // A row rejected as out of scope goes to people whatever its confidence, as in serving.
      const base = rowThresholds;
      rowThresholds = Float64Array.from({ length: n }, (_, i) => (scored.inScope[i]! < oos!.threshold! ? Infinity : base === undefined ? t! : base[i]!));
    }
    const thresholdOptions = { ...(t === null ? {} : { threshold: t }), ...(rowThresholds === undefined ? {} : { rowThresholds }) };
    const outOfScope = scored === null ? {} : { outOfScope: { scores: scored.inScope, threshold: oos!.threshold!, score: scored.score } };
    const report = evaluateClassification(d, { slices: sliceOnly, replicates, seed, ...thresholdOptions, ...outOfScope });
    const fairness = sensitive.length === 0 ? null : auditFairness(d, sensitiveValues, { replicates: Math.min(replicates, 500), seed, intersections, ...thresholdOptions });
    return { report, fairness };
  };
  // an explicit --target-precision asks for one threshold: the plan's group thresholds then do not apply
  const mine = evalOf(predictor, threshold?.confidence ?? null, threshold?.source === 'target-precision' ? null : plans[0]!, storedOutOfScope(version.record.thresholds));
  let champion: ReturnType<typeof evalOf> | undefined;
  if (championVersion) {
    const cp = await loadModel(deps.registry, championVersion);
    const ct = championVersion.record.thresholds?.['confidence'];
    champion = evalOf(cp, typeof ct === 'number' ? ct : null, plans[1]!, storedOutOfScope(championVersion.record.thresholds));
  }
  const external = (rule: { metric: string }) =>
    rule.metric.startsWith('fairness.') ? checkFairnessRule(rule as unknown as FairnessGateRule, mine.fairness ?? undefined, champion?.fairness ?? undefined) : undefined;
  return {
    model: version.ref,
    dataset: data.ref,
    report: mine.report,
    threshold,
    gate: req.gate ? checkGate(req.gate, mine.report, champion?.report, external) : null,
    champion: championVersion?.ref ?? null,
    fairness: mine.fairness,
  };
}

export interface MitigateRequest {
  model: string;
  /** Validation data with labels and the sensitive column; not the data the model was trained on. */
  dataset: string;
  /** The sensitive column whose groups get their own thresholds. */
  sensitive: string;
  constraint: ParityConstraint;
  /** Largest allowed gap between groups on the validation data (default 0.02). */
  tolerance?: number;
  /** Review/auto: the break-even precision (default: the validation precision at the model's stored threshold). */
  targetPrecision?: number;
  /** Binary decisions: the favourable class (default: the second class). */
  positiveLabel?: string;
}

export interface MitigateResult {
  model: string;
  dataset: string;
  /** Group thresholds and the before/after figures on the validation data. */
  plan: ThresholdPlan;
}

/**
 * Chooses group-specific thresholds for a registered model on validation data (see
 * `mitigateThresholds`): decision thresholds for binary models, or automation thresholds around
 * the model's stored confidence threshold for `auto_share` and `auto_precision`.
 *
 * @example
 * const r = await mitigateModel({ datasets, registry }, { model: 'support@champion', dataset: 'tickets@5', sensitive: 'region', constraint: 'auto_share' });
 * console.log(r.plan.thresholds, r.plan.validation.cost);
 */
export async function mitigateModel(deps: { datasets: DatasetService; registry: RegistryService }, req: MitigateRequest): Promise<MitigateResult> {
  if (!PARITY_CONSTRAINTS.includes(req.constraint)) {
    throw MloopError.invalidArgument(`unknown constraint '${String(req.constraint)}'; valid: ${PARITY_CONSTRAINTS.join(', ')}`);
  }
  const version = await deps.registry.resolve(req.model);
  if (version.task === 'regression') throw MloopError.invalidArgument(`${version.ref} is a regression model; mitigation needs a classifier`);
  const label = version.record.label;
  if (label === undefined) throw MloopError.failedPrecondition(`${version.ref} records no label column to compare predictions with`);
  const automation = req.constraint === 'auto_share' || req.constraint === 'auto_precision';
  const stored = version.record.thresholds?.['confidence'];
  if (automation && typeof stored !== 'number') {
    throw MloopError.failedPrecondition(`${version.ref} has no automation threshold to adjust`, { hint: 'train it with --target-precision' });
  }
  const predictor = await loadModel(deps.registry, version);
  const data = await predictOn(deps, predictor, req.dataset, label, [req.sensitive]);
  const d = classificationData(predictor.classes!, data.truth.map(String), predictor.predictProba(data.batch, data.keep.length));
  const plan = mitigateThresholds(d, data.sliceValues[req.sensitive]!, {
    constraint: req.constraint,
    attribute: req.sensitive,
    ...(req.tolerance === undefined ? {} : { tolerance: req.tolerance }),
    ...(automation ? { baseThreshold: stored as number } : {}),
    ...(req.targetPrecision === undefined ? {} : { targetPrecision: req.targetPrecision }),
    ...(req.positiveLabel === undefined ? {} : { positiveLabel: req.positiveLabel }),
  });
  return { model: version.ref, dataset: data.ref, plan };
}

export interface ApplyMitigationResult {
  /** The version the plan was chosen for. */
  source: string;
  /** The new version: the source's files, its record with `thresholds.groups` = the plan. */
  version: ModelVersion;
  /** False when this plan was applied to this source before (the same version is returned). */
  created: boolean;
}

/**
 * Applies a plan from {@link mitigateModel}: registers a new version of the model with the source
 * version's files and record, the plan in `record.thresholds.groups` (so serving decides with the
 * group thresholds) and its lineage in `record.extra.mitigation` (source version, validation
 * dataset, the plan's validation figures). Applying the same plan to the same version twice
 * returns the first version. An infeasible plan (thresholds unchanged) is INVALID_ARGUMENT.
 *
 * @example
 * const r = await mitigateModel(deps, { model: 'support@champion', dataset: 'tickets@5', sensitive: 'region', constraint: 'auto_share' });
 * const { version } = await applyMitigation(deps, 'alice', r); // support@N, serving group thresholds
 */
export async function applyMitigation(deps: { registry: RegistryService }, actor: string, mitigation: MitigateResult): Promise<ApplyMitigationResult> {
  const { plan } = mitigation;
  if (!plan.feasible) throw MloopError.invalidArgument(`the plan for ${mitigation.model} changes nothing: ${plan.message}`, { hint: 'try a larger tolerance' });
  const source = await deps.registry.resolve(mitigation.model);
  const stored = planToJson(plan);
  const digest = createHash('sha256').update(JSON.stringify(stored)).digest('hex').slice(0, 16);
  const lineage = { source: source.ref, source_id: source.id, dataset: mitigation.dataset, attribute: plan.attribute, constraint: plan.constraint, tolerance: plan.tolerance, validation: plan.validation };
  const { version, created } = await deps.registry.deriveVersion(actor, source, {
    runKey: `mitigate:${source.id}:${digest}`,
    record: { ...source.record, thresholds: { ...source.record.thresholds, groups: stored }, extra: { ...source.record.extra, mitigation: lineage } },
    tags: { mitigated_from: source.ref },
    notes: `${source.ref} with group thresholds for ${plan.constraint} by '${plan.attribute ?? ''}' (tolerance ${plan.tolerance}), chosen on ${mitigation.dataset}: ${plan.message}`,
  });
  return { source: source.ref, version, created };
}
