/**
 * The prediction log writer: a bounded in-memory queue drained in batches by one background
 * writer. `append` never waits and never throws; when the queue is full (the store is slow or
 * down) records are shed, counted and reported in a rate-limited log line.
 */
import type { PredictionRecord } from './serving.js';

/** Limits of the writer. */
export interface PredictionLogOptions {
  /** Most records held in memory; beyond it new records are dropped. Default 20000. */
  maxQueue?: number;
  /** Most records per store write. Default 500. */
  batchSize?: number;
  /** How long records may wait for a batch to fill. Default 100 ms. */
  flushIntervalMs?: number;
  /** A store write slower than this counts as failed (its records are dropped). Default 5000 ms. */
  writeTimeoutMs?: number;
  /** Pause after a failed write before the next one. Default 1000 ms. */
  retryAfterMs?: number;
  /** Writes of one batch before its records are dropped (a busy or briefly locked store gets retries). Default 3. */
  maxAttempts?: number;
  /** Minimum time between two "dropping" log lines. Default 10000 ms. */
  warnEveryMs?: number;
}

/** Receives the writer's events (the server logs them with pino and counts them in metrics). */
export interface PredictionLogEvents {
  onDrop?(records: readonly PredictionRecord[], reason: 'queue-full' | 'write-failed'): void;
  onWritten?(records: readonly PredictionRecord[], ms: number): void;
  /** A rate-limited warning line: what was dropped since the last line, and why. */
  warn?(message: string, details: Record<string, unknown>): void;
}

/** What a writer reports about itself. */
export interface PredictionLogStats {
  queued: number;
  written: number;
  dropped: number;
  failedWrites: number;
  lastError: string | null;
}

type Write = (records: readonly PredictionRecord[]) => Promise<void>;

export class PredictionLogWriter {
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly writeTimeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly warnEveryMs: number;
  private readonly maxAttempts: number;
  private readonly attempts = new WeakMap<PredictionRecord, number>();
  private queue: PredictionRecord[] = [];
  /** The batch being written (its records left the queue but are not in the store yet). */
  private inFlight: readonly PredictionRecord[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pausedUntil = 0;
  private closed = false;
  private lastWarn = 0;
  private droppedSinceWarn = 0;
  private readonly stats: PredictionLogStats = { queued: 0, written: 0, dropped: 0, failedWrites: 0, lastError: null };

  constructor(
    private readonly write: Write,
    options: PredictionLogOptions = {},
    private readonly events: PredictionLogEvents = {},
  ) {
    this.maxQueue = options.maxQueue ?? 20000;
    this.batchSize = options.batchSize ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 5000;
    this.retryAfterMs = options.retryAfterMs ?? 1000;
    this.warnEveryMs = options.warnEveryMs ?? 10000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  }

  /** Queues records for writing. Never blocks, never throws; returns how many were accepted. */
  append(records: readonly PredictionRecord[]): number {
    if (this.closed) {
      this.drop(records, 'queue-full');
      return 0;
    }
    const room = Math.max(0, this.maxQueue - this.queue.length);
    const accepted = room >= records.length ? records : records.slice(0, room);
    for (const r of accepted) this.queue.push(r);
    if (accepted.length < records.length) this.drop(records.slice(accepted.length), 'queue-full');
    this.schedule();
    return accepted.length;
  }

  /** True while `id` waits in the queue or is being written (written soon, or dropped). A scan: feedback is rare, appends are not. */
  isQueued(id: string): boolean {
    return this.inFlight.some((r) => r.id === id) || this.queue.some((r) => r.id === id);
  }

  /** Records waiting to be written. */
  get depth(): number {
    return this.queue.length;
  }

  snapshot(): PredictionLogStats {
    return { ...this.stats, queued: this.queue.length };
  }

  /** Writes what is queued (in batches) and resolves when done or when `timeoutMs` passed. */
  async flush(timeoutMs = this.writeTimeoutMs * 2): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.pausedUntil = 0;
    while ((this.queue.length > 0 || this.writing) && Date.now() < deadline) {
      if (!this.writing) this.startWrite();
      await Promise.race([this.writing, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
    }
  }

  /** Flushes what it can within `timeoutMs`, then drops the rest and stops. */
  async close(timeoutMs = this.writeTimeoutMs): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush(timeoutMs);
    this.closed = true;
    if (this.queue.length > 0) {
      const rest = this.queue;
      this.queue = [];
      this.drop(rest, 'write-failed');
    }
    this.warnNow();
  }

  private schedule(): void {
    if (this.writing || this.timer || this.closed) return;
    const wait = this.queue.length >= this.batchSize ? 0 : this.flushIntervalMs;
    const delay = Math.max(wait, this.pausedUntil - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.writing && this.queue.length > 0) this.startWrite();
    }, delay);
    this.timer.unref();
  }

  private startWrite(): void {
    const batch = this.queue.splice(0, this.batchSize);
    if (batch.length === 0) return;
    this.inFlight = batch;
    const started = performance.now();
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error(`prediction log write took longer than ${this.writeTimeoutMs} ms`)), this.writeTimeoutMs);
    });
    this.writing = (async () => {
      let kept: PredictionRecord[] = [];
      try {
        // The write starts on the next tick so a synchronous driver never runs inside `append`.
        await new Promise((r) => setImmediate(r));
        await Promise.race([this.write(batch), timedOut]);
        this.stats.written += batch.length;
        this.events.onWritten?.(batch, performance.now() - started);
      } catch (err) {
        this.stats.failedWrites += 1;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.pausedUntil = Date.now() + this.retryAfterMs;
        // Retried at the front while attempts and room remain (a briefly locked store); the rest is shed.
        const tries = (this.attempts.get(batch[0]!) ?? 0) + 1;
        const room = this.closed ? 0 : Math.max(0, this.maxQueue - this.queue.length);
        kept = tries < this.maxAttempts ? batch.slice(0, room) : [];
        if (kept.length > 0) {
          this.attempts.set(kept[0]!, tries);
          this.queue.unshift(...kept);
        }
        this.drop(batch.slice(kept.length), 'write-failed');
      } finally {
        clearTimeout(timeout);
        this.inFlight = [];
        this.writing = null;
        if (this.queue.length > 0) this.schedule();
      }
    })();
  }

  private drop(records: readonly PredictionRecord[], reason: 'queue-full' | 'write-failed'): void {
    if (records.length === 0) return;
    this.stats.dropped += records.length;
    this.droppedSinceWarn += records.length;
    this.events.onDrop?.(records, reason);
    if (Date.now() - this.lastWarn >= this.warnEveryMs) this.warnNow(reason);
  }

  private warnNow(reason?: string): void {
    if (this.droppedSinceWarn === 0) return;
    this.events.warn?.(`prediction log: dropped ${this.droppedSinceWarn} records since the last report`, {
      dropped: this.droppedSinceWarn,
      dropped_total: this.stats.dropped,
      queued: this.queue.length,
      ...(reason ? { reason } : {}),
      last_error: this.stats.lastError,
    });
    this.lastWarn = Date.now();
    this.droppedSinceWarn = 0;
  }
}
