/**
 * The serving service of a workspace: deployments (what the servers serve), the review queue,
 * ground truth (review answers, feedback, CSV imports) and, inside `mloop server`, the runtime.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DatasetService } from '../datasets/index.js';
import { MloopError, type ValidationIssue } from '../errors/index.js';
import { parseModelRef, type ModelVersion, type RegistryService } from '../registry/index.js';
import { storedOutOfScope, type Predictor } from '../training/index.js';
import { checkDeploymentName, type Deployment, type GroundTruth, type PredictionRecord, type ReviewItem, type TruthSource } from './serving.js';
import type { ServingStore } from './serving-store.js';
import type { DayStats, DecisionRow, DecisionsFilter, ModelTraffic } from './prediction-stats.js';
import { ServingRuntime, type RuntimeLogger, type ServingRuntimeOptions } from './serving-runtime.js';
import type { PredictionLogStore } from './log-store.js';
import type { LogSegment } from './log-codec.js';
import { scoreFile, type BatchScoreOptions, type BatchScoreResult } from './batch-scoring.js';

/** Options of `deploy`. */
export interface DeployOptions {
  /** Endpoint name; default the model name. */
  name?: string;
  /** `model@alias` run on the same requests, logged, never returned. */
  shadow?: string | null;
  /** `model@alias` answering `canaryPercent` % of requests. */
  canary?: string | null;
  canaryPercent?: number;
}

/** One line (CSV) or item (JSON array) of a feedback import that was not recorded. */
export interface FeedbackImportIssue extends ValidationIssue {
  /** The CSV line number (from 1, the header included), or the JSON array index (from 0). */
  line: number;
}

/** The result of a bulk feedback import: one entry per problem (the first 100), counts for the rest. */
export interface FeedbackImportResult {
  /** The file imported, or `request` for an HTTP body. */
  file: string;
  rows: number;
  recorded: number;
  unknownPredictions: number;
  /**
   * Recorded rows whose label is neither a class of the prediction's model version nor its
   * out-of-scope label (recorded all the same: a new class can be real, but it is often a typo).
   */
  unknownLabels: number;
  issues: FeedbackImportIssue[];
}

/** Something recorded as asked that a person should look at (e.g. a label the model does not have). */
export type LabelWarnings = { warnings: string[] };

const MAX_LABEL = 200;

function checkLabel(label: unknown, path = 'label'): string {
  if (typeof label !== 'string' || label.trim() === '' || label.length > MAX_LABEL) {
    throw MloopError.validation(`${path} must be a non-empty string of at most ${MAX_LABEL} characters`, [{ path, code: 'invalid_value', message: 'expected a non-empty label' }]);
  }
  return label.trim();
}

/** Splits one CSV line (RFC 4180 quotes; no newlines inside fields). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export class ServingService {
  private runtimeInstance: ServingRuntime | null = null;
  private logStore: Promise<PredictionLogStore> | null = null;
  private readonly clock: () => Date;
  /** Per `model@version`: the labels it knows (classes and out-of-scope label), or null when it has no classes. Versions never change. */
  private readonly knownLabels = new Map<string, Promise<Set<string> | null>>();
  private readonly openLogStore: (() => Promise<PredictionLogStore>) | undefined;

  constructor(
    readonly store: ServingStore,
    private readonly registry: RegistryService,
    private readonly datasets: DatasetService,
    private readonly loader: (registry: RegistryService, version: ModelVersion) => Promise<Predictor>,
    options: {
      clock?: () => Date;
      /** Opens the store the prediction log writes to (a connection of its own that never waits for locks); default `store`. */
      openLogStore?: () => Promise<PredictionLogStore>;
    } = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.openLogStore = options.openLogStore;
  }

  /**
   * Deploys `ref` (`model@alias` to follow an alias, `model@N` to pin a version). The version must
   * resolve now; servers pick the deployment up within their poll interval.
   *
   * @example
   * await ws.serving.deploy('alice', 'support@champion', { shadow: 'support@challenger' });
   */
  async deploy(actor: string, ref: string, options: DeployOptions = {}): Promise<Deployment> {
    const parsed = parseModelRef(ref);
    if (parsed.alias === undefined && parsed.version === undefined) {
      throw MloopError.invalidArgument(`deploy needs '${ref}@<alias>' (follows alias moves) or '${ref}@<version>' (pinned)`, { hint: `for example: mloop deploy ${ref}@champion` });
    }
    const primary = await this.registry.resolve(ref);
    const name = checkDeploymentName(options.name ?? parsed.name);
    const check = async (other: string | null | undefined, what: string): Promise<string | null> => {
      if (other === undefined || other === null) return null;
      const v = await this.registry.resolve(other);
      const need = primary.record.inputSchema.map((c) => c.name).sort().join(',');
      const have = v.record.inputSchema.map((c) => c.name).sort().join(',');
      if (v.task !== primary.task || need !== have) {
        throw MloopError.invalidArgument(`the ${what} ${v.ref} (${v.task}; inputs ${have}) cannot take the requests of ${primary.ref} (${primary.task}; inputs ${need})`);
      }
      return other;
    };
    const shadowRef = await check(options.shadow, 'shadow');
    const canaryRef = await check(options.canary, 'canary');
    const pct = options.canaryPercent ?? (canaryRef === null ? 0 : 10);
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw MloopError.invalidArgument(`--canary-percent must be a whole number from 0 to 100, got ${pct}`);
    if (canaryRef === null && options.canaryPercent !== undefined && options.canaryPercent > 0) throw MloopError.invalidArgument('--canary-percent needs --canary <model>@<alias>');
    const now = this.clock().toISOString();
    return this.store.putDeployment({
      name,
      model: parsed.name,
      ref,
      shadowRef,
      canaryRef,
      canaryPercent: canaryRef === null ? 0 : pct,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
    });
  }

  /**
   * What removing (or having removed) `model@alias` means for serving: one warning per deployment
   * that follows it as its primary, canary or shadow ref. A running server keeps serving the
   * version it loaded for that ref until the deployment is changed or the alias is set again.
   *
   * @example
   * const move = await ws.registry.removeAlias('alice', 'support', 'tmp', 'gone');
   * for (const w of await ws.serving.aliasRemovalWarnings('support', 'tmp', move.fromVersion)) console.warn(w);
   */
  async aliasRemovalWarnings(model: string, alias: string, lastVersion: number | null): Promise<string[]> {
    const ref = `${model}@${alias}`;
    const loaded = lastVersion === null ? 'the version it loaded' : `the version it loaded (${model}@${lastVersion})`;
    const warnings: string[] = [];
    for (const d of await this.store.listDeployments()) {
      const roles = [d.ref === ref ? 'serves' : null, d.canaryRef === ref ? 'runs as its canary' : null, d.shadowRef === ref ? 'runs as its shadow' : null].filter((r) => r !== null);
      for (const role of roles) {
        warnings.push(`deployment '${d.name}' ${role} ${ref}: servers keep serving ${loaded} until the deployment is changed ('mloop deploy') or the alias is set again`);
      }
    }
    return warnings;
  }

  /** Removes a deployment; servers stop serving it within their poll interval. */
  async undeploy(_actor: string, name: string): Promise<Deployment> {
    const d = await this.store.getDeployment(checkDeploymentName(name));
    if (!d) throw MloopError.notFound('deployment', name, { hint: "'mloop deployments' lists them" });
    await this.store.deleteDeployment(name);
    return d;
  }

  listDeployments(): Promise<Deployment[]> {
    return this.store.listDeployments();
  }

  async getDeployment(name: string): Promise<Deployment> {
    const d = await this.store.getDeployment(checkDeploymentName(name));
    if (!d) throw MloopError.notFound('deployment', name, { hint: "'mloop deployments' lists them" });
    return d;
  }

  /** Review items, oldest first (pending by default). */
  listReview(filter: { status?: 'pending' | 'answered' | 'all'; deployment?: string; limit?: number } = {}): Promise<ReviewItem[]> {
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) throw MloopError.invalidArgument(`limit must be from 1 to 10000, got ${limit}`);
    const status = filter.status ?? 'pending';
    return this.store.listReview({ ...(status === 'all' ? {} : { status }), ...(filter.deployment ? { deployment: filter.deployment } : {}), limit });
  }

  /**
   * Records a person's answer for a prediction in review; it becomes that prediction's ground truth.
   * A label that is neither a class of the prediction's version nor its out-of-scope label is
   * recorded too (a new class can be real) and named in `warnings`.
   */
  async answerReview(actor: string, predictionId: string, label: string): Promise<ReviewItem & LabelWarnings> {
    const answer = checkLabel(label);
    const item = await this.store.getReview(predictionId);
    if (!item) throw MloopError.notFound('review item', predictionId, { hint: "'mloop review list' shows pending items; predictions answered automatically take feedback instead" });
    const ok = await this.store.addTruth({ predictionId, label: answer, source: 'review', actor, at: this.clock().toISOString() });
    if (!ok) throw MloopError.notFound('review item', predictionId);
    const warnings = await this.labelWarnings(item.model, item.version, answer);
    return { ...(await this.store.getReview(predictionId))!, warnings };
  }

  /**
   * Records ground truth that arrived later for a logged prediction. A prediction still in this
   * server's log queue counts as known. A label that is neither a class of the prediction's
   * version nor its out-of-scope label is recorded too and named in `warnings` (not checked for a
   * prediction still in the queue, whose version is not stored yet).
   */
  async feedback(actor: string, predictionId: string, label: string, source: TruthSource = 'feedback'): Promise<GroundTruth & LabelWarnings> {
    const answer = checkLabel(label);
    if (typeof predictionId !== 'string' || !/^prd_[A-Za-z0-9]{1,64}$/.test(predictionId)) {
      throw MloopError.validation('prediction_id is not a prediction id', [{ path: 'prediction_id', code: 'invalid_value', message: "expected 'prd_…' as returned by a prediction" }]);
    }
    const stored = (await this.store.predictionVersions([predictionId])).get(predictionId);
    const known = stored !== undefined || this.runtimeInstance?.log.isQueued(predictionId) === true;
    if (!known) throw MloopError.notFound('prediction', predictionId, { hint: 'feedback joins logged predictions; the id comes from a prediction response' });
    const truth: GroundTruth = { predictionId, label: answer, source, actor, at: this.clock().toISOString() };
    await this.store.addTruth(truth);
    return { ...truth, warnings: stored ? await this.labelWarnings(stored.model, stored.version, answer) : [] };
  }

  /** The labels `model@version` knows (its classes and out-of-scope label), or null when it has none (regression) or is gone. */
  private versionLabels(model: string, version: number): Promise<Set<string> | null> {
    const key = `${model}@${version}`;
    let labels = this.knownLabels.get(key);
    if (!labels) {
      labels = this.registry.resolve(key).then(
        (v) => {
          if (!v.record.classes || v.record.classes.length === 0) return null;
          const oos = storedOutOfScope(v.record.thresholds)?.label;
          return new Set([...v.record.classes, ...(typeof oos === 'string' ? [oos] : [])]);
        },
        () => null,
      );
      this.knownLabels.set(key, labels);
    }
    return labels;
  }

  /** A warning when `label` is not one `model@version` knows; none when it does or has no classes. */
  private async labelWarnings(model: string, version: number, label: string): Promise<string[]> {
    const labels = await this.versionLabels(model, version);
    if (labels === null || labels.has(label)) return [];
    const shown = [...labels].slice(0, 20).map((l) => `'${l}'`).join(', ');
    return [`label '${label}' is not a class of ${model}@${version} (${shown}${labels.size > 20 ? ', …' : ''}); recorded anyway — check for a typo, or retrain to learn the new class`];
  }

  /**
   * Imports ground truth from a CSV file with a header naming `prediction_id` and `label`.
   * Streams the file; rows are checked in chunks; each bad row is reported, never thrown.
   */
  async importFeedbackCsv(actor: string, file: string): Promise<FeedbackImportResult> {
    let stream;
    try {
      stream = createReadStream(file, { encoding: 'utf8' });
      await new Promise<void>((resolve, reject) => {
        stream!.once('open', () => resolve());
        stream!.once('error', reject);
      });
    } catch (err) {
      throw MloopError.notFound('file', file, { cause: err });
    }
    return this.importFeedbackCsvStream(actor, stream, file);
  }

  /**
   * Imports ground truth from CSV text (a header naming `prediction_id` and `label`; other columns
   * ignored) read from `input`, line by line. A prediction still in this server's log queue counts
   * as known. Bad and unknown rows are reported with their line numbers, never thrown.
   *
   * @example
   * const r = await ws.serving.importFeedbackCsvStream('crm', request.raw, 'request');
   */
  async importFeedbackCsvStream(actor: string, input: NodeJS.ReadableStream, name: string): Promise<FeedbackImportResult> {
    const result: FeedbackImportResult = { file: name, rows: 0, recorded: 0, unknownPredictions: 0, unknownLabels: 0, issues: [] };
    const lines = createInterface({ input, crlfDelay: Infinity });
    let header: string[] | null = null;
    let idCol = -1;
    let labelCol = -1;
    let lineNo = 0;
    const sink = this.feedbackSink(actor, result, (line, field) => `line ${line}${field ? `.${field}` : ''}`);
    for await (const raw of lines) {
      lineNo += 1;
      const line = raw.replace(/^\uFEFF/, '');
      if (line.trim() === '') continue;
      const fields = csvFields(line);
      if (header === null) {
        header = fields.map((f) => f.trim().toLowerCase());
        idCol = header.indexOf('prediction_id');
        labelCol = header.indexOf('label');
        if (idCol < 0 || labelCol < 0) {
          throw MloopError.validation(`${name}: the header must name 'prediction_id' and 'label' columns (found: ${header.join(', ')})`, [
            { path: 'header', code: 'missing_column', message: "needs 'prediction_id' and 'label'" },
          ]);
        }
        continue;
      }
      await sink.add(lineNo, (fields[idCol] ?? '').trim(), (fields[labelCol] ?? '').trim());
    }
    await sink.done();
    if (header === null) throw MloopError.invalidArgument(`${name} is empty: expected a header with prediction_id,label`);
    return result;
  }

  /**
   * Imports ground truth from a JSON array of `{prediction_id, label}` objects (other fields
   * ignored). Each bad or unknown item is reported with its index, never thrown.
   */
  async importFeedbackItems(actor: string, items: readonly unknown[], name = 'request'): Promise<FeedbackImportResult> {
    const result: FeedbackImportResult = { file: name, rows: 0, recorded: 0, unknownPredictions: 0, unknownLabels: 0, issues: [] };
    const sink = this.feedbackSink(actor, result, (i, field) => `${i}${field ? `.${field}` : ''}`);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        result.rows += 1;
        sink.issue({ line: i, path: String(i), code: 'invalid_type', message: 'expected an object {"prediction_id", "label"}' });
        continue;
      }
      const { prediction_id: id, label } = item as { prediction_id?: unknown; label?: unknown };
      await sink.add(i, typeof id === 'string' ? id.trim() : '', typeof label === 'string' ? label.trim() : '');
    }
    await sink.done();
    return result;
  }

  /** Collects feedback rows into `result`: checks each, looks ids up in chunks of 500, records the known ones. */
  private feedbackSink(actor: string, result: FeedbackImportResult, where: (line: number, field?: string) => string) {
    let chunk: Array<{ line: number; id: string; label: string }> = [];
    const at = this.clock().toISOString();
    const issue = (i: FeedbackImportIssue) => {
      if (result.issues.length < 100) result.issues.push(i);
    };
    const flush = async () => {
      const known = await this.store.predictionVersions(chunk.map((c) => c.id));
      const queue = this.runtimeInstance?.log;
      for (const c of chunk) {
        const stored = known.get(c.id);
        if (stored === undefined && queue?.isQueued(c.id) !== true) {
          result.unknownPredictions += 1;
          issue({ line: c.line, path: where(c.line, 'prediction_id'), code: 'not_found', message: `prediction '${c.id}' is not in the log` });
          continue;
        }
        await this.store.addTruth({ predictionId: c.id, label: c.label, source: 'import', actor, at });
        result.recorded += 1;
        if (stored !== undefined) {
          const labels = await this.versionLabels(stored.model, stored.version);
          if (labels !== null && !labels.has(c.label)) result.unknownLabels += 1;
        }
      }
      chunk = [];
    };
    return {
      issue: (i: FeedbackImportIssue) => issue(i),
      add: async (line: number, id: string, label: string) => {
        result.rows += 1;
        if (id === '' || label === '' || label.length > MAX_LABEL) {
          issue({ line, path: where(line, id === '' ? 'prediction_id' : 'label'), code: 'invalid_value', message: id === '' ? 'empty prediction_id' : 'empty or too long label' });
          return;
        }
        chunk.push({ line, id, label });
        if (chunk.length >= 500) await flush();
      },
      done: async () => {
        if (chunk.length > 0) await flush();
      },
    };
  }

  /**
   * Batch scoring: resolves `ref` (`name`, `name@N`, `name@alias`), loads it and scores `input`
   * into `output` (formats by extension). Batch predictions are not written to the prediction log.
   */
  async predictFile(ref: string, input: string, output: string, options: BatchScoreOptions = {}): Promise<BatchScoreResult> {
    const version = await this.registry.resolve(ref);
    const predictor = await this.loader(this.registry, version);
    return scoreFile(version, predictor, input, output, options);
  }

  /** The newest logged prediction's time (ISO), or null when the log is empty. */
  latestPredictionAt(): Promise<string | null> {
    return this.store.latestPredictionAt();
  }

  /**
   * Per model, totals of primary predictions at or after `since` (ISO): automated and review
   * decisions, mean confidence, and realized accuracy where ground truth arrived.
   *
   * @example
   * const week = await ws.serving.trafficByModel(new Date(Date.now() - 7 * 86_400_000).toISOString());
   */
  trafficByModel(since: string): Promise<Map<string, ModelTraffic>> {
    return this.store.trafficByModel(since);
  }

  /** Per day: a model's traffic, decisions, latency p50/p95/p99, realized accuracy and shadow agreement. */
  dailyTraffic(model: string, options: { since?: string; maxRows?: number } = {}): Promise<DayStats[]> {
    return this.store.dailyTraffic(model, options);
  }

  /** One page of a model's logged predictions with their ground truth, sorted and paginated in SQL. */
  decisions(filter: DecisionsFilter): Promise<{ total: number; rows: DecisionRow[] }> {
    return this.store.decisions(filter);
  }

  /** A logged prediction with its latest ground truth. */
  async prediction(id: string): Promise<PredictionRecord & { truth: GroundTruth | null }> {
    const p = await this.store.getPrediction(id);
    if (!p) throw MloopError.notFound('prediction', id);
    return { ...p, truth: (await this.store.getTruth(id)) ?? null };
  }

  /**
   * The runtime of this process (created on first call with these options, started by the
   * server). Closed by `close()`.
   */
  runtime(options: ServingRuntimeOptions = {}, logger?: RuntimeLogger): ServingRuntime {
    const open = this.openLogStore;
    const writeLog = open
      ? async (segment: LogSegment) => {
          this.logStore ??= open().catch((err: unknown) => {
            this.logStore = null;
            throw err;
          });
          await (await this.logStore).insertSegment(segment);
        }
      : undefined;
    this.runtimeInstance ??= new ServingRuntime(
      { store: this.store, registry: this.registry, datasets: this.datasets, load: (v) => this.loader(this.registry, v), ...(writeLog ? { writeLog } : {}), ...(logger ? { logger } : {}) },
      options,
    );
    return this.runtimeInstance;
  }

  /** True when a runtime was created in this process. */
  get hasRuntime(): boolean {
    return this.runtimeInstance !== null;
  }

  /** Stops the runtime, if any, flushing its prediction log. */
  async close(): Promise<void> {
    const r = this.runtimeInstance;
    this.runtimeInstance = null;
    await r?.close();
    const log = this.logStore;
    this.logStore = null;
    if (log) await (await log.catch(() => null))?.close();
  }
}
