/** The runtime and the log writer with stub dependencies: overload, timeouts, a failing or hanging log store. */
import { describe, expect, it } from 'vitest';
import type { DatasetService } from '../datasets/index.js';
import type { MloopError } from '../errors/index.js';
import type { ModelVersion, RegistryService } from '../registry/index.js';
import type { ColumnBatch, Predictor } from '../training/index.js';
import { PredictionLogWriter, ServingRuntime, type Deployment, type PredictionRecord, type ServingStore } from './index.js';
import { prediction } from './test-support/serving-store-contract.js';
import { textVersion } from './test-support/text-version.js';
import { decodeLogSegment } from './log-codec.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A two-class predictor; `busyMs` burns CPU per call like a heavy model would. */
function fakePredictor(busyMs = 0): Predictor {
  return {
    learner: 'text-softmax',
    task: 'text-classification',
    classes: ['a', 'b'],
    inputs: [{ name: 'text', kind: 'text' }],
    report: {},
    predictProba(batch: ColumnBatch, n: number) {
      const end = Date.now() + busyMs;
      while (Date.now() < end);
      const texts = batch['text'] as string[];
      const out = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) {
        const p = texts[i]!.includes('sure') ? 0.95 : 0.6;
        out[i * 2] = p;
        out[i * 2 + 1] = 1 - p;
      }
      return out;
    },
    predictValues: () => new Float64Array(0),
    toFiles: () => [],
  };
}

const version: ModelVersion = textVersion({ confidence: 0.9 });

const deployment: Deployment = { name: 'm', model: 'm', ref: 'm@champion', shadowRef: null, canaryRef: null, canaryPercent: 0, createdAt: '', createdBy: '', updatedAt: '', updatedBy: '' };

function stubStore(insert: ServingStore['insertPredictions']): ServingStore {
  return { listDeployments: async () => [deployment], insertPredictions: insert } as unknown as ServingStore;
}

async function runtimeWith(options: ConstructorParameters<typeof ServingRuntime>[1], insert: ServingStore['insertPredictions'] = async () => undefined, busyMs = 0, warnings: string[] = []) {
  const runtime = new ServingRuntime(
    {
      store: stubStore(insert),
      registry: { resolve: async () => version } as unknown as RegistryService,
      datasets: { lineage: async () => ({ ref: 'd@1', transform: { kind: 'import' }, parents: [], children: [] }) } as unknown as DatasetService,
      load: async () => fakePredictor(busyMs),
      logger: { info: () => undefined, warn: (_o, m) => warnings.push(m), error: () => undefined },
    },
    { pollIntervalMs: 60_000, ...options },
  );
  await runtime.start();
  return runtime;
}

describe('decisions', () => {
  it('automates rows whose confidence clears the stored threshold and routes the rest to review', async () => {
    const rt = await runtimeWith({});
    const r = await rt.predict('m', [{ text: 'sure thing' }, { text: 'hmm' }]);
    expect(r.rows.map((x) => [x.label, x.decision])).toEqual([
      ['a', 'auto'],
      ['a', 'review'],
    ]);
    await rt.close();
  });
});

describe('overload', () => {
  it('admits up to maxInflight requests and sheds the rest at once with UNAVAILABLE and a retry hint', async () => {
    const rt = await runtimeWith({ maxInflight: 4 }, undefined, 5);
    const started = performance.now();
    const all = Array.from({ length: 12 }, () => rt.predict('m', [{ text: 'x' }]).then(() => 'ok', (e: MloopError) => e));
    const results = await Promise.all(all);
    const shed = results.filter((r) => r !== 'ok') as MloopError[];
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(shed).toHaveLength(8);
    for (const e of shed) expect(e).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'overloaded', retry_after_s: 1 } });
    expect(performance.now() - started).toBeLessThan(1000);
    // Recovers once the load drops.
    expect((await rt.predict('m', [{ text: 'x' }])).rows).toHaveLength(1);
    expect(await rt.metrics.render()).toMatch(/mloop_serving_rejected_total\{deployment="m",reason="overloaded"\} 8/);
    await rt.close();
  });

  it('fails a request that waited past its timeout instead of predicting it late', async () => {
    const rt = await runtimeWith({ requestTimeoutMs: 30, microBatchRows: 1 }, undefined, 50);
    const results = await Promise.all([rt.predict('m', [{ text: 'x' }]), rt.predict('m', [{ text: 'y' }])].map((p) => p.then(() => 'ok', (e: MloopError) => e.details?.['reason'])));
    expect(results).toContain('timeout');
    await rt.close();
  });

  it('times out a wait that never ends (the shared sweep), and lets answers through untouched', async () => {
    const rt = await runtimeWith({ requestTimeoutMs: 40 });
    const wait = (rt as unknown as { withTimeout<T>(p: Promise<T>, name: string): Promise<T> }).withTimeout.bind(rt);
    const started = performance.now();
    const never = wait(new Promise<never>(() => undefined), 'm').then(
      () => 'answered',
      (e: MloopError) => e.code,
    );
    expect(await wait(Promise.resolve('fine'), 'm')).toBe('fine');
    await expect(wait(Promise.reject(new Error('boom')), 'm')).rejects.toThrow('boom');
    expect(await never).toBe('UNAVAILABLE');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(39);
    expect(waited).toBeLessThan(1000);
    expect((rt as unknown as { waiting: Set<unknown> }).waiting.size).toBe(0);
    await rt.close();
  });
});

describe('a log store that is down or slow never fails or delays a prediction', () => {
  it('keeps answering while every write fails, and counts and reports the drops', async () => {
    const warnings: string[] = [];
    const rt = await runtimeWith({ log: { flushIntervalMs: 1, retryAfterMs: 5, warnEveryMs: 0 } }, async () => {
      throw new Error('attempt to write a readonly database');
    }, 0, warnings);
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const r = await rt.predict('m', [{ text: 'x' }]);
      expect(r.rows).toHaveLength(1);
      expect(performance.now() - t0).toBeLessThan(50);
      await sleep(1);
    }
    await rt.log.flush(1000);
    const stats = rt.log.snapshot();
    expect(stats.written).toBe(0);
    expect(stats.dropped).toBe(50);
    expect(stats.lastError).toContain('readonly');
    expect(warnings.some((w) => w.startsWith('prediction log: dropped'))).toBe(true);
    expect(await rt.metrics.render()).toMatch(/mloop_serving_log_dropped_total\{model="m",version="1",reason="write-failed"\} 50/);
    await rt.close();
  });

  it('keeps answering while a write hangs: the queue stays bounded and sheds the excess', async () => {
    const rt = await runtimeWith({ log: { maxQueue: 100, batchSize: 10, flushIntervalMs: 1, writeTimeoutMs: 60_000 } }, () => new Promise<void>(() => undefined));
    const latencies: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await rt.predict('m', [{ text: 'x' }]);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(20);
    expect(rt.log.depth).toBeLessThanOrEqual(100);
    expect(rt.log.snapshot().dropped).toBeGreaterThanOrEqual(190);
  });
});

describe('PredictionLogWriter', () => {
  it('writes in batches of at most batchSize and flushes on close', async () => {
    const batches: number[] = [];
    const w = new PredictionLogWriter(async (s) => void batches.push(s.n), { batchSize: 4, flushIntervalMs: 5 });
    expect(w.append(Array.from({ length: 10 }, (_, i) => prediction(`prd_${i}`)))).toBe(10);
    expect(w.isQueued('prd_3')).toBe(true);
    await w.close();
    expect(batches).toEqual([4, 4, 2]);
    expect(w.snapshot()).toMatchObject({ written: 10, dropped: 0, queued: 0 });
    expect(w.append([prediction('late')])).toBe(0);
  });

  it('times out a slow write, drops its records and goes on with the next ones', async () => {
    let calls = 0;
    const written: PredictionRecord[] = [];
    const w = new PredictionLogWriter(
      async (s) => {
        if (calls++ === 0) return new Promise<void>(() => undefined);
        written.push(...decodeLogSegment(s));
      },
      { batchSize: 2, flushIntervalMs: 1, writeTimeoutMs: 20, retryAfterMs: 1, maxAttempts: 1 },
    );
    w.append([prediction('p1'), prediction('p2'), prediction('p3')]);
    await sleep(100);
    await w.flush();
    expect(w.snapshot()).toMatchObject({ dropped: 2, failedWrites: 1, written: 1 });
    expect(written.map((r) => r.id)).toEqual(['p3']);
    await w.close();
  });

  it('retries a batch when the store is briefly busy, then writes it', async () => {
    let calls = 0;
    const written: string[] = [];
    const w = new PredictionLogWriter(
      async (s) => {
        if (calls++ < 2) throw new Error('database is locked');
        written.push(...decodeLogSegment(s).map((x) => x.id));
      },
      { flushIntervalMs: 1, retryAfterMs: 1 },
    );
    w.append([prediction('p1'), prediction('p2')]);
    await sleep(50);
    await w.flush();
    expect(written).toEqual(['p1', 'p2']);
    expect(w.snapshot()).toMatchObject({ written: 2, dropped: 0, failedWrites: 2 });
    await w.close();
  });
});
