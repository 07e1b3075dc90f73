/** The monitoring result cache: stored reports and estimates equal freshly computed ones, and change when their inputs do. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSupportRequests } from '../demo/index.js';
import { demoServing } from '../serving/index.js';
import type { TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { monitorModel, MonitoringResultCache, SqlMonitoringStore, type MonitoringReport } from './index.js';
import { domainWorkerJobs } from './drift/domain-worker.js';
import { countLoopTurns } from './test-support/loop-turns.js';
import { monitoringFixture } from './test-support/monitoring-fixture.js';

let f: TempWorkspace;
let ids: string[];

beforeAll(async () => {
  f = await monitoringFixture({ rows: 600 });
  const traffic = generateSupportRequests({ count: 80, seed: 11, launch: false });
  await demoServing(f.ws, { model: 'support', rows: traffic.map((t) => ({ text: t.text })), labels: traffic.map((t) => t.intent), actor: 'test' });
  ids = (await f.ws.backend.db.selectFrom('predictions').select('id').where('model', '=', 'support').orderBy('at').orderBy('id').execute()).map((r) => r.id);
}, 180_000);
afterAll(async () => {
  await f?.cleanup();
});

/** A report without the time it was made: the only field two computations over the same data may differ in. */
const numbers = (r: MonitoringReport) => ({ ...r, generated_at: '' });

describe('MonitoringResultCache', () => {
  it('serves the stored report while nothing changed, equal to an uncached computation', async () => {
    const cache = new MonitoringResultCache(f.ws.monitoring, f.ws.registry);
    const first = await cache.report('support');
    const second = await cache.report('support');
    expect(second.report).toBe(first.report); // the stored object, not a recomputation
    expect(second).toMatchObject({ fresh: true, computedAt: first.computedAt, key: first.key });
    expect(numbers(second.report)).toEqual(numbers(await f.ws.monitoring.report({ model: 'support', window: '7d' })));
  }, 60_000);

  it('recomputes after new ground truth (or a new version or alias); numbers equal the uncached ones again', async () => {
    const cache = new MonitoringResultCache(f.ws.monitoring, f.ws.registry, { staleMs: 0 });
    const before = await cache.report('support');
    const classes = (await f.ws.registry.resolve('support@1')).record.classes!;
    const row = await f.ws.serving.prediction(ids[3]!);
    await f.ws.serving.feedback('test', ids[3]!, classes.find((c) => c !== row.label)!);
    const after = await cache.report('support');
    expect(after.key).not.toBe(before.key);
    expect(after.report).not.toBe(before.report);
    const uncached = await f.ws.monitoring.report({ model: 'support', window: '7d' });
    expect(numbers(after.report)).toEqual(numbers(uncached));
    expect(after.report.performance.labels).toBe(before.report.performance.labels + 1);
    // An alias move changes the key too.
    await f.ws.registry.setAlias('test', 'support', 'candidate', 1, 'test');
    expect(await cache.key('support')).not.toBe(after.key);
  }, 60_000);

  it('within staleMs a changed log gets the stored report marked stale, and its successor once computed', async () => {
    const cache = new MonitoringResultCache(f.ws.monitoring, f.ws.registry, { staleMs: 60_000 });
    const old = await cache.report('support');
    await f.ws.serving.feedback('test', ids[5]!, (await f.ws.serving.prediction(ids[5]!)).label!);
    const stale = await cache.report('support');
    expect(stale).toMatchObject({ fresh: false, key: old.key });
    expect(stale.report).toBe(old.report);
    await expect.poll(async () => (await cache.report('support')).fresh, { timeout: 30_000 }).toBe(true);
    const next = await cache.report('support');
    expect(numbers(next.report)).toEqual(numbers(await f.ws.monitoring.report({ model: 'support', window: '7d' })));
    // refresh always computes anew.
    const again = await cache.report('support', { refresh: true });
    expect(again.report).not.toBe(next.report);
    expect(numbers(again.report)).toEqual(numbers(next.report));
  }, 60_000);

  it('a report gives the event loop a turn before every page of the log, so requests are served meanwhile', async () => {
    // The turns seen when each page is read: SQLite reads alone never give the loop a turn.
    const seen: number[] = [];
    const real = new SqlMonitoringStore(f.ws.backend.db);
    const store = Object.assign(Object.create(real) as SqlMonitoringStore, {
      scanPredictions: (q: Parameters<SqlMonitoringStore['scanPredictions']>[0]) => {
        seen.push(loop.turns);
        return real.scanPredictions(q);
      },
    });
    const loop = countLoopTurns();
    const report = await monitorModel({ store, registry: f.ws.registry, datasets: f.ws.datasets }, { model: 'support', window: '7d', pageSize: 10 });
    loop.stop();
    expect(report.windows.length).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThanOrEqual(8); // 80 predictions in pages of 10
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
  }, 60_000);

  it("sends every tested text window's domain classifier to the worker thread, with the numbers of the calling thread's", async () => {
    // That the loop keeps turning while a job is out is shown on a window large enough to take a
    // while (drift/domain-classifier.test.ts); this fixture's jobs take about a millisecond.
    const start = domainWorkerJobs();
    const report = await monitorModel({ store: new SqlMonitoringStore(f.ws.backend.db), registry: f.ws.registry, datasets: f.ws.datasets }, { model: 'support', window: '7d', minWindowRows: 10 });
    const end = domainWorkerJobs();
    const tested = report.windows.filter((w) => w.features !== null).length;
    expect(tested).toBeGreaterThan(0);
    expect(end.posted - start.posted).toBe(tested); // one text feature: one job per tested window
    expect(end.done).toBe(end.posted);
    // On the calling thread when asked: no job, the same numbers.
    const inline = await monitorModel({ store: new SqlMonitoringStore(f.ws.backend.db), registry: f.ws.registry, datasets: f.ws.datasets }, { model: 'support', window: '7d', minWindowRows: 10, offThread: false });
    expect(domainWorkerJobs().posted).toBe(end.posted);
    expect(numbers(inline)).toEqual(numbers(report));
  }, 60_000);

  it('keeps estimates per key and window end, equal to uncached ones; a failure is not kept', async () => {
    const cache = new MonitoringResultCache(f.ws.monitoring, f.ws.registry);
    const last = (await f.ws.monitoring.logState('support')).lastAt!;
    const a = await cache.estimateLatest('support', last);
    expect(await cache.estimateLatest('support', last)).toBe(a);
    expect(a).toEqual(await f.ws.monitoring.estimateLatest({ model: 'support', window: '7d', last }));
    await f.ws.serving.feedback('test', ids.at(-1)!, (await f.ws.serving.prediction(ids.at(-1)!)).label!);
    const b = await cache.estimateLatest('support', last);
    expect(b).not.toBe(a);
    expect(b).toEqual(await f.ws.monitoring.estimateLatest({ model: 'support', window: '7d', last }));
    await expect(cache.estimateLatest('support', 'not a time')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.report('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 60_000);

  it('warms reports model by model and reports each failure instead of throwing', async () => {
    const cache = new MonitoringResultCache(f.ws.monitoring, f.ws.registry);
    const warmed = await cache.warm(['support', 'nope']);
    expect(warmed[0]).toEqual({ model: 'support', error: null });
    expect(warmed[1]!.model).toBe('nope');
    expect(warmed[1]!.error).toMatch(/nope/);
    const key = await cache.key('support');
    expect((await cache.report('support')).key).toBe(key);
    expect(await cache.warm(['support'], () => true)).toEqual([]);
  }, 60_000);

  it('bounds the start-up walk by the log rows it may read: a bigger log is deferred to its first visit, then kept', async () => {
    // A larger log than the budget: 1000 more predictions.
    const traffic = generateSupportRequests({ count: 1000, seed: 12, launch: false });
    await demoServing(f.ws, { model: 'support', rows: traffic.map((t) => ({ text: t.text })), actor: 'test' });
    const real = new SqlMonitoringStore(f.ws.backend.db);
    let read = 0;
    const store = Object.assign(Object.create(real) as SqlMonitoringStore, {
      scanPredictions: async (q: Parameters<SqlMonitoringStore['scanPredictions']>[0]) => {
        const page = await real.scanPredictions(q);
        read += page.length;
        return page;
      },
    });
    const counted = {
      report: (req: Parameters<typeof monitorModel>[1]) => monitorModel({ store, registry: f.ws.registry, datasets: f.ws.datasets }, req),
      estimateLatest: f.ws.monitoring.estimateLatest.bind(f.ws.monitoring),
      logState: (model: string) => real.logState(model),
    };
    const { predictions } = await real.logState('support');
    expect(predictions).toBeGreaterThan(1000);

    const cache = new MonitoringResultCache(counted, f.ws.registry);
    const warmed = await cache.warm(['support', 'nope'], undefined, { maxRows: 500 });
    expect(warmed[0]).toEqual({ model: 'support', error: null, deferred: true });
    expect(warmed[1]!.error).toMatch(/nope/);
    expect(read).toBe(0); // nothing of the big log read at start-up
    const first = await cache.report('support'); // the first visit computes it
    expect(read).toBe(predictions);
    expect((await cache.report('support')).report).toBe(first.report); // and keeps it
    expect(read).toBe(predictions);
    expect(numbers(first.report)).toEqual(numbers(await f.ws.monitoring.report({ model: 'support', window: '7d' })));

    // Within the bound the walk computes it, reading each row once.
    read = 0;
    const within = new MonitoringResultCache(counted, f.ws.registry);
    expect(await within.warm(['support'], undefined, { maxRows: predictions })).toEqual([{ model: 'support', error: null }]);
    expect(read).toBe(predictions);
  }, 120_000);
});
