/**
 * Inference on a loaded version: request rows validated against the model's inputs, gathered
 * into column batches, run through a per-version micro-batcher (one `predictProba` call for all
 * requests that arrived in the same event-loop turn) and turned into decisions.
 */
import { MloopError, type ValidationIssue } from '../errors/index.js';
import { decideWithPlan, planFromJson, type ThresholdPlan } from '../fairness/index.js';
import type { ModelVersion } from '../registry/index.js';
import { predictWithInScope, storedOutOfScope, type ColumnBatch, type InputSpec, type Predictor } from '../training/index.js';
import type { Decision } from './serving.js';

/** A version ready to serve. */
export interface LoadedModel {
  readonly version: ModelVersion;
  readonly predictor: Predictor;
  /** `record.thresholds.confidence`; null means every prediction goes to review. */
  readonly threshold: number | null;
  /** The version's fairness mitigation plan (`record.thresholds.groups`): group thresholds applied per row; null without one. */
  readonly plan: ThresholdPlan | null;
  /** True when the model's training data was PII-redacted: logged text inputs are redacted too. */
  readonly redact: boolean;
  /**
   * Columns marked sensitive in the version's training datasets: a request may carry them with
   * each row; they are logged as the row's groups and never given to the model.
   */
  readonly groups: readonly string[];
  readonly batcher: MicroBatcher;
  readonly loadedAt: string;
}

/** One predicted row. */
export interface RowResult {
  label: string | null;
  /** Class → probability, in the model's class order (classifiers). */
  probabilities: Record<string, number> | null;
  /** Predicted value (regression). */
  value: number | null;
  confidence: number | null;
  decision: Decision;
  /** The group threshold that decided the row, when the version carries a mitigation plan. */
  fairness?: PlanDecision;
}

/** Which threshold of a mitigation plan decided a row (logged in its outputs as `fairness`). */
export interface PlanDecision {
  /** The plan's sensitive column. */
  attribute: string | null;
  /** The row's group: its value of `attribute`, `(missing)` when the request did not carry it. */
  group: string;
  /** The threshold applied: the group's, or the plan's base threshold for a group it has not seen; null = never automatic. */
  threshold: number | null;
}

/** Input rows validated against a model's inputs: a column batch, plus the rows to log. */
export interface ValidatedRows {
  batch: ColumnBatch;
  n: number;
  /** Each row reduced to the model's inputs. */
  rows: Array<Record<string, unknown>>;
  /** Each row's group (sensitive) column values as strings (null when sent as null); null when the row carries none. */
  groups: Array<Record<string, string | null> | null>;
}

/** The version's stored confidence threshold, when it is a usable number in [0, 1]. */
export function storedThreshold(version: ModelVersion): number | null {
  const t = version.record.thresholds?.['confidence'];
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= 1 ? t : null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks `instances` against `inputs` and builds the column batch. Every problem becomes an
 * issue naming `<prefix>.<row>.<field>`; fields the model does not read are ignored, except the
 * `groups` columns: when a row carries one, it must be a string, number, boolean or null, and is
 * kept (as a string) in `groups` for the log.
 */
export function validateRows(instances: unknown, inputs: readonly InputSpec[], options: { maxRows: number; prefix?: string; groups?: readonly string[] }): ValidatedRows {
  const prefix = options.prefix ?? 'instances';
  if (!Array.isArray(instances)) throw MloopError.validation(`${prefix} must be an array of objects`, [{ path: prefix, code: 'invalid_type', message: 'expected an array' }]);
  const n = instances.length;
  if (n === 0) throw MloopError.validation(`${prefix} is empty`, [{ path: prefix, code: 'too_small', message: 'send at least one row' }]);
  if (n > options.maxRows) {
    throw MloopError.resourceExhausted(`${n} rows in one request: at most ${options.maxRows} are allowed (setting serving.maxRowsPerRequest)`, {
      details: { limit: options.maxRows, rows: n, setting: 'serving.maxRowsPerRequest' },
      hint: 'split the request, or use `mloop predict` for files',
    });
  }
  const issues: ValidationIssue[] = [];
  const batch: ColumnBatch = {};
  const columns = inputs.map((input) => (input.kind === 'numeric' ? new Float64Array(n) : new Array<string | null>(n)));
  const rows: Array<Record<string, unknown>> = new Array(n);
  const groupNames = options.groups ?? [];
  const groups: Array<Record<string, string | null> | null> = new Array(n).fill(null);
  for (let i = 0; i < n && issues.length < 20; i++) {
    const row = instances[i] as unknown;
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      issues.push({ path: `${prefix}.${i}`, code: 'invalid_type', message: `expected an object of fields, got ${describe(row)}` });
      continue;
    }
    const obj = row as Record<string, unknown>;
    const kept: Record<string, unknown> = {};
    // A loop, and issue paths only when there is an issue: this runs for every predicted row.
    for (let c = 0; c < inputs.length; c++) {
      const input = inputs[c]!;
      const has = Object.hasOwn(obj, input.name);
      const v = has ? obj[input.name] : undefined;
      const col = columns[c]!;
      if (!has) {
        issues.push({ path: `${prefix}.${i}.${input.name}`, code: 'required', message: `missing field '${input.name}' (${input.kind})` });
        continue;
      }
      kept[input.name] = v;
      if (input.kind === 'text') {
        if (typeof v !== 'string') issues.push({ path: `${prefix}.${i}.${input.name}`, code: 'invalid_type', message: `'${input.name}' must be a string, got ${describe(v)}` });
        else (col as Array<string | null>)[i] = v;
      } else if (input.kind === 'numeric') {
        if (v === null) (col as Float64Array)[i] = Number.NaN;
        else if (typeof v === 'number' && Number.isFinite(v)) (col as Float64Array)[i] = v;
        else if (typeof v === 'boolean') (col as Float64Array)[i] = v ? 1 : 0;
        else issues.push({ path: `${prefix}.${i}.${input.name}`, code: 'invalid_type', message: `'${input.name}' must be a finite number or null, got ${describe(v)}` });
      } else if (v === null) (col as Array<string | null>)[i] = null;
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') (col as Array<string | null>)[i] = String(v);
      else issues.push({ path: `${prefix}.${i}.${input.name}`, code: 'invalid_type', message: `'${input.name}' must be a string, number, boolean or null, got ${describe(v)}` });
    }
    rows[i] = kept;
    let g: Record<string, string | null> | null = null;
    for (const name of groupNames) {
      if (!Object.hasOwn(obj, name)) continue;
      const v = obj[name];
      if (v === null) (g ??= {})[name] = null;
      else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') (g ??= {})[name] = String(v);
      else issues.push({ path: `${prefix}.${i}.${name}`, code: 'invalid_type', message: `'${name}' is a group column: send a string, number, boolean or null, got ${describe(v)}` });
    }
    groups[i] = g;
  }
  if (issues.length > 0) {
    const first = issues[0]!;
    throw MloopError.validation(issues.length === 1 ? `${first.path}: ${first.message}` : `${first.path}: ${first.message} (and ${issues.length - 1} more problems)`, issues, {
      details: { expected: inputs.map((i) => ({ name: i.name, kind: i.kind })) },
    });
  }
  inputs.forEach((input, c) => (batch[input.name] = columns[c]!));
  return { batch, n, rows, groups };
}

/** The version's out-of-scope rejection threshold (`record.thresholds.out_of_scope`, set by `mloop train --oos-label`), or null. */
export function storedOutOfScopeThreshold(version: ModelVersion): number | null {
  return storedOutOfScope(version.record.thresholds)?.threshold ?? null;
}

/** Rows rejected as out of scope: they stay in review whatever a mitigation plan says (no new property, so answers keep their shape). */
const outOfScopeRows = new WeakSet<RowResult>();

/**
 * Sends rows whose in-scope score is below `threshold` to review (label and confidence unchanged),
 * as `mloop train --oos-label` chose on validation data. Returns its argument.
 */
export function rejectOutOfScope(results: RowResult[], inScope: ArrayLike<number>, threshold: number): RowResult[] {
  for (let i = 0; i < results.length; i++) {
    if (inScope[i]! >= threshold) continue;
    const r = results[i]!;
    r.decision = 'review';
    outOfScopeRows.add(r);
  }
  return results;
}

/** The version's mitigation plan (`record.thresholds.groups`), or null. */
export function storedPlan(version: ModelVersion): ThresholdPlan | null {
  return planFromJson(version.record.thresholds?.['groups']);
}

/**
 * Applies a mitigation plan to rows decided by the single threshold, each with its request's group
 * values: automation plans route by the row's group threshold (label unchanged); decision plans
 * choose the label by the group threshold, the confidence becomes that label's probability and the
 * stored `threshold` routes it as before. Rows without the plan's column are the `(missing)` group
 * (its validation threshold if it had one, else the plan's base threshold). Regression rows are unchanged.
 */
export function applyPlan(
  plan: ThresholdPlan,
  threshold: number | null,
  rows: readonly RowResult[],
  groups: ReadonlyArray<Record<string, string | null> | null>,
): RowResult[] {
  return rows.map((r, i) => {
    if (r.label === null || r.probabilities === null || r.confidence === null || outOfScopeRows.has(r)) return r;
    const d = decideWithPlan(plan, { probabilities: r.probabilities, label: r.label, confidence: r.confidence }, groups[i] ?? null);
    const fairness: PlanDecision = { attribute: plan.attribute, group: d.group, threshold: Number.isFinite(d.threshold) ? d.threshold : null };
    if (d.decision !== null) return { ...r, decision: d.decision, fairness };
    const confidence = r.probabilities[d.label]!;
    return { ...r, label: d.label, confidence, decision: threshold !== null && confidence >= threshold ? 'auto' : 'review', fairness };
  });
}

type ProbabilityObject = (output: Float64Array, at: number) => Record<string, number>;
const probabilityMakers = new WeakMap<readonly string[], ProbabilityObject>();
/** The same by content, in case a predictor hands out a fresh class array per call (bounded). */
const probabilityMakersByNames = new Map<string, ProbabilityObject>();

/**
 * A function making `{class: output[at + c]}` for one class list. It is an object literal compiled
 * once per list: filling an empty object key by key went through V8's generic keyed stores (~1 µs
 * a row for 15 classes, and objects that later reads handle slowly). Names that an object literal
 * would treat specially (`__proto__`) keep the key-by-key path.
 */
function probabilityObjects(classes: readonly string[]): ProbabilityObject {
  let make = probabilityMakers.get(classes);
  if (make !== undefined) return make;
  const names = JSON.stringify(classes);
  make = probabilityMakersByNames.get(names);
  if (make === undefined) {
    if (classes.includes('__proto__') || classes.length > 1000) {
      make = (output, at) => {
        const o: Record<string, number> = {};
        for (let c = 0; c < classes.length; c++) Object.defineProperty(o, classes[c]!, { value: output[at + c]!, enumerable: true, writable: true, configurable: true });
        return o;
      };
    } else {
      // Class names enter the source only as JSON string literals.
      make = new Function('output', 'at', `return { ${classes.map((c, j) => `${JSON.stringify(c)}: output[at + ${j}]`).join(', ')} };`) as ProbabilityObject;
    }
    if (probabilityMakersByNames.size >= 256) probabilityMakersByNames.clear();
    probabilityMakersByNames.set(names, make);
  }
  probabilityMakers.set(classes, make);
  return make;
}

/** Turns predictor output into one result per row, with the decision rule applied. */
export function rowResults(predictor: Predictor, threshold: number | null, output: Float64Array, n: number): RowResult[] {
  const out: RowResult[] = new Array(n);
  const classes = predictor.classes;
  if (classes === null) {
    // Regression has no confidence to route on: its predictions are automatic.
    for (let i = 0; i < n; i++) out[i] = { label: null, probabilities: null, value: output[i]!, confidence: null, decision: 'auto' };
    return out;
  }
  const k = classes.length;
  const probabilitiesOf = probabilityObjects(classes);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (output[i * k + c]! > output[i * k + best]!) best = c;
    const probabilities = probabilitiesOf(output, i * k);
    const confidence = output[i * k + best]!;
    out[i] = { label: classes[best]!, probabilities, value: null, confidence, decision: threshold !== null && confidence >= threshold ? 'auto' : 'review' };
  }
  return out;
}

interface Job {
  batch: ColumnBatch;
  n: number;
  deadline: number;
  resolve(out: RowResult[]): void;
  reject(err: unknown): void;
}

/** A column batch made of several jobs' batches, in order. */
function concat(inputs: readonly InputSpec[], jobs: readonly Job[], total: number): ColumnBatch {
  if (jobs.length === 1) return jobs[0]!.batch;
  const batch: ColumnBatch = {};
  for (const input of inputs) {
    if (input.kind === 'numeric') {
      const col = new Float64Array(total);
      let at = 0;
      for (const j of jobs) {
        col.set(j.batch[input.name] as Float64Array, at);
        at += j.n;
      }
      batch[input.name] = col;
    } else {
      const col: Array<string | null> = [];
      for (const j of jobs) for (const v of j.batch[input.name] as ReadonlyArray<string | null>) col.push(v);
      batch[input.name] = col;
    }
  }
  return batch;
}

/**
 * Runs the rows of all requests that arrived in one event-loop turn through one predictor call
 * (up to `maxRows`). A job whose deadline passed before its turn fails with UNAVAILABLE instead
 * of using CPU for an answer nobody waits for.
 */
export class MicroBatcher {
  private jobs: Job[] = [];
  private scheduled = false;
  private pendingRows = 0;

  constructor(
    private readonly predictor: Predictor,
    private readonly threshold: number | null,
    private readonly maxRows = 256,
    /** The version's out-of-scope threshold ({@link storedOutOfScopeThreshold}); rows scoring below it go to review. */
    private readonly outOfScope: number | null = null,
  ) {}

  /** Jobs waiting for their turn. */
  get depth(): number {
    return this.jobs.length;
  }

  get rowsWaiting(): number {
    return this.pendingRows;
  }

  submit(batch: ColumnBatch, n: number, deadline: number): Promise<RowResult[]> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ batch, n, deadline, resolve, reject });
      this.pendingRows += n;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    const now = Date.now();
    const take: Job[] = [];
    let rows = 0;
    while (this.jobs.length > 0) {
      const job = this.jobs[0]!;
      if (take.length > 0 && rows + job.n > this.maxRows) break;
      this.jobs.shift();
      this.pendingRows -= job.n;
      if (job.deadline < now) {
        job.reject(MloopError.unavailable('the request timed out waiting for the model', { details: { reason: 'timeout' } }));
        continue;
      }
      take.push(job);
      rows += job.n;
    }
    if (this.jobs.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
    if (take.length === 0) return;
    try {
      const batch = concat(this.predictor.inputs, take, rows);
      // With an out-of-scope threshold, probabilities and in-scope scores come from one pass (the text model vectorises once).
      const scored = this.outOfScope !== null && this.predictor.classes !== null ? predictWithInScope(this.predictor, batch, rows) : null;
      const output = scored !== null ? scored.proba : this.predictor.classes === null ? this.predictor.predictValues(batch, rows) : this.predictor.predictProba(batch, rows);
      const results = rowResults(this.predictor, this.threshold, output, rows);
      if (scored !== null) rejectOutOfScope(results, scored.inScope, this.outOfScope!);
      let at = 0;
      for (const job of take) {
        job.resolve(results.slice(at, at + job.n));
        at += job.n;
      }
    } catch (err) {
      for (const job of take) job.reject(err);
    }
  }
}
