import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ServingMetrics } from './index.js';

describe('ServingMetrics cells', () => {
  it('renders the latency histogram exactly as prom-client renders the same observations', async () => {
    const m = new ServingMetrics({ processMetrics: false });
    const reference = new Registry();
    const h = new Histogram({
      name: 'mloop_serving_request_duration_seconds',
      help: 'Time from handler start to prediction (validation, queueing, inference), by deployment, model and version',
      labelNames: ['deployment', 'model', 'version'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [reference],
    });
    const values = [0.0001, 0.0005, 0.0007, 0.003, 0.003, 0.2, 7, 0.01];
    const a = { deployment: 'support', model: 'support', version: '1' };
    const b = { deployment: 'support', model: 'support', version: '2' };
    const cell = m.latency.cell(a);
    for (const v of values) {
      cell.observe(v);
      h.observe(a, v);
    }
    m.latency.observe(b, 0.002);
    h.observe(b, 0.002);
    const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('mloop_serving_request_duration_seconds'));
    const ours = lines(await m.render());
    expect(ours).toEqual(lines(await reference.metrics()));
    expect(ours).toContain('mloop_serving_request_duration_seconds_bucket{le="0.0025",deployment="support",model="support",version="1"} 3');
  });

  it('moves counter cells into the counter when scraped, and keeps totals across scrapes', async () => {
    const m = new ServingMetrics({ processMetrics: false });
    const labels = { deployment: 'support', model: 'support', version: '1', role: 'primary', decision: 'auto' };
    const cell = m.predictions.cell(labels);
    cell.n += 3;
    m.predictions.inc(labels);
    expect(await m.render()).toContain('mloop_serving_predictions_total{deployment="support",model="support",version="1",role="primary",decision="auto"} 4');
    cell.n += 2;
    expect(await m.render()).toContain('mloop_serving_predictions_total{deployment="support",model="support",version="1",role="primary",decision="auto"} 6');
  });
});
