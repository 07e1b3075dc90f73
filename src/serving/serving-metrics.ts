/**
 * Prometheus metrics of the serving runtime (prom-client), one registry per runtime. The metrics
 * counted on every request are pre-bound cells: the request path adds to a number in a cell found
 * once per label set, and the totals reach prom-client when metrics are scraped (prom-client's
 * `inc(labels)` validates and hashes the label object on every call).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/** One label set of a counter: add to `n`; scraping moves it into the counter. */
export interface CounterCell {
  n: number;
}

/** Cells of one prom-client counter, keyed by their label values. */
export class CounterCells<L extends string> {
  private readonly cells = new Map<string, { labels: Record<L, string>; cell: CounterCell }>();

  constructor(private readonly counter: Counter<L>) {}

  /** The cell of `labels` (made on first use). Keep it: looking it up again costs a string key. */
  cell(labels: Record<L, string>): CounterCell {
    const key = Object.values(labels).join('\u0000');
    let c = this.cells.get(key);
    if (!c) {
      c = { labels: { ...labels }, cell: { n: 0 } };
      this.cells.set(key, c);
    }
    return c.cell;
  }

  /** Adds `by` to the cell of `labels` (for rare events; hot paths keep the cell). */
  inc(labels: Record<L, string>, by = 1): void {
    this.cell(labels).n += by;
  }

  /** Moves what the cells counted into the counter (called when scraped). */
  flush(): void {
    for (const { labels, cell } of this.cells.values()) {
      if (cell.n > 0) this.counter.inc(labels, cell.n);
      cell.n = 0;
    }
  }
}

/** One label set of a histogram: `observe(v)` is a bucket search and three additions. */
export interface HistogramCell {
  observe(value: number): void;
}

/** A histogram kept in cells and rendered in the Prometheus format, without per-call label handling. */
export class CellHistogram<L extends string> {
  private readonly cells = new Map<string, { labels: Record<L, string>; counts: Float64Array; sum: number; count: number; cell: HistogramCell }>();
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  cell(labels: Record<L, string>): HistogramCell {
    const key = Object.values(labels).join('\u0000');
    let c = this.cells.get(key);
    if (!c) {
      const buckets = this.buckets;
      const made = { labels: { ...labels }, counts: new Float64Array(buckets.length + 1), sum: 0, count: 0, cell: null as unknown as HistogramCell };
      made.cell = {
        observe: (value: number) => {
          let b = 0;
          while (b < buckets.length && value > buckets[b]!) b++;
          made.counts[b]! += 1;
          made.sum += value;
          made.count += 1;
        },
      };
      c = made;
      this.cells.set(key, c);
    }
    return c.cell;
  }

  /** Observes `value` for `labels` (tests and rare paths). */
  observe(labels: Record<L, string>, value: number): void {
    this.cell(labels).observe(value);
  }

  /** prom-client's metric shape, for the registry's text exposition. */
  get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const c of this.cells.values()) {
      let acc = 0;
      this.buckets.forEach((le, b) => {
        acc += c.counts[b]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...c.labels }, value: acc });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...c.labels }, value: c.count });
      values.push({ metricName: `${this.name}_sum`, labels: c.labels, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: c.labels, value: c.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.cells.clear();
  }
}

/** The metrics a runtime keeps, labelled by deployment, model and version where it makes sense. */
export class ServingMetrics {
  readonly registry = new Registry();
  /** Read when metrics are scraped: the log queue depth and the requests in flight. */
  sources: { logQueueDepth: () => number; inflight: () => number } = { logQueueDepth: () => 0, inflight: () => 0 };
  readonly requests: CounterCells<'deployment' | 'model' | 'version' | 'protocol' | 'status'> = new CounterCells(
    new Counter({
      name: 'mloop_serving_requests_total',
      help: 'Prediction requests answered, by deployment, model, version, protocol and HTTP status',
      labelNames: ['deployment', 'model', 'version', 'protocol', 'status'] as const,
      registers: [this.registry],
      collect: (): void => this.requests.flush(),
    }),
  );
  readonly errors = new Counter({
    name: 'mloop_serving_errors_total',
    help: 'Prediction requests that failed, by deployment and HTTP status',
    labelNames: ['deployment', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new CellHistogram<'deployment' | 'model' | 'version'>(
    'mloop_serving_request_duration_seconds',
    'Time from handler start to prediction (validation, queueing, inference), by deployment, model and version',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  readonly predictions: CounterCells<'deployment' | 'model' | 'version' | 'role' | 'decision'> = new CounterCells(
    new Counter({
      name: 'mloop_serving_predictions_total',
      help: 'Predicted rows, by deployment, model, version, role (primary, canary, shadow) and decision (auto, review)',
      labelNames: ['deployment', 'model', 'version', 'role', 'decision'] as const,
      registers: [this.registry],
      collect: (): void => this.predictions.flush(),
    }),
  );
  readonly shadowDisagreements = new Counter({
    name: 'mloop_serving_shadow_disagreements_total',
    help: 'Rows where the shadow version predicted another label than the returned one',
    labelNames: ['deployment', 'model', 'version', 'shadow_version'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'mloop_serving_rejected_total',
    help: 'Requests answered 503 at once because the server was at capacity, or that timed out in the queue',
    labelNames: ['deployment', 'reason'] as const,
    registers: [this.registry],
  });
  readonly inflight: Gauge = new Gauge({
    name: 'mloop_serving_inflight_requests',
    help: 'Prediction requests admitted and not yet answered',
    registers: [this.registry],
    collect: (): void => this.inflight.set(this.sources.inflight()),
  });
  readonly logQueueDepth: Gauge = new Gauge({
    name: 'mloop_serving_log_queue_depth',
    help: 'Prediction log records waiting to be written',
    registers: [this.registry],
    collect: (): void => this.logQueueDepth.set(this.sources.logQueueDepth()),
  });
  readonly logWritten = new Counter({
    name: 'mloop_serving_log_written_total',
    help: 'Prediction log records written to the store, by model and version',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly logDropped = new Counter({
    name: 'mloop_serving_log_dropped_total',
    help: 'Prediction log records dropped (queue full or store write failed), by model, version and reason',
    labelNames: ['model', 'version', 'reason'] as const,
    registers: [this.registry],
  });
  readonly loads = new Counter({
    name: 'mloop_serving_model_loads_total',
    help: 'Model version loads, by model, version and result (ok, failed)',
    labelNames: ['model', 'version', 'result'] as const,
    registers: [this.registry],
  });
  readonly served = new Gauge({
    name: 'mloop_serving_served_version',
    help: 'The version each deployment role serves (value: version number)',
    labelNames: ['deployment', 'role'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    this.registry.registerMetric(this.latency as unknown as Metric);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'mloop_' });
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
