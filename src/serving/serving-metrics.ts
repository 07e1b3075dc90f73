/** Prometheus metrics of the serving runtime (prom-client), one registry per runtime. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics a runtime keeps, labelled by deployment, model and version where it makes sense. */
export class ServingMetrics {
  readonly registry = new Registry();
  /** Read when metrics are scraped: the log queue depth and the requests in flight. */
  sources: { logQueueDepth: () => number; inflight: () => number } = { logQueueDepth: () => 0, inflight: () => 0 };
  readonly requests = new Counter({
    name: 'mloop_serving_requests_total',
    help: 'Prediction requests answered, by deployment, model, version, protocol and HTTP status',
    labelNames: ['deployment', 'model', 'version', 'protocol', 'status'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'mloop_serving_errors_total',
    help: 'Prediction requests that failed, by deployment and HTTP status',
    labelNames: ['deployment', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'mloop_serving_request_duration_seconds',
    help: 'Time from handler start to prediction (validation, queueing, inference), by deployment, model and version',
    labelNames: ['deployment', 'model', 'version'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly predictions = new Counter({
    name: 'mloop_serving_predictions_total',
    help: 'Predicted rows, by deployment, model, version, role (primary, canary, shadow) and decision (auto, review)',
    labelNames: ['deployment', 'model', 'version', 'role', 'decision'] as const,
    registers: [this.registry],
  });
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
