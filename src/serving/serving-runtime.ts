/**
 * The serving runtime of one `mloop server` process: it keeps every deployment's versions loaded,
 * follows alias moves by polling the store (so every process on one database converges within a
 * poll interval), admits or sheds requests, predicts through micro-batchers, and logs predictions.
 *
 * Swaps are safe by construction: a new version is loaded and warmed up completely before one
 * assignment makes it current; requests that started on the old version finish on it (their
 * batcher keeps running), and a version that fails to load never replaces a working one.
 */
import { redactText, type DatasetService, type LineageReport } from '../datasets/index.js';
import { MloopError, isMloopError } from '../errors/index.js';
import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { ColumnBatch, InputSpec, Predictor } from '../training/index.js';
import { applyPlan, MicroBatcher, storedOutOfScopeThreshold, storedPlan, storedThreshold, validateRows, type LoadedModel, type RowResult } from './inference.js';
import { ClassifierRecord, decodeLogSegment, type LogSegment } from './log-codec.js';
import { newPredictionId } from './prediction-id.js';
import { PredictionLogWriter, type PredictionLogOptions } from './prediction-log.js';
import type { Deployment, PredictionRecord, PredictionRole } from './serving.js';
import type { ServingStore } from './serving-store.js';
import { ServingMetrics, type CounterCell, type HistogramCell } from './serving-metrics.js';

/** The runtime's limits. */
export interface ServingRuntimeOptions {
  /** How often deployments and aliases are re-read from the store. Default 2000 ms. */
  pollIntervalMs?: number;
  /** Most rows in one request. Default 1000. */
  maxRowsPerRequest?: number;
  /** Most rows in one predictor call (micro-batch). Default 256. */
  microBatchRows?: number;
  /** Most requests admitted at once (waiting or predicting); beyond it: 503 with Retry-After at once. Default 256. */
  maxInflight?: number;
  /** Longest a request may wait and predict before it fails with 503. Default 2000 ms. */
  requestTimeoutMs?: number;
  /** Retry a version that failed to load after this long. Default 30000 ms. */
  retryFailedLoadMs?: number;
  /** Log every prediction (default true). */
  logPredictions?: boolean;
  /** Limits of the prediction log writer. */
  log?: PredictionLogOptions;
  /** Seconds sent in Retry-After with 503s. Default 1. */
  retryAfterSeconds?: number;
  /** Random number source for canary routing (tests). */
  random?: () => number;
}

/** The subset of a pino logger the runtime writes to. */
export interface RuntimeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the runtime needs from the rest of mloop. */
export interface ServingRuntimeDeps {
  store: ServingStore;
  registry: RegistryService;
  datasets: DatasetService;
  /** Loads a version's predictor (training's `loadModel`). */
  load(version: ModelVersion): Promise<Predictor>;
  /**
   * Writes prediction log batches; default `store.insertPredictions`. The workspace passes a
   * separate connection that never waits for locks, so a locked or slow store cannot stall serving.
   */
  writeLog?(segment: LogSegment): Promise<void>;
  logger?: RuntimeLogger;
}

/** One predicted row as returned to clients. */
export interface ServedRow extends RowResult {
  predictionId: string;
}

/** The answer of {@link ServingRuntime.predict}. */
export interface ServedPrediction {
  deployment: string;
  model: string;
  version: number;
  role: 'primary' | 'canary';
  rows: ServedRow[];
  latencyMs: number;
}

/** The state of one deployment in this process. */
export interface DeploymentState {
  name: string;
  ref: string;
  ready: boolean;
  primary: { version: number; loadedAt: string } | null;
  shadow: { ref: string; version: number | null } | null;
  canary: { ref: string; version: number | null; percent: number } | null;
  lastError: string | null;
}

/** The metric cells of one deployment, version and role. */
interface RoleCells {
  auto: CounterCell;
  review: CounterCell;
  latency: HistogramCell;
}

interface Slot {
  deployment: Deployment;
  primary?: LoadedModel;
  shadow?: LoadedModel;
  canary?: LoadedModel;
  lastError: string | null;
  /** Metric cells per version served under this deployment and role, found without building a key per request. */
  cells: WeakMap<LoadedModel, Partial<Record<PredictionRole, RoleCells>>>;
}

/** `new Date(ms).toISOString()`, made once per millisecond. */
let isoMs = Number.NaN;
let isoText = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** The groups of a logged row that carried none (shared; frozen). */
const NO_GROUPS: Record<string, string | null> = Object.freeze({});

const SILENT: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function lineageHasRedact(node: LineageReport): boolean {
  return node.transform.kind === 'redact' || node.parents.some(lineageHasRedact);
}

/** A request waiting for its model: failed with UNAVAILABLE when `deadline` (performance.now) passes. */
interface Waiting {
  deadline: number;
  name: string;
  reject(err: Error): void;
}

/** A row of zeros/empties to prove a freshly loaded predictor answers. */
function warmupBatch(inputs: readonly InputSpec[]): ColumnBatch {
  const batch: ColumnBatch = {};
  for (const i of inputs) batch[i.name] = i.kind === 'numeric' ? new Float64Array([0]) : ['warm up'];
  return batch;
}

export class ServingRuntime {
  readonly metrics: ServingMetrics;
  readonly log: PredictionLogWriter;
  private readonly slots = new Map<string, Slot>();
  private readonly loaded = new Map<string, LoadedModel>();
  private readonly loading = new Map<string, Promise<LoadedModel>>();
  private readonly failed = new Map<string, { at: number; error: string }>();
  private readonly logger: RuntimeLogger;
  private readonly opts: Required<Omit<ServingRuntimeOptions, 'log' | 'random'>>;
  private readonly random: () => number;
  private inflight = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Requests waiting for their model, and the sweep that times them out. */
  private readonly waiting = new Set<Waiting>();
  private sweep: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private started = false;
  private closed = false;

  constructor(
    private readonly deps: ServingRuntimeDeps,
    options: ServingRuntimeOptions = {},
    metrics: ServingMetrics = new ServingMetrics(),
  ) {
    this.logger = deps.logger ?? SILENT;
    this.metrics = metrics;
    this.random = options.random ?? Math.random;
    this.opts = {
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      maxRowsPerRequest: options.maxRowsPerRequest ?? 1000,
      microBatchRows: options.microBatchRows ?? 256,
      maxInflight: options.maxInflight ?? 256,
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
      retryFailedLoadMs: options.retryFailedLoadMs ?? 30000,
      logPredictions: options.logPredictions ?? true,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
    };
    this.log = new PredictionLogWriter((segment) => (deps.writeLog ? deps.writeLog(segment) : deps.store.insertPredictions(decodeLogSegment(segment))), options.log ?? {}, {
      onDrop: (counts, reason) => {
        for (const [model, version, n] of counts) this.metrics.logDropped.inc({ model, version, reason }, n);
      },
      onWritten: (counts) => {
        // One counter call per model version, not per record: prom-client validates and hashes labels per call.
        for (const [model, version, n] of counts) this.metrics.logWritten.inc({ model, version }, n);
      },
      warn: (message, details) => this.logger.warn(details, message),
    });
    this.metrics.sources = { logQueueDepth: () => this.log.depth, inflight: () => this.inflight };
  }

  /** Seconds clients are asked to wait after a 503. */
  get retryAfterSeconds(): number {
    return this.opts.retryAfterSeconds;
  }

  /** Loads every deployment once, then re-reads deployments and aliases every poll interval. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.sync();
    const tick = () => {
      if (this.closed) return;
      void this.sync().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.opts.pollIntervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, this.opts.pollIntervalMs).unref();
  }

  /** Re-reads deployments and aliases now; loads and swaps what changed. Never throws. */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    let deployments: Deployment[];
    try {
      deployments = await this.deps.store.listDeployments();
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'serving: cannot read deployments; serving what is loaded');
      return;
    }
    const names = new Set(deployments.map((d) => d.name));
    for (const d of deployments) {
      let slot = this.slots.get(d.name);
      if (!slot) {
        slot = { deployment: d, lastError: null, cells: new WeakMap() };
        this.slots.set(d.name, slot);
      }
      slot.deployment = d;
      const errors: string[] = [];
      const primary = await this.ensure(d.ref, slot.primary, errors);
      if (primary !== slot.primary && primary) {
        if (slot.primary) this.logger.info({ deployment: d.name, from: slot.primary.version.ref, to: primary.version.ref }, 'serving: switched version');
        else this.logger.info({ deployment: d.name, version: primary.version.ref }, 'serving: deployed');
      }
      slot.primary = primary;
      const shadow = d.shadowRef === null ? undefined : await this.ensure(d.shadowRef, slot.shadow, errors);
      const canary = d.canaryRef === null ? undefined : await this.ensure(d.canaryRef, slot.canary, errors);
      slot.shadow = shadow;
      slot.canary = canary;
      slot.lastError = errors.length > 0 ? errors.join('; ') : null;
      if (primary) this.metrics.served.set({ deployment: d.name, role: 'primary' }, primary.version.version);
    }
    for (const name of [...this.slots.keys()]) {
      if (!names.has(name)) {
        this.slots.delete(name);
        this.logger.info({ deployment: name }, 'serving: undeployed');
      }
    }
    const used = new Set<string>();
    for (const s of this.slots.values()) for (const m of [s.primary, s.shadow, s.canary]) if (m) used.add(m.version.id);
    for (const id of [...this.loaded.keys()]) if (!used.has(id)) this.loaded.delete(id);
  }

  /** The loaded model for `ref` now: the current one, a freshly loaded one, or (on failure) the current one. */
  private async ensure(ref: string, current: LoadedModel | undefined, errors: string[]): Promise<LoadedModel | undefined> {
    let version: ModelVersion;
    try {
      version = await this.deps.registry.resolve(ref);
    } catch (err) {
      errors.push(`${ref}: ${isMloopError(err) ? err.message : 'cannot resolve'}`);
      if (!isMloopError(err) || err.code !== 'NOT_FOUND') return current;
      // An alias that was removed: keep serving what is loaded, and say so.
      return current;
    }
    if (current && current.version.id === version.id) return current;
    const failure = this.failed.get(version.id);
    if (failure && Date.now() - failure.at < this.opts.retryFailedLoadMs) {
      errors.push(`${version.ref} failed to load: ${failure.error}`);
      return current;
    }
    try {
      return await this.loadVersion(version);
    } catch (err) {
      const message = isMloopError(err) ? err.message : err instanceof Error ? err.message : String(err);
      this.failed.set(version.id, { at: Date.now(), error: message });
      this.metrics.loads.inc({ model: version.model, version: String(version.version), result: 'failed' });
      this.logger.error({ version: version.ref, err: message, keeping: current?.version.ref ?? null }, 'serving: version failed to load; keeping the current one');
      errors.push(`${version.ref} failed to load: ${message}`);
      return current;
    }
  }

  private loadVersion(version: ModelVersion): Promise<LoadedModel> {
    const have = this.loaded.get(version.id);
    if (have) return Promise.resolve(have);
    let p = this.loading.get(version.id);
    if (!p) {
      p = (async () => {
        const predictor = await this.deps.load(version);
        // Prove it answers before anyone depends on it.
        const probe = predictor.classes === null ? predictor.predictValues(warmupBatch(predictor.inputs), 1) : predictor.predictProba(warmupBatch(predictor.inputs), 1);
        if (probe.some((x) => !Number.isFinite(x))) throw MloopError.failedPrecondition(`${version.ref} answers non-finite values`);
        const threshold = storedThreshold(version);
        const loaded: LoadedModel = {
          version,
          predictor,
          threshold,
          plan: storedPlan(version),
          redact: await this.redacts(version),
          groups: await this.groupColumns(version),
          batcher: new MicroBatcher(predictor, threshold, this.opts.microBatchRows, storedOutOfScopeThreshold(version)),
          loadedAt: new Date().toISOString(),
        };
        this.loaded.set(version.id, loaded);
        this.failed.delete(version.id);
        this.metrics.loads.inc({ model: version.model, version: String(version.version), result: 'ok' });
        return loaded;
      })().finally(() => this.loading.delete(version.id));
      this.loading.set(version.id, p);
    }
    return p;
  }

  /** Whether logged inputs must be redacted: any training dataset descends from a redaction (unknown lineage counts as yes). */
  private async redacts(version: ModelVersion): Promise<boolean> {
    for (const ref of version.record.datasets) {
      try {
        if (lineageHasRedact(await this.deps.datasets.lineage(ref))) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  /** Columns marked sensitive in the version's training datasets (a dataset that cannot be read adds none). */
  private async groupColumns(version: ModelVersion): Promise<string[]> {
    const out = new Set<string>();
    for (const ref of version.record.datasets) {
      try {
        for (const c of (await this.deps.datasets.show(ref)).schema) if (c.roles.includes('sensitive')) out.add(c.name);
      } catch (err) {
        this.logger.warn({ version: version.ref, dataset: ref, err: err instanceof Error ? err.message : String(err) }, 'serving: cannot read a training dataset; its sensitive columns are not logged as groups');
      }
    }
    return [...out].sort();
  }

  /** The state of every deployment in this process. */
  states(): DeploymentState[] {
    return [...this.slots.values()].map((s) => this.stateOf(s));
  }

  /** The state of one deployment; NOT_FOUND when it is not deployed (as far as this process knows). */
  state(name: string): DeploymentState {
    return this.stateOf(this.slot(name));
  }

  private stateOf(s: Slot): DeploymentState {
    const d = s.deployment;
    return {
      name: d.name,
      ref: d.ref,
      ready: s.primary !== undefined,
      primary: s.primary ? { version: s.primary.version.version, loadedAt: s.primary.loadedAt } : null,
      shadow: d.shadowRef === null ? null : { ref: d.shadowRef, version: s.shadow?.version.version ?? null },
      canary: d.canaryRef === null ? null : { ref: d.canaryRef, version: s.canary?.version.version ?? null, percent: d.canaryPercent },
      lastError: s.lastError,
    };
  }

  /** True when every deployment has a loaded version (and there is at least a first sync). */
  ready(): boolean {
    return this.started && [...this.slots.values()].every((s) => s.primary !== undefined);
  }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s) throw MloopError.notFound('deployment', name, { hint: "'mloop deploy <model>@<alias>' deploys a model; deployments reach a server within its poll interval" });
    return s;
  }

  /** The version currently answering for `name` (primary). */
  current(name: string): LoadedModel {
    const s = this.slot(name);
    if (!s.primary) throw MloopError.unavailable(`deployment '${name}' is not ready${s.lastError ? `: ${s.lastError}` : ' yet'}`, { details: { retry_after_s: this.opts.retryAfterSeconds } });
    return s.primary;
  }

  /**
   * Predicts `instances` (rows of fields) with deployment `name`. Sheds with UNAVAILABLE (and
   * `details.retry_after_s`) at once when at capacity; validates rows (INVALID_ARGUMENT naming
   * the field); logs every row without waiting for the log.
   */
  async predict(name: string, instances: unknown, ctx: { requestId?: string; version?: number; field?: string } = {}): Promise<ServedPrediction> {
    const started = performance.now();
    const slot = this.slot(name);
    let model = this.current(name);
    let role: 'primary' | 'canary' = 'primary';
    if (ctx.version !== undefined) {
      if (slot.canary?.version.version === ctx.version) [model, role] = [slot.canary, 'canary'];
      else if (model.version.version !== ctx.version) throw MloopError.notFound('served version', `${name}@${ctx.version}`, { hint: `deployment '${name}' serves version ${model.version.version}` });
    } else if (slot.canary && slot.deployment.canaryPercent > 0 && this.random() * 100 < slot.deployment.canaryPercent) {
      [model, role] = [slot.canary, 'canary'];
    }
    if (this.inflight >= this.opts.maxInflight) {
      this.metrics.rejected.inc({ deployment: name, reason: 'overloaded' });
      throw MloopError.unavailable(`the server is at capacity (${this.opts.maxInflight} requests in flight); retry shortly`, {
        details: { reason: 'overloaded', retry_after_s: this.opts.retryAfterSeconds },
      });
    }
    const input = validateRows(instances, model.predictor.inputs, { maxRows: this.opts.maxRowsPerRequest, groups: model.groups, ...(ctx.field ? { prefix: ctx.field } : {}) });
    const deadline = Date.now() + this.opts.requestTimeoutMs;
    this.inflight += 1;
    let results: RowResult[];
    try {
      results = await this.withTimeout(model.batcher.submit(input.batch, input.n, deadline), name);
      if (model.plan) results = applyPlan(model.plan, model.threshold, results, input.groups);
    } catch (err) {
      if (isMloopError(err) && err.code === 'UNAVAILABLE') {
        this.metrics.rejected.inc({ deployment: name, reason: 'timeout' });
        throw MloopError.unavailable(err.message, { details: { reason: 'timeout', retry_after_s: this.opts.retryAfterSeconds } });
      }
      throw err;
    } finally {
      this.inflight -= 1;
    }
    const latencyMs = performance.now() - started;
    // Literals, not spreads: one object shape for every row, made without copying keys one by one.
    const log = this.opts.logPredictions;
    const rows: ServedRow[] = results.map((r) =>
      r.fairness === undefined
        ? { label: r.label, probabilities: r.probabilities, value: r.value, confidence: r.confidence, decision: r.decision, predictionId: newPredictionId() }
        : { label: r.label, probabilities: r.probabilities, value: r.value, confidence: r.confidence, decision: r.decision, fairness: r.fairness, predictionId: newPredictionId() },
    );
    const cells = this.cellsOf(slot, model, role);
    for (const r of rows) (r.decision === 'auto' ? cells.auto : cells.review).n += 1;
    cells.latency.observe(latencyMs / 1000);
    if (log) this.log.append(this.records(name, model, role, rows, input.rows, input.groups, isoNow(), latencyMs, ctx.requestId ?? null, null));
    const shadow = slot.shadow;
    if (shadow && shadow.version.id !== model.version.id) this.runShadow(slot, shadow, input.batch, input.n, input.rows, input.groups, rows, model);
    return { deployment: name, model: model.version.model, version: model.version.version, role, rows, latencyMs };
  }

  /** The metric cells of one deployment, version and role, bound once. */
  private cellsOf(slot: Slot, model: LoadedModel, role: PredictionRole): RoleCells {
    let byRole = slot.cells.get(model);
    if (!byRole) slot.cells.set(model, (byRole = {}));
    let c = byRole[role];
    if (!c) {
      const labels = { deployment: slot.deployment.name, model: model.version.model, version: String(model.version.version) };
      c = {
        auto: this.metrics.predictions.cell({ ...labels, role, decision: 'auto' }),
        review: this.metrics.predictions.cell({ ...labels, role, decision: 'review' }),
        latency: this.metrics.latency.cell(labels),
      };
      byRole[role] = c;
    }
    return c;
  }

  /**
   * `p`, or UNAVAILABLE once the request timeout passed. One shared sweep over the waiting requests
   * (every tenth of the timeout, at most 50 ms) instead of a timer per request, which cost each
   * request a timer and three promises.
   */
  private withTimeout<T>(p: Promise<T>, name: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiting = { deadline: performance.now() + this.opts.requestTimeoutMs, name, reject };
      this.waiting.add(w);
      this.sweep ??= setInterval(() => this.sweepWaiting(), Math.max(1, Math.min(50, this.opts.requestTimeoutMs / 10))).unref();
      p.then(
        (v) => {
          this.waiting.delete(w);
          resolve(v);
        },
        (err: unknown) => {
          this.waiting.delete(w);
          reject(err);
        },
      );
    });
  }

  private sweepWaiting(): void {
    const now = performance.now();
    for (const w of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(w);
      w.reject(MloopError.unavailable(`deployment '${w.name}' did not answer within ${this.opts.requestTimeoutMs} ms`));
    }
    if (this.waiting.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
  }

  private runShadow(
    slot: Slot,
    shadow: LoadedModel,
    batch: ColumnBatch,
    n: number,
    inputs: Array<Record<string, unknown>>,
    groups: ReadonlyArray<Record<string, string | null> | null>,
    served: ServedRow[],
    primary: LoadedModel,
  ): void {
    const name = slot.deployment.name;
    // The shadow never delays an answer: it runs after, and is skipped when it falls behind.
    if (shadow.batcher.rowsWaiting > this.opts.microBatchRows * 8) return;
    const started = performance.now();
    shadow.batcher.submit(batch, n, Date.now() + this.opts.requestTimeoutMs).then(
      (decided) => {
        const latencyMs = performance.now() - started;
        const results = shadow.plan ? applyPlan(shadow.plan, shadow.threshold, decided, groups) : decided;
        const rows = results.map((r) => ({ ...r, predictionId: newPredictionId() }));
        const v = String(shadow.version.version);
        const cells = this.cellsOf(slot, shadow, 'shadow');
        rows.forEach((r, i) => {
          (r.decision === 'auto' ? cells.auto : cells.review).n += 1;
          const mine = served[i]!;
          const differs = r.label !== null ? r.label !== mine.label : r.value !== mine.value;
          if (differs) this.metrics.shadowDisagreements.inc({ deployment: name, model: primary.version.model, version: String(primary.version.version), shadow_version: v });
        });
        if (this.opts.logPredictions) {
          const records = this.records(name, shadow, 'shadow', rows, inputs, groups, isoNow(), latencyMs, null, null);
          records.forEach((rec, i) => (rec.primaryId = served[i]!.predictionId));
          this.log.append(records);
        }
      },
      () => undefined,
    );
  }

  private records(
    name: string,
    model: LoadedModel,
    role: PredictionRole,
    rows: readonly ServedRow[],
    inputs: ReadonlyArray<Record<string, unknown>>,
    groups: ReadonlyArray<Record<string, string | null> | null>,
    at: string,
    latencyMs: number,
    requestId: string | null,
    primaryId: string | null,
  ): PredictionRecord[] {
    const classes = model.predictor.classes;
    return rows.map((r, i) => {
      const given = inputs[i] ?? {};
      // The validated rows are the runtime's own copies of the model's inputs: logged as they are unless redacted.
      let logged = given;
      if (model.redact) {
        logged = {};
        for (const [k, v] of Object.entries(given)) logged[k] = typeof v === 'string' ? redactText(v).text : v;
      }
      // A classifier row's probabilities go into the log's segment as numbers (stored-probabilities.ts).
      if (r.probabilities !== null && r.label !== null && classes !== null) {
        return new ClassifierRecord(r.predictionId, at, name, model.version.model, model.version.version, role, primaryId, requestId, logged, r.probabilities, classes, r.fairness, r.label, r.confidence, r.decision, latencyMs, model.redact, groups[i] ?? NO_GROUPS);
      }
      return {
        id: r.predictionId,
        at,
        deployment: name,
        model: model.version.model,
        version: model.version.version,
        role,
        primaryId,
        requestId,
        inputs: logged,
        outputs: r.label === null ? { value: r.value } : r.fairness ? { label: r.label, probabilities: r.probabilities, fairness: r.fairness } : { label: r.label, probabilities: r.probabilities },
        label: r.label,
        confidence: r.confidence,
        decision: r.decision,
        latencyMs,
        redacted: model.redact,
        groups: groups[i] ?? NO_GROUPS,
      };
    });
  }

  /** Stops polling, flushes the prediction log (bounded by its write timeout). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    await this.syncing?.catch(() => undefined);
    await this.log.close();
  }
}
