/**
 * Computed monitoring results (a model's report, the latest window's accuracy estimate) kept while
 * what they depend on is unchanged: the model's versions and aliases, its prediction log (count and
 * newest) and the workspace's newest ground truth. A lookup costs two small queries; an equal state
 * returns the stored result, which is the same object the computation returned.
 */
import type { RegistryService } from '../registry/index.js';
import type { LatestEstimate, MonitoringReport } from './model-monitor.js';
import type { MonitoringService } from './monitoring-service.js';

/** A report as the cache hands it out. */
export interface CachedReport {
  report: MonitoringReport;
  /** When it was computed (ISO). */
  computedAt: string;
  /** The dependency key it was computed for. */
  key: string;
  /** False when the log (or model) has changed since and a newer report is being computed. */
  fresh: boolean;
}

export interface MonitoringResultCacheOptions {
  /** How long a report whose inputs changed may still be served while its successor is computed (default 10 minutes; 0: never). */
  staleMs?: number;
  /** Estimates kept (least recently used dropped first; default 500). */
  maxEstimates?: number;
  clock?: () => Date;
}

interface ReportEntry {
  key: string;
  at: number;
  computedAt: string;
  result: Promise<MonitoringReport>;
  settled: boolean;
}

/** Predictions read per page by a kept report (the event loop gets a turn before each page). */
const REPORT_PAGE_ROWS = 250;

/**
 * @example
 * const cache = new MonitoringResultCache(ws.monitoring, ws.registry);
 * const { report, fresh } = await cache.report('support-router');
 */
export class MonitoringResultCache {
  private readonly reports = new Map<string, ReportEntry>();
  /** The newest report being computed per model while a stale one is served. */
  private readonly pending = new Map<string, ReportEntry>();
  private readonly estimates = new Map<string, Promise<LatestEstimate>>();
  private readonly staleMs: number;
  private readonly maxEstimates: number;
  private readonly clock: () => Date;

  constructor(
    private readonly monitoring: Pick<MonitoringService, 'report' | 'estimateLatest' | 'logState'>,
    private readonly registry: Pick<RegistryService, 'getModel'>,
    options: MonitoringResultCacheOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 10 * 60_000;
    this.maxEstimates = options.maxEstimates ?? 500;
    this.clock = options.clock ?? (() => new Date());
  }

  /** What a model's results depend on, as one string: equal keys give equal results. */
  async key(model: string): Promise<string> {
    const [m, log] = await Promise.all([this.registry.getModel(model), this.monitoring.logState(model)]);
    const aliases = Object.entries(m.aliases).sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify([m.latestVersion, aliases, log.predictions, log.lastId, log.lastAt, log.truthSeq]);
  }

  private start(model: string, key: string): ReportEntry {
    const t = this.clock();
    // Smaller pages than the default 1000: the loop gets a turn more often while a kept report is computed (same report).
    const entry: ReportEntry = { key, at: t.getTime(), computedAt: t.toISOString(), result: this.monitoring.report({ model, window: '7d', pageSize: REPORT_PAGE_ROWS }), settled: false };
    entry.result.then(
      () => {
        entry.settled = true;
        // A report computed in the background replaces the stale one it was started for.
        if (this.pending.get(model) === entry) {
          this.pending.delete(model);
          this.reports.set(model, entry);
        }
      },
      () => {
        // A failed computation is not kept.
        if (this.reports.get(model) === entry) this.reports.delete(model);
        if (this.pending.get(model) === entry) this.pending.delete(model);
      },
    );
    return entry;
  }

  /**
   * The model's monitoring report over 7-day windows. The stored one when its key is current; a
   * stored one whose key is not current, while younger than `staleMs`, with `fresh: false` (its
   * successor is computed in the background); otherwise computed now. `refresh` always computes.
   */
  async report(model: string, options: { refresh?: boolean } = {}): Promise<CachedReport> {
    const key = await this.key(model);
    const have = this.reports.get(model);
    if (options.refresh !== true && have) {
      if (have.key === key) return { report: await have.result, computedAt: have.computedAt, key, fresh: true };
      if (have.settled && this.clock().getTime() - have.at <= this.staleMs) {
        if (this.pending.get(model)?.key !== key) this.pending.set(model, this.start(model, key));
        return { report: await have.result, computedAt: have.computedAt, key: have.key, fresh: false };
      }
    }
    const waiting = this.pending.get(model);
    const entry = options.refresh !== true && waiting?.key === key ? waiting : this.start(model, key);
    if (this.pending.get(model) === entry) this.pending.delete(model);
    this.reports.set(model, entry);
    return { report: await entry.result, computedAt: entry.computedAt, key, fresh: true };
  }

  /** The estimate of the window holding `last` (as {@link MonitoringService.estimateLatest}), kept per key, window and `last`. */
  async estimateLatest(model: string, last: string, window = '7d'): Promise<LatestEstimate> {
    const id = JSON.stringify([model, window, last, await this.key(model)]);
    let hit = this.estimates.get(id);
    if (hit) {
      this.estimates.delete(id);
      this.estimates.set(id, hit);
      return hit;
    }
    hit = this.monitoring.estimateLatest({ model, window, last });
    this.estimates.set(id, hit);
    hit.catch(() => this.estimates.get(id) === hit && this.estimates.delete(id));
    while (this.estimates.size > this.maxEstimates) this.estimates.delete(this.estimates.keys().next().value!);
    return hit;
  }

  /**
   * Computes the reports of the given models one after another so that the first page visit reads
   * a stored one. Failures (a model without predictions, say) are returned, not thrown; `stop`
   * ends the walk between models.
   *
   * `maxRows` bounds the walk's work by the log rows it reads (a report reads every row of its
   * model's log once): a model whose log would take the rows read past `maxRows` is not computed
   * (`deferred: true`); its report is computed on the first visit, as for a model not warmed, and
   * kept. Smaller logs after it are still warmed. Default: no bound.
   */
  async warm(
    models: readonly string[],
    stop: () => boolean = () => false,
    options: { maxRows?: number } = {},
  ): Promise<Array<{ model: string; error: string | null; deferred?: true }>> {
    const out: Array<{ model: string; error: string | null; deferred?: true }> = [];
    const budget = options.maxRows ?? Number.POSITIVE_INFINITY;
    let rows = 0;
    for (const model of models) {
      if (stop()) break;
      try {
        if (Number.isFinite(budget)) {
          const { predictions } = await this.monitoring.logState(model);
          if (rows + predictions > budget) {
            out.push({ model, error: null, deferred: true });
            continue;
          }
          rows += predictions;
        }
        await this.report(model);
        out.push({ model, error: null });
      } catch (err) {
        out.push({ model, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  }
}
