/** The demo's serving step: deploy the champion, send a stream of requests, count decisions and latency. */
import type { Workspace } from '../workspace/index.js';

export interface DemoServingOptions {
  /** Model to deploy (default `support`). */
  model?: string;
  /** Alias to deploy (default `champion`). */
  alias?: string;
  /** Rows to send, one request each (for example `{ text }`). */
  rows: ReadonlyArray<Record<string, unknown>>;
  /** True labels of `rows`, to report the accuracy of automated decisions and feed them back. */
  labels?: ReadonlyArray<string>;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  actor?: string;
}

export interface DemoServingResult {
  deployment: string;
  version: number;
  requests: number;
  automated: number;
  review: number;
  /** Share of requests decided without a person. */
  automationRate: number;
  /** Accuracy of the automated decisions, when labels were given. */
  automatedAccuracy: number | null;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  seconds: number;
  requestsPerSecond: number;
  /** Review items waiting for people after the stream. */
  pendingReview: number;
  /** Prediction log records written and dropped. */
  logged: number;
  dropped: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Deploys `model@alias`, sends every row as one request through the serving runtime (as the HTTP
 * routes do), waits for the prediction log, and reports automated versus review decisions.
 *
 * @example
 * const r = await demoServing(ws, { rows: texts.map((text) => ({ text })), labels: intents });
 */
export async function demoServing(ws: Workspace, options: DemoServingOptions): Promise<DemoServingResult> {
  const model = options.model ?? 'support';
  const alias = options.alias ?? 'champion';
  const actor = options.actor ?? 'demo';
  const deployment = await ws.serving.deploy(actor, `${model}@${alias}`);
  const runtime = ws.serving.runtime();
  await runtime.start();
  await runtime.sync();
  const latencies: number[] = [];
  let automated = 0;
  let review = 0;
  let correctAuto = 0;
  let version = 0;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < options.rows.length) {
      const i = next++;
      const t0 = performance.now();
      const r = await runtime.predict(deployment.name, [options.rows[i]]);
      latencies.push(performance.now() - t0);
      version = r.version;
      const row = r.rows[0]!;
      if (row.decision === 'auto') {
        automated++;
        if (options.labels && options.labels[i] === row.label) correctAuto++;
      } else review++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  const seconds = (performance.now() - started) / 1000;
  await runtime.log.flush();
  latencies.sort((a, b) => a - b);
  const stats = runtime.log.snapshot();
  const pending = await ws.serving.listReview({ status: 'pending', deployment: deployment.name, limit: 10000 });
  const n = options.rows.length;
  return {
    deployment: deployment.name,
    version,
    requests: n,
    automated,
    review,
    automationRate: n === 0 ? 0 : automated / n,
    automatedAccuracy: options.labels && automated > 0 ? correctAuto / automated : null,
    latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? 0 },
    seconds,
    requestsPerSecond: seconds > 0 ? n / seconds : 0,
    pendingReview: pending.length,
    logged: stats.written,
    dropped: stats.dropped,
  };
}
