/**
 * Where the prediction log is written: a store on a connection of its own that never waits for
 * locks, in a worker thread when the compiled worker is available (the built package), else on
 * the calling thread (tests running the TypeScript sources).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openBackend } from '../storage/index.js';
import { decodeLogSegment, type LogSegment } from './log-codec.js';
import { SqlServingStore } from './sql-serving-store.js';

/** The log's write side. */
export interface PredictionLogStore {
  /** Writes a segment's records in one transaction. */
  insertSegment(segment: LogSegment): Promise<void>;
  close(): Promise<void>;
  /** `worker` or `inline`. */
  readonly mode: 'worker' | 'inline';
}

class WorkerLogStore implements PredictionLogStore {
  readonly mode = 'worker' as const;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private dead: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; ok: boolean; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve();
      else w.reject(new Error(m.error ?? 'prediction log write failed'));
    });
    const fail = (err: Error) => {
      this.dead = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`prediction log worker exited with code ${code}`)));
    worker.unref();
  }

  private send(message: object): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  insertSegment(segment: LogSegment): Promise<void> {
    // Shared, not copied or transferred (its arrays are SharedArrayBuffers, log-codec.ts): the serving
    // thread keeps the segment to retry it after a failed write, and neither thread writes it again.
    return this.send({ segment });
  }

  async close(): Promise<void> {
    await Promise.race([this.send({ close: true }).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }
}

/**
 * Opens the prediction log store for `url`.
 *
 * @example
 * const log = await openPredictionLogStore({ url: ws.config.database.url, connectTimeoutMs: 5000 });
 */
export async function openPredictionLogStore(o: { url: string; connectTimeoutMs: number; worker?: boolean }): Promise<PredictionLogStore> {
  const workerUrl = new URL('./log-store-worker.js', import.meta.url);
  if (o.worker !== false && workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl))) {
    const worker = new Worker(workerUrl, { workerData: { url: o.url, connectTimeoutMs: o.connectTimeoutMs } });
    const onExit = (code: number) => failed(new Error(`prediction log worker exited with code ${code}`));
    let failed: (err: Error) => void = () => undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        failed = reject;
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', onExit);
      });
    } finally {
      // Only our own listeners: removeAllListeners would also drop the worker's internal ones.
      worker.off('error', failed);
      worker.off('exit', onExit);
    }
    return new WorkerLogStore(worker);
  }
  const backend = await openBackend(o.url, { busyTimeoutMs: 0, poolSize: 2, connectTimeoutMs: o.connectTimeoutMs, create: false, statementCache: 32, durability: 'relaxed' });
  const store = new SqlServingStore(backend.db);
  return { mode: 'inline', insertSegment: (s) => store.insertPredictions(decodeLogSegment(s)), close: () => backend.close() };
}
